#pragma once
// Runs a command the benchmarks time, with its output discarded: wall and CPU time and the
// child's peak RSS (bench_schedule, bench_log).

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "tests/e2e/spawn.hpp"

namespace wardcast::bench {

struct Measure {
    double seconds;
    double cpu_seconds;  // user + system: wall time on a busy machine says little
    long peak_kib;
    int exit_code;
};

/// `argv` (argv[0] a path) with `env` added to its environment, run to completion.
inline Measure measure(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {}) {
    const wardcast::test::ExecImage image(argv, env);
    const int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    const auto start = std::chrono::steady_clock::now();
    const pid_t pid = fork();
    if (pid == 0) {
        dup2(null, 1);
        dup2(null, 2);
        image.exec();
        _exit(127);
    }
    close(null);
    int status = 0;
    rusage usage{};
    wait4(pid, &status, 0, &usage);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    auto secs = [](timeval t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    return {s, secs(usage.ru_utime) + secs(usage.ru_stime), usage.ru_maxrss,
            WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

}  // namespace wardcast::bench
