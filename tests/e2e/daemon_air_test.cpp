// wardcastd airs a schedule on time through real GStreamer, into a real SQLite log.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <date/date.h>

#include "audio/prober.hpp"
#include "log/broadcast_log.hpp"
#include "tests/e2e/daemon_process.hpp"
#include "tests/e2e/fixtures.hpp"
#include "tests/e2e/process.hpp"

using namespace wardcast::test;
using namespace std::chrono_literals;

namespace {

std::optional<Clock::time_point> instant(const std::string& text) {
    auto i = wardcast::log::parse_utc(text);
    if (!i) return std::nullopt;
    return Clock::time_point(*i);
}

long ms_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count();
}

/// RMS of a 16-bit PCM WAV's samples, 0.0 .. 1.0.
double wav_rms(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), {});
    auto pos = data.find("data");
    if (pos == std::string::npos) return 0;
    double sum = 0;
    std::size_t n = 0;
    for (std::size_t i = pos + 8; i + 1 < data.size(); i += 2, ++n) {
        auto s = static_cast<std::int16_t>(static_cast<std::uint8_t>(data[i]) |
                                           (static_cast<std::uint8_t>(data[i + 1]) << 8));
        sum += (s / 32768.0) * (s / 32768.0);
    }
    return n ? std::sqrt(sum / n) : 0;
}

}  // namespace

TEST_CASE("the daemon airs on time: file output, two zones, a queue, a skip, a missing file",
          "[e2e][daemon]") {
    TempDir dir;
    write_tone_wav(dir.path() / "chime.wav", 300);
    write_tone_wav(dir.path() / "a.wav", 400);
    write_tone_wav(dir.path() / "b.wav", 300);
    write_tone_wav(dir.path() / "one.wav", 1000);
    write_tone_wav(dir.path() / "four.wav", 4000);
    write_tone_wav(dir.path() / "gone.wav", 1000);
    const auto out = dir.path() / "air";
    const auto t0 = whole_second_after(startup_margin + 2s);
    std::string yaml = "station: { name: \"Phường Thử\", timezone: UTC }\nzones:\n"
                       "  - { id: a, output: \"file:" + (out / "a.wav").string() + "\" }\n"
                       "  - { id: b, output: \"file:" + (out / "b.wav").string() + "\" }\n"
                       "  - { id: c, output: \"null\" }\n"
                       "announcements:\n"
                       "  - id: alpha\n    zones: [a]\n    chime: chime.wav\n    audio: [a.wav, b.wav]\n"
                       "    repeat: 2\n    gap: 200ms\n" + when(t0) +
                       "  - id: beta\n    zones: [b]\n    audio: one.wav\n" + when(t0) +
                       "  - id: queued\n    zones: [a]\n    audio: one.wav\n" + when(t0 + 1s) +
                       "  - id: long\n    zones: [b]\n    audio: four.wav\n" + when(t0 + 1s) +
                       "  - id: skipme\n    zones: [b]\n    audio: one.wav\n    max_delay: 1s\n" + when(t0 + 2s) +
                       "  - id: missing\n    zones: [c]\n    audio: gone.wav\n" + when(t0 + 3s) +
                       "  - id: after-missing\n    zones: [c]\n    audio: one.wav\n" + when(t0 + 4s);
    auto schedule = dir.write("schedule.yaml", yaml);
    const auto db = dir.path() / "log/broadcasts.db";

    Daemon daemon({"--schedule", schedule.string(), "--db", db.string(), "--socket",
                   (dir.path() / "control.sock").string()},
                  dir.path() / "wardcastd.log", {{"WARDCAST_CACHE", (dir.path() / "cache").string()}});
    REQUIRE(daemon.wait_for_output("next: alpha", startup_margin + 10s));
    std::filesystem::remove(dir.path() / "gone.wav");  // missing at air time
    REQUIRE(daemon.wait_for_output(
        "played after-missing", std::chrono::duration_cast<std::chrono::milliseconds>(t0 - Clock::now() + 15s)));
    REQUIRE(daemon.wait_for_output("played long", 5s));
    CHECK(daemon.stop() == 0);
    INFO(daemon.output());

    auto rows = outcomes(db);
    REQUIRE(rows.size() == 7);
    for (const char* id : {"alpha", "beta", "queued", "long", "after-missing"}) {
        INFO(id);
        CHECK(rows[id]["status"] == "played");
        CHECK(rows[id]["trigger"] == "schedule");
        CHECK_FALSE(rows[id]["lateness_ms"].empty());
    }
    // On time: the first sample within a fraction of a second of the instant.
    CHECK(std::stol(rows["alpha"]["lateness_ms"]) < 500);
    CHECK(std::stol(rows["alpha"]["lateness_ms"]) >= 0);
    // Two zones at once.
    CHECK(std::abs(ms_between(*instant(rows["alpha"]["started"]), *instant(rows["beta"]["started"]))) < 300);
    // Queued behind alpha on zone a: starts as alpha ends, about 0.9 s late.
    CHECK(std::abs(ms_between(*instant(rows["alpha"]["ended"]), *instant(rows["queued"]["started"]))) < 400);
    CHECK(std::stol(rows["queued"]["lateness_ms"]) > 700);
    // Zone b is busy with `long` until t0+5s: more than skipme's max_delay.
    CHECK(rows["skipme"]["status"] == "skipped");
    CHECK(rows["skipme"]["error"].find("zones busy with long until") != std::string::npos);
    CHECK(rows["skipme"]["error"].find("waited longer than max_delay 1s") != std::string::npos);
    // The missing file fails with GStreamer's reason; the next one still aired.
    CHECK(rows["missing"]["status"] == "failed");
    CHECK(rows["missing"]["error"].find("gone.wav") != std::string::npos);

    // alpha's WAV: chime + 2 x (a + b) + gap = 0.3 + 2 x 0.7 + 0.2 = 1.9 s, and not silent.
    std::vector<std::filesystem::path> files;
    for (const auto& f : std::filesystem::directory_iterator(out))
        if (f.path().filename().string().rfind("a-alpha-", 0) == 0) files.push_back(f.path());
    REQUIRE(files.size() == 1);
    auto length = wardcast::audio::Prober().probe(files[0]).length;
    REQUIRE(length);
    CHECK(std::abs(length->count() - 1900) <= 50);
    CHECK(wav_rms(files[0]) > 0.05);
}

