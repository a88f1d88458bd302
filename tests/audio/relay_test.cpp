// Relays with the real GstPlayer: a real Icecast server fed by a real source client, a
// closed port, a server that never answers, a source that drops mid-relay, an RTP stream
// from another player. What the outputs get and how the broadcast ends.

#include <date/tz.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <regex>
#include <string>
#include <vector>

#include "audio/gst_player.hpp"
#include "audio/relay_buffer.hpp"
#include "tests/audio/icecast.hpp"
#include "tests/audio/relay_bench.hpp"
#include "tests/audio/wav_fixtures.hpp"
#include "tests/skip.hpp"

namespace fs = std::filesystem;
using namespace wardcast::audio;
using std::chrono::milliseconds;
using std::chrono::seconds;
using wardcast::test::length_ms;
using wardcast::test::tone_ms;
using Status = BroadcastOutcome::Status;
using SystemClock = std::chrono::system_clock;

namespace {

const WallTime scheduled{milliseconds(1796079600000)};  // 2026-12-01 06:00 in Hanoi

using Seen = wardcast::test::RelaySeen;
using Bench = wardcast::test::RelayBench;

// A running Icecast server with /test.ogg on the air, or the reason it cannot be had here.
struct Station {
    std::optional<wardcast::test::Icecast> server;
    std::unique_ptr<wardcast::test::Child> source;
    std::string why_not;

    Station() {
        for (const char* program : {"icecast2", "gst-launch-1.0"}) {
            if (!wardcast::test::have_program(program)) {
                why_not = std::string(program) + " is not installed (apt install icecast2)";
                return;
            }
        }
        server.emplace();
        if (!server->wait_up(milliseconds(10000))) {
            why_not = "icecast2 does not start here: " + server->log();
            return;
        }
        source = server->start_source("/test.ogg");
        if (!server->wait_mount("/test.ogg", milliseconds(15000))) {
            why_not =
                "the source client cannot feed icecast2 (shout2send, gstreamer1.0-plugins-good)";
        }
    }
    std::string url() const {
        return "http://127.0.0.1:" + std::to_string(server->port()) + "/test.ogg";
    }
};

}  // namespace

TEST_CASE("A relay of an Icecast stream airs its tone for the duration, from the instant",
          "[relay]") {
    Station station;
    if (!station.why_not.empty()) WARDCAST_SKIP(station.why_not);
    Bench bench;
    Seen seen;
    const auto at = bench.prepare_and_start(
        bench.relay(station.url(), seconds(15), seconds(3), bench.file_output("out.wav")), seen);
    REQUIRE(bench.run_until_done(seen));
    const BroadcastOutcome& outcome = *seen.outcome;
    INFO(outcome.error);
    REQUIRE(outcome.status == Status::played);
    CHECK(outcome.error.empty());
    REQUIRE(seen.started);
    CHECK(*seen.started >= std::chrono::floor<milliseconds>(at) - milliseconds(2));  // not early
    CHECK(*seen.started < at + milliseconds(150));
    CHECK(std::abs(outcome.aired.count() - 15000) <= 500);
    REQUIRE(outcome.files.size() == 1);
    const auto wav = wardcast::test::read_wav(outcome.files[0]);
    CHECK(std::abs(length_ms(wav) - 15000) <= 500);
    CHECK(std::abs(tone_ms(wav) - 15000) <= 500);
}

TEST_CASE("A relay of a closed port fails after start_timeout with GStreamer's reason", "[relay]") {
    Bench bench;
    const std::string url =
        "http://127.0.0.1:" + std::to_string(wardcast::test::free_port()) + "/vov1.ogg";
    Seen seen;
    const auto at = bench.prepare_and_start(bench.relay(url, seconds(30), seconds(3), "null"), seen,
                                            milliseconds(500));
    REQUIRE(bench.run_until_done(seen, milliseconds(20000)));
    const auto& outcome = *seen.outcome;
    CHECK(outcome.status == Status::failed);
    CHECK_THAT(outcome.error, Catch::StartsWith("relay " + url + ": no sound after 3s (") &&
                                  Catch::Contains("refused"));
    const auto took = outcome.ended - std::chrono::floor<milliseconds>(at);
    CHECK(took >= milliseconds(2900));
    CHECK(took < milliseconds(4500));
    CHECK(outcome.aired == milliseconds(0));
    CHECK(bench.player().active() == 0);
}

