#include "daemon/systemd_notify.hpp"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace wardcast::daemon {

SystemdNotify::SystemdNotify(boost::asio::io_context& io)
    : watchdog_timer_(io), enabled_(std::getenv("NOTIFY_SOCKET") != nullptr) {}

void SystemdNotify::send(const char* state) noexcept {
    // unset_environment 0: the variables stay for the next message (and the watchdog).
    int r = sd_notify(0, state);
    if (r < 0) spdlog::debug("sd_notify: {}", std::strerror(-r));
}

void SystemdNotify::ready() noexcept { send("READY=1"); }

void SystemdNotify::reloading() noexcept {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    const auto usec = static_cast<unsigned long long>(now.tv_sec) * 1000000u +
                      static_cast<unsigned long long>(now.tv_nsec) / 1000u;
    char state[128];
    std::snprintf(state, sizeof state, "RELOADING=1\nMONOTONIC_USEC=%llu", usec);
    // The watchdog goes on as usual: a reload reads and measures on a thread of its own, the
    // event loop keeps pinging.
    send(state);
}

void SystemdNotify::stopping() noexcept {
    stopping_ = true;
    boost::system::error_code ignored;
    watchdog_timer_.cancel(ignored);
    send("STOPPING=1");
}

void SystemdNotify::status(std::string_view text) noexcept {
    if (stopping_) return;
    try {
        std::string line(text.substr(0, max_status));
        // Never split a UTF-8 sequence (Vietnamese titles): drop a cut-off last character.
        if (text.size() > max_status) {
            std::size_t start = line.size();
            while (start > 0 && (static_cast<unsigned char>(line[start - 1]) & 0xC0) == 0x80)
                --start;
            if (start > 0) {
                const auto lead = static_cast<unsigned char>(line[start - 1]);
                const std::size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
                if (line.size() - (start - 1) < want) line.resize(start - 1);
            }
        }
        for (char& c : line)
            if (c == '\n' || c == '\r') c = ' ';
        if (line == last_status_) return;
        last_status_ = line;
        send(("STATUS=" + line).c_str());
    } catch (const std::bad_alloc&) {
        // Out of memory: the status is not worth more trouble.
    }
}

void SystemdNotify::start_watchdog() {
    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return;
    watchdog_ = std::chrono::microseconds(usec);
    spdlog::info("systemd watchdog: {} ms; pinging every {} ms", usec / 1000, usec / 2000);
    ping();
}

void SystemdNotify::ping() {
    if (stopping_) return;
    send("WATCHDOG=1");
    watchdog_timer_.expires_after(watchdog_ / 2);
    watchdog_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) ping();
    });
}

}  // namespace wardcast::daemon