TEST_CASE("the daemon streams RTP that starts close to the instant", "[e2e][daemon][rtp]") {
    TempDir dir;
    write_tone_wav(dir.path() / "one.wav", 1000);
    int sock = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    getsockname(sock, reinterpret_cast<sockaddr*>(&addr), &len);
    const int port = ntohs(addr.sin_port);

    const auto t0 = whole_second_after(startup_margin + 1s);
    auto schedule = dir.write("schedule.yaml", "station: { timezone: UTC }\nzones:\n"
                                               "  - { id: loa, output: \"rtp://127.0.0.1:" +
                                                   std::to_string(port) + "\" }\n"
                                                   "announcements:\n  - id: rtp\n    audio: one.wav\n" +
                                                   when(t0));
    Daemon daemon({"--schedule", schedule.string(), "--db", (dir.path() / "b.db").string()},
                  dir.path() / "wardcastd.log", {{"WARDCAST_CACHE", (dir.path() / "cache").string()}});
    pollfd p{sock, POLLIN, 0};
    REQUIRE(poll(&p, 1, static_cast<int>((startup_margin + 15s).count() * 1000)) == 1);
    auto arrival = Clock::now();
    unsigned char packet[2048];
    auto n = recv(sock, packet, sizeof packet, 0);
    close(sock);
    INFO(daemon.output());
    REQUIRE(n > 12);
    CHECK((packet[0] >> 6) == 2);  // RTP version 2
    auto late = ms_between(t0, arrival);
    CHECK(late > -50);
    CHECK(late < 500);
    REQUIRE(daemon.wait_for_output("played rtp", 10s));
    CHECK(daemon.stop() == 0);
}

TEST_CASE("the daemon refuses an invalid schedule with the validation messages", "[e2e][daemon]") {
    Fixture fx("invalid");
    Daemon daemon({"--schedule", fx.file(), "--db", (fx.path() / "b.db").string()},
                  fx.path() / "wardcastd.log", {{"WARDCAST_CACHE", (fx.path() / "cache").string()}});
    CHECK(daemon.wait(startup_margin + 20s) == 1);
    auto text = daemon.output();
    CHECK(text.find(fx.file() + ":13:5: error: unknown key 'prioirty' (did you mean 'priority'?)") !=
          std::string::npos);
    CHECK(text.find("invalid: 6 errors; not starting") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(fx.path() / "b.db"));
}
