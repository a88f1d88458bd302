#pragma once
// The scheduler's clock and timers, injected: the daemon's run on the event loop and the wall
// clock; tests give a clock they step (tests/daemon/manual_time.hpp), so that hours of
// schedule run in milliseconds without sleeping.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "daemon/log_names.hpp"

namespace boost::asio {
class io_context;
}

namespace wardcast::daemon {

/// One pending call at a wall-clock instant. Setting it again replaces what was set.
class Alarm {
  public:
    virtual ~Alarm() = default;
    /// Calls `what` once, on the event loop, when the wall clock reaches `when` (soon when it
    /// has already). Replaces the call set before, if it has not happened yet.
    virtual void set(Instant when, std::function<void()> what) = 0;
    /// The call set is not made.
    virtual void cancel() = 0;
};

/// The wall clock and alarms on it.
class TimeSource {
  public:
    virtual ~TimeSource() = default;
    /// The wall clock, in whole milliseconds.
    virtual Instant now() = 0;
    /// A new alarm, not set. It must not outlive this time source.
    virtual std::unique_ptr<Alarm> alarm() = 0;
};

/// Reads the wall clock.
using WallClock = std::function<Instant()>;

/// The daemon's: `clock` (the system's wall clock) and steady timers on `io`. An alarm waits on
/// the monotonic clock and, if the wall clock was slewed meanwhile, waits the rest; it takes
/// the part of the current millisecond already gone into account, so that a call is not up to
/// 1 ms late.
class AsioTime : public TimeSource {
  public:
    AsioTime(boost::asio::io_context& io, WallClock clock);
    Instant now() override { return clock_(); }
    std::unique_ptr<Alarm> alarm() override;

  private:
    boost::asio::io_context& io_;
    WallClock clock_;
};

}  // namespace wardcast::daemon
