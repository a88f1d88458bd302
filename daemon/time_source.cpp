#include "daemon/time_source.hpp"

// clang-format off
#include <utility>  // before Asio: asio#944 with GCC 12
// clang-format on
#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace wardcast::daemon {

namespace {

class AsioAlarm : public Alarm {
  public:
    AsioAlarm(boost::asio::io_context& io, const WallClock& clock) : timer_(io), clock_(clock) {}
    ~AsioAlarm() override { *alive_ = false; }

    void set(Instant when, std::function<void()> what) override {
        ++generation_;
        wait(when, std::make_shared<std::function<void()>>(std::move(what)));
    }

    void cancel() override {
        ++generation_;  // a wait already completed but not yet run must not call either
        timer_.cancel();
    }

  private:
    void wait(Instant when, std::shared_ptr<std::function<void()>> what) {
        // clock_() is whole milliseconds, truncated: without the part of the current
        // millisecond already gone, every call would be up to 1 ms late (0.5 ms on average).
        const auto precise = std::chrono::system_clock::now();
        const auto gone = precise - std::chrono::floor<std::chrono::milliseconds>(precise);
        timer_.expires_after(std::max(std::chrono::nanoseconds(0), when - clock_() - gone));
        timer_.async_wait([this, alive = alive_, generation = generation_, when,
                           what = std::move(what)](const boost::system::error_code& ec) {
            if (ec || !*alive || generation != generation_) return;
            // The timer runs on the monotonic clock; if the wall clock was slewed, wait the rest.
            if (clock_() < when - std::chrono::milliseconds(1)) return wait(when, what);
            (*what)();
        });
    }

    boost::asio::steady_timer timer_;
    const WallClock& clock_;
    std::uint64_t generation_ = 0;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace

AsioTime::AsioTime(boost::asio::io_context& io, WallClock clock)
    : io_(io), clock_(std::move(clock)) {}

std::unique_ptr<Alarm> AsioTime::alarm() { return std::make_unique<AsioAlarm>(io_, clock_); }

}  // namespace wardcast::daemon
