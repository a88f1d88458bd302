// Simulate one year of a 1,000-announcement schedule and validate it, through the real
// wardcastctl, and print wall time and peak memory of each command.
//   build/bench/bench_schedule [ANNOUNCEMENTS]
// Targets on a 2-core machine: simulate < 1 s, validate (audio cached) < 2 s, peak < 50 MB.

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "bench/measure.hpp"
#include "tests/e2e/fixtures.hpp"

namespace {

using wardcast::bench::Measure;

/// The command with the benchmark's audio cache.
Measure measure(const std::vector<std::string>& argv, const std::string& cache) {
    return wardcast::bench::measure(argv, {{"WARDCAST_CACHE", cache}});
}

std::string hhmm(int minutes) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%02d:%02d", minutes / 60, minutes % 60);
    return buf;
}

/// A large district's schedule: `n` announcements over 40 zones and 25 audio files.
std::string make_schedule(int n, std::mt19937& rng) {
    const char* days[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    std::string y = "version: 1\nstation: { name: \"Quận bench\", timezone: Asia/Ho_Chi_Minh }\nzones:\n";
    for (int z = 0; z < 40; ++z) y += "  - { id: z" + std::to_string(z) + ", output: \"null\" }\n";
    y += "defaults: { chime: audio/chime.wav, max_delay: 10m }\n";
    y += "quiet_hours: [{ from: \"21:30\", to: \"05:30\" }]\n";
    y += "holidays: [2027-01-01, 2027-02-05, 2027-02-06, 2027-02-07, 2027-02-08]\n";
    y += "announcements:\n";
    for (int i = 0; i < n; ++i) {
        y += "  - id: a" + std::to_string(i) + "\n    title: \"Thông báo số " + std::to_string(i) + "\"\n";
        y += "    audio: [audio/item" + std::to_string(rng() % 25) + ".wav]\n";
        y += "    zones: [z" + std::to_string(rng() % 40) + ", z" + std::to_string(rng() % 40) + "]\n";
        y += "    repeat: " + std::to_string(1 + rng() % 2) + "\n    gap: 2s\n";
        if (rng() % 3 == 0) y += "    window: { from: 2027-0" + std::to_string(1 + rng() % 6) + "-01 }\n";
        if (rng() % 2 == 0) {
            y += "    days: [";
            for (int d = 0, k = 0; d < 7; ++d)
                if (rng() % 2) y += std::string(k++ ? ", " : "") + days[d];
            y += std::string(y.back() == '[' ? "mon" : "") + "]\n";
        }
        if (rng() % 10 == 0) y += "    monthdays: [1, 15]\n";
        if (rng() % 4 == 0) {
            int start = 360 + static_cast<int>(rng() % 600);
            y += "    every: 1h\n    between: [\"" + hhmm(start) + "\", \"" + hhmm(start + 180) + "\"]\n";
        } else {
            y += "    at: [\"" + hhmm(330 + static_cast<int>(rng() % 900)) + "\", \"" +
                 hhmm(330 + static_cast<int>(rng() % 900)) + "\"]\n";
        }
    }
    return y;
}

void print(const char* what, const Measure& m) {
    std::printf("%-44s %8.3f s  peak %6.1f MB  exit %d\n", what, m.seconds, m.peak_kib / 1024.0,
                m.exit_code);
}

}  // namespace

int main(int argc, char** argv) {
    int n = argc > 1 ? std::atoi(argv[1]) : 1000;
    wardcast::test::TempDir dir;
    std::mt19937 rng(20261128);
    wardcast::test::write_tone_wav(dir.path() / "audio/chime.wav", 2500);
    for (int i = 0; i < 25; ++i)
        wardcast::test::write_tone_wav(dir.path() / ("audio/item" + std::to_string(i) + ".wav"),
                                       20000 + 3000 * i);
    auto file = dir.write("schedule.yaml", make_schedule(n, rng)).string();
    auto cache = (dir.path() / "cache").string();

    std::printf("schedule: %d announcements, 40 zones, 26 audio files (%s)\n", n, file.c_str());
    print("validate, cold cache (probes audio)", measure({WARDCASTCTL, "validate", file}, cache));
    print("validate, audio cached", measure({WARDCASTCTL, "validate", file}, cache));
    print("simulate one day (load + audio lengths only)",
          measure({WARDCASTCTL, "simulate", file, "--from", "2027-01-01", "--to", "2027-01-02", "--json"},
                  cache));
    print("simulate one year (2027) --json",
          measure({WARDCASTCTL, "simulate", file, "--from", "2027-01-01", "--to", "2028-01-01", "--json"},
                  cache));
    print("simulate one year (2027), table",
          measure({WARDCASTCTL, "simulate", file, "--from", "2027-01-01", "--to", "2028-01-01"}, cache));
    if (const char* keep = std::getenv("WARDCAST_BENCH_KEEP")) {
        std::filesystem::copy(dir.path(), keep, std::filesystem::copy_options::recursive |
                                                    std::filesystem::copy_options::overwrite_existing);
        std::printf("schedule kept in %s\n", keep);
    }
    return 0;
}
