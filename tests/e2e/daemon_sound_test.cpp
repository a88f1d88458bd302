// wardcastd's start-up sound device check against a real PulseAudio server reached through
// PULSE_RUNTIME_PATH (issue 10): with the server running, the daemon does not warn "no sound
// device found" and output `auto` plays to it; with the server killed (its socket file left
// behind, stale), it warns and `auto` goes to --fallback-output. Needs the `pulseaudio`
// program (deb-packages.txt); where it is missing or cannot run, the tests say why and
// return without checking anything, and CTest reports them skipped (tests/skip.hpp).

#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>

#include "audio/sound_device.hpp"
#include "tests/e2e/ctl.hpp"
#include "tests/e2e/daemon_process.hpp"
#include "tests/e2e/fixtures.hpp"
#include "tests/skip.hpp"

using namespace wardcast::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

/// Whether a server listens on the AF_UNIX stream socket at `path`.
bool accepts(const fs::path& path) {
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
fs::path pulseaudio_program() {
    const char* path = std::getenv("PATH");
    std::string dirs = path ? path : "/usr/bin:/bin";
    for (std::size_t at = 0; at <= dirs.size();) {
        const auto end = std::min(dirs.find(':', at), dirs.size());
        const fs::path candidate = fs::path(dirs.substr(at, end - at)) / "pulseaudio";
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
        at = end + 1;
    }
    return {};
}

/// A PulseAudio server of its own, with a null sink: its socket at RUNTIME/native, its
/// cookie in HOME, what it prints in pulseaudio.log, all under `dir`. Stopped at the end.
class PulseServer {
  public:
    PulseServer(const fs::path& program, const fs::path& dir)
        : runtime_(dir / "pulse-runtime"), home_(dir / "pulse-home"), log_(dir / "pulseaudio.log") {
        fs::create_directories(runtime_);
        fs::create_directories(home_);
        pid_ = ::fork();
        if (pid_ == 0) {
            FILE* f = std::fopen(log_.c_str(), "w");
            ::dup2(::fileno(f), 1);
            ::dup2(::fileno(f), 2);
            ::setenv("PULSE_RUNTIME_PATH", runtime_.c_str(), 1);
            ::setenv("HOME", home_.c_str(), 1);
            ::unsetenv("PULSE_SERVER");
            ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlives a test run that was killed
            // As root it warns that it is "not intended to be run as root" and runs.
            ::execl(program.c_str(), program.c_str(), "--daemonize=no", "--exit-idle-time=-1", "-n",
                    "-L", "module-native-protocol-unix", "-L", "module-null-sink",
                    static_cast<char*>(nullptr));
            ::_exit(127);
        }
    }
    ~PulseServer() { stop(SIGTERM); }
    PulseServer(const PulseServer&) = delete;
    PulseServer& operator=(const PulseServer&) = delete;

    const fs::path& runtime() const { return runtime_; }
    const fs::path& home() const { return home_; }
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
            std::this_thread::sleep_for(20ms);
        }
        return false;
    }

    /// Sends `signal` and waits for the server to exit (SIGKILL after 10 s).
    void stop(int signal) {
        if (!running()) return;
        ::kill(pid_, signal);
        const auto until = std::chrono::steady_clock::now() + 10s;
        while (running() && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(20ms);
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

    fs::path runtime_, home_, log_;
    pid_t pid_ = -1;
};

/// A station with one zone on output `auto` and a 1 s announcement `one` (played on demand), its
/// --fallback-output a file in the folder.
struct AutoStation {
    TempDir dir;
    fs::path db = dir.path() / "broadcasts.db";
    fs::path socket = dir.path() / "control.sock";
    fs::path fallback = dir.path() / "fallback/zone.wav";

    AutoStation() {
        write_tone_wav(dir.path() / "one.wav", 1000);
        dir.write(
            "schedule.yaml",
            "station: { name: \"Phường Thử\", timezone: UTC }\n"
            "zones: [{ id: a, output: auto }]\n"
            "announcements:\n  - id: one\n    audio: one.wav\n" +
                when(whole_second_after(std::chrono::hours(24 * 30))));  // not during the test
        // No autospawn: only the test's own server may answer.
        dir.write("client.conf", "autospawn = no\n");
    }
    /// wardcastd with the client side of `pulse`'s environment.
    std::unique_ptr<Daemon> start(const PulseServer& pulse) const {
        return std::make_unique<Daemon>(
            std::vector<std::string>{"--schedule", (dir.path() / "schedule.yaml").string(), "--db",
                                     db.string(), "--socket", socket.string(), "--fallback-output",
                                     "file:" + fallback.string()},
            dir.path() / "wardcastd.log",
            std::map<std::string, std::string>{
                {"WARDCAST_CACHE", (dir.path() / "cache").string()},
                {"PULSE_RUNTIME_PATH", pulse.runtime().string()},
                {"HOME", pulse.home().string()},
                {"PULSE_CLIENTCONFIG", (dir.path() / "client.conf").string()}});
    }
    /// Plays `one` now and waits for its outcome in the log.
    Row play() const {
        const auto r = ctl({"play", "one", "--zone", "a", "--socket", socket.string()});
        INFO(r.out << r.err);
        REQUIRE(r.exit_code == 0);
        const auto until = std::chrono::steady_clock::now() + startup_margin + 20s;
        while (std::chrono::steady_clock::now() < until) {
            const auto rows = outcomes(db);
            if (rows.count("one")) return rows.at("one");
            std::this_thread::sleep_for(50ms);
        }
        return {};
    }
    /// The WAV files --fallback-output wrote.
    std::size_t fallback_files() const {
        std::size_t n = 0;
        std::error_code ec;
        for (fs::directory_iterator it(fallback.parent_path(), ec), end; !ec && it != end;
             it.increment(ec))
            ++n;
        return n;
    }
};

/// Why a PulseAudio test cannot run here; empty when it can.
std::string cannot_run() {
    if (pulseaudio_program().empty())
        return "pulseaudio is not installed (apt-get install pulseaudio)";
    if (std::getenv("PULSE_SERVER"))
        return "PULSE_SERVER is set in the test's environment and would take precedence";
    return "";
}

}  // namespace

