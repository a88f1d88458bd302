#pragma once
// One client of the control socket (Asio HTTP server example's `connection`): reads request
// lines, answers each through the command table, and after `watch` forwards events.
//
// One request at a time: the next line is taken (from what was read already, or from the
// socket) only once the reply to the last one is written, so a client that does not read
// stops being read (its requests wait in the socket) and costs one reply's memory at most. A
// big reply (`next 1000`) is built and sent in pieces, each once the last is in the socket,
// with returns to the event loop between them. A client that has gone gets nothing more
// built: its read-only requests are dropped unanswered, a reply being built is dropped, and a
// failed write closes the connection with the rest of its requests unread.

// clang-format off
#include <utility>  // before Asio: asio#944 with GCC 12
// clang-format on
#include <boost/asio/any_io_executor.hpp>
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

#include "daemon/command_table.hpp"
#include "daemon/controller.hpp"

namespace wardcast::daemon {

/// What a connection tolerates before it closes itself (protocol.hpp has the defaults).
struct ConnectionLimits {
    std::size_t max_line;                    ///< bytes of one request line, without '\n'
    std::chrono::milliseconds idle_timeout;  ///< without a complete request (not when watching)
    /// Bytes of events queued for a watcher that does not read; past this it is closed.
    /// (Replies need no such limit: one at a time is queued.)
    std::size_t max_pending_output;
};

/// The connections' work (answering a request, building a piece of a reply), run in the order
/// it was asked for and no more than about `budget` of it per turn of the event loop: however
/// many clients ask at once, the loop's other handlers (a broadcast's timer) wait for one
/// budget and one step at most. Shared by the ControlServer's connections.
class ControlWork : public std::enable_shared_from_this<ControlWork> {
  public:
    using Step = std::function<void()>;
    ControlWork(boost::asio::any_io_executor executor, std::chrono::microseconds budget);
    /// Runs `step` on the executor after the steps added before it.
    void add(Step step);

  private:
    void run();

    boost::asio::any_io_executor executor_;
    std::chrono::microseconds budget_;
    std::deque<Step> steps_;
    bool scheduled_ = false;  // a run() is posted
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
                      std::shared_ptr<ControlWork> work, OnClosed on_closed);
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
    enum class Kind { reply, event };

    void serve();
    void serve_later();
    std::optional<std::string> take_line();
    void read_next();
    void on_read(const boost::system::error_code& error);
    void handle_line(std::string line);
    void build_next_piece();
    void on_answer(const std::string& cmd, nlohmann::json reply);
    bool peer_gone() noexcept;
    void arm_idle_timer();
    void send(std::string line, Kind kind);
    void write_next();
    void start_watch();
    void close() noexcept;

    Socket socket_;
    Controller& controller_;  // not owned
    Who who_;
    ConnectionLimits limits_;
    std::shared_ptr<ControlWork> work_;  // shared with the other connections
    OnClosed on_closed_;
    boost::asio::streambuf input_;  // max_size max_line + 1: a longer line fails the read
    boost::asio::steady_timer idle_timer_;
    std::deque<std::string> output_;  // framed lines; the front one is being written
    std::size_t pending_bytes_ = 0;
    bool reading_ = false;                 // an async read is in flight
    bool input_ended_ = false;             // the client shut its side: no more to read
    bool writing_ = false;                 // an async write is in flight (output_ not empty)
    ReplyPieces building_;                 // set while a reply is built (and sent) in pieces
    bool awaiting_answer_ = false;         // a request is answered later (reload): wait for it
    std::deque<std::string> held_events_;  // events that came meanwhile, sent after that reply
    bool close_after_write_ = false;       // after a too_large reply, or the client's last line
    bool closed_ = false;
    std::optional<int> watch_token_;  // from Controller::subscribe while watching
};

}  // namespace wardcast::daemon
