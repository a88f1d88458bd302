// The event loop's longest stall while abusive clients use the control socket: an in-process
// ControlServer with a fake Controller (1,000 firings with 200-byte titles, as the test "a
// client that leaves mid-reply does not disturb the server"), and a timer on the loop that
// ticks every 1 ms and records how late each tick ran. Prints figures; never fails on time.
//
//   bench_control_stall                  every pattern below, 3 runs each
//   bench_control_stall --runs 5 --clients 20 --pipeline 40 --n 1000
//   bench_control_stall --pattern "never read"      one pattern only
//
// Patterns:
//   one next       one client asks `next N` once and reads the reply (the cost of one reply)
//   leave          clients one after another pipeline P `next N` requests and close, every
//                  other one after reading a little (the test's pattern)
//   leave at once  the same clients all at once, from threads
//   never read     clients pipeline P requests and stay connected without reading for 1 s
// Columns: the longest and the 99th percentile lateness of a tick, how many `next` the
// controller was asked, and how long until the server had no connection left.

// clang-format off
#include <utility>  // before Asio: asio#944 with GCC 12
// clang-format on
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "daemon/command_table.hpp"
#include "daemon/control_server.hpp"
#include "tests/daemon/fake_controller.hpp"

namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct Settings {
    int runs = 3;
    int clients = 20;
    int pipeline = 40;
    int n = 1000;
};

/// A timer on the loop every 1 ms; each tick's lateness in µs. Shared: a tick that was due
/// when stop() ran still comes, and finds it stopped.
class Ticker : public std::enable_shared_from_this<Ticker> {
  public:
    explicit Ticker(asio::io_context& io) : timer_(io) {}
    void start() {
        timer_.expires_after(1ms);
        timer_.async_wait(
            [this, self = shared_from_this()](const boost::system::error_code& error) {
                if (error || stopped_) return;
                late_us_.push_back(
                    static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(
                                            Clock::now() - timer_.expiry())
                                            .count()));
                start();
            });
    }
    /// Call on the loop.
    std::vector<double> stop() {
        stopped_ = true;
        timer_.cancel();
        std::sort(late_us_.begin(), late_us_.end());
        return std::move(late_us_);
    }

  private:
    asio::steady_timer timer_;
    bool stopped_ = false;
    std::vector<double> late_us_;
};

/// A raw blocking client; never fails the benchmark (a refused or reset connection is fine).
class RawClient {
  public:
    explicit RawClient(const std::string& path) {
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
            ::close(fd_);
            fd_ = -1;
        }
    }
    ~RawClient() {
        if (fd_ >= 0) ::close(fd_);
    }
    RawClient(const RawClient&) = delete;
    RawClient& operator=(const RawClient&) = delete;

    void send(const std::string& data) {
        for (std::size_t sent = 0; fd_ >= 0 && sent < data.size();) {
            auto n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
            if (n <= 0) return;
            sent += static_cast<std::size_t>(n);
        }
    }
    /// Reads one chunk if any arrives within `timeout`; its size.
    std::size_t read_some(std::chrono::milliseconds timeout) {
        pollfd p{fd_, POLLIN, 0};
        if (fd_ < 0 || ::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return 0;
        char chunk[65536];
        auto n = ::recv(fd_, chunk, sizeof chunk, 0);
        return n > 0 ? static_cast<std::size_t>(n) : 0;
    }
    /// Reads until `lines` newlines arrived (or 30 s passed).
    void read_lines(int lines) {
        auto deadline = Clock::now() + 30s;
        char chunk[65536];
        while (lines > 0 && Clock::now() < deadline) {
            pollfd p{fd_, POLLIN, 0};
            if (fd_ < 0 || ::poll(&p, 1, 1000) <= 0) continue;
            auto n = ::recv(fd_, chunk, sizeof chunk, 0);
            if (n <= 0) return;
            lines -= static_cast<int>(std::count(chunk, chunk + n, '\n'));
        }
    }

  private:
    int fd_ = -1;
};

struct Figures {
    double max_ms, p99_ms, drain_ms;
    std::size_t ticks, nexts;
};

class Bench {
  public:
    explicit Bench(const Settings& s) : settings_(s) {
        if (!::mkdtemp(dir_)) std::exit(1);
        path_ = std::string(dir_) + "/control.sock";
        controller_.firings.assign(
            static_cast<std::size_t>(s.n),
            {"cchc-dvc", std::string(200, 'T'), {"all"}, wardcast::test::hanoi(7, 0)});
        wardcast::daemon::ControlServerOptions options;
        options.socket_path = path_;
        options.max_connections = 64;
        server_ = std::make_unique<wardcast::daemon::ControlServer>(io_, controller_, options);
        loop_ = std::thread([this] {
            auto guard = asio::make_work_guard(io_);
            io_.run();
        });
    }
    ~Bench() {
        on_loop([this] {
            server_->stop();
            return 0;
        });
        io_.stop();
        loop_.join();
        server_.reset();
        ::rmdir(dir_);
    }

    std::string batch() const {
        std::string b;
        for (int id = 0; id < settings_.pipeline; ++id)
            b += wardcast::protocol::frame(
                wardcast::protocol::make_request(id, "next", {{"n", settings_.n}}));
        return b;
    }

