// On-time starts (audio/start_timing.hpp): what the daemon decides from its permissions, what
// it reports when the kernel refuses, that a raised thread goes back to normal scheduling
// without CAP_SYS_NICE, and that the player's output threads are realtime only while a
// broadcast runs.

#include "audio/start_timing.hpp"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <optional>
#include <string>

#include "audio/gst_player.hpp"
#include "tests/e2e/fixtures.hpp"
#include "tests/skip.hpp"

using namespace wardcast::audio;
using std::chrono::milliseconds;

namespace {

constexpr std::uint64_t mib = 1u << 20;

// Threads of this process now running SCHED_FIFO or SCHED_RR.
int realtime_threads() {
    int n = 0;
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
        const int policy = sched_getscheduler(std::stoi(task.path().filename().string()));
        if (policy < 0) continue;  // the thread has just ended
        const int base = policy & ~SCHED_RESET_ON_FORK;
        if (base == SCHED_FIFO || base == SCHED_RR) ++n;
    }
    return n;
}

// RLIMIT_RTPRIO's soft limit set to `value`, the hard one raised to it if lower (which needs
// privilege); false if refused.
bool set_rtprio(rlim_t value) {
    rlimit limit{};
    getrlimit(RLIMIT_RTPRIO, &limit);
    limit.rlim_cur = value;
    limit.rlim_max = std::max(limit.rlim_max, value);
    return setrlimit(RLIMIT_RTPRIO, &limit) == 0;
}

// CAP_SYS_NICE taken out of the calling thread's effective set (root keeps the others).
void drop_cap_sys_nice() {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct caps[2]{};
    if (syscall(SYS_capget, &header, caps) != 0) return;
    caps[CAP_SYS_NICE / 32].effective &= ~(1u << (CAP_SYS_NICE % 32));
    syscall(SYS_capset, &header, caps);
}

// What `body` returns, run in a child process.
template <class Body>
std::string in_child(Body body) {
    int out[2];
    REQUIRE(pipe(out) == 0);
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        close(out[0]);
        const std::string text = body();
        (void)!write(out[1], text.data(), text.size());
        _exit(0);
    }
    close(out[1]);
    std::string text;
    char buf[512];
    for (ssize_t got; (got = read(out[0], buf, sizeof buf)) > 0;) text.append(buf, got);
    close(out[0]);
    waitpid(pid, nullptr, 0);
    return text;
}

// The calling thread's policy: "other", or "fifo PRIORITY".
std::string policy_name() {
    const int policy = sched_getscheduler(0) & ~SCHED_RESET_ON_FORK;
    if (policy == SCHED_OTHER) return "other";
    sched_param param{};
    sched_getparam(0, &param);
    return (policy == SCHED_FIFO ? "fifo " : "policy " + std::to_string(policy) + " ") +
           std::to_string(param.sched_priority);
}

// For one test, where this process can set it, the process as the unit runs the daemon:
// RLIMIT_RTPRIO 10 and no CAP_SYS_NICE in this thread's effective set (threads started from
// here inherit that). Undone at the end.
class LikeTheUnit {
  public:
    LikeTheUnit() {
        getrlimit(RLIMIT_RTPRIO, &saved_limit_);
        if (syscall(SYS_capget, &header_, saved_caps_) != 0) return;
        if (!set_rtprio(output_thread_priority)) return;
        drop_cap_sys_nice();
        changed_ = true;
    }
    ~LikeTheUnit() {
        if (!changed_) return;
        syscall(SYS_capset, &header_, saved_caps_);
        setrlimit(RLIMIT_RTPRIO, &saved_limit_);
    }
    LikeTheUnit(const LikeTheUnit&) = delete;
    LikeTheUnit& operator=(const LikeTheUnit&) = delete;

  private:
    rlimit saved_limit_{};
    __user_cap_header_struct header_{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct saved_caps_[2]{};
    bool changed_ = false;
};

}  // namespace

TEST_CASE("Start timing: realtime and locked memory wherever the process may have them",
          "[start-timing]") {
    StartTimingFacts root;
    root.cap_sys_nice = root.cap_ipc_lock = true;
    root.rtprio = 0;
    root.memlock = 8 * mib;
    auto p = plan_start_timing(root);
    CHECK(p.priority == output_thread_priority);
    CHECK(p.lock_memory);

    StartTimingFacts service;  // a unit with LimitRTPRIO=10 and LimitMEMLOCK=infinity
    service.rtprio = 10;
    p = plan_start_timing(service);
    CHECK(p.priority == 10);
    CHECK(p.lock_memory);

    service.rtprio = 3;  // below the wanted priority: as high as allowed
    CHECK(plan_start_timing(service).priority == 3);
    service.rtprio = 99;
    CHECK(plan_start_timing(service).priority == output_thread_priority);
}

