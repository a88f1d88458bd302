// The station keeps airing when its log cannot be written (SPEC §6): the real wardcastd with
// its log on a small tmpfs that the test fills, then frees (CI runs as root).

#include <poll.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/e2e/ctl.hpp"
#include "tests/e2e/daemon_process.hpp"
#include "tests/e2e/fixtures.hpp"
#include "tests/e2e/notify_socket.hpp"
#include "tests/skip.hpp"

using namespace wardcast::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

/// A tmpfs of `size` mounted at `at` for the test's life; `mounted` false when not allowed.
struct SmallDisk {
    std::filesystem::path at;
    bool mounted = false;
    SmallDisk(std::filesystem::path where, const char* size) : at(std::move(where)) {
        std::filesystem::create_directories(at);
        mounted = ::mount("wardcast-test", at.c_str(), "tmpfs", 0, size) == 0;
    }
    ~SmallDisk() {
        if (mounted) ::umount2(at.c_str(), MNT_DETACH);
    }
    /// Writes a file until the disk refuses more.
    void fill() {
        std::ofstream f(at / "filler", std::ios::binary);
        std::string block(64 * 1024, '\0');
        while (f.write(block.data(), static_cast<std::streamsize>(block.size())) && f.flush()) {
        }
        f.close();
        // What is left is less than a page: fill it byte by byte.
        std::ofstream g(at / "filler2", std::ios::binary);
        while (g.put('\0') && g.flush()) {
        }
    }
    void free() {
        std::filesystem::remove(at / "filler");
        std::filesystem::remove(at / "filler2");
    }
};

/// A raw control-socket client that asked to `watch`: every event line, as JSON.
class Watcher {
  public:
    explicit Watcher(const std::filesystem::path& socket) {
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, socket.c_str(), sizeof addr.sun_path - 1);
        REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        const std::string request = R"({"v":1,"id":1,"cmd":"watch"})"
                                    "\n";
        REQUIRE(::write(fd_, request.data(), request.size()) ==
                static_cast<ssize_t>(request.size()));
    }
    ~Watcher() { ::close(fd_); }

    /// Reads until a line satisfies `match` (from index `from`), or `timeout`; its index.
    std::optional<std::size_t> wait_until(const std::function<bool(const json&)>& match,
                                          std::chrono::milliseconds timeout, std::size_t from = 0) {
        const auto until = Steady::now() + timeout;
        for (;;) {
            for (std::size_t i = from; i < lines_.size(); ++i)
                if (match(lines_[i])) return i;
            from = std::max(from, lines_.size());
            auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(until - Steady::now());
            if (left <= 0ms) return std::nullopt;
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
            char buffer[4096];
            ssize_t n = ::read(fd_, buffer, sizeof buffer);
            if (n <= 0) return std::nullopt;
            partial_.append(buffer, static_cast<std::size_t>(n));
            for (auto nl = partial_.find('\n'); nl != std::string::npos; nl = partial_.find('\n')) {
                lines_.push_back(json::parse(partial_.substr(0, nl), nullptr, false));
                partial_.erase(0, nl + 1);
            }
        }
    }

  private:
    int fd_ = -1;
    std::string partial_;
    std::vector<json> lines_;
};

auto event_is(const std::string& name, const std::string& key, const std::string& value) {
    return [=](const json& e) {
        return e.value("event", "") == name && e.contains(key) && e[key] == value;
    };
}

}  // namespace

