#pragma once
// Test helpers for the control socket: a server running on its own thread with a fake
// Controller, a plain blocking line client, temporary folders, systemd's LISTEN_FDS, requests.

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <future>
#include <string>
#include <thread>

#include "daemon/control_server.hpp"
#include "tests/daemon/fake_controller.hpp"

namespace wardcast::test {

/// A fresh folder under /tmp (socket paths must stay under 108 bytes), removed afterwards.
class SocketDir {
  public:
    SocketDir() {
        char name[] = "/tmp/wardcast-ctl-XXXXXX";
        REQUIRE(::mkdtemp(name) != nullptr);
        path_ = name;
    }
    ~SocketDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

inline sockaddr_un address_of(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    return addr;
}

/// Leaves a socket file at `path` that nobody listens on, as a crashed daemon would.
inline void bind_and_abandon(const std::string& path) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    auto addr = address_of(path);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    ::close(fd);
}

/// A ControlServer with a FakeController, its io_context run on a thread of its own.
class RunningServer {
  public:
    explicit RunningServer(daemon::ControlServerOptions options = {}) {
        if (options.socket_path.empty()) options.socket_path = dir_.path() / "run" / "control.sock";
        path_ = options.socket_path.string();
        server_ = std::make_unique<daemon::ControlServer>(io_, controller_, std::move(options));
        thread_ = std::thread([this] { io_.run(); });
    }
    ~RunningServer() {
        on_loop([this] {
            server_->stop();
            return 0;
        });
        thread_.join();
    }

    /// Runs `f` on the server's thread and returns what it returned.
    template <class F>
    auto on_loop(F f) -> decltype(f()) {
        std::packaged_task<decltype(f())()> task(std::move(f));
        auto result = task.get_future();
        boost::asio::post(io_, [&task] { task(); });
        return result.get();
    }

    const std::string& path() const { return path_; }
    std::filesystem::path dir() const { return std::filesystem::path(path_).parent_path(); }
    FakeController& controller() { return controller_; }
    daemon::ControlServer& server() { return *server_; }

  private:
    SocketDir dir_;
    std::string path_;
    FakeController controller_;
    boost::asio::io_context io_;
    std::unique_ptr<daemon::ControlServer> server_;
    std::thread thread_;
};

/// A blocking client speaking lines, as a script with socat would.
class LineClient {
  public:
    explicit LineClient(const std::string& path) {
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        auto addr = address_of(path);
        REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    }
    ~LineClient() { ::close(fd_); }
    LineClient(const LineClient&) = delete;
    LineClient& operator=(const LineClient&) = delete;

    void send(const std::string& data) { REQUIRE(send_all_you_can(data) == data.size()); }

    /// Sends until done or the server closes; returns the bytes sent.
    std::size_t send_all_you_can(const std::string& data) {
        std::size_t sent = 0;
        while (sent < data.size()) {
            auto n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
            if (n <= 0) break;
            sent += static_cast<std::size_t>(n);
        }
        return sent;
    }

    void shut_write() { ::shutdown(fd_, SHUT_WR); }

    /// Reads whatever arrives within `timeout`, keeping it for read_line().
    void read_some(std::chrono::milliseconds timeout = std::chrono::seconds(1)) { fill(timeout); }

    /// The next line without '\n'; FAILs on timeout or end of stream.
    std::string read_line(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
        for (;;) {
            auto end = buffer_.find('\n');
            if (end != std::string::npos) {
                std::string line = buffer_.substr(0, end);
                buffer_.erase(0, end + 1);
                return line;
            }
            if (!fill(timeout))
                FAIL("no complete line from the server (have: " << buffer_.size() << " bytes)");
        }
    }

    nlohmann::json read_json(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
        auto line = read_line(timeout);
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_discarded()) FAIL("not JSON: " << line);
        return j;
    }

    /// True when the server closed the connection within `timeout` (whatever it sent first
    /// is dropped).
    bool at_eof(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            if (!fill(std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())))
                return eof_;
            buffer_.clear();
        }
        return eof_;
    }

  private:
    /// Reads what is there within `timeout`; false on timeout, end of stream or error.
    bool fill(std::chrono::milliseconds timeout) {
        if (eof_) return false;
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
        char chunk[65536];
        auto n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n <= 0) {
            eof_ = true;  // 0, or ECONNRESET after the server closed with our data unread
            return false;
        }
        buffer_.append(chunk, static_cast<std::size_t>(n));
        return true;
    }

    int fd_ = -1;
    std::string buffer_;
    bool eof_ = false;
};

/// Default options with `set` applied.
inline daemon::ControlServerOptions options(
    const std::function<void(daemon::ControlServerOptions&)>& set) {
    daemon::ControlServerOptions o;
    set(o);
    return o;
}

/// A `status` request line.
inline std::string status_line(int id = 1) {
    return protocol::frame(protocol::make_request(id, "status"));
}

/// True when a fresh client still gets a status reply.
inline bool still_serves(const std::string& path) {
    LineClient c(path);
    c.send(status_line(99));
    auto reply = c.read_json();
    return reply.value("ok", false) && reply["result"]["station"] == "Phường Bồ Đề";
}

/// How many times the controller was asked for `next`.
inline std::size_t next_calls(const FakeController& controller) {
    auto calls = controller.calls();
    return static_cast<std::size_t>(std::count_if(
        calls.begin(), calls.end(), [](const auto& c) { return c.what.rfind("next ", 0) == 0; }));
}

/// `count` pipelined `next` requests for `n` firings, ids 0 to count - 1.
inline std::string pipelined_next(int count, int n) {
    std::string batch;
    for (int id = 0; id < count; ++id)
        batch += protocol::frame(protocol::make_request(id, "next", {{"n", n}}));
    return batch;
}

/// Pretends systemd passed a listening socket at `path` (fd 3, LISTEN_FDS, LISTEN_PID) for
/// the scope's life; whatever was on fd 3 before is put back.
class ListenFdsScope {
  public:
    explicit ListenFdsScope(const std::string& path) {
        int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        auto addr = address_of(path);
        REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
        REQUIRE(::listen(fd, 16) == 0);
        saved_ = ::fcntl(3, F_DUPFD_CLOEXEC, 100);
        if (fd != 3) {
            REQUIRE(::dup2(fd, 3) == 3);
            ::close(fd);
        }
        ::setenv("LISTEN_FDS", "1", 1);
        ::setenv("LISTEN_PID", std::to_string(::getpid()).c_str(), 1);
    }
    ~ListenFdsScope() {
        ::unsetenv("LISTEN_FDS");
        ::unsetenv("LISTEN_PID");
        if (saved_ >= 0) {
            ::dup2(saved_, 3);
            ::close(saved_);
        }
    }

  private:
    int saved_ = -1;
};

}  // namespace wardcast::test
