// wardcastd says at start-up what it does for on-time starts (realtime output threads, locked
// memory) and, for what it may not do, why and which unit settings would allow it; and that its
// output threads are realtime while a broadcast plays and none is after (as under the unit,
// where this process can give the unit's limits).

#include <linux/capability.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <thread>

#include "audio/start_timing.hpp"
#include "tests/e2e/daemon_process.hpp"
#include "tests/e2e/fixtures.hpp"
#include "tests/skip.hpp"

using namespace wardcast::test;
using namespace std::chrono_literals;

namespace {

// The start-timing line of `log`, or "" if there is none.
std::string start_timing_line(const std::string& log) {
    const auto at = log.find("start timing: ");
    if (at == std::string::npos) return "";
    return log.substr(at, log.find('\n', at) - at);
}

bool starts_with(const std::string& text, const std::string& prefix) {
    return text.rfind(prefix, 0) == 0;
}

// Threads of process `pid` now running SCHED_FIFO or SCHED_RR.
int realtime_threads(pid_t pid) {
    int n = 0;
    std::error_code ec;
    for (const auto& task :
         std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
        const int policy = sched_getscheduler(std::stoi(task.path().filename().string()));
        if (policy < 0) continue;  // the thread has just ended
        const int base = policy & ~SCHED_RESET_ON_FORK;
        if (base == SCHED_FIFO || base == SCHED_RR) ++n;
    }
    return n;
}

// This process's soft limit of `resource` set to `value` while it lives.
class Limit {
  public:
    Limit(int resource, rlim_t value) : resource_(resource) {
        getrlimit(resource_, &saved_);
        // The hard limit only raised (which needs privilege), never lowered: it could not be
        // raised back without.
        const rlimit wanted{value, std::max(value, saved_.rlim_max)};
        set_ = setrlimit(resource_, &wanted) == 0;
    }
    ~Limit() {
        if (set_) setrlimit(resource_, &saved_);
    }
    Limit(const Limit&) = delete;
    Limit& operator=(const Limit&) = delete;
    bool set() const { return set_; }

  private:
    int resource_;
    rlimit saved_{};
    bool set_ = false;
};

// A one-zone schedule in `dir` airing `ms` of tone as `id` at `at`; a daemon on it (started
// by whoever calls, so that it inherits that thread's capabilities).
std::filesystem::path one_tone_schedule(const TempDir& dir, const std::string& id, int ms,
                                        const std::string& at) {
    write_tone_wav(dir.path() / (id + ".wav"), ms);
    return dir.write("schedule.yaml",
                     "station: { timezone: UTC }\nzones: [{ id: a, output: \"null\" }]\n"
                     "announcements:\n  - id: " +
                         id + "\n    zones: [a]\n    audio: " + id + ".wav\n" + at);
}

std::unique_ptr<Daemon> start_daemon(const TempDir& dir, const std::filesystem::path& schedule) {
    return std::make_unique<Daemon>(
        std::vector<std::string>{"--schedule", schedule.string(), "--db",
                                 (dir.path() / "broadcasts.db").string()},
        dir.path() / "wardcastd.log",
        std::map<std::string, std::string>{{"WARDCAST_CACHE", (dir.path() / "cache").string()}});
}

}  // namespace

TEST_CASE("wardcastd logs what it does for on-time starts, and what it may not do",
          "[e2e][daemon][start-timing]") {
    TempDir dir;
    const auto schedule = one_tone_schedule(dir, "later", 1000, when(whole_second_after(3600s)));
    const auto daemon = start_daemon(dir, schedule);
    Daemon& d = *daemon;
    INFO(d.output());
    REQUIRE(d.wait_for_output("listening on", startup_margin + 15s));
    const std::string line = start_timing_line(d.output());
    INFO(line);
    REQUIRE_FALSE(line.empty());

    // The daemon runs as this test does (user, capabilities, limits): the same plan.
    const auto plan = wardcast::audio::plan_start_timing(wardcast::audio::this_process_facts());
    if (plan.priority > 0) {
        CHECK((starts_with(line, "start timing: output threads run SCHED_FIFO priority " +
                                     std::to_string(plan.priority) + ";") ||
               starts_with(
                   line,
                   "start timing: no realtime scheduling for the output threads (SCHED_FIFO: ")));
    } else {
        CHECK(starts_with(line, "start timing: no realtime scheduling for the output threads (" +
                                    plan.no_realtime + ");"));
    }
    if (plan.lock_memory) {
        CHECK((line.find("; memory locked") != std::string::npos ||
               line.find("; memory not locked (mlockall: ") != std::string::npos));
    } else {
        CHECK(line.find("; memory not locked (" + plan.no_lock + ")") != std::string::npos);
    }
    // Whatever was refused, the line says what would allow it, and the daemon runs on.
    if (line.find("no realtime") != std::string::npos ||
        line.find("not locked") != std::string::npos) {
        CHECK(line.find("LimitRTPRIO=, RestrictRealtime=no and LimitMEMLOCK=infinity") !=
              std::string::npos);
    }
    CHECK_FALSE(d.exited());
    CHECK(d.stop(SIGTERM) == 0);
}

TEST_CASE("wardcastd's output threads are realtime while on air and none is after",
          "[e2e][daemon][start-timing]") {
    TempDir dir;
    const auto schedule =
        one_tone_schedule(dir, "tone", 2000, when(whole_second_after(startup_margin)));
    const auto start = [&] { return start_daemon(dir, schedule); };
    // Where this process can give it the unit's LimitRTPRIO=10 and LimitMEMLOCK=infinity, the
    // daemon runs as under the unit, without any capability: even as root, CAP_SYS_NICE and
    // CAP_IPC_LOCK are dropped from the bounding set of a thread that starts it (the daemon
    // inherits that set; the thread ends, this process keeps its own). Otherwise it runs as
    // this process does, which must permit realtime scheduling somehow.
    std::unique_ptr<Daemon> d;
    {
        const Limit rtprio(RLIMIT_RTPRIO, 10);
        const Limit memlock(RLIMIT_MEMLOCK, RLIM_INFINITY);
        if (rtprio.set() && memlock.set()) {
            std::thread([&] {
                prctl(PR_CAPBSET_DROP, CAP_SYS_NICE, 0, 0, 0);
                prctl(PR_CAPBSET_DROP, CAP_IPC_LOCK, 0, 0, 0);
                d = start();
            }).join();
        } else if (wardcast::audio::plan_start_timing(wardcast::audio::this_process_facts())
                       .priority > 0) {
            WARN("run with this process's own permissions: it cannot set the unit's limits");
            d = start();
        } else {
            WARDCAST_SKIP("neither the unit's limits nor CAP_SYS_NICE can be given here");
        }
    }
    INFO(d->output());
    REQUIRE(d->wait_for_output("listening on", startup_margin + 15s));
    REQUIRE(starts_with(start_timing_line(d->output()),
                        "start timing: output threads run SCHED_FIFO priority 10;"));

    REQUIRE(d->wait_for_output("on air: tone", startup_margin + 15s));
    CHECK(realtime_threads(d->pid()) >= 1);  // the zone's queue thread, 2 s of tone to go
    REQUIRE(d->wait_for_output("played tone", 15s));
    // Torn down before "played": its threads went back to GStreamer's pool, as normal threads.
    CHECK(realtime_threads(d->pid()) == 0);
    CHECK(d->stop(SIGTERM) == 0);
}
