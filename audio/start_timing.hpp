#pragma once
// What the process may do so that a broadcast's first sample leaves on time, and doing it:
// realtime scheduling (SCHED_FIFO) for the threads that hand samples to the outputs, a 1 ns
// timer slack for them when that is refused, and locking the daemon's memory (mlockall) so
// that a start never waits for a page to come back from disk. Each is done only where the
// process is permitted; what was refused is reported, never an error (docs/systemd.md).

#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <thread>

namespace wardcast::audio {

/// The SCHED_FIFO priority wanted for the output threads: above every normal thread, below the
/// kernel's threaded interrupt handlers (50). The unit's LimitRTPRIO=10 allows it.
inline constexpr int output_thread_priority = 10;

/// What this process is allowed, as the kernel sees it.
struct StartTimingFacts {
    bool cap_sys_nice = false;             ///< may set any realtime priority
    bool cap_ipc_lock = false;             ///< may lock any amount of memory
    std::optional<std::uint64_t> rtprio;   ///< RLIMIT_RTPRIO (soft); none: unlimited
    std::optional<std::uint64_t> memlock;  ///< RLIMIT_MEMLOCK in bytes (soft); none: unlimited
    bool sanitized = false;                ///< built with AddressSanitizer (never lock memory)
};

/// What to try, decided from the facts alone.
struct StartTimingPlan {
    int priority = 0;         ///< SCHED_FIFO priority for the output threads; 0: none
    std::string no_realtime;  ///< priority 0: why
    bool lock_memory = false;
    std::string no_lock;  ///< !lock_memory: why
};

/// What was done: the player raises its output threads to `output_priority` (0: timer slack
/// only). `summary` is the line the daemon logs at start-up.
struct StartTiming {
    int output_priority = 0;
    bool memory_locked = false;
    std::string summary;
};

namespace start_timing_detail {

inline std::optional<std::uint64_t> soft_limit(int resource) {
    rlimit r{};
    if (getrlimit(resource, &r) != 0 || r.rlim_cur == RLIM_INFINITY) return std::nullopt;
    return static_cast<std::uint64_t>(r.rlim_cur);
}

inline std::string size_text(std::uint64_t bytes) {
    if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
    if (bytes >= 1024 && bytes % 1024 == 0) return std::to_string(bytes >> 10) + " KiB";
    return std::to_string(bytes) + " bytes";
}

}  // namespace start_timing_detail

/// This process's capabilities (effective) and limits.
inline StartTimingFacts this_process_facts() {
    StartTimingFacts f;
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);) {
        if (line.rfind("CapEff:", 0) != 0) continue;
        const std::uint64_t caps = std::stoull(line.substr(7), nullptr, 16);
        f.cap_ipc_lock = (caps >> 14) & 1;  // CAP_IPC_LOCK
        f.cap_sys_nice = (caps >> 23) & 1;  // CAP_SYS_NICE
    }
    f.rtprio = start_timing_detail::soft_limit(RLIMIT_RTPRIO);
    f.memlock = start_timing_detail::soft_limit(RLIMIT_MEMLOCK);
#if defined(__SANITIZE_ADDRESS__)
    f.sanitized = true;
#endif
    return f;
}

/// Decides from `f` what to try. Memory is locked only when the limit cannot be reached
/// (CAP_IPC_LOCK or RLIMIT_MEMLOCK unlimited): with mlockall(MCL_FUTURE) a limit reached
/// makes every later allocation of address space fail.
inline StartTimingPlan plan_start_timing(const StartTimingFacts& f) {
    StartTimingPlan p;
    if (f.cap_sys_nice || !f.rtprio) {
        p.priority = output_thread_priority;
    } else if (*f.rtprio > 0) {
        p.priority = static_cast<int>(std::min<std::uint64_t>(*f.rtprio, output_thread_priority));
    } else {
        p.no_realtime = "RLIMIT_RTPRIO is 0 and there is no CAP_SYS_NICE";
    }
    if (f.sanitized) {
        p.no_lock = "built with AddressSanitizer";
    } else if (f.cap_ipc_lock || !f.memlock) {
        p.lock_memory = true;
    } else {
        p.no_lock = "RLIMIT_MEMLOCK is " + start_timing_detail::size_text(*f.memlock) +
                    ", not unlimited, and there is no CAP_IPC_LOCK";
    }
    return p;
}

/// On the calling thread: SCHED_FIFO at `priority` (threads it creates start as normal
/// threads), and a 1 ns timer slack either way. Returns 0 or the errno of the refusal.
inline int raise_this_thread(int priority) {
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    if (priority <= 0) return 0;
    sched_param param{};
    param.sched_priority = priority;
    return sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &param) == 0 ? 0 : errno;
}

/// Undoes raise_this_thread (a thread going back to a pool): normal scheduling (its nice value
/// kept), default timer slack. Returns 0 or the errno of the refusal.
inline int lower_this_thread() {
    prctl(PR_SET_TIMERSLACK, 0UL, 0UL, 0UL, 0UL);  // 0: back to the thread's default
    const int policy = sched_getscheduler(0);
    if (policy < 0) return errno;
    const int base = policy & ~SCHED_RESET_ON_FORK;
    if (base != SCHED_FIFO && base != SCHED_RR) return 0;
    // SCHED_RESET_ON_FORK stays: without CAP_SYS_NICE the kernel refuses to clear it (sched(7)),
    // and would refuse the whole change, leaving a realtime thread in GStreamer's pool.
    sched_param param{};
    return sched_setscheduler(0, SCHED_OTHER | SCHED_RESET_ON_FORK, &param) == 0 ? 0 : errno;
}

/// Carries out `p`: locks memory (mlockall, pages locked as they are first used, so the
/// resident size does not grow) and tries the realtime priority on a short-lived thread, as
/// a seccomp filter (systemd's RestrictRealtime=) or a control group without a realtime
/// budget can refuse what the limits allow.
inline StartTiming apply_start_timing(const StartTimingPlan& p) {
    StartTiming t;
    std::string realtime, memory;
    if (p.priority > 0) {
        int refused = 0;
        std::thread probe([&] { refused = raise_this_thread(p.priority); });
        probe.join();
        if (refused == 0) {
            t.output_priority = p.priority;
            realtime = "output threads run SCHED_FIFO priority " + std::to_string(p.priority);
        } else {
            realtime = "no realtime scheduling for the output threads (SCHED_FIFO: " +
                       std::string(std::strerror(refused)) + ")";
        }
    } else {
        realtime = "no realtime scheduling for the output threads (" + p.no_realtime + ")";
    }
    if (p.lock_memory) {
        if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) == 0) {
            t.memory_locked = true;
            memory = "memory locked";
        } else {
            memory = "memory not locked (mlockall: " + std::string(std::strerror(errno)) + ")";
        }
    } else {
        memory = "memory not locked (" + p.no_lock + ")";
    }
    t.summary = "start timing: " + realtime + "; " + memory;
    if (t.output_priority == 0 || !t.memory_locked)
        t.summary +=
            "; starts may be late by a millisecond or more on a busy machine "
            "(LimitRTPRIO=, RestrictRealtime=no and LimitMEMLOCK=infinity allow both, "
            "see docs/systemd.md)";
    return t;
}

}  // namespace wardcast::audio
