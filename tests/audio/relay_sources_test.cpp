// The relay source forms relay_test.cpp does not cover, each with the real GstPlayer and a
// real server or sound source started by the test (SPEC §8): an HLS playlist and segments
// made live by hlssink2 and served over loopback HTTP, an RTSP server (gst-rtsp-server), a
// PulseAudio null sink's monitor, and ALSA's pulse plugin recording from that server. Each
// source sends a tone of its own pitch; the relay's file output must hold that tone for the
// relay's duration and the broadcast end `played` with aired_ms about the duration.

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/audio/icecast.hpp"
#include "tests/audio/pulse_server.hpp"
#include "tests/audio/relay_bench.hpp"
#ifdef WARDCAST_HAVE_RTSP_SERVER
#include "tests/audio/rtsp_server.hpp"
#endif
#include "tests/skip.hpp"

namespace fs = std::filesystem;
using namespace wardcast::test;
using std::chrono::milliseconds;
using std::chrono::seconds;
using wardcast::audio::BroadcastOutcome;
using Status = BroadcastOutcome::Status;

namespace {

constexpr milliseconds relay_length{6000};
constexpr milliseconds deadline{40000};  // ASan on a loaded 2-core machine

/// The GStreamer elements in `factories` this machine lacks, with `package`; "" if none.
std::string missing_elements(const std::vector<const char*>& factories, const char* package) {
    wardcast::audio::ensure_gstreamer();
    std::string missing;
    for (const char* name : factories) {
        if (GstElementFactory* factory = gst_element_factory_find(name)) {
            gst_object_unref(factory);
        } else {
            missing += std::string(missing.empty() ? "" : ", ") + name;
        }
    }
    return missing.empty() ? "" : missing + " missing (apt-get install " + package + ")";
}

/// What `command` prints (a shell line), or nullopt when it cannot run or fails.
std::optional<std::string> capture(const std::string& command) {
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    if (!pipe) return std::nullopt;
    std::string out;
    char chunk[4096];
    for (std::size_t n; (n = std::fread(chunk, 1, sizeof chunk, pipe)) > 0;) out.append(chunk, n);
    return ::pclose(pipe) == 0 ? std::optional(out) : std::nullopt;
}

/// Polls `ready` every 50 ms until it holds or `timeout` passes.
template <class Ready>
bool wait_for(Ready ready, milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (!ready()) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(milliseconds(50));
    }
    return true;
}

/// Relays `source` for relay_length to a file and checks what a listener would hear: the
/// relay played in full, its file `relay_length` long and all of it the source's `hz` tone.
void check_relay_airs_tone(const std::string& source, double hz) {
    RelayBench bench;
    RelaySeen seen;
    const auto request =
        RelayBench::relay(source, relay_length, seconds(10), bench.file_output("relay.wav"));
    const auto at = bench.prepare_and_start(request, seen);
    REQUIRE(bench.run_until_done(seen, deadline));
    const BroadcastOutcome& outcome = *seen.outcome;
    INFO(source << ": " << outcome.error);
    REQUIRE(outcome.status == Status::played);
    CHECK(outcome.error.empty());  // no gap, no drop
    REQUIRE(seen.started);
    CHECK(*seen.started >= std::chrono::floor<milliseconds>(at) - milliseconds(2));  // not early
    CHECK(std::abs(outcome.aired.count() - relay_length.count()) <= 500);
    REQUIRE(outcome.files.size() == 1);
    const Wav wav = read_wav(outcome.files[0]);
    CHECK(std::abs(length_ms(wav) - relay_length.count()) <= 500);
    CHECK(std::abs(tone_ms(wav) - relay_length.count()) <= 500);
    const double heard = tone_hz(wav, 500, static_cast<int>(length_ms(wav)) - 500);
    INFO("pitch " << heard << " Hz");
    CHECK(std::abs(heard - hz) <= hz * 0.03);
}

/// A live HLS stream: hlssink2 cutting a tone into 1 s segments in `dir` with a sliding
/// playlist, served by python3's http.server on a free loopback port.
struct HlsStation {
    TempDir dir;
    int port = free_port();
    std::unique_ptr<Child> segmenter, http;