TEST_CASE("A relay of a server that accepts and sends nothing fails after start_timeout",
          "[relay]") {
    Bench bench;
    wardcast::test::SilentServer stalled;
    const std::string url = "http://127.0.0.1:" + std::to_string(stalled.port()) + "/vov1.ogg";
    Seen seen;
    const auto at = bench.prepare_and_start(bench.relay(url, seconds(30), seconds(3), "null"), seen,
                                            milliseconds(500));
    REQUIRE(bench.run_until_done(seen, milliseconds(20000)));
    const auto& outcome = *seen.outcome;
    CHECK(outcome.status == Status::failed);
    CHECK_THAT(outcome.error, Catch::StartsWith("relay " + url + ": no sound after 3s ("));
    const auto took = outcome.ended - std::chrono::floor<milliseconds>(at);
    CHECK(took >= milliseconds(2900));
    CHECK(took < milliseconds(4500));
}

TEST_CASE("A source that drops mid-relay is reconnected, the gap is silence and is recorded",
          "[relay]") {
    Station station;
    if (!station.why_not.empty()) WARDCAST_SKIP(station.why_not);
    Bench bench;
    std::vector<std::string> notes;
    bench.player().set_warning_handler(
        [&](Player::Id, const std::string& note) { notes.push_back(note); });
    Seen seen;
    auto request =
        bench.relay(station.url(), seconds(15), seconds(3), bench.file_output("gap.wav"));
    const date::time_zone* hanoi = date::locate_zone("Asia/Ho_Chi_Minh");
    request.relay->zone = hanoi;  // the station's zone, whatever the machine's
    bench.prepare_and_start(request, seen);
    REQUIRE(bench.run_until([&] { return seen.started.has_value(); }));
    const auto started = SystemClock::now();
    // The scenario's own times: the source client is killed at 5 s and back at 8 s.
    REQUIRE(bench.run_until([&] { return SystemClock::now() - started >= seconds(5); }));
    station.source->stop();
    REQUIRE(bench.run_until([&] { return SystemClock::now() - started >= seconds(8); }));
    station.source = station.server->start_source("/test.ogg");
    REQUIRE(bench.run_until_done(seen));

    const auto& outcome = *seen.outcome;
    INFO(outcome.error);
    REQUIRE(outcome.status == Status::played);
    CHECK_THAT(outcome.error, Catch::StartsWith("source lost 1 time, "));
    const std::regex gap_text(
        R"(source lost 1 time, (\d+\.\d) s without sound: (\d\d:\d\d:\d\d-\d\d:\d\d:\d\d)(, .*)?)");
    std::smatch match;
    REQUIRE(std::regex_match(outcome.error, match, gap_text));
    // The gap's clock times are the station's: it began about 5 s after the start.
    const auto killed_local =
        date::zoned_time(hanoi, std::chrono::floor<seconds>(started + seconds(5))).get_local_time();
    const auto expected_s = (killed_local - date::floor<date::days>(killed_local)).count();
    const auto written = match[2].str().substr(0, 8);
    const int written_s = std::stoi(written.substr(0, 2)) * 3600 +
                          std::stoi(written.substr(3, 2)) * 60 + std::stoi(written.substr(6, 2));
    INFO("gap written from " << written << ", the source was killed at Hanoi's "
                             << date::format("%T", killed_local));
    CHECK(std::abs((written_s - expected_s + 86400 + 43200) % 86400 - 43200) <= 3);
    const double silent = std::stod(match[1].str());
    CHECK(silent >= 2.5);
    CHECK(silent <= 5.0);
    // 3 s without a source, then up to 0.5 s of back-off, and a fresh Icecast mount answers a
    // new listener and sends its first Vorbis page about 1 s later (measured: 1.07 s from the
    // reconnection to the first sample; 0.76 s for a mount on the air a while): 10.6-12 s.
    CHECK(outcome.aired.count() >= 10000);
    CHECK(outcome.aired.count() <= 12700);
    const auto wav = wardcast::test::read_wav(outcome.files.at(0));
    CHECK(std::abs(length_ms(wav) - 15000) <= 500);  // the outputs ran on through the gap
    CHECK(std::abs(tone_ms(wav) - outcome.aired.count()) <= 500);
    CHECK(wardcast::test::rms_dbfs(wav, 1000, 4500) > -30);
    CHECK(wardcast::test::rms_dbfs(wav, 6000, 8000) < -80);
    CHECK_FALSE(notes.empty());  // the drop was told, e.g. for the journal
}

