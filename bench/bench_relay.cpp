// Relays through the real wardcastd from a real loopback Icecast (issue 12, SPEC §8).
//   build/bench/bench_relay [RELAYS] [LONG_SECONDS]
// 1. Start lateness: RELAYS (default 20) scheduled 4 s relays, 6 s apart, of an Icecast mount fed
//    by `gst-launch-1.0 audiotestsrc ! vorbisenc ! oggmux ! shout2send` (440 Hz), to
//    rtp://127.0.0.1:PORT; lateness = arrival of the first RTP packet - scheduled instant
//    (p50, p99, max), and the same for the first packet that carries the source's sound. The
//    schedule has no chime (SPEC §8: a chime would play first, so the first packet would be it).
// 2. Delay behind the source: one relay of LONG_SECONDS (default 600) of a second mount, fed
//    by a source client in this process whose tick n sounds at its pipeline's base time +
//    n x 2 s on GStreamer's system clock (CLOCK_MONOTONIC); the bench finds each tick's onset
//    in the daemon's RTP output (L16 big-endian mono 44.1 kHz) and stamps it on the same clock.
//    delay = onset's arrival - tick's instant; p50 over the first and the last minute, growth.
// Targets (issue 12): start within a few ms of the instant (p99 < 5 ms, as bench_daemon);
// delay within 500 ms of live, and it must not grow. Exit 2 without icecast2/gst-launch-1.0,
// 1 when a measurement could not be made; never on a figure.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bench/loopback_udp.hpp"
#include "bench/relay_ticks.hpp"
#include "tests/audio/icecast.hpp"
#include "tests/e2e/daemon_process.hpp"

using namespace wardcast::test;
using namespace wardcast::bench;
using namespace std::chrono_literals;

namespace {

constexpr int rtp_rate = 44100;
constexpr auto short_length = 4s;
constexpr auto short_spacing = 6s;
constexpr int silence_level = 64;  // a packet under this everywhere is silence

/// One RTP packet as it arrived: when (wall clock and CLOCK_MONOTONIC) and its L16 samples.
struct Packet {
    Clock::time_point wall;
    std::int64_t mono_ns;
    std::vector<std::int16_t> samples;
    bool silent() const {
        return std::all_of(samples.begin(), samples.end(),
                           [](std::int16_t s) { return std::abs(int{s}) < silence_level; });
    }
};

/// A UDP socket on a free loopback port receiving the daemon's rtp:// output.
class RtpReceiver {
  public:
    RtpReceiver() : fd_(wardcast::bench::bind_loopback_udp(port_)) {
        int size = 4 << 20;  // a busy bench thread must not lose packets
        setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    }
    ~RtpReceiver() { close(fd_); }
    RtpReceiver(const RtpReceiver&) = delete;
    RtpReceiver& operator=(const RtpReceiver&) = delete;
    int port() const { return port_; }

    /// The next packet with payload type 11, stamped as it is read, or nullopt after `until`.
    std::optional<Packet> next(Clock::time_point until) {
        unsigned char b[65536];
        while (true) {
            const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now());
            pollfd p{fd_, POLLIN, 0};
            if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) != 1)
                return std::nullopt;
            Packet packet{Clock::now(), monotonic_ns(), {}};
            const ssize_t n = recv(fd_, b, sizeof b, 0);
            if (n < 12 || (b[0] >> 6) != 2 || (b[1] & 0x7f) != 11) continue;
            std::size_t at = 12 + 4 * (b[0] & 0x0f), end = static_cast<std::size_t>(n);
            if ((b[0] & 0x10) && at + 4 <= end) at += 4 + 4 * ((b[at + 2] << 8) | b[at + 3]);
            if ((b[0] & 0x20) && end > 0) end -= std::min<std::size_t>(b[end - 1], end);
            for (; at + 1 < end; at += 2)
                packet.samples.push_back(static_cast<std::int16_t>((b[at] << 8) | b[at + 1]));
            return packet;
        }
    }

  private:
    int port_ = 0;  // before fd_: set by fd_'s initializer
    int fd_;
};