    /// Runs `clients` on this thread with the ticker on the loop, then waits for every
    /// connection to be gone.
    template <class F>
    Figures measure(F clients) {
        std::size_t before = nexts();
        auto ticker = std::make_shared<Ticker>(io_);
        on_loop([&] {
            ticker->start();
            return 0;
        });
        auto start = Clock::now();
        clients();
        while (on_loop([this] { return server_->connection_count(); }) != 0 &&
               Clock::now() - start < 60s)
            std::this_thread::sleep_for(1ms);
        double drain_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
        auto late = on_loop([&] { return ticker->stop(); });
        auto at = [&](double q) {
            return late.empty() ? 0.0
                                : late[std::min(late.size() - 1,
                                                static_cast<std::size_t>(q * late.size()))] /
                                      1000;
        };
        return {late.empty() ? 0.0 : late.back() / 1000, at(0.99), drain_ms, late.size(),
                nexts() - before};
    }

    const std::string& path() const { return path_; }
    const Settings& settings() const { return settings_; }

  private:
    template <class F>
    auto on_loop(F f) -> decltype(f()) {
        std::packaged_task<decltype(f())()> task(std::move(f));
        auto result = task.get_future();
        asio::post(io_, [&task] { task(); });
        return result.get();
    }
    std::size_t nexts() const {
        auto calls = controller_.calls();
        return static_cast<std::size_t>(std::count_if(
            calls.begin(), calls.end(), [](auto& c) { return c.what.rfind("next ", 0) == 0; }));
    }

    Settings settings_;
    char dir_[32] = "/tmp/wardcast-bench-XXXXXX";
    std::string path_;
    wardcast::test::FakeController controller_;
    asio::io_context io_;
    std::unique_ptr<wardcast::daemon::ControlServer> server_;
    std::thread loop_;
};

/// What one `next n` reply costs, built on this thread: the command table's dispatch (the
/// controller's answer turned into JSON) and framing (the JSON turned into text), best of 5.
void reply_cost(int n) {
    wardcast::test::FakeController controller;
    controller.firings.assign(
        static_cast<std::size_t>(n),
        {"cchc-dvc", std::string(200, 'T'), {"all"}, wardcast::test::hanoi(7, 0)});
    wardcast::protocol::Request request{1, "next", {{"n", n}}};
    double best_dispatch = 1e9, best_frame = 1e9;
    std::size_t bytes = 0;
    for (int i = 0; i < 5; ++i) {
        bool watch = false;
        auto start = Clock::now();
        auto reply = wardcast::daemon::dispatch(controller, request, {}, watch);
        auto built = Clock::now();
        bytes = wardcast::protocol::frame(reply).size();
        auto framed = Clock::now();
        best_dispatch = std::min(best_dispatch,
                                 std::chrono::duration<double, std::milli>(built - start).count());
        best_frame =
            std::min(best_frame, std::chrono::duration<double, std::milli>(framed - built).count());
    }
    std::printf(
        "one `next %d` reply built at once: %zu bytes; dispatch %.2f ms, frame %.2f ms (best of "
        "5)\n",
        n, bytes, best_dispatch, best_frame);
}

void row(const char* pattern, const Figures& f) {
    std::printf("%-14s %9.2f %9.2f %7zu %7zu %9.0f\n", pattern, f.max_ms, f.p99_ms, f.ticks,
                f.nexts, f.drain_ms);
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    Settings s;
    std::string only;
    for (int i = 1; i + 1 < argc; i += 2) {
        int value = std::atoi(argv[i + 1]);
        if (!std::strcmp(argv[i], "--pattern"))
            only = argv[i + 1];
        else if (!std::strcmp(argv[i], "--runs"))
            s.runs = value;
        else if (!std::strcmp(argv[i], "--clients"))
            s.clients = value;
        else if (!std::strcmp(argv[i], "--pipeline"))
            s.pipeline = value;
        else if (!std::strcmp(argv[i], "--n"))
            s.n = value;
    }
    spdlog::set_level(spdlog::level::err);  // "does not read its replies" warnings are expected
    Bench bench(s);
    std::string batch = bench.batch();
    std::string one =
        wardcast::protocol::frame(wardcast::protocol::make_request(1, "next", {{"n", s.n}}));

    std::printf(
        "event-loop lateness of a 1 ms timer (in-process server, fake controller, one loop "
        "thread);\n%d clients x %d pipelined `next %d`, %d runs per pattern; times in ms\n",
        s.clients, s.pipeline, s.n, s.runs);
    reply_cost(s.n);
    std::printf("%-14s %9s %9s %7s %7s %9s\n", "pattern", "max", "p99", "ticks", "next()", "drain");
    for (int run = 0; run < (only.empty() || only == "one next" ? s.runs : 0); ++run)
        row("one next", bench.measure([&] {
            RawClient c(bench.path());
            c.send(one);
            c.read_lines(1);
        }));
    for (int run = 0; run < (only.empty() || only == "leave" ? s.runs : 0); ++run)
        row("leave", bench.measure([&] {
            for (int i = 0; i < s.clients; ++i) {
                RawClient c(bench.path());
                c.send(batch);
                if (i % 2) c.read_some(1000ms);
            }
        }));
    for (int run = 0; run < (only.empty() || only == "leave at once" ? s.runs : 0); ++run)
        row("leave at once", bench.measure([&] {
            std::vector<std::thread> threads;
            for (int i = 0; i < s.clients; ++i)
                threads.emplace_back([&, i] {
                    RawClient c(bench.path());
                    c.send(batch);
                    if (i % 2) c.read_some(1000ms);
                });
            for (auto& t : threads) t.join();
        }));
    for (int run = 0; run < (only.empty() || only == "never read" ? s.runs : 0); ++run)
        row("never read", bench.measure([&] {
            std::vector<std::unique_ptr<RawClient>> clients;
            for (int i = 0; i < s.clients; ++i) {
                clients.push_back(std::make_unique<RawClient>(bench.path()));
                clients.back()->send(batch);
            }
            std::this_thread::sleep_for(1000ms);
        }));
    return 0;
}