TEST_CASE("An rtp://@:PORT relay airs another player's RTP output", "[relay]") {
    Bench bench;
    const int port = wardcast::test::free_port();  // a TCP port free now; UDP likely too
    wardcast::test::write_tone(bench.dir() / "tone.wav", 6000, -6, 440);
    BroadcastRequest sender;
    sender.label = "sender";
    sender.scheduled = scheduled;
    sender.normalize = false;
    sender.items = {bench.dir() / "tone.wav"};
    sender.zones = {{"loudspeakers", "rtp://127.0.0.1:" + std::to_string(port), 1.0}};
    Seen sent, relayed;
    bench.prepare_and_start(bench.relay("rtp://@:" + std::to_string(port), seconds(3), seconds(3),
                                        bench.file_output("rtp.wav")),
                            relayed, milliseconds(1000));
    bench.prepare(sender, sent);
    bench.player().start(sent.id);
    REQUIRE(bench.run_until([&] { return relayed.outcome && sent.outcome; }));
    INFO(relayed.outcome->error);
    REQUIRE(relayed.outcome->status == Status::played);
    const auto wav = wardcast::test::read_wav(relayed.outcome->files.at(0));
    CHECK(std::abs(length_ms(wav) - 3000) <= 300);
    CHECK(tone_ms(wav) >= 2500);
}

TEST_CASE("RelayBuffer: the chime, then the newest samples, silence and gaps when dry", "[relay]") {
    constexpr int rate = 1000;  // one frame a millisecond keeps the arithmetic plain
    auto limits = RelayBuffer::default_limits(rate);
    RelayBuffer buffer(std::vector<float>(50, 0.5f), 400, limits);
    std::vector<float> pushed(2000);
    for (std::size_t i = 0; i < pushed.size(); ++i) pushed[i] = static_cast<float>(i);
    buffer.push(pushed.data(), pushed.size());  // 2 s at once: capped to the newest second
    WallTime now{milliseconds(0)};
    std::vector<float> out(10);
    CHECK(buffer.fill(out.data(), out.size(), now));
    CHECK(out[0] == 0.5f);  // the chime first
    for (int i = 0; i < 4; ++i) buffer.fill(out.data(), out.size(), now += milliseconds(10));
    // After the 50 ms chime: the newest 300 ms of what came, in order.
    CHECK(buffer.fill(out.data(), out.size(), now += milliseconds(10)));
    CHECK(out[0] == 1700.0f);
    CHECK(out[9] == 1709.0f);
    // 290 ms left, then 100 ms of silence: a gap shorter than 500 ms is not reported.
    bool more = true;
    for (int i = 0; i < 39 && more; ++i)
        more = buffer.fill(out.data(), out.size(), now += milliseconds(10));
    CHECK_FALSE(more);  // 400 ms of relay handed out
    CHECK(out[0] == 0.0f);
    CHECK(buffer.relayed_frames() == 300);
    CHECK(buffer.aired(rate) == milliseconds(350));
    CHECK(buffer.gaps(now).empty());
}
