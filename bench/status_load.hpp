// Clients that ask a control socket for `status` as fast as they can, each on its own
// connection; used by bench_control (throughput) and bench_daemon (lateness under that load).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "ctl/client.hpp"

namespace wardcast::bench {

struct LoadFigures {
    std::size_t requests = 0;
    std::size_t busy = 0;      // connections refused (limit reached)
    std::size_t failures = 0;  // anything else that went wrong
    std::vector<std::uint32_t> latencies_us;

    void add(const LoadFigures& other) {
        requests += other.requests;
        busy += other.busy;
        failures += other.failures;
        latencies_us.insert(latencies_us.end(), other.latencies_us.begin(), other.latencies_us.end());
    }
};

/// One client: connects, asks `status` until `stop`, reconnects when refused.
inline LoadFigures hammer_status(const std::string& socket, const std::atomic<bool>& stop) {
    using Clock = std::chrono::steady_clock;
    LoadFigures f;
    f.latencies_us.reserve(1 << 16);
    while (!stop) {
        try {
            wardcast::ctl::Client client({socket});
            while (!stop) {
                auto start = Clock::now();
                auto reply = client.request("status", nlohmann::json::object(), std::chrono::seconds(10));
                auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
                if (!reply.value("ok", false)) {
                    bool busy = reply["error"].value("code", std::string()) == "busy";
                    ++(busy ? f.busy : f.failures);
                    std::this_thread::sleep_for(std::chrono::milliseconds(10));
                    break;  // refused connections are closed by the server: connect again
                }
                ++f.requests;
                f.latencies_us.push_back(static_cast<std::uint32_t>(us.count()));
            }
        } catch (const std::exception&) {
            ++f.failures;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    return f;
}

/// `clients` threads hammering `socket` from construction until finish() (or destruction).
class StatusLoad {
public:
    StatusLoad(std::string socket, std::size_t clients) : socket_(std::move(socket)), results_(clients) {
        for (std::size_t i = 0; i < clients; ++i)
            threads_.emplace_back([this, i] { results_[i] = hammer_status(socket_, stop_); });
    }
    ~StatusLoad() { finish(); }
    StatusLoad(const StatusLoad&) = delete;
    StatusLoad& operator=(const StatusLoad&) = delete;

    /// Stops every client and returns what they saw together (latencies sorted).
    LoadFigures finish() {
        stop_ = true;
        for (auto& t : threads_)
            if (t.joinable()) t.join();
        LoadFigures all;
        for (auto& r : results_) all.add(r);
        std::sort(all.latencies_us.begin(), all.latencies_us.end());
        return all;
    }

private:
    std::string socket_;
    std::atomic<bool> stop_{false};
    std::vector<LoadFigures> results_;
    std::vector<std::thread> threads_;
};

}  // namespace wardcast::bench
