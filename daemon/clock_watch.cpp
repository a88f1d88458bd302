#include "daemon/clock_watch.hpp"

#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

namespace wardcast::daemon {

namespace {
int make_timerfd() {
    int fd = ::timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "timerfd_create");
    return fd;
}
}  // namespace

std::chrono::nanoseconds ClockWatch::wall_minus_monotonic() {
    // The monotonic clock read on both sides of the wall clock: the offset to well under a
    // microsecond however the thread is scheduled between the reads.
    timespec before{}, wall{}, after{};
    ::clock_gettime(CLOCK_MONOTONIC, &before);
    ::clock_gettime(CLOCK_REALTIME, &wall);
    ::clock_gettime(CLOCK_MONOTONIC, &after);
    auto ns = [](const timespec& t) {
        return std::chrono::nanoseconds(static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 +
                                        t.tv_nsec);
    };
    return ns(wall) - (ns(before) + (ns(after) - ns(before)) / 2);
}

ClockWatch::ClockWatch(boost::asio::io_context& io, Step on_step)
    : fd_(io, make_timerfd()), on_step_(std::move(on_step)) {
    arm();
    wait();
}

ClockWatch::~ClockWatch() {
    boost::system::error_code ignored;
    fd_.cancel(ignored);
    fd_.close(ignored);
}

void ClockWatch::arm() {
    // An absolute expiry far away; only a clock change (ECANCELED on read) ever wakes us.
    offset_ = wall_minus_monotonic();
    itimerspec spec{};
    spec.it_value.tv_sec = INT32_MAX;
    if (::timerfd_settime(fd_.native_handle(), TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &spec,
                          nullptr) != 0)
        throw std::system_error(errno, std::generic_category(), "timerfd_settime");
}

void ClockWatch::wait() {
    fd_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                   [this](const boost::system::error_code& ec) {
                       if (ec) return;  // cancelled: shutting down
                       std::uint64_t expirations = 0;
                       ssize_t n = ::read(fd_.native_handle(), &expirations, sizeof expirations);
                       const bool stepped = n < 0 && errno == ECANCELED;
                       const auto before = offset_;
                       arm();  // re-arming clears the cancelled state (and takes the offset)
                       if (stepped) {
                           ++sets_seen_;
                           const auto moved = offset_ - before;
                           if (std::chrono::abs(moved) >= negligible_step) on_step_(moved);
                       }
                       wait();
                   });
}

}  // namespace wardcast::daemon
