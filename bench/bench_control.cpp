// Control socket throughput: `status` requests per second and their latency, with 1 and with
// 50 clients at once, each on its own connection asking as fast as it can. Prints figures;
// never fails on time.
//
//   bench_control                      an in-process server with a fake Controller
//   bench_control --socket PATH        a running wardcastd (its connection limit applies:
//                                      refused clients retry and are counted as busy)
//   bench_control --seconds 5 --clients 1,10,50

// clang-format off
#include <utility>  // before Asio: asio#944 with GCC 12
// clang-format on
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench/status_load.hpp"
#include "daemon/control_server.hpp"
#include "tests/daemon/fake_controller.hpp"

namespace {

using Clock = std::chrono::steady_clock;

void run(const std::string& socket, std::size_t clients, double seconds) {
    auto start = Clock::now();
    wardcast::bench::StatusLoad load(socket, clients);
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    auto all = load.finish();
    double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    auto at = [&](double q) -> unsigned {
        if (all.latencies_us.empty()) return 0;
        return all.latencies_us[std::min(all.latencies_us.size() - 1,
                                         static_cast<std::size_t>(q * all.latencies_us.size()))];
    };
    std::printf("%7zu %12.0f %8u %8u %9u %6zu %8zu\n", clients, all.requests / elapsed, at(0.5),
                at(0.99), all.latencies_us.empty() ? 0u : all.latencies_us.back(), all.busy,
                all.failures);
}

std::vector<std::size_t> parse_counts(const char* text) {
    std::vector<std::size_t> counts;
    for (const char* p = text; *p;) {
        char* end = nullptr;
        auto n = std::strtoul(p, &end, 10);
        if (end == p) break;
        if (n > 0) counts.push_back(n);
        p = *end == ',' ? end + 1 : end;
    }
    return counts;
}

}  // namespace

int main(int argc, char** argv) {
    std::string socket;
    double seconds = 3;
    std::vector<std::size_t> counts{1, 50};
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--socket"))
            socket = argv[i + 1];
        else if (!std::strcmp(argv[i], "--seconds"))
            seconds = std::atof(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--clients"))
            counts = parse_counts(argv[i + 1]);
    }
    spdlog::set_level(spdlog::level::warn);

    wardcast::test::FakeController controller;
    boost::asio::io_context io;
    std::unique_ptr<wardcast::daemon::ControlServer> server;
    std::thread loop;
    char dir[] = "/tmp/wardcast-bench-XXXXXX";
    bool in_process = socket.empty();
    if (in_process) {
        if (!::mkdtemp(dir)) return 1;
        socket = std::string(dir) + "/control.sock";
        wardcast::daemon::ControlServerOptions options;
        options.socket_path = socket;
        options.max_connections = 64;  // room for 50 clients, unlike the daemon's 32
        server = std::make_unique<wardcast::daemon::ControlServer>(io, controller, options);
        loop = std::thread([&] { io.run(); });
    }

    std::printf("status requests over %s (%s), %.0f s per row; latency in µs\n", socket.c_str(),
                in_process ? "in-process server, fake controller, one event-loop thread"
                           : "running wardcastd",
                seconds);
    std::printf("%7s %12s %8s %8s %9s %6s %8s\n", "clients", "requests/s", "p50", "p99", "max",
                "busy", "failures");
    for (auto n : counts) run(socket, n, seconds);

    if (in_process) {
        io.post([&] { server->stop(); });
        loop.join();
        server.reset();
        ::rmdir(dir);
    }
    return 0;
}
