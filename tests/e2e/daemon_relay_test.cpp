// Relays and live sound through the real wardcastd (SPEC §8): a scheduled relay of a real
// Icecast stream, and `wardcastctl live` from an RTP source, ended by `stop`.

#include <date/date.h>

#include <catch2/catch.hpp>
#include <thread>

#include "tests/audio/icecast.hpp"
#include "tests/e2e/ctl.hpp"
#include "tests/e2e/daemon_process.hpp"
#include "tests/e2e/fixtures.hpp"
#include "tests/skip.hpp"

using namespace wardcast::test;
using namespace std::chrono_literals;

namespace {

struct RelayStation {
    TempDir dir;
    std::filesystem::path db = dir.path() / "broadcasts.db";
    std::filesystem::path socket = dir.path() / "control.sock";
    std::unique_ptr<Daemon> daemon;

    explicit RelayStation(const std::string& announcements) {
        write_tone_wav(dir.path() / "ten.wav", 10000);
        const auto schedule = dir.write("schedule.yaml",
                                        "station: { name: \"Phường Thử\", timezone: UTC }\n"
                                        "zones: [{ id: a, output: \"null\" }, { id: b, output: "
                                        "\"null\" }]\nannouncements:\n" +
                                            announcements);
        daemon = std::make_unique<Daemon>(
            std::vector<std::string>{"--schedule", schedule.string(), "--db", db.string(),
                                     "--socket", socket.string()},
            dir.path() / "wardcastd.log",
            std::map<std::string, std::string>{
                {"WARDCAST_CACHE", (dir.path() / "cache").string()}});
        REQUIRE(daemon->wait_for_output("listening on", startup_margin + 15s));
    }
    ProcessResult ctl(std::vector<std::string> args) {
        args.push_back("--socket");
        args.push_back(socket.string());
        return wardcast::test::ctl(args);
    }
};

}  // namespace

TEST_CASE("a scheduled relay of an Icecast stream airs for its duration and is logged played",
          "[e2e][daemon][relay]") {
    if (!have_program("icecast2") || !have_program("gst-launch-1.0"))
        WARDCAST_SKIP("needs icecast2 and gst-launch-1.0");
    Icecast icecast;
    if (!icecast.wait_up(20s)) WARDCAST_SKIP("icecast2 cannot run here:\n" + icecast.log());
    auto source = icecast.start_source("/vov1.ogg");
    REQUIRE(icecast.wait_mount("/vov1.ogg", 30s));

    const auto t0 = whole_second_after(startup_margin + 2s);
    RelayStation st("  - id: tiep-song\n    zones: [a]\n    relay: { source: \"http://127.0.0.1:" +
                    std::to_string(icecast.port()) + "/vov1.ogg" +
                    "\", duration: 6s, start_timeout: 5s }\n" + when(t0));
    REQUIRE(st.daemon->wait_for_output("played tiep-song", startup_margin + 40s));
    CHECK(st.daemon->stop() == 0);
    INFO(st.daemon->output());
    auto rows = outcomes(st.db);
    REQUIRE(rows.count("tiep-song") == 1);
    const auto& row = rows.at("tiep-song");
    CHECK(row.at("status") == "played");
    CHECK(row.at("error") == "");
    CHECK(std::abs(std::stol(row.at("aired_ms")) - 6000) <= 500);
    CHECK(std::labs(std::stol(row.at("lateness_ms"))) < 200);
}

TEST_CASE("wardcastctl live airs an RTP source until stop; the row says who and how long",
          "[e2e][daemon][relay][live]") {
    if (!have_program("gst-launch-1.0")) WARDCAST_SKIP("needs gst-launch-1.0");
    const int port = free_port();
    // What another wardcastd's rtp:// output sends: L16, 44.1 kHz, mono, payload 11.
    Child sender(
        {"gst-launch-1.0", "-q", "audiotestsrc", "is-live=true", "freq=440", "!", "audioconvert",
         "!", "audioresample", "!", "audio/x-raw,format=S16BE,rate=44100,channels=1", "!",
         "rtpL16pay", "pt=11", "!", "udpsink", "host=127.0.0.1", "port=" + std::to_string(port)},
        std::filesystem::temp_directory_path() / ("wardcast-rtp-" + std::to_string(port) + ".log"));
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
    const auto deadline = Clock::now() + 30s;
    long long elapsed = 0;
    while (elapsed < 1500 && Clock::now() < deadline) {
        auto j = json_lines(st.ctl({"status", "--json"}).out);
        if (!j.empty() && !j[0]["on_air"].empty() && j[0]["on_air"][0]["elapsed_ms"].is_number())
            elapsed = j[0]["on_air"][0]["elapsed_ms"].get<long long>();
        if (elapsed < 1500) std::this_thread::sleep_for(100ms);
    }
    REQUIRE(elapsed >= 1500);
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
