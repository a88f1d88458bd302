#include "daemon/clock_watch.hpp"

#include <sys/timerfd.h>
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

ClockWatch::ClockWatch(boost::asio::io_context& io, std::function<void()> on_step)
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
                       bool stepped = n < 0 && errno == ECANCELED;
                       arm();  // re-arming clears the cancelled state
                       if (stepped) on_step_();
                       wait();
                   });
}

}  // namespace wardcast::daemon