double pct(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

void summary(const char* what, const std::vector<double>& ms, const char* target) {
    if (ms.empty()) {
        std::printf("%-40s none received\n", what);
        return;
    }
    std::printf("%-40s n=%zu  p50 %7.2f ms  p99 %7.2f ms  max %7.2f ms   (%s)\n", what, ms.size(),
                pct(ms, 0.5), pct(ms, 0.99), *std::max_element(ms.begin(), ms.end()), target);
}

double ms_between(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double, std::milli>(to - from).count();
}

/// What part 1 measured for one relay.
struct Start {
    std::optional<double> first_ms;  ///< first packet - instant
    bool first_silent = false;
    std::size_t first_samples = 0;
    std::optional<double> sound_ms;  ///< first packet with the source's sound - instant
};

/// Reads the relay at `t` (short_length long) from `rx`, until the next one's instant - 1 s.
Start measure_start(RtpReceiver& rx, Clock::time_point t) {
    Start s;
    while (auto p = rx.next(t + short_spacing - 1s)) {
        if (p->wall < t - 1s) continue;  // the previous relay's tail
        if (!s.first_ms) {
            s.first_ms = ms_between(t, p->wall);
            s.first_silent = p->silent();
            s.first_samples = p->samples.size();
        }
        if (!s.sound_ms && !p->silent()) s.sound_ms = ms_between(t, p->wall);
    }
    return s;
}

/// Finds the tick onsets of the relay from `start` to `end` (its packets stop soon after).
std::vector<Onset> measure_ticks(RtpReceiver& rx, const TickSource& ticks, Clock::time_point start,
                                 Clock::time_point end) {
    OnsetFinder finder(ticks);
    while (auto p = rx.next(end + 5s)) {
        if (p->wall < start - 500ms) continue;  // the last short relay's tail
        // udpsink (sync=true) sends each packet when its first sample is due.
        finder.feed(p->samples.data(), p->samples.size(), p->mono_ns);
    }
    return finder.onsets;
}

std::vector<double> delays_between(const std::vector<Onset>& onsets, std::int64_t from,
                                   std::int64_t to) {
    std::vector<double> ms;
    for (const auto& o : onsets)
        if (o.at_ns >= from && o.at_ns < to) ms.push_back(o.delay_ms);
    return ms;
}

std::string relay_yaml(const std::string& id, const std::string& url, long seconds,
                       Clock::time_point t) {
    return "  - id: " + id + "\n    relay: { source: \"" + url +
           "\", duration: " + std::to_string(seconds) + "s, start_timeout: 3s }\n" + when(t);
}

}  // namespace

