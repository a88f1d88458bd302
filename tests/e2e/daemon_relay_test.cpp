// Relays and live sound through the real wardcastd (SPEC §8): a scheduled relay of a real
// Icecast stream relayed on by a second wardcastd over RTP, and `wardcastctl live` from an RTP
// source and from a real PulseAudio server's monitor, ended by `stop`, by `--max` and
// preempting a file.

#include <date/date.h>

#include <catch2/catch.hpp>
#include <thread>

#include "tests/audio/icecast.hpp"
#include "tests/audio/pulse_server.hpp"
#include "tests/audio/wav_fixtures.hpp"
#include "tests/e2e/ctl.hpp"
#include "tests/e2e/daemon_process.hpp"
#include "tests/e2e/fixtures.hpp"
#include "tests/skip.hpp"

using namespace wardcast::test;
using namespace std::chrono_literals;

namespace {

/// A sender of what another wardcastd's rtp:// output sends (L16, 44.1 kHz, mono, payload
/// 11): a 440 Hz tone to 127.0.0.1:`port`.
std::unique_ptr<Child> rtp_tone_sender(int port) {
    return std::make_unique<Child>(
        std::vector<std::string>{
            "gst-launch-1.0", "-q", "audiotestsrc", "is-live=true", "freq=440", "!", "audioconvert",
            "!", "audioresample", "!", "audio/x-raw,format=S16BE,rate=44100,channels=1", "!",
            "rtpL16pay", "pt=11", "!", "udpsink", "host=127.0.0.1", "port=" + std::to_string(port)},
        std::filesystem::temp_directory_path() / ("wardcast-rtp-" + std::to_string(port) + ".log"));
}

struct RelayStation {
    TempDir dir;
    std::filesystem::path db = dir.path() / "broadcasts.db";
    std::filesystem::path socket = dir.path() / "control.sock";
    std::unique_ptr<Daemon> daemon;

    /// A station with zones a and b on `null` (or `zones`, YAML list items), the given
    /// announcements and `env` for wardcastd; started and listening.
    explicit RelayStation(const std::string& announcements, const std::string& zones = "",
                          std::map<std::string, std::string> env = {}) {
        write_tone_wav(dir.path() / "ten.wav", 10000);
        const auto schedule = dir.write(
            "schedule.yaml",
            "station: { name: \"Phường Thử\", timezone: UTC }\nzones:\n" +
                (zones.empty()
                     ? "  - { id: a, output: \"null\" }\n  - { id: b, output: \"null\" }\n"
                     : zones) +
                "announcements:\n" + announcements);
        env["WARDCAST_CACHE"] = (dir.path() / "cache").string();
        daemon = std::make_unique<Daemon>(
            std::vector<std::string>{"--schedule", schedule.string(), "--db", db.string(),
                                     "--socket", socket.string()},
            dir.path() / "wardcastd.log", env);
        REQUIRE(daemon->wait_for_output("listening on", startup_margin + 15s));
    }
    ProcessResult ctl(std::vector<std::string> args) {
        args.push_back("--socket");
        args.push_back(socket.string());
        return wardcast::test::ctl(args);
    }
    /// The one WAV file in `folder` whose name starts with `prefix` (a file: output writes
    /// ZONE-ID-… next to the path it names).
    static std::filesystem::path aired_file(const std::filesystem::path& folder,
                                            const std::string& prefix) {
        std::vector<std::filesystem::path> found;
        if (std::filesystem::exists(folder)) {
            for (const auto& f : std::filesystem::directory_iterator(folder))
                if (f.path().filename().string().rfind(prefix, 0) == 0) found.push_back(f.path());
        }
        REQUIRE(found.size() == 1);
        return found[0];
    }
    /// Waits until `status --json` says what is on air has been on for `ms`.
    void wait_elapsed(long long ms) {
        const auto deadline = Clock::now() + 30s;
        long long elapsed = 0;
        while (elapsed < ms && Clock::now() < deadline) {
            auto j = json_lines(ctl({"status", "--json"}).out);
            if (!j.empty() && !j[0]["on_air"].empty() &&
                j[0]["on_air"][0]["elapsed_ms"].is_number())
                elapsed = j[0]["on_air"][0]["elapsed_ms"].get<long long>();
            if (elapsed < ms) std::this_thread::sleep_for(100ms);
        }
        REQUIRE(elapsed >= ms);
    }
};

}  // namespace

