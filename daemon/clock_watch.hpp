#pragma once
// Notices when the wall clock is set (NTP step, an operator running `date -s`).

#include <utility>  // before Asio: asio#944 with GCC 12
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <chrono>
#include <cstdint>
#include <functional>

namespace wardcast::daemon {

/// Calls `on_step` on the event loop each time CLOCK_REALTIME is set discontinuously and moved,
/// with how far it moved. Uses a timerfd armed far in the future with TFD_TIMER_CANCEL_ON_SET:
/// no polling. A set that leaves the clock where it was (less than `negligible_step` from it,
/// against the monotonic clock) is only counted: nothing planned on the wall clock needs
/// planning again, and re-planning would drop the broadcasts prepared for the next instants.
class ClockWatch {
  public:
    using Step = std::function<void(std::chrono::nanoseconds moved)>;
    static constexpr std::chrono::milliseconds negligible_step{1};

    /// Throws std::system_error when the timerfd cannot be made.
    ClockWatch(boost::asio::io_context& io, Step on_step);
    ~ClockWatch();
    ClockWatch(const ClockWatch&) = delete;
    ClockWatch& operator=(const ClockWatch&) = delete;

    /// How many sets it has seen, those that did not move the clock included.
    std::uint64_t sets_seen() const { return sets_seen_; }

    /// CLOCK_REALTIME minus CLOCK_MONOTONIC now: what a set changes, and a slew only slowly.
    static std::chrono::nanoseconds wall_minus_monotonic();

  private:
    void arm();
    void wait();

    boost::asio::posix::stream_descriptor fd_;  // owns the timerfd
    Step on_step_;
    std::chrono::nanoseconds offset_{};  // wall_minus_monotonic() when last armed
    std::uint64_t sets_seen_ = 0;
};

}  // namespace wardcast::daemon