    explicit HlsStation(int hz) {
        segmenter = std::make_unique<Child>(
            std::vector<std::string>{
                "gst-launch-1.0", "-q", "audiotestsrc", "is-live=true",
                "freq=" + std::to_string(hz), "volume=0.5", "!", "audioconvert", "!", "voaacenc",
                "!", "aacparse", "!", "hlssink2", "target-duration=1", "playlist-length=5",
                "max-files=10", "location=" + (dir.path() / "seg%05d.ts").string(),
                "playlist-location=" + (dir.path() / "playlist.m3u8").string()},
            dir.path() / "hlssink.log");
        http = std::make_unique<Child>(
            std::vector<std::string>{"python3", "-m", "http.server", "--bind", "127.0.0.1",
                                     std::to_string(port), "--directory", dir.path().string()},
            dir.path() / "http.log");
    }
    /// Whether the playlist is served and lists three segments (what a player starts from).
    bool wait_on_air(milliseconds timeout) {
        return wait_for(
            [&] {
                const auto playlist = http_get(port, "/playlist.m3u8");
                return playlist && playlist->find("seg00002.ts") != std::string::npos;
            },
            timeout);
    }
    std::string url() const {
        return "http://127.0.0.1:" + std::to_string(port) + "/playlist.m3u8";
    }
    /// What the segmenter and the HTTP server printed, for failure messages.
    std::string log() const {
        std::string text;
        for (const char* name : {"hlssink.log", "http.log"}) {
            std::ifstream f(dir.path() / name);
            text += name + std::string(":\n") + std::string(std::istreambuf_iterator<char>(f), {});
        }
        return text;
    }
};

/// A PulseAudio server of the test's own, which this process (the player) and its children
/// reach through PULSE_SERVER, and a tone of `hz` playing into its null sink; why_not says
/// why it cannot be had here.
struct PulseTone {
    TempDir dir;
    std::optional<PulseServer> server;
    std::optional<ScopedEnv> env;
    std::unique_ptr<Child> tone;
    std::string why_not;

    explicit PulseTone(int hz) {
        if (pulseaudio_program().empty()) {
            why_not = "pulseaudio is not installed (apt-get install pulseaudio)";
            return;
        }
        if (!have_program("pactl")) {
            why_not = "pactl is not installed (apt-get install pulseaudio-utils)";
            return;
        }
        if (auto missing = missing_elements({"pulsesink", "pulsesrc"}, "gstreamer1.0-pulseaudio");
            !missing.empty()) {
            why_not = missing;
            return;
        }
        server.emplace(pulseaudio_program(), dir.path());
        if (!server->wait_ready(seconds(20))) {
            why_not = "pulseaudio cannot run here, it exited:\n" + server->output();
            return;
        }
        env.emplace("PULSE_SERVER", server->address());  // inherited by the tone's player
        tone = std::make_unique<Child>(
            std::vector<std::string>{"gst-launch-1.0", "-q", "audiotestsrc", "is-live=true",
                                     "freq=" + std::to_string(hz), "volume=0.5", "!",
                                     "audioconvert", "!", "pulsesink",
                                     std::string("device=") + PulseServer::sink},
            dir.path() / "tone.log");
        // The null sink runs once the tone's stream plays into it.
        REQUIRE(wait_for(
            [&] {
                const auto sinks = pactl("list short sinks");
                return sinks && sinks->find("RUNNING") != std::string::npos;
            },
            seconds(20)));
        // A fresh null sink gives its monitor's first recording nothing for up to its latency
        // (1.5 s seen here): record once, as a line input that has been on a while would be.
        REQUIRE(records_sound(seconds(20)));
    }
    /// Whether a recording of the null sink's monitor gets sound within `timeout`.
    bool records_sound(milliseconds timeout) const {
        const std::string launch = std::string("pulsesrc device=") + PulseServer::sink +
                                   ".monitor num-buffers=10 ! fakesink sync=false";
        GstElement* recording = gst_parse_launch(launch.c_str(), nullptr);
        if (!recording) return false;
        gst_element_set_state(recording, GST_STATE_PLAYING);
        GstBus* bus = gst_element_get_bus(recording);
        GstMessage* done = gst_bus_timed_pop_filtered(
            bus, static_cast<GstClockTime>(timeout.count()) * GST_MSECOND,
            static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
        const bool sound = done && GST_MESSAGE_TYPE(done) == GST_MESSAGE_EOS;
        if (done) gst_message_unref(done);
        gst_object_unref(bus);
        gst_element_set_state(recording, GST_STATE_NULL);
        gst_object_unref(recording);
        return sound;
    }
    /// pactl `arguments` on this server.
    std::optional<std::string> pactl(const std::string& arguments) const {
        return capture("pactl --server=" + server->address() + " " + arguments);
    }
};

}  // namespace