TEST_CASE("a 15 s relay of an Icecast stream to file: and rtp://, which another wardcastd relays",
          "[e2e][daemon][relay]") {
    if (!have_program("icecast2") || !have_program("gst-launch-1.0"))
        WARDCAST_SKIP("needs icecast2 and gst-launch-1.0");
    Icecast icecast;
    if (!icecast.wait_up(20s)) WARDCAST_SKIP("icecast2 cannot run here:\n" + icecast.log());
    auto source = icecast.start_source("/vov1.ogg");
    REQUIRE(icecast.wait_mount("/vov1.ogg", 30s));

    // Station A relays the stream to a WAV file and to station B's RTP input; B relays that
    // RTP stream (§8's rtp://@:PORT) to its own file, over the same 15 s.
    const int port = free_port();
    TempDir out;
    const auto t0 = whole_second_after(2 * startup_margin + 4s);
    RelayStation a(
        "  - id: tiep-song\n    zones: [a, b]\n    relay: { source: \"http://127.0.0.1:" +
            std::to_string(icecast.port()) + "/vov1.ogg\", duration: 15s, start_timeout: 5s }\n" +
            when(t0),
        "  - { id: a, output: \"file:" + (out.path() / "a/a.wav").string() +
            "\" }\n  - { id: b, output: \"rtp://127.0.0.1:" + std::to_string(port) + "\" }\n");
    RelayStation b("  - id: tiep-song-lan\n    zones: [r]\n    relay: { source: \"rtp://@:" +
                       std::to_string(port) + "\", duration: 15s, start_timeout: 5s }\n" + when(t0),
                   "  - { id: r, output: \"file:" + (out.path() / "b/r.wav").string() + "\" }\n");
    REQUIRE(a.daemon->wait_for_output("played tiep-song", startup_margin * 2 + 60s));
    REQUIRE(b.daemon->wait_for_output("played tiep-song-lan", 30s));
    CHECK(a.daemon->stop() == 0);
    CHECK(b.daemon->stop() == 0);
    INFO(a.daemon->output() << b.daemon->output());

    auto rows = outcomes(a.db);
    REQUIRE(rows.count("tiep-song") == 1);
    const auto& row = rows.at("tiep-song");
    CHECK(row.at("status") == "played");
    CHECK(row.at("error") == "");
    CHECK(std::abs(std::stol(row.at("aired_ms")) - 15000) <= 500);
    CHECK(std::stol(row.at("lateness_ms")) >= 0);
    CHECK(std::stol(row.at("lateness_ms")) < 100);
    const auto wav = read_wav(RelayStation::aired_file(out.path() / "a", "a-tiep-song-"));
    CHECK(std::abs(length_ms(wav) - 15000) <= 500);
    CHECK(std::abs(tone_ms(wav) - 15000) <= 500);

    // B heard A from A's first packets on: all but the RTP jitter buffer's start.
    auto b_rows = outcomes(b.db);
    REQUIRE(b_rows.count("tiep-song-lan") == 1);
    const auto& relayed = b_rows.at("tiep-song-lan");
    CHECK(relayed.at("status") == "played");
    CHECK(std::stol(relayed.at("aired_ms")) >= 14000);
    CHECK(std::stol(relayed.at("aired_ms")) <= 15500);
    const auto b_wav = read_wav(RelayStation::aired_file(out.path() / "b", "r-tiep-song-lan-"));
    CHECK(std::abs(length_ms(b_wav) - 15000) <= 500);
    CHECK(tone_ms(b_wav) >= 14000);
}

