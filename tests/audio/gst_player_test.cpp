// GstPlayer with real GStreamer and a real Asio loop: what each output receives, when, and
// how broadcasts end.

#include "audio/gst_player.hpp"

#include <unistd.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/udp.hpp>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "audio/loudness.hpp"
#include "audio/prober.hpp"
#include "tests/audio/wav_fixtures.hpp"
#include "tests/schedules/schedule_files.hpp"

namespace fs = std::filesystem;
namespace asio = boost::asio;
using namespace wardcast::audio;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;
using Status = BroadcastOutcome::Status;
using wardcast::test::read_wav;
using wardcast::test::rms_dbfs;
using wardcast::test::Wav;
using wardcast::test::write_tone;

// Timing bounds are loose enough for a loaded CI machine running an ASan build: the player
// keeps real time to a few milliseconds when it has the CPU.

namespace {

// 2026-12-01 06:00:00 in Hanoi (UTC+7).
const WallTime scheduled{milliseconds(1796079600000)};

long long length_ms(const fs::path& file) {
    Prober prober;
    const auto result = prober.probe(file);
    INFO(file << ": " << result.error);
    REQUIRE(result.length);
    return result.length->count();
}

long long ms_between(WallTime from, WallTime to) { return (to - from).count(); }

// One broadcast as the test sees it through the callbacks.
struct Seen {
    Player::Id id = 0;
    std::optional<WallTime> started;
    std::optional<BroadcastOutcome> outcome;
    int started_calls = 0;
};

// A loop, a cache folder, a player; prepares broadcasts and runs the loop until they end.
class Bench {
  public:
    Bench() : loudness_(dir_.path() / "cache"), player_(io_, &loudness_) {}

    const fs::path& dir() const { return dir_.path(); }
    asio::io_context& io() { return io_; }
    GstPlayer& player() { return player_; }

    fs::path tone(const std::string& name, int ms, double dbfs = -6, int hz = 440) {
        write_tone(dir() / name, ms, dbfs, hz);
        return dir() / name;
    }

    BroadcastRequest request(std::vector<fs::path> items, const std::string& output) {
        BroadcastRequest r;
        r.label = "test";
        r.scheduled = scheduled;
        r.items = std::move(items);
        r.normalize = false;
        r.zones = {{"a", output, 1.0}};
        return r;
    }

    void prepare(const BroadcastRequest& request, Seen& seen) {
        seen.id = player_.prepare(
            request,
            [&seen](Player::Id id, WallTime at) {
                CHECK(id == seen.id);
                seen.started = at;
                ++seen.started_calls;
            },
            [&seen](Player::Id id, const BroadcastOutcome& outcome) {
                CHECK(id == seen.id);
                CHECK_FALSE(seen.outcome);
                seen.outcome = outcome;
            });
    }

    // Runs the loop until `done()` or `timeout`; returns done().
    template <class Done>
    bool run_until(Done done, milliseconds timeout = milliseconds(15000)) {
        const auto deadline = Clock::now() + timeout;
        while (!done() && Clock::now() < deadline) io_.run_for(milliseconds(10));
        return done();
    }
    void run_for(milliseconds span) {
        run_until([] { return false; }, span);
    }
    bool run_until_done(const Seen& seen) {
        return run_until([&] { return seen.outcome.has_value(); });
    }

  private:
    wardcast::test::TempDir dir_;
    asio::io_context io_;
    asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
    LoudnessAnalyzer loudness_;
    GstPlayer player_;
};

}  // namespace

