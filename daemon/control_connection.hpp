#pragma once
// One client of the control socket (Asio HTTP server example's `connection`): reads request
// lines, answers each through the command table, and after `watch` forwards events.

// clang-format off
#include <utility>  // before Asio: asio#944 with GCC 12
// clang-format on
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "daemon/controller.hpp"

namespace wardcast::daemon {

/// What a connection tolerates before it closes itself (protocol.hpp has the defaults).
struct ConnectionLimits {
    std::size_t max_line;                    ///< bytes of one request line, without '\n'
    std::chrono::milliseconds idle_timeout;  ///< without a complete request (not when watching)
    std::size_t max_pending_output;          ///< bytes queued for a client that does not read
};

/// Owned by the ControlServer (shared: pending Asio handlers keep it alive until they run).
/// Everything runs on the io_context's one thread; nothing blocks it.
class ControlConnection : public std::enable_shared_from_this<ControlConnection> {
  public:
    using Socket = boost::asio::local::stream_protocol::socket;
    /// Called once when the connection closes itself (client gone, error, limit, timeout).
    using OnClosed = std::function<void(const std::shared_ptr<ControlConnection>&)>;

    /// `controller` must outlive every handler of this connection that the io_context runs.
    ControlConnection(Socket socket, Controller& controller, Who who, ConnectionLimits limits,
                      OnClosed on_closed);
    ~ControlConnection();
    ControlConnection(const ControlConnection&) = delete;
    ControlConnection& operator=(const ControlConnection&) = delete;

    /// Starts reading requests and the idle timer.
    void start();

    /// Closes at once, without calling OnClosed (the server is shutting down). Idempotent.
    void stop() noexcept;

    const Who& who() const noexcept { return who_; }
    bool watching() const noexcept { return watch_token_.has_value(); }

  private:
    void read_next();
    void on_read(const boost::system::error_code& error, std::size_t bytes);
    void handle_line(std::string line);
    void arm_idle_timer();
    void send(std::string line);
    void write_next();
    void start_watch();
    void close() noexcept;

    Socket socket_;
    Controller& controller_;  // not owned
    Who who_;
    ConnectionLimits limits_;
    OnClosed on_closed_;
    boost::asio::streambuf input_;  // max_size max_line + 1: a longer line fails the read
    boost::asio::steady_timer idle_timer_;
    std::deque<std::string> output_;  // framed lines; the front one is being written
    std::size_t pending_bytes_ = 0;
    bool writing_ = false;
    bool close_after_write_ = false;  // after a too_large reply, or the client's EOF
    bool closed_ = false;
    std::optional<int> watch_token_;  // from Controller::subscribe while watching
};

}  // namespace wardcast::daemon
