// Simulate one year of a 1,000-announcement schedule and validate it, through the real
// wardcastctl: the median wall time of RUNS runs of each command (CPU time and peak memory
// beside it), printed with its target.
//   build/bench/bench_schedule [ANNOUNCEMENTS] [RUNS]
// Targets on a 2-core machine (issue 15): a year --json <= 0.5 s, the same as a table
// <= 0.8 s, validate with the audio cached <= 0.2 s; peak < 50 MB.

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "bench/measure.hpp"
#include "tests/schedules/big_schedule.hpp"

namespace {

using wardcast::bench::Measure;

/// The command with the benchmark's audio cache, `runs` times: the run of median wall time.
Measure median(const std::vector<std::string>& argv, const std::string& cache, int runs) {
    std::vector<Measure> all;
    for (int r = 0; r < runs; ++r)
        all.push_back(wardcast::bench::measure(argv, {{"WARDCAST_CACHE", cache}}));
    std::sort(all.begin(), all.end(),
              [](const Measure& x, const Measure& y) { return x.seconds < y.seconds; });
    return all[all.size() / 2];
}

/// One row: the figure, then the target beside it ("" when the row has none).
void print(const char* what, const Measure& m, const char* target) {
    std::printf("%-40s median %7.3f s  (cpu %6.3f s, peak %5.1f MB, exit %d)  %s\n", what,
                m.seconds, m.cpu_seconds, m.peak_kib / 1024.0, m.exit_code, target);
}

}  // namespace

int main(int argc, char** argv) {
    const int n = argc > 1 ? std::atoi(argv[1]) : 1000;
    const int runs = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
    wardcast::test::TempDir dir;
    wardcast::test::write_big_schedule_audio(dir.path());
    auto file = dir.write("schedule.yaml", wardcast::test::big_schedule(n)).string();
    auto cache = (dir.path() / "cache").string();
    const std::vector<std::string> year = {WARDCASTCTL,  "simulate", file,        "--from",
                                           "2027-01-01", "--to",     "2028-01-01"};
    auto with = [](std::vector<std::string> argv, const char* extra) {
        argv.push_back(extra);
        return argv;
    };

    std::printf("schedule: %d announcements, 40 zones, 26 audio files (%s); medians of %d runs\n",
                n, file.c_str(), runs);
    print("validate, cold cache (probes audio)", median({WARDCASTCTL, "validate", file}, cache, 1),
          "(one run: the cache fills)");
    print("validate, audio cached", median({WARDCASTCTL, "validate", file}, cache, runs),
          "target <= 0.2 s");
    print("simulate one day (load + audio lengths)",
          median({WARDCASTCTL, "simulate", file, "--from", "2027-01-01", "--to", "2027-01-02",
                  "--json"},
                 cache, runs),
          "");
    print("simulate one year (2027) --json", median(with(year, "--json"), cache, runs),
          "target <= 0.5 s");
    print("simulate one year (2027), table", median(year, cache, runs), "target <= 0.8 s");
    if (const char* keep = std::getenv("WARDCAST_BENCH_KEEP")) {
        std::filesystem::copy(dir.path(), keep,
                              std::filesystem::copy_options::recursive |
                                  std::filesystem::copy_options::overwrite_existing);
        std::printf("schedule kept in %s\n", keep);
    }
    return 0;
}