TEST_CASE("A file output gets chime, items x repeat and gaps, in real time", "[player]") {
    Bench bench;
    auto request =
        bench.request({bench.tone("one.wav", 600, -6, 440), bench.tone("two.wav", 400, -6, 660)},
                      "file:" + (bench.dir() / "out/zone-a.wav").string());
    request.chime = bench.tone("chime.wav", 300, -6, 880);
    request.repeat = 2;
    request.gap = milliseconds(250);
    request.label = "cchc-dvc";
    fs::create_directories(bench.dir() / "out");
    const long long expected = 300 + 2 * (600 + 400) + 250;

    Seen seen;
    bench.prepare(request, seen);
    REQUIRE(bench.run_until([&] { return bench.player().prerolled(seen.id); }));
    CHECK_FALSE(seen.started);
    const auto start_call = std::chrono::system_clock::now();
    bench.player().start(seen.id);
    REQUIRE(bench.run_until_done(seen));

    const auto& outcome = *seen.outcome;
    INFO(outcome.error);
    REQUIRE(outcome.status == Status::played);
    const fs::path file = bench.dir() / "out/zone-a-cchc-dvc-20261130T230000.wav";
    REQUIRE(outcome.files == std::vector<fs::path>{file});
    CHECK(std::abs(length_ms(file) - expected) <= 50);

    const Wav wav = read_wav(file);
    CHECK(rms_dbfs(wav) > -12);
    CHECK(rms_dbfs(wav, 0, 280) > -12);                             // the chime
    CHECK(rms_dbfs(wav, 300 + 1000 + 20, 300 + 1000 + 230) < -80);  // the gap is silent

    REQUIRE(seen.started);
    CHECK(seen.started_calls == 1);
    CHECK(std::abs(ms_between(*seen.started, outcome.ended) - expected) <= 200);
    const auto delay = *seen.started - start_call;
    CHECK(delay < milliseconds(500));
    CHECK(delay > milliseconds(-5));
    CHECK(bench.player().active() == 0);
}

TEST_CASE("A missing file fails the broadcast, naming the file, after prepare returns",
          "[player]") {
    Bench bench;
    const fs::path missing = bench.dir() / "no-such.wav";
    Seen seen;
    bench.prepare(bench.request({bench.tone("ok.wav", 200), missing}, "null"), seen);
    CHECK_FALSE(seen.outcome);      // never inside the call
    bench.player().start(seen.id);  // ignored: already over
    REQUIRE(bench.run_until_done(seen));
    CHECK(seen.outcome->status == Status::failed);
    CHECK_THAT(seen.outcome->error, Catch::Contains(missing.string()));
    CHECK_FALSE(seen.started);
}

TEST_CASE("An undecodable file or a bad device fails with GStreamer's reason", "[player]") {
    Bench bench;
    wardcast::test::TempDir dir;
    const fs::path text = dir.write("not-audio.wav", "this is not audio\n");
    // A folder that cannot be made: a plain file stands where it would be.
    dir.write("not-a-folder", "a file\n");
    const std::string no_folder = "file:" + (dir.path() / "not-a-folder/out.wav").string();
    Seen bad_file, bad_device, bad_folder;
    bench.prepare(bench.request({text}, "null"), bad_file);
    bench.prepare(bench.request({bench.tone("ok.wav", 500)}, "alsa:hw:97"), bad_device);
    bench.prepare(bench.request({bench.tone("ok.wav", 500)}, no_folder), bad_folder);
    bench.player().start(bad_file.id);
    bench.player().start(bad_device.id);
    REQUIRE(bench.run_until(
        [&] { return bad_file.outcome && bad_device.outcome && bad_folder.outcome; }));
    CHECK(bad_folder.outcome->status == Status::failed);
    CHECK_THAT(bad_folder.outcome->error,
               Catch::StartsWith("zone a (" + no_folder + "): ") && Catch::Contains("out-test-"));
    CHECK(bad_folder.outcome->files.empty());

    CHECK(bad_file.outcome->status == Status::failed);
    CHECK_THAT(bad_file.outcome->error, Catch::StartsWith(text.string() + ": "));
    CHECK(bad_device.outcome->status == Status::failed);
    CHECK_THAT(bad_device.outcome->error, Catch::StartsWith("zone a (alsa:hw:97): "));
}

TEST_CASE("stop() ends a broadcast at once and leaves a readable file", "[player]") {
    Bench bench;
    Seen seen;
    bench.prepare(bench.request({bench.tone("long.wav", 3000)},
                                "file:" + (bench.dir() / "stopped.wav").string()),
                  seen);
    bench.player().start(seen.id);
    REQUIRE(bench.run_until([&] { return seen.started.has_value(); }));
    bench.run_for(milliseconds(500));
    const auto stop_call = Clock::now();
    bench.player().stop(seen.id);
    CHECK_FALSE(seen.outcome);  // reported from the loop, not inside stop()
    REQUIRE(bench.run_until_done(seen));
    CHECK(Clock::now() - stop_call < milliseconds(500));

    CHECK(seen.outcome->status == Status::stopped);
    REQUIRE(seen.outcome->files.size() == 1);
    const auto written = length_ms(seen.outcome->files[0]);
    CHECK(written > 300);
    CHECK(written < 1000);
    bench.player().stop(seen.id);  // ignored: already over
}