TEST_CASE("wardcastctl live airs an RTP source until stop, the row says who and how long",
          "[e2e][daemon][relay][live]") {
    if (!have_program("gst-launch-1.0")) WARDCAST_SKIP("needs gst-launch-1.0");
    const int port = free_port();
    auto sender = rtp_tone_sender(port);
    RelayStation st(
        "  - id: later\n    zones: [a]\n    audio: ten.wav\n    at: \"23:59:59\"\n"
        "    dates: [2099-01-01]\n");
    const std::string where = "rtp://@:" + std::to_string(port);
    auto r = st.ctl({"live", "--source", where, "--zone", "a", "--max", "10m"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out == "live from " + where + " on a; ends with wardcastctl stop, or after 10m\n");
    REQUIRE(st.daemon->wait_for_output("on air: live", 20s));
    // status names the source while it airs.
    auto status = st.ctl({"status"});
    CHECK(status.out.find("from " + where) != std::string::npos);
    // Once it has been on for 1.5 s (status says so), end it.
    st.wait_elapsed(1500);
    auto stopped = st.ctl({"stop"});
    CHECK(stopped.exit_code == 0);
    REQUIRE(st.daemon->wait_for_output("cancelled live", 20s));
    CHECK(st.daemon->stop() == 0);
    auto rows = outcomes(st.db);
    REQUIRE(rows.count("live") == 1);
    const auto& row = rows.at("live");
    CHECK(row.at("status") == "cancelled");
    CHECK(row.at("trigger") == "operator");
    CHECK_FALSE(row.at("user").empty());
    CHECK(std::stol(row.at("aired_ms")) >= 1000);
    auto ops = query(st.db,
                     "SELECT command, result FROM entries WHERE kind = 'operator' AND "
                     "command LIKE 'live %'");
    REQUIRE(ops.size() == 1);
    CHECK(ops[0]["command"] == "live --source " + where + " --priority normal --zone a --max 10m");
    CHECK(ops[0]["result"] == "ok");
}

TEST_CASE("live --max ends a live broadcast by itself: played, for --max",
          "[e2e][daemon][relay][live]") {
    if (!have_program("gst-launch-1.0")) WARDCAST_SKIP("needs gst-launch-1.0");
    const int port = free_port();
    auto sender = rtp_tone_sender(port);
    RelayStation st("");
    const std::string where = "rtp://@:" + std::to_string(port);
    auto r = st.ctl({"live", "--source", where, "--zone", "b", "--max", "3s"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out == "live from " + where + " on b; ends with wardcastctl stop, or after 3s\n");
    REQUIRE(st.daemon->wait_for_output("played live", 30s));
    const auto exit_code = st.daemon->stop();
    INFO(st.daemon->output());
    CHECK(exit_code == 0);
    const auto rows = outcomes(st.db);
    const auto& row = rows.at("live");
    CHECK(row.at("status") == "played");
    CHECK(row.at("zones") == R"(["b"])");
    CHECK(std::stol(row.at("aired_ms")) >= 2500);
    CHECK(std::stol(row.at("aired_ms")) <= 3100);
}

TEST_CASE("an emergency live from a PulseAudio monitor preempts a file, stop ends it",
          "[e2e][daemon][relay][live]") {
    if (pulseaudio_program().empty() || !have_program("gst-launch-1.0"))
        WARDCAST_SKIP("needs pulseaudio and gst-launch-1.0");
    TempDir pulse_dir;
    PulseServer pulse(pulseaudio_program(), pulse_dir.path());
    if (!pulse.wait_ready(20s))
        WARDCAST_SKIP("pulseaudio cannot run here, it exited:\n" + pulse.output());
    // What the microphone would say: a tone played into the null sink, heard on its monitor.
    Child speaker(
        {"env", "PULSE_SERVER=" + pulse.address(), "gst-launch-1.0", "-q", "audiotestsrc",
         "is-live=true", "freq=440", "!", "pulsesink", std::string("device=") + PulseServer::sink},
        pulse_dir.path() / "speaker.log");
    const auto t0 = whole_second_after(startup_margin + 2s);
    RelayStation st("  - id: bulletin\n    zones: [a]\n    audio: ten.wav\n" + when(t0), "",
                    {{"PULSE_SERVER", pulse.address()}});
    REQUIRE(st.daemon->wait_for_output("on air: bulletin", startup_margin + 30s));
    const std::string where = std::string("pulse:") + PulseServer::sink + ".monitor";
    auto r = st.ctl({"live", "--source", where, "--priority", "emergency", "--zone", "a"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    REQUIRE(st.daemon->wait_for_output("on air: live", 20s));
    st.wait_elapsed(2000);
    auto status = st.ctl({"status"});
    CHECK(status.out.find("from " + where) != std::string::npos);
    CHECK(st.ctl({"stop"}).exit_code == 0);
    REQUIRE(st.daemon->wait_for_output("cancelled live", 20s));
    CHECK(st.daemon->stop() == 0);
    INFO(st.daemon->output());
    auto rows = outcomes(st.db);
    CHECK(rows.at("bulletin").at("status") == "preempted");
    const auto& live = rows.at("live");
    CHECK(live.at("status") == "cancelled");
    CHECK(live.at("trigger") == "emergency");
    CHECK_FALSE(live.at("user").empty());
    CHECK(std::stol(live.at("aired_ms")) >= 1500);
    // The preempted file's row says how much of it went out before the emergency.
    CHECK(std::stol(rows.at("bulletin").at("aired_ms")) < 10000);
}
