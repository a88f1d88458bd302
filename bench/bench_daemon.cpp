// Start lateness and idle cost of the real wardcastd (issue: airs on time through GStreamer).
//   build/bench/bench_daemon [FIRINGS] [IDLE_SECONDS] [LOAD_CLIENTS]
// 1. FIRINGS (default 50) broadcasts to an RTP receiver on loopback; lateness = arrival of the
//    first RTP packet - scheduled instant; p50, p99, max. Then the same FIRINGS again while
//    LOAD_CLIENTS (default 50, 0 to skip) clients ask the daemon's control socket for `status`
//    as fast as they can. The same for what people use today: a timer that execs
//    `gst-launch-1.0 ... ! rtpL16pay ! udpsink` at the instant.
// 2. Idle: CPU time and wake-ups (context switches) over IDLE_SECONDS (default 60) with nothing
//    due; RSS idle and while playing.
// Targets: p99 < 5 ms and at least 5x better than exec; idle CPU < 10 ms; RSS < 40 MB.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdio>
#include <date/date.h>
#include <thread>

#include "bench/loopback_udp.hpp"
#include "bench/status_load.hpp"
#include "tests/e2e/daemon_process.hpp"
#include "tests/e2e/fixtures.hpp"

using namespace wardcast::test;
using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

namespace {

struct Receiver {
    int port = 0;  // before fd: set by fd's initializer
    int fd = -1;
    Receiver() : fd(wardcast::bench::bind_loopback_udp(port)) {}
    ~Receiver() { close(fd); }
    /// Arrival of the first packet after `after`, waiting up to `timeout`; drains older ones.
    std::optional<Clock::time_point> first_packet(Clock::time_point after, std::chrono::milliseconds timeout) {
        char buf[4096];
        auto until = Clock::now() + timeout;
        while (Clock::now() < until) {
            pollfd p{fd, POLLIN, 0};
            int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count());
            if (poll(&p, 1, std::max(left, 0)) != 1) return std::nullopt;
            auto t = Clock::now();
            recv(fd, buf, sizeof buf, 0);
            if (t >= after) return t;
        }
        return std::nullopt;
    }
    void drain() {
        char buf[4096];
        while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0) {
        }
    }
};

void summary(const char* what, std::vector<double> ms) {
    if (ms.empty()) {
        std::printf("%-34s no packets received\n", what);
        return;
    }
    std::sort(ms.begin(), ms.end());
    auto pct = [&](double p) { return ms[std::min(ms.size() - 1, static_cast<std::size_t>(p * ms.size()))]; };
    std::printf("%-34s n=%zu  p50 %7.2f ms  p99 %7.2f ms  max %7.2f ms\n", what, ms.size(), pct(0.5),
                pct(0.99), ms.back());
}

double ms_since(Clock::time_point scheduled, Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(t - scheduled).count();
}

std::string hms(Clock::time_point t) {
    auto s = std::chrono::floor<std::chrono::seconds>(t);
    return date::format("%T", s - std::chrono::floor<date::days>(s));
}

std::string day(Clock::time_point t) {
    return date::format("%F", std::chrono::floor<date::days>(t));
}

/// Sum over the process's threads of (utime+stime) ticks and context switches.
std::pair<long, long> cpu_and_switches(pid_t pid) {
    long ticks = 0, switches = 0;
    for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task")) {
        std::ifstream stat(task.path() / "stat");
        std::string text((std::istreambuf_iterator<char>(stat)), {});
        auto close_paren = text.rfind(')');
        std::istringstream rest(text.substr(close_paren + 2));
        std::string field;
        for (int i = 3; i <= 15 && rest >> field; ++i)
            if (i == 14 || i == 15) ticks += std::stol(field);
        std::ifstream status(task.path() / "status");
        for (std::string line; std::getline(status, line);)
            if (line.find("ctxt_switches") != std::string::npos)
                switches += std::stol(line.substr(line.find(':') + 1));
    }
    return {ticks, switches};
}

long status_kib(pid_t pid, const std::string& key) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind(key + ":", 0) == 0) return std::stol(line.substr(key.size() + 1));
    return -1;
}