TEST_CASE(
    "a PulseAudio server found by PULSE_RUNTIME_PATH is a sound device: no warning, auto plays",
    "[e2e][daemon][sound-device]") {
    if (const auto why = cannot_run(); !why.empty()) {
        WARDCAST_SKIP(why);
    }
    AutoStation station;
    PulseServer pulse(pulseaudio_program(), station.dir.path());
    if (!pulse.wait_ready(20s)) {
        WARDCAST_SKIP("pulseaudio cannot run here, it exited:\n" + pulse.output());
    }
    // What wardcastd's check sees: the server, through each way of naming it.
    wardcast::audio::SoundSearch search;
    search.root = station.dir.path() / "no-system";
    search.uid = ::getuid();
    search.env = {{"PULSE_RUNTIME_PATH", pulse.runtime().string()}};
    auto found = wardcast::audio::find_sound_device(search);
    CHECK(found.kind == wardcast::audio::SoundDevice::Kind::pulse);
    CHECK_THAT(found.where, Catch::Contains("(PULSE_RUNTIME_PATH)"));
    search.env = {{"PULSE_SERVER", "unix:" + (pulse.runtime() / "native").string()}};
    CHECK(wardcast::audio::find_sound_device(search).present());
    search.env = {{"PULSE_SERVER", (pulse.runtime() / "native").string()}};
    CHECK(wardcast::audio::find_sound_device(search).present());

    auto daemon = station.start(pulse);
    REQUIRE(daemon->wait_for_output("listening on", startup_margin + 15s));
    const Row row = station.play();
    CHECK(daemon->stop() == 0);
    INFO(daemon->output());
    CHECK(daemon->output().find("no sound device found") == std::string::npos);
    // Played by autoaudiosink on the server (a fake sink fails it), not to the fallback.
    REQUIRE(row.count("status") == 1);
    CHECK(row.at("status") == "played");
    CHECK(station.fallback_files() == 0);
}

TEST_CASE(
    "a stale PulseAudio socket is no sound device: wardcastd warns, auto goes to the fallback",
    "[e2e][daemon][sound-device]") {
    if (const auto why = cannot_run(); !why.empty()) {
        WARDCAST_SKIP(why);
    }
    AutoStation station;
    PulseServer pulse(pulseaudio_program(), station.dir.path());
    if (!pulse.wait_ready(20s)) {
        WARDCAST_SKIP("pulseaudio cannot run here, it exited:\n" + pulse.output());
    }
    pulse.stop(SIGKILL);  // dies without removing its socket
    REQUIRE(fs::exists(pulse.runtime() / "native"));
    // This machine may have a sound device of its own (an ALSA card, a system-wide server):
    // then there is nothing to warn about.
    auto search = wardcast::audio::this_process_search();
    search.env["PULSE_RUNTIME_PATH"] = pulse.runtime().string();
    const auto found = wardcast::audio::find_sound_device(search);
    if (found.present()) {
        WARDCAST_SKIP("this machine has a sound device of its own: " + found.where);
    }
    CHECK_THAT(found.tried.front(), Catch::Contains("(a stale socket)"));

    auto daemon = station.start(pulse);
    REQUIRE(daemon->wait_for_output("listening on", startup_margin + 15s));
    const Row row = station.play();
    CHECK(daemon->stop() == 0);
    INFO(daemon->output());
    CHECK_THAT(daemon->output(),
               Catch::Contains("no sound device found: zones with output auto play to file:"));
    REQUIRE(row.count("status") == 1);
    CHECK(row.at("status") == "played");
    CHECK(station.fallback_files() == 1);
}
