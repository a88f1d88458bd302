#pragma once
// Notices when the wall clock is set (NTP step, an operator running `date -s`).

#include <utility>  // before Asio: asio#944 with GCC 12
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <functional>

namespace wardcast::daemon {

/// Calls `on_step` on the event loop each time CLOCK_REALTIME is set discontinuously. Uses a
/// timerfd armed far in the future with TFD_TIMER_CANCEL_ON_SET: no polling.
class ClockWatch {
public:
    /// Throws std::system_error when the timerfd cannot be made.
    ClockWatch(boost::asio::io_context& io, std::function<void()> on_step);
    ~ClockWatch();
    ClockWatch(const ClockWatch&) = delete;
    ClockWatch& operator=(const ClockWatch&) = delete;

private:
    void arm();
    void wait();

    boost::asio::posix::stream_descriptor fd_;  // owns the timerfd
    std::function<void()> on_step_;
};

}  // namespace wardcast::daemon