TEST_CASE("aired: the whole length played through, what went out before stop(), else 0",
          "[player][aired]") {
    // Chime, two items twice and a gap, on each kind of output: the pipeline's position at the
    // end, which must not restart with each item of the concat.
    for (const std::string output : {"null", "file:", "rtp://127.0.0.1:9"}) {
        INFO(output);
        Bench bench;
        auto request = bench.request(
            {bench.tone("one.wav", 600, -6, 440), bench.tone("two.wav", 400, -6, 660)},
            output == "file:" ? "file:" + (bench.dir() / "zone-a.wav").string() : output);
        request.chime = bench.tone("chime.wav", 300, -6, 880);
        request.repeat = 2;
        request.gap = milliseconds(250);
        Seen seen;
        bench.prepare(request, seen);
        bench.player().start(seen.id);
        REQUIRE(bench.run_until_done(seen));
        INFO(seen.outcome->error);
        REQUIRE(seen.outcome->status == Status::played);
        CHECK(std::abs(seen.outcome->aired.count() - (300 + 2 * (600 + 400) + 250)) <= 60);
    }

    Bench bench;
    Seen stopped, never_started, missing;
    const fs::path long_tone = bench.tone("long.wav", 5000);
    bench.prepare(bench.request({long_tone}, "null"), stopped);
    bench.prepare(bench.request({long_tone}, "null"), never_started);
    bench.prepare(bench.request({bench.dir() / "no-such.wav"}, "null"), missing);
    bench.player().start(stopped.id);
    REQUIRE(bench.run_until([&] { return stopped.started.has_value(); }));
    bench.run_for(milliseconds(700));
    bench.player().stop(stopped.id);
    REQUIRE(bench.run_until([&] { return bench.player().prerolled(never_started.id); }));
    bench.player().stop(never_started.id);
    REQUIRE(bench.run_until(
        [&] { return stopped.outcome && never_started.outcome && missing.outcome; }));
    CHECK(stopped.outcome->status == Status::stopped);
    const auto wall = ms_between(*stopped.started, stopped.outcome->ended);
    CHECK(stopped.outcome->aired.count() >= 600);
    CHECK(std::abs(stopped.outcome->aired.count() - wall) <= 150);
    CHECK(never_started.outcome->status == Status::stopped);
    CHECK(never_started.outcome->aired.count() == 0);
    CHECK(missing.outcome->status == Status::failed);
    CHECK(missing.outcome->aired.count() == 0);
}

TEST_CASE("An rtp output sends RTP packets from start() on", "[player]") {
    Bench bench;
    asio::ip::udp::socket socket(bench.io(), {asio::ip::make_address("127.0.0.1"), 0});
    const auto port = socket.local_endpoint().port();
    std::vector<unsigned char> packet(2048);
    std::optional<Clock::time_point> first_packet;
    int packets = 0;
    bool header_ok = true;
    std::function<void()> receive = [&] {
        socket.async_receive(asio::buffer(packet), [&](boost::system::error_code ec,
                                                       std::size_t size) {
            if (ec) return;
            if (!first_packet) first_packet = Clock::now();
            ++packets;
            // RTP version 2, payload type 11 (L16, 44.1 kHz, mono; RFC 3551).
            header_ok = header_ok && size > 12 && packet[0] >> 6 == 2 && (packet[1] & 0x7f) == 11;
            receive();
        });
    };
    receive();

    Seen seen;
    auto request = bench.request({bench.tone("one.wav", 600), bench.tone("two.wav", 400, -6, 660)},
                                 "rtp://127.0.0.1:" + std::to_string(port));
    request.chime = bench.tone("chime.wav", 300, -6, 880);
    bench.prepare(request, seen);
    REQUIRE(bench.run_until([&] { return bench.player().prerolled(seen.id); }));
    bench.run_for(milliseconds(100));
    CHECK(packets == 0);  // prerolled, not yet on air
    const auto start_call = Clock::now();
    bench.player().start(seen.id);
    REQUIRE(bench.run_until_done(seen));
    INFO(seen.outcome->error);
    CHECK(seen.outcome->status == Status::played);
    REQUIRE(first_packet);
    CHECK(*first_packet - start_call < milliseconds(500));
    CHECK(packets >= 20);
    CHECK(header_ok);
    REQUIRE(seen.started);
    CHECK(std::abs(ms_between(*seen.started, seen.outcome->ended) - 1300) <= 200);  // paced
}

