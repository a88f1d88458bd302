#pragma once
// Runs the real wardcastd in the background for a test, and reads what it recorded.

#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <date/date.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/spawn.hpp"

namespace wardcast::test {

/// wardcastd started with `args`; stderr goes to a file. Stopped with SIGTERM at the end.
class Daemon {
public:
    Daemon(const std::vector<std::string>& args, const std::filesystem::path& log_file,
           const std::map<std::string, std::string>& env = {})
        : log_file_(log_file) {
        // Each test's daemon gets its own control socket unless the test names one.
        std::vector<std::string> all = args;
        if (std::find(all.begin(), all.end(), "--socket") == all.end()) {
            all.push_back("--socket");
            all.push_back((log_file.parent_path() / (log_file.stem().string() + ".sock")).string());
        }
        std::vector<std::string> argv{WARDCASTD};
        argv.insert(argv.end(), all.begin(), all.end());
        const ExecImage image(argv, env);
        const int out = open_output(log_file);
        pid_ = fork();
        if (pid_ == 0) {
            dup2(out, 2);
            dup2(out, 1);
            image.exec();
            _exit(127);
        }
        close(out);
    }
    ~Daemon() {
        if (pid_ > 0 && !exit_code_) stop(SIGKILL);
    }
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    /// Everything it printed so far.
    std::string output() const {
        std::ifstream in(log_file_);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }

    /// Waits until its output contains `text`, or `timeout`; false on timeout or exit.
    bool wait_for_output(const std::string& text, std::chrono::milliseconds timeout) {
        auto until = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < until) {
            if (output().find(text) != std::string::npos) return true;
            if (exited()) return output().find(text) != std::string::npos;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return false;
    }

    /// True once it has exited (exit_code() then holds the code, -signal when killed).
    bool exited() {
        if (exit_code_) return true;
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
            return true;
        }
        return false;
    }

    /// Waits for it to exit by itself, up to `timeout`; its exit code, or nullopt.
    std::optional<int> wait(std::chrono::milliseconds timeout) {
        auto until = std::chrono::steady_clock::now() + timeout;
        while (!exited() && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        return exit_code_;
    }

    /// Sends `sig` and waits for it to exit; its exit code.
    std::optional<int> stop(int sig = SIGTERM) {
        if (!exited()) kill(pid_, sig);
        return wait(std::chrono::seconds(20));
    }

    pid_t pid() const { return pid_; }
    std::optional<int> exit_code() const { return exit_code_; }

private:
    std::filesystem::path log_file_;
    pid_t pid_ = -1;
    std::optional<int> exit_code_;
};

/// One row of the broadcast log's entries table, as strings ("" for NULL).
using Row = std::map<std::string, std::string>;

/// Rows of `sql` run read-only on the log at `db`.
inline std::vector<Row> query(const std::filesystem::path& db, const std::string& sql) {
    sqlite3* h = nullptr;
    std::vector<Row> rows;
    if (sqlite3_open_v2(("file:" + db.string() + "?mode=ro").c_str(), &h,
                        SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr) != SQLITE_OK) {
        sqlite3_close(h);
        return rows;
    }
    sqlite3_busy_timeout(h, 5000);
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW) {
            Row r;
            for (int c = 0; c < sqlite3_column_count(st); ++c) {
                auto text = sqlite3_column_text(st, c);
                r[sqlite3_column_name(st, c)] = text ? reinterpret_cast<const char*>(text) : "";
            }
            rows.push_back(r);
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
    return rows;
}

using Clock = std::chrono::system_clock;

/// Time for wardcastd to start (read the schedule, measure its files) before the first
/// firing of a test: sanitizer builds run several times slower.
#ifdef WARDCAST_SANITIZED
inline constexpr std::chrono::seconds startup_margin{15};
#else
inline constexpr std::chrono::seconds startup_margin{4};
#endif

/// The whole second `s` after the next whole second: an instant to schedule a test firing at.
inline Clock::time_point whole_second_after(std::chrono::seconds s) {
    return std::chrono::ceil<std::chrono::seconds>(Clock::now()) + s;
}

/// `dates:` and `at:` lines making an announcement fire at `t` (a UTC station).
inline std::string when(Clock::time_point t) {
    auto secs = std::chrono::floor<std::chrono::seconds>(t);
    auto day = std::chrono::floor<date::days>(secs);
    return "    dates: [" + date::format("%F", day) + "]\n    at: [\"" + date::format("%T", secs - day) +
           "\"]\n";
}

/// Broadcast outcomes by announcement id (the last one for each).
inline std::map<std::string, Row> outcomes(const std::filesystem::path& db) {
    std::map<std::string, Row> by_id;
    for (auto& r : query(db, "SELECT * FROM entries WHERE kind = 'broadcast' ORDER BY seq"))
        by_id[r["announcement_id"]] = r;
    return by_id;
}

}  // namespace wardcast::test
