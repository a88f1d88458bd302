#pragma once
// The real wardcast-sync in the background, for tests (WARDCAST_SYNC is its path).

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

namespace wardcast::test {

// wardcast-sync running in the background with `args`, its stderr in `err`; SIGTERM (then, if
// it lingers, SIGKILL) when the test ends however it ends.
class SyncProcess {
  public:
    SyncProcess(const std::string& args, const std::filesystem::path& err) {
        const std::string command =
            std::string("exec ") + WARDCAST_SYNC + " " + args + " 2>" + err.string();
        pid_ = ::fork();
        if (pid_ == 0) {
            ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
    }
    ~SyncProcess() {
        if (pid_ > 0 && !stop(std::chrono::seconds(10))) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    SyncProcess(const SyncProcess&) = delete;
    SyncProcess& operator=(const SyncProcess&) = delete;

    /// SIGTERM, then waits up to `deadline` for it to exit; true when it did, with status 0.
    bool stop(std::chrono::seconds deadline) {
        ::kill(pid_, SIGTERM);
        const auto until = std::chrono::steady_clock::now() + deadline;
        int status = 0;
        while (::waitpid(pid_, &status, WNOHANG) == 0) {
            if (std::chrono::steady_clock::now() > until) return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        pid_ = -1;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }

  private:
    pid_t pid_ = -1;
};

}  // namespace wardcast::test