TEST_CASE("Zones (file, null, file) play the same broadcast at once, each at its level",
          "[player]") {
    Bench bench;
    auto request =
        bench.request({bench.tone("one.wav", 1000)}, "file:" + (bench.dir() / "a.wav").string());
    request.zones.push_back({"b", "null", 1.0});
    // The same file twice: the second zone's gets its own name instead of clobbering.
    request.zones.push_back({"c", request.zones[0].output, 0.5});
    Seen seen;
    bench.prepare(request, seen);
    bench.player().start(seen.id);  // before preroll has finished
    REQUIRE(bench.run_until_done(seen));
    INFO(seen.outcome->error);
    CHECK(seen.outcome->status == Status::played);
    const std::vector<fs::path> files{bench.dir() / "a-test-20261130T230000.wav",
                                      bench.dir() / "a-test-20261130T230000-2.wav"};
    REQUIRE(seen.outcome->files == files);
    CHECK(std::abs(length_ms(files[0]) - 1000) <= 50);
    CHECK(rms_dbfs(read_wav(files[0])) - rms_dbfs(read_wav(files[1])) == Approx(6.02).margin(0.1));
    REQUIRE(seen.started);
    CHECK(std::abs(ms_between(*seen.started, seen.outcome->ended) - 1000) <= 200);
}

TEST_CASE("Normalization airs quiet and loud recordings at the same level", "[player]") {
    Bench bench;
    const fs::path quiet = bench.tone("quiet.wav", 1000, -30);
    const fs::path loud = bench.tone("loud.wav", 1000, -6);
    Seen seen[4];
    // Four broadcasts at once: each its own pipeline.
    for (int i = 0; i < 4; ++i) {
        const bool normalize = i < 2;
        auto request =
            bench.request({i % 2 ? loud : quiet},
                          "file:" + (bench.dir() / ("out" + std::to_string(i) + ".wav")).string());
        request.normalize = normalize;
        bench.prepare(request, seen[i]);
    }
    for (auto& s : seen) bench.player().start(s.id);
    REQUIRE(bench.run_until([&] {
        return std::all_of(std::begin(seen), std::end(seen), [](auto& s) { return s.outcome; });
    }));
    double level[4];
    for (int i = 0; i < 4; ++i) {
        INFO(seen[i].outcome->error);
        REQUIRE(seen[i].outcome->status == Status::played);
        level[i] = rms_dbfs(read_wav(seen[i].outcome->files.at(0)));
    }
    INFO("normalized " << level[0] << " / " << level[1] << ", as recorded " << level[2] << " / "
                       << level[3]);
    CHECK(std::abs(level[0] - level[1]) < 2);
    CHECK(level[3] - level[2] > 20);

    // Each file was measured once and remembered by content.
    std::ifstream tsv(bench.dir() / "cache/gains.tsv");
    int lines = 0;
    for (std::string line; std::getline(tsv, line);) ++lines;
    CHECK(lines == 2);
}

TEST_CASE("set_zone_volume changes a zone's level live", "[player]") {
    Bench bench;
    Seen seen;
    bench.prepare(
        bench.request({bench.tone("two.wav", 2000)}, "file:" + (bench.dir() / "v.wav").string()),
        seen);
    bench.player().start(seen.id);
    REQUIRE(bench.run_until([&] { return seen.started.has_value(); }));
    bench.run_for(milliseconds(1000));
    bench.player().set_zone_volume(seen.id, "a", 0.0);
    bench.player().set_zone_volume(seen.id, "nowhere", 0.5);  // ignored
    REQUIRE(bench.run_until_done(seen));
    REQUIRE(seen.outcome->status == Status::played);
    const Wav wav = read_wav(seen.outcome->files.at(0));
    CHECK(rms_dbfs(wav, 0, 700) > -12);
    CHECK(rms_dbfs(wav, 1400, 2000) < -80);
}