TEST_CASE("disk full: every firing airs on time, the log catches up with an intact chain",
          "[e2e][daemon][fault][root]") {
    TempDir dir;
    SmallDisk disk(dir.path() / "logfs", "size=2m");
    if (!disk.mounted) {
        WARDCAST_SKIP("cannot mount a tmpfs here (not root?): the disk-full case is not tested");
    }
    write_tone_wav(dir.path() / "one.wav", 1000);
    const auto t0 = whole_second_after(startup_margin + 2s);
    std::string yaml =
        "station: { name: \"Phường Thử\", timezone: UTC }\n"
        "zones: [{ id: a, output: \"null\" }]\nannouncements:\n";
    const std::vector<std::string> ids = {"before", "full-1", "full-2", "after"};
    // full-2 comes more than a retry (5 s) after full-1: held after a retry that failed.
    const std::vector<int> offsets = {0, 4, 11, 16};
    for (std::size_t i = 0; i < ids.size(); ++i)
        yaml += "  - id: " + ids[i] + "\n    zones: [a]\n    audio: one.wav\n" +
                when(t0 + std::chrono::seconds(offsets[i]));
    auto schedule = dir.write("schedule.yaml", yaml);
    const auto db = disk.at / "broadcasts.db";
    const auto socket = dir.path() / "control.sock";
    NotifySocket notify(dir.path() / "notify.sock");
    Daemon daemon(
        {"--schedule", schedule.string(), "--db", db.string(), "--socket", socket.string()},
        dir.path() / "wardcastd.log",
        {{"WARDCAST_CACHE", (dir.path() / "cache").string()},
         {"NOTIFY_SOCKET", notify.path().string()}});
    INFO(daemon.output());
    REQUIRE(notify.wait_for("READY=1", startup_margin + 15s));
    Watcher watch(socket);

    // The first firing is written as usual.
    auto ended = [&](const std::string& id) {
        return [id](const json& e) {
            return e.value("event", "") == "broadcast-end" && e.value("announcement", "") == id;
        };
    };
    REQUIRE(watch.wait_until(ended("before"), startup_margin + 20s));
    REQUIRE(outcomes(db)["before"]["status"] == "played");

    disk.fill();
    // Both firings while it is full air, on time, and say so on `watch`.
    auto fault = watch.wait_until(event_is("fault", "state", "begun"), 20s);
    REQUIRE(fault);
    auto full1 = watch.wait_until(ended("full-1"), 20s);
    auto full2 = watch.wait_until(ended("full-2"), 20s);
    REQUIRE(full1);
    REQUIRE(full2);

    // The operator sees the fault in `status`, systemd in STATUS=, the journal in stderr.
    auto status = ctl({"status", "--socket", socket.string()});
    CHECK(status.exit_code == 0);
    CHECK_THAT(status.out, Catch::Contains("FAULT: the broadcast log cannot be written "
                                           "(database or disk is full)") &&
                               Catch::Contains("held in memory until it can"));
    auto as_json = ctl({"status", "--json", "--socket", socket.string()});
    auto faults = json::parse(as_json.out)["faults"];
    REQUIRE(faults.size() == 1);
    CHECK(faults[0]["what"] == "log");
    CHECK(faults[0]["held"].get<int>() >= 4);  // two starts, two outcomes at least
    CHECK(notify.wait_until(
        [](const NotifySocket::Message& m) {
            return m.status().rfind("LOG NOT WRITTEN (database or disk is full), ", 0) == 0;
        },
        10s));
    CHECK(contains(daemon.output(), "cannot be written (database or disk is full)"));
    for (const auto& id : {"full-1", "full-2"}) CHECK(outcomes(db).count(id) == 0);

    // Space comes back: within a retry everything held is written, in order.
    disk.free();
    REQUIRE(watch.wait_until(event_is("fault", "state", "cleared"), 30s));
    CHECK(notify.wait_until(
        [](const NotifySocket::Message& m) {
            return m.has("STATUS=") && m.status().find("LOG NOT WRITTEN") == std::string::npos;
        },
        10s, notify.messages().size() - 1));
    REQUIRE(watch.wait_until(ended("after"), 30s));
    REQUIRE(daemon.stop(SIGTERM) == 0);

    auto rows = outcomes(db);
    for (const auto& id : ids) {
        INFO(id);
        CHECK(rows[id]["status"] == "played");
        // On time: the sinks timed the first sample, whatever the disk did.
        CHECK(std::abs(std::stol(rows[id]["lateness_ms"].empty() ? "99999"
                                                                 : rows[id]["lateness_ms"])) < 500);
    }
    auto notes = query(db, "SELECT result FROM entries WHERE command = 'log-recovered'");
    REQUIRE(notes.size() == 1);
    CHECK_THAT(notes[0]["result"], Catch::Contains("database or disk is full"));
    auto verify = ctl({"verify", "--db", db.string()});
    INFO(verify.out << verify.err);
    CHECK(verify.exit_code == 0);
    CHECK(contains(verify.out, "intact"));
}