TEST_CASE("An HLS relay of a live playlist airs its segments' tone for the duration",
          "[relay][sources]") {
    for (const char* program : {"gst-launch-1.0", "python3"}) {
        if (!have_program(program)) WARDCAST_SKIP(std::string(program) + " is not installed");
    }
    if (auto missing = missing_elements({"hlssink2", "hlsdemux", "voaacenc", "mpegtsmux"},
                                        "gstreamer1.0-plugins-bad");
        !missing.empty()) {
        WARDCAST_SKIP(missing);
    }
    HlsStation station(440);
    const bool on_air = station.wait_on_air(seconds(20));
    INFO(station.log());
    REQUIRE(on_air);
    check_relay_airs_tone(station.url(), 440);
}

TEST_CASE("An RTSP relay airs the server's stream for the duration", "[relay][sources]") {
#ifndef WARDCAST_HAVE_RTSP_SERVER
    WARDCAST_SKIP("built without gst-rtsp-server (apt-get install libgstrtspserver-1.0-dev)");
#else
    if (auto missing =
            missing_elements({"rtspsrc", "rtpL16pay", "rtpL16depay"}, "gstreamer1.0-plugins-good");
        !missing.empty()) {
        WARDCAST_SKIP(missing);
    }
    RtspServer server(
        "( audiotestsrc is-live=true freq=523 volume=0.5 ! audioconvert ! "
        "audio/x-raw,rate=44100,channels=1 ! rtpL16pay name=pay0 pt=96 )",
        "/test");
    REQUIRE(server.listening());
    check_relay_airs_tone(server.url(), 523);
#endif
}

TEST_CASE("A pulse: relay of a null sink's monitor airs what plays into the sink",
          "[relay][sources]") {
    PulseTone pulse(660);
    if (!pulse.why_not.empty()) WARDCAST_SKIP(pulse.why_not);
    check_relay_airs_tone(std::string("pulse:") + PulseServer::sink + ".monitor", 660);
}

TEST_CASE("An alsa: relay through ALSA's pulse plugin airs the server's default source",
          "[relay][sources]") {
    PulseTone pulse(880);
    if (!pulse.why_not.empty()) WARDCAST_SKIP(pulse.why_not);
    if (!fs::exists("/usr/lib/x86_64-linux-gnu/alsa-lib/libasound_module_pcm_pulse.so") &&
        !fs::exists("/usr/lib/alsa-lib/libasound_module_pcm_pulse.so")) {
        WARDCAST_SKIP("ALSA's pulse plugin is not installed (apt-get install libasound2-plugins)");
    }
    if (auto missing = missing_elements({"alsasrc"}, "gstreamer1.0-alsa"); !missing.empty()) {
        WARDCAST_SKIP(missing);
    }
    // ALSA's `pulse` device records from the server's default source: the null sink's monitor.
    REQUIRE(pulse.pactl(std::string("set-default-source ") + PulseServer::sink + ".monitor"));
    const auto info = pulse.pactl("info");
    REQUIRE(info);
    CHECK_THAT(*info,
               Catch::Contains(std::string("Default Source: ") + PulseServer::sink + ".monitor"));
    check_relay_airs_tone("alsa:pulse", 880);
}