TEST_CASE("auto with no sound device fails instead of playing into nothing", "[player]") {
    const char* runtime = std::getenv("XDG_RUNTIME_DIR");
    const std::string user_runtime = "/run/user/" + std::to_string(::getuid());
    const bool maybe_device = fs::exists("/dev/snd") || std::getenv("PULSE_SERVER") ||
                              (runtime && fs::exists(fs::path(runtime) / "pulse/native")) ||
                              fs::exists(user_runtime + "/pulse/native");
    Bench bench;
    Seen seen;
    bench.prepare(bench.request({bench.tone("one.wav", 300)}, "auto"), seen);
    bench.player().start(seen.id);
    REQUIRE(bench.run_until_done(seen));
    if (maybe_device && seen.outcome->status == Status::played) {
        WARN("a sound device or sound server is present: 'auto' played on it");
        return;
    }
    CHECK(seen.outcome->status == Status::failed);
    CHECK_THAT(seen.outcome->error, Catch::Contains("no sound device: autoaudiosink found none"));
    CHECK_FALSE(seen.started);
}

TEST_CASE("Destroying the player ends its broadcasts without calling back", "[player]") {
    asio::io_context io;
    bool called = false;
    wardcast::test::TempDir dir;
    write_tone(dir.path() / "one.wav", 2000);
    {
        GstPlayer player(io);
        BroadcastRequest request;
        request.items = {dir.path() / "one.wav"};
        request.zones = {{"a", "null", 1.0}, {"b", "file:" + (dir.path() / "x.wav").string(), 1}};
        auto on_started = [](Player::Id, WallTime) {};  // may come during the run
        auto on_done = [&](Player::Id, const BroadcastOutcome&) { called = true; };
        const auto playing = player.prepare(request, on_started, on_done);
        player.prepare(request, on_started, on_done);  // left prepared
        player.start(playing);
        io.run_for(milliseconds(400));
        CHECK(player.active() == 2);
    }
    io.restart();
    io.run_for(milliseconds(100));
    CHECK_FALSE(called);
}

TEST_CASE("start_at holds the first sample until the instant, not before", "[player]") {
    Bench bench;
    asio::ip::udp::socket socket(bench.io(), {asio::ip::make_address("127.0.0.1"), 0});
    const auto port = socket.local_endpoint().port();
    std::vector<unsigned char> packet(2048);
    std::optional<std::chrono::system_clock::time_point> first_packet;
    socket.async_receive(asio::buffer(packet), [&](boost::system::error_code ec, std::size_t) {
        if (!ec) first_packet = std::chrono::system_clock::now();
    });

    Seen seen;
    bench.prepare(bench.request({bench.tone("one.wav", 500)}, "rtp://127.0.0.1:" + std::to_string(port)), seen);
    REQUIRE(bench.run_until([&] { return bench.player().prerolled(seen.id); }));
    // Set playing now, for an instant 400 ms away: the pipeline waits for it by itself.
    const auto at = std::chrono::system_clock::now() + milliseconds(400);
    bench.player().start_at(seen.id, at);
    REQUIRE(bench.run_until_done(seen));
    INFO(seen.outcome->error);
    CHECK(seen.outcome->status == Status::played);
    REQUIRE(first_packet);
    CHECK(*first_packet >= at - milliseconds(2));   // not early
    CHECK(*first_packet < at + milliseconds(150));  // and on time (generous for a loaded machine)
    REQUIRE(seen.started);
    CHECK(*seen.started >= std::chrono::floor<milliseconds>(at) - milliseconds(2));
    CHECK(std::abs(ms_between(*seen.started, seen.outcome->ended) - 500) <= 200);
}

TEST_CASE("start_at an instant already past, or before preroll, starts at once", "[player]") {
    Bench bench;
    Seen seen;
    bench.prepare(bench.request({bench.tone("one.wav", 300)}, "null"), seen);
    // Not prerolled yet: no fixed base time (an audio sink would cut the "late" samples).
    const auto call = std::chrono::system_clock::now();
    bench.player().start_at(seen.id, call - milliseconds(50));
    REQUIRE(bench.run_until_done(seen));
    CHECK(seen.outcome->status == Status::played);
    REQUIRE(seen.started);
    CHECK(std::abs(ms_between(*seen.started, seen.outcome->ended) - 300) <= 200);  // all of it
    CHECK(*seen.started - call < milliseconds(1000));
}