int main(int argc, char** argv) try {
    const int relays = argc > 1 ? std::atoi(argv[1]) : 20;
    const long long_seconds = argc > 2 ? std::atol(argv[2]) : 600;
    if (relays < 1 || long_seconds < 10) {
        std::fprintf(stderr, "usage: bench_relay [RELAYS >= 1] [LONG_SECONDS >= 10]\n");
        return 2;
    }
    for (const char* program : {"icecast2", "gst-launch-1.0"})
        if (!have_program(program)) {
            std::fprintf(stderr, "bench_relay: needs %s (not on PATH)\n", program);
            return 2;
        }
    Icecast icecast;
    if (!icecast.wait_up(20s)) {
        std::fprintf(stderr, "bench_relay: icecast2 cannot run here:\n%s", icecast.log().c_str());
        return 2;
    }
    auto tone = icecast.start_source("/tone.ogg");
    TickSource ticks(icecast.port(), "/ticks.ogg");
    // The ticks are mostly silence, too few bytes for wait_mount's burst check: the status page.
    const std::string ticks_url =
        "\"listenurl\":\"http://127.0.0.1:" + std::to_string(icecast.port()) + "/ticks.ogg";
    bool ticks_up = false;
    for (auto until = Clock::now() + 30s; !ticks_up && Clock::now() < until;
         std::this_thread::sleep_for(100ms)) {
        const auto page = http_get(icecast.port(), "/status-json.xsl");
        ticks_up = page && page->find(ticks_url) != std::string::npos;
    }
    if (!ticks_up || !icecast.wait_mount("/tone.ogg", 30s)) {
        std::fprintf(stderr, "bench_relay: the Icecast mounts did not come up: %s\n%s",
                     ticks.failure().c_str(), icecast.log().c_str());
        return 1;
    }

    RtpReceiver rx;
    const std::string base = "http://127.0.0.1:" + std::to_string(icecast.port());
    const auto t0 = whole_second_after(8s);
    std::string yaml =
        "station: { timezone: UTC }\nzones:\n  - { id: loa, output: \"rtp://127.0.0.1:" +
        std::to_string(rx.port()) + "\" }\nannouncements:\n";
    std::vector<Clock::time_point> instants;
    for (int i = 0; i < relays; ++i) {
        instants.push_back(t0 + i * short_spacing);
        yaml += relay_yaml("r" + std::to_string(i), base + "/tone.ogg", short_length.count(),
                           instants.back());
    }
    const auto long_at = instants.back() + short_spacing;
    const auto long_end = long_at + std::chrono::seconds(long_seconds);
    yaml += relay_yaml("long", base + "/ticks.ogg", long_seconds, long_at);
    const auto schedule = icecast.dir() / "relays.yaml";
    std::ofstream(schedule) << yaml;
    const auto db = icecast.dir() / "relays.db";
    Daemon daemon({"--schedule", schedule.string(), "--db", db.string(), "--log-level", "warn"},
                  icecast.dir() / "wardcastd.log",
                  {{"WARDCAST_CACHE", (icecast.dir() / "cache").string()}});

    std::vector<Start> starts;
    for (auto t : instants) starts.push_back(measure_start(rx, t));
    // Connects about when the daemon does (its preroll); Icecast's burst is over in a few s.
    DirectListener direct(base + "/ticks.ogg", ticks);
    const std::int64_t direct_from = monotonic_ns() + 5'000'000'000;
    const auto onsets = measure_ticks(rx, ticks, long_at, long_end);
    const auto direct_onsets = direct.onsets(direct_from);
    daemon.stop();

    std::vector<double> first_ms, sound_ms;
    int silent_first = 0;
    std::size_t first_samples = 0;
    for (const auto& s : starts) {
        if (s.first_ms) {
            first_ms.push_back(*s.first_ms);
            silent_first += s.first_silent;
            first_samples = std::max(first_samples, s.first_samples);
        }
        if (s.sound_ms) sound_ms.push_back(*s.sound_ms);
    }
    std::printf(
        "relay start lateness, %d relays of %s/tone.ogg (Ogg Vorbis, 440 Hz) to "
        "rtp://127.0.0.1:%d, no chime\n",
        relays, base.c_str(), rx.port());
    summary("  first RTP packet - instant", first_ms, "target p99 < 5 ms");
    std::printf(
        "    the first packet (%zu samples, %.1f ms of sound) was silence in %d, the "
        "source's sound in %zu\n",
        first_samples, first_samples * 1000.0 / rtp_rate, silent_first,
        first_ms.size() - static_cast<std::size_t>(silent_first));
    summary("  first packet with sound - instant", sound_ms, "target p99 < 5 ms");

    const std::int64_t start_ns = onsets.empty() ? 0 : onsets.front().at_ns;
    const std::int64_t end_ns = onsets.empty() ? 0 : onsets.back().at_ns;
    const std::int64_t window = std::min<std::int64_t>(60, long_seconds / 3) * 1'000'000'000;
    const auto first = delays_between(onsets, start_ns, start_ns + window);
    const auto last = delays_between(onsets, end_ns - window + 1, end_ns + 1);
    std::printf(
        "delay behind the source over a %ld s relay of %s/ticks.ogg (a tick every %lld s, "
        "source client in this process, clock offset %lld ns)\n",
        long_seconds, base.c_str(), static_cast<long long>(tick_interval_ns / 1'000'000'000),
        static_cast<long long>(ticks.clock_offset_ns()));
    std::printf("  ticks found %zu of %ld expected\n", onsets.size(),
                long_seconds * 1'000'000'000 / tick_interval_ns);
    int status = 0;
    if (first.empty() || last.empty()) {
        std::printf("  no ticks received: delay not measured\n");
        status = 1;
    } else {
        std::vector<double> all;
        for (const auto& o : onsets) all.push_back(o.delay_ms);
        const double p_first = pct(first, 0.5), p_last = pct(last, 0.5);
        std::printf("  p50 over the first %lld s   %8.1f ms   (behind the source client's sound)\n",
                    static_cast<long long>(window / 1'000'000'000), p_first);
        std::printf("  p50 over the last %lld s    %8.1f ms   (behind the source client's sound)\n",
                    static_cast<long long>(window / 1'000'000'000), p_last);
        std::printf("  growth (last - first)     %8.1f ms   (target: must not grow, ~0)\n",
                    p_last - p_first);
        std::printf("  whole relay: min %.1f ms, max %.1f ms\n",
                    *std::min_element(all.begin(), all.end()),
                    *std::max_element(all.begin(), all.end()));
        std::vector<double> direct_ms;
        for (const auto& o : direct_onsets) direct_ms.push_back(o.delay_ms);
        if (direct_ms.empty()) {
            std::printf("  direct listener: no ticks\n");
        } else {
            const double p_direct = pct(direct_ms, 0.5);
            std::printf(
                "  of which before the relay  %8.1f ms   p50 of a direct listener "
                "(souphttpsrc ! oggdemux ! vorbisdec in this process, n=%zu): the source "
                "client's encoding, Icecast, decoding\n",
                p_direct, direct_ms.size());
            std::printf(
                "  added by wardcastd         %8.1f ms   (p50 over the last %lld s - "
                "direct p50; target: within 500 ms of live)\n",
                p_last - p_direct, static_cast<long long>(window / 1'000'000'000));
        }
        const bool ambiguous = std::any_of(onsets.begin(), onsets.end(), [](const Onset& o) {
            return o.tick < 0 || o.delay_ms > 0.75 * tick_interval_ns / 1e6;
        });
        bool repeated = false;
        for (std::size_t i = 1; i < onsets.size(); ++i)
            repeated |= onsets[i].tick <= onsets[i - 1].tick;
        if (ambiguous || repeated)
            std::printf(
                "  WARNING: a delay near or over the %lld s tick interval: the tick index "
                "(and so the delay) may be off by a whole interval\n",
                static_cast<long long>(tick_interval_ns / 1'000'000'000));
    }
    if (!ticks.base_unchanged() || !ticks.failure().empty())
        std::printf("  WARNING: the tick source restarted or failed: %s\n",
                    ticks.failure().c_str());
    int played = 0;
    for (const auto& [id, row] : outcomes(db)) played += row.at("status") == "played";
    std::printf("log: %d of %d relays played\n", played, relays + 1);
    if (first_ms.empty()) {
        std::fprintf(stderr, "bench_relay: no RTP packets; wardcastd said:\n%s",
                     daemon.output().c_str());
        status = 1;
    }
    return status;
} catch (const std::exception& e) {
    std::fprintf(stderr, "bench_relay: %s\n", e.what());
    return 1;
}