TEST_CASE("Start timing: what is not permitted is not tried, and the reason is given",
          "[start-timing]") {
    StartTimingFacts plain;  // systemd's defaults for a service
    plain.rtprio = 0;
    plain.memlock = 8 * mib;
    const auto p = plan_start_timing(plain);
    CHECK(p.priority == 0);
    CHECK(p.no_realtime == "RLIMIT_RTPRIO is 0 and there is no CAP_SYS_NICE");
    CHECK_FALSE(p.lock_memory);
    CHECK(p.no_lock == "RLIMIT_MEMLOCK is 8 MiB, not unlimited, and there is no CAP_IPC_LOCK");

    const auto t = apply_start_timing(p);
    CHECK(t.output_priority == 0);
    CHECK_FALSE(t.memory_locked);
    CHECK(t.summary ==
          "start timing: no realtime scheduling for the output threads (RLIMIT_RTPRIO is 0 and "
          "there is no CAP_SYS_NICE); memory not locked (RLIMIT_MEMLOCK is 8 MiB, not unlimited, "
          "and there is no CAP_IPC_LOCK); starts may be late by a millisecond or more on a busy "
          "machine (LimitRTPRIO=, RestrictRealtime=no and LimitMEMLOCK=infinity allow both, see "
          "docs/systemd.md)");

    StartTimingFacts sanitized;
    sanitized.cap_ipc_lock = true;
    sanitized.sanitized = true;
    CHECK_FALSE(plan_start_timing(sanitized).lock_memory);
    CHECK(plan_start_timing(sanitized).no_lock == "built with AddressSanitizer");
}

TEST_CASE("Start timing: a refusal by the kernel is reported, not an error", "[start-timing]") {
    // As a service without LimitRTPRIO=: the limit 0, no CAP_SYS_NICE.
    const std::string summary = in_child([] {
        if (!set_rtprio(0)) return std::string();
        drop_cap_sys_nice();
        StartTimingPlan plan;  // told to try the priority anyway
        plan.priority = output_thread_priority;
        plan.no_lock = "not asked";
        return apply_start_timing(plan).summary;
    });
    CHECK(summary.rfind("start timing: no realtime scheduling for the output threads "
                        "(SCHED_FIFO: Operation not permitted); memory not locked (not asked)",
                        0) == 0);
}

TEST_CASE("Start timing: an output thread goes back to normal scheduling without CAP_SYS_NICE",
          "[start-timing]") {
    // Under the unit a thread is raised with LimitRTPRIO= alone, and the kernel refuses such a
    // thread to clear SCHED_RESET_ON_FORK: lowering must not try to. Where the limit cannot be
    // set, the thread is raised with CAP_SYS_NICE and lowered without it: the same refusal.
    const std::string steps = in_child([] {
        const bool limit = set_rtprio(output_thread_priority);
        if (limit) drop_cap_sys_nice();
        if (raise_this_thread(output_thread_priority) != 0) return std::string();
        if (!limit) drop_cap_sys_nice();
        std::string s = policy_name();
        for (const char* step : {"; lower ", "; lower again "}) {
            const int refused = lower_this_thread();  // before policy_name(): sequenced
            s += step + std::to_string(refused) + ", " + policy_name();
        }
        return s;
    });
    if (steps.empty()) WARDCAST_SKIP("no realtime scheduling is permitted here");
    CHECK(steps == "fifo 10; lower 0, other; lower again 0, other");
}

TEST_CASE("The player's output threads are realtime while on air, and only then",
          "[start-timing][player]") {
    const LikeTheUnit unit;
    // As the daemon decides, without locking this test's memory.
    StartTimingPlan plan = plan_start_timing(this_process_facts());
    plan.lock_memory = false;
    const StartTiming timing = apply_start_timing(plan);
    wardcast::test::TempDir dir;
    wardcast::test::write_tone_wav(dir.path() / "tone.wav", 300);
    boost::asio::io_context io;
    auto work = boost::asio::make_work_guard(io);
    GstPlayer player(io);
    player.set_output_priority(timing.output_priority);
    const int before = realtime_threads();

    BroadcastRequest r;
    r.label = "rt";
    r.scheduled = WallTime(milliseconds(1796079600000));
    r.items = {dir.path() / "tone.wav"};
    r.normalize = false;
    r.zones = {{"a", "null", 1.0}};
    std::optional<int> on_air;
    std::optional<BroadcastOutcome> outcome;
    const auto id = player.prepare(
        r, [&](Player::Id, WallTime) { on_air = realtime_threads(); },
        [&](Player::Id, const BroadcastOutcome& o) { outcome = o; });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    auto run_until = [&](auto done) {
        while (!done() && std::chrono::steady_clock::now() < deadline) io.run_for(milliseconds(10));
        return done();
    };
    REQUIRE(run_until([&] { return player.prerolled(id); }));
    player.start(id);
    REQUIRE(run_until([&] { return outcome.has_value(); }));
    CHECK(outcome->status == BroadcastOutcome::Status::played);
    REQUIRE(on_air);
    INFO(timing.summary);
    if (timing.output_priority > 0)
        CHECK(*on_air > before);  // the zone's queue thread
    else
        CHECK(*on_air == before);
    // Back to normal before they return to GStreamer's thread pool.
    CHECK(realtime_threads() == before);
}
