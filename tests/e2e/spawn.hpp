#pragma once
// What a test needs to start a real program from a process that has threads (GStreamer's,
// another test's daemon waiting in a std::thread): everything the child uses is made before
// fork, so that between fork and exec the child makes only async-signal-safe calls. A child
// that called malloc, setenv or fopen there could hang for good if another thread held the
// allocator's lock at the fork — a copy of the test process, never exec'd, that then takes the
// test's own SIGTERM meant for the program.

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace wardcast::test {

/// `program` found on PATH the way execvp looks, or nullopt when it is nowhere.
inline std::optional<std::string> find_on_path(const std::string& program) {
    const char* path = std::getenv("PATH");
    const std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
    for (std::size_t start = 0; start <= dirs.size();) {
        const std::size_t end = std::min(dirs.find(':', start), dirs.size());
        const std::filesystem::path candidate =
            std::filesystem::path(dirs.substr(start, end - start)) / program;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
        start = end + 1;
    }
    return std::nullopt;
}

/// `program` as execv needs it: itself when it names a path, else found on PATH (before fork:
/// execvp's search is not async-signal-safe). Throws when it is nowhere.
inline std::string program_path(const std::string& program) {
    if (program.find('/') != std::string::npos) return program;
    if (auto found = find_on_path(program)) return *found;
    throw std::runtime_error(program + " is not on PATH");
}

/// An argv and an environment for execve, built before fork: this process's environment with
/// `set` added (replacing the same names) and `unset` taken out.
class ExecImage {
  public:
    explicit ExecImage(const std::vector<std::string>& argv,
                       const std::map<std::string, std::string>& set = {},
                       const std::vector<std::string>& unset = {})
        : args_(argv) {
        if (args_.empty()) throw std::invalid_argument("ExecImage: empty argv");
        args_[0] = program_path(args_[0]);
        for (char** e = environ; *e; ++e) {
            const std::string entry = *e;
            const std::string name = entry.substr(0, entry.find('='));
            bool drop = set.count(name) > 0;
            for (const auto& u : unset) drop = drop || u == name;
            if (!drop) env_.push_back(entry);
        }
        for (const auto& [name, value] : set) env_.push_back(name + "=" + value);
        for (auto& a : args_) argv_.push_back(a.data());
        argv_.push_back(nullptr);
        for (auto& e : env_) envp_.push_back(e.data());
        envp_.push_back(nullptr);
    }
    ExecImage(const ExecImage&) = delete;
    ExecImage& operator=(const ExecImage&) = delete;

    /// In the child: replaces it with the program (returns only when that failed).
    void exec() const { ::execve(argv_[0], argv_.data(), envp_.data()); }

  private:
    std::vector<std::string> args_, env_;
    std::vector<char*> argv_, envp_;
};

/// `path` opened for the child's output before fork (truncated, or appended to), close-on-exec
/// in this process; the child dup2s it onto 1 and 2. Throws when it cannot be opened.
inline int open_output(const std::filesystem::path& path, bool append = false) {
    const int fd =
        ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0644);
    if (fd < 0) throw std::runtime_error("cannot open " + path.string() + " for a child's output");
    return fd;
}

}  // namespace wardcast::test