/// FIRINGS broadcasts by a real wardcastd to `rx`; with `load_clients` > 0, while that many
/// clients hammer its control socket. Returns the lateness of each firing in ms.
std::vector<double> daemon_lateness(const TempDir& dir, Receiver& rx, int firings, std::size_t load_clients,
                                    long& rss_playing, std::string& load_line) {
    const auto spacing = 1500ms;
    const std::string tag = load_clients ? "load" : "quiet";
    auto t0 = std::chrono::ceil<std::chrono::seconds>(Clock::now()) + 6s;
    std::string yaml = "station: { timezone: UTC }\nzones:\n  - { id: loa, output: \"rtp://127.0.0.1:" +
                       std::to_string(rx.port) + "\" }\nannouncements:\n";
    std::vector<Clock::time_point> instants;
    for (int i = 0; i < firings; ++i) {
        Clock::time_point t = std::chrono::floor<std::chrono::seconds>(t0 + i * spacing);
        if (!instants.empty() && t <= instants.back()) t = instants.back() + 1s;
        instants.push_back(t);
        yaml += "  - { id: f" + std::to_string(i) + ", audio: tone.wav, normalize: false, dates: [" + day(t) +
                "], at: \"" + hms(t) + "\" }\n";
    }
    auto schedule = dir.write(tag + ".yaml", yaml);
    auto socket = dir.path() / (tag + ".sock");
    std::vector<double> ms;
    Daemon d({"--schedule", schedule.string(), "--db", (dir.path() / (tag + ".db")).string(), "--log-level",
              "warn", "--socket", socket.string()},
             dir.path() / (tag + ".log"), {{"WARDCAST_CACHE", (dir.path() / "cache").string()}});
    std::optional<wardcast::bench::StatusLoad> load;
    if (load_clients) {
        while (!std::filesystem::exists(socket) && Clock::now() < t0 - 1s) std::this_thread::sleep_for(50ms);
        load.emplace(socket.string(), load_clients);
    }
    auto load_start = Clock::now();
    for (auto t : instants) {
        auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(t + 3s - Clock::now());
        if (auto arrival = rx.first_packet(t - 200ms, std::max(wait, 0ms))) {
            ms.push_back(ms_since(t, *arrival));
            rss_playing = std::max(rss_playing, status_kib(d.pid(), "VmRSS"));
        }
        std::this_thread::sleep_until(t + 700ms);
        rx.drain();
    }
    if (load) {
        auto figures = load->finish();
        double seconds = std::chrono::duration<double>(Clock::now() - load_start).count();
        char line[160];
        std::snprintf(line, sizeof line, "  load: %zu clients, %.0f status/s, %zu refused (busy), %zu failures",
                      load_clients, figures.requests / seconds, figures.busy, figures.failures);
        load_line = line;
    }
    d.stop();
    return ms;
}

}  // namespace

int main(int argc, char** argv) {
    const int firings = argc > 1 ? std::atoi(argv[1]) : 50;
    const int idle_seconds = argc > 2 ? std::atoi(argv[2]) : 60;
    const std::size_t load_clients = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 50;
    TempDir dir;
    write_tone_wav(dir.path() / "tone.wav", 500);
    Receiver rx;

    long rss_playing = 0;
    std::string load_line;
    auto daemon_ms = daemon_lateness(dir, rx, firings, 0, rss_playing, load_line);
    std::vector<double> loaded_ms;
    if (load_clients) loaded_ms = daemon_lateness(dir, rx, firings, load_clients, rss_playing, load_line);

    // 1b. The exec baseline: a timer that starts gst-launch-1.0 at the instant.
    std::vector<double> exec_ms;
    for (int i = 0; i < firings; ++i) {
        auto t = std::chrono::ceil<std::chrono::milliseconds>(Clock::now()) + 300ms;
        std::this_thread::sleep_until(t);
        pid_t pid = fork();
        if (pid == 0) {
            int null = open("/dev/null", O_WRONLY);
            dup2(null, 1), dup2(null, 2);
            std::string loc = "location=" + (dir.path() / "tone.wav").string();
            std::string port = "port=" + std::to_string(rx.port);
            execlp("gst-launch-1.0", "gst-launch-1.0", "-q", "filesrc", loc.c_str(), "!", "decodebin", "!",
                   "audioconvert", "!", "audioresample", "!", "audio/x-raw,format=S16BE,rate=44100,channels=1",
                   "!", "rtpL16pay", "!", "udpsink", "host=127.0.0.1", port.c_str(), "sync=true", nullptr);
            _exit(127);
        }
        if (auto arrival = rx.first_packet(t, 3000ms)) exec_ms.push_back(ms_since(t, *arrival));
        waitpid(pid, nullptr, 0);
        rx.drain();
    }

    std::printf("start lateness, %d firings to rtp://127.0.0.1:%d (first RTP packet - instant)\n", firings, rx.port);
    summary("  wardcastd (preroll + timer)", daemon_ms);
    if (load_clients) {
        summary("  wardcastd, control socket loaded", loaded_ms);
        std::printf("%s\n", load_line.c_str());
    }
    summary("  exec gst-launch-1.0 at the instant", exec_ms);

    // 2. Idle.
    auto far = Clock::now() + 24h;
    auto idle_schedule = dir.write("idle.yaml", "station: { timezone: UTC }\nzones: [{ id: z, output: \"null\" }]\n"
                                                "announcements:\n  - { id: later, audio: tone.wav, dates: [" +
                                                    day(far) + "], at: \"" + hms(far) + "\" }\n");
    Daemon d({"--schedule", idle_schedule.string(), "--db", (dir.path() / "idle.db").string(), "--log-level", "warn"},
             dir.path() / "idle.log", {{"WARDCAST_CACHE", (dir.path() / "cache").string()}});
    std::this_thread::sleep_for(3s);  // start-up done
    auto [cpu0, sw0] = cpu_and_switches(d.pid());
    std::this_thread::sleep_for(std::chrono::seconds(idle_seconds));
    auto [cpu1, sw1] = cpu_and_switches(d.pid());
    const double tick_ms = 1000.0 / sysconf(_SC_CLK_TCK);
    std::printf("idle for %d s: CPU %.0f ms (tick %.0f ms), context switches %ld\n", idle_seconds,
                (cpu1 - cpu0) * tick_ms, tick_ms, sw1 - sw0);
    std::printf("RSS: idle %.1f MB, while playing (RTP run) %.1f MB\n", status_kib(d.pid(), "VmRSS") / 1024.0,
                rss_playing / 1024.0);
    d.stop();
    return 0;
}
