#pragma once
// wardcastd's side of systemd's notify protocol (sd_notify(3)): start-up, reload and stop
// states, a one-line STATUS=, and the watchdog pinged from the event loop itself.

// clang-format off
#include <utility>  // before Asio: asio#944 with GCC 12
// clang-format on
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <string>
#include <string_view>

namespace wardcast::daemon {

/// Tells the service manager what the daemon is doing. Every call is a no-op when
/// NOTIFY_SOCKET is unset (not started by systemd, or Type= is not notify); send errors are
/// ignored: systemd's bookkeeping must never stop a broadcast. Runs on `io`'s thread only.
class SystemdNotify {
  public:
    /// `io` (not owned) runs the watchdog timer; it outlives this object.
    explicit SystemdNotify(boost::asio::io_context& io);
    SystemdNotify(const SystemdNotify&) = delete;
    SystemdNotify& operator=(const SystemdNotify&) = delete;

    /// True when NOTIFY_SOCKET was set at construction: someone listens.
    bool enabled() const noexcept { return enabled_; }

    /// `READY=1`: start-up is complete, or a reload has ended (successfully or not).
    void ready() noexcept;

    /// `RELOADING=1` (with MONOTONIC_USEC=, which newer systemd wants): a reload begins;
    /// call ready() when it ends. The watchdog is not stretched: a reload does its slow work
    /// off the event loop, which keeps pinging.
    void reloading() noexcept;

    /// `STOPPING=1`: shutting down. Later status() calls are ignored and the watchdog stops.
    void stopping() noexcept;

    /// `STATUS=text`, shown by `systemctl status`. Line breaks become spaces and the text is
    /// cut to at most max_status bytes (on a UTF-8 boundary). Sent only when it changed.
    void status(std::string_view text) noexcept;
    static constexpr std::size_t max_status = 200;

    /// When systemd asked for a watchdog (sd_watchdog_enabled(): WATCHDOG_USEC set, and
    /// WATCHDOG_PID unset or ours), sends `WATCHDOG=1` now and then every half of its
    /// interval from a timer on `io`: if the event loop hangs, the pings stop and systemd
    /// acts. Does nothing otherwise. Call once, before running the loop.
    void start_watchdog();

    /// The watchdog interval systemd gave, or zero when there is no watchdog.
    std::chrono::microseconds watchdog_interval() const noexcept { return watchdog_; }

  private:
    void send(const char* state) noexcept;
    void ping();

    boost::asio::steady_timer watchdog_timer_;
    std::chrono::microseconds watchdog_{0};
    bool enabled_;
    std::string last_status_;
    bool stopping_ = false;
};

}  // namespace wardcast::daemon
