// wardcastd's start-up sound device check against a real PulseAudio server reached through
// PULSE_RUNTIME_PATH (issue 10): with the server running, the daemon does not warn "no sound
// device found" and output `auto` plays to it; with the server killed (its socket file left
// behind, stale), it warns and `auto` goes to --fallback-output. Needs the `pulseaudio`
// program (deb-packages.txt); where it is missing or cannot run, the tests say why and
// return without checking anything, and CTest reports them skipped (tests/skip.hpp).

#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>

#include "audio/sound_device.hpp"
#include "tests/audio/pulse_server.hpp"
#include "tests/e2e/ctl.hpp"
#include "tests/e2e/daemon_process.hpp"
#include "tests/e2e/fixtures.hpp"
#include "tests/skip.hpp"

using namespace wardcast::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

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
