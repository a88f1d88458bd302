#pragma once
// A real PulseAudio server of a test's own, with a null sink, for the tests that need sound
// without a sound card: wardcastd's device check (tests/e2e/daemon_sound_test.cpp) and the
// pulse:/alsa: relay sources (tests/audio/relay_sources_test.cpp). Clients reach it through
// PULSE_RUNTIME_PATH (its socket is RUNTIME/native) or PULSE_SERVER=unix:RUNTIME/native.

#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "tests/e2e/spawn.hpp"

namespace wardcast::test {

/// Whether a server listens on the AF_UNIX stream socket at `path`.
inline bool accepts(const std::filesystem::path& path) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.string().size() >= sizeof address.sun_path) return false;
    std::strcpy(address.sun_path, path.c_str());
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const bool ok =
        fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    if (fd >= 0) ::close(fd);
    return ok;
}

/// The `pulseaudio` program on PATH, or empty.
inline std::filesystem::path pulseaudio_program() {
    const char* path = std::getenv("PATH");
    std::string dirs = path ? path : "/usr/bin:/bin";
    for (std::size_t at = 0; at <= dirs.size();) {
        const auto end = std::min(dirs.find(':', at), dirs.size());
        const std::filesystem::path candidate =
            std::filesystem::path(dirs.substr(at, end - at)) / "pulseaudio";
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
        at = end + 1;
    }
    return {};
}

/// A PulseAudio server of its own, with a null sink named `null` (its monitor source
/// `null.monitor`): its socket at RUNTIME/native, its cookie in HOME, what it prints in
/// pulseaudio.log, all under `dir`. Stopped at the end.
class PulseServer {
  public:
    /// The null sink's name.
    static constexpr const char* sink = "null";

    PulseServer(const std::filesystem::path& program, const std::filesystem::path& dir)
        : runtime_(dir / "pulse-runtime"), home_(dir / "pulse-home"), log_(dir / "pulseaudio.log") {
        std::filesystem::create_directories(runtime_);
        std::filesystem::create_directories(home_);
        // As root it warns that it is "not intended to be run as root" and runs.
        const ExecImage image({program.string(), "--daemonize=no", "--exit-idle-time=-1", "-n",
                               "-L", "module-native-protocol-unix", "-L",
                               std::string("module-null-sink sink_name=") + sink},
                              {{"PULSE_RUNTIME_PATH", runtime_.string()}, {"HOME", home_.string()}},
                              {"PULSE_SERVER"});
        const int out = open_output(log_);
        pid_ = ::fork();
        if (pid_ == 0) {
            ::dup2(out, 1);
            ::dup2(out, 2);
            ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlives a test run that was killed
            image.exec();
            ::_exit(127);
        }
        ::close(out);
    }
    ~PulseServer() { stop(SIGTERM); }
    PulseServer(const PulseServer&) = delete;
    PulseServer& operator=(const PulseServer&) = delete;

    const std::filesystem::path& runtime() const { return runtime_; }
    const std::filesystem::path& home() const { return home_; }
    /// The server as PULSE_SERVER names it.
    std::string address() const { return "unix:" + (runtime_ / "native").string(); }
    std::string output() const {
        std::ifstream in(log_);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }

    /// Waits until the server accepts connections on its socket (tried here, not by the code
    /// under test): true then; false when it exits first. Fails the test after `timeout`.
    bool wait_ready(std::chrono::milliseconds timeout) {
        const auto until = std::chrono::steady_clock::now() + timeout;
        while (running()) {
            if (accepts(runtime_ / "native")) return true;
            REQUIRE(std::chrono::steady_clock::now() < until);
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return false;
    }

    /// Sends `signal` and waits for the server to exit (SIGKILL after 10 s).
    void stop(int signal) {
        if (!running()) return;
        ::kill(pid_, signal);
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (running() && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        if (running()) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
            pid_ = -1;
        }
    }

  private:
    bool running() {
        if (pid_ <= 0) return false;
        if (::waitpid(pid_, nullptr, WNOHANG) == pid_) pid_ = -1;
        return pid_ > 0;
    }

    std::filesystem::path runtime_, home_, log_;
    pid_t pid_ = -1;
};

/// Sets an environment variable for a scope, then puts back what was there.
class ScopedEnv {
  public:
    ScopedEnv(const char* name, const std::string& value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        ::setenv(name, value.c_str(), 1);
    }
    ~ScopedEnv() {
        if (old_) {
            ::setenv(name_, old_->c_str(), 1);
        } else {
            ::unsetenv(name_);
        }
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

  private:
    const char* name_;
    std::optional<std::string> old_;
};

}  // namespace wardcast::test
