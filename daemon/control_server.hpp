#pragma once
// The control socket (SPEC §5, §7): accepts wardcastctl and other local clients, one
// ControlConnection each (Asio HTTP server example's `server` + `connection_manager`).

// clang-format off
#include <utility>  // before Asio: asio#944 with GCC 12
// clang-format on
#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>

#include "common/protocol.hpp"
#include "daemon/control_connection.hpp"
#include "daemon/controller.hpp"

namespace wardcast::daemon {

struct ControlServerOptions {
    /// Where to listen; ignored when systemd passed a socket.
    std::filesystem::path socket_path;
    std::chrono::milliseconds idle_timeout = protocol::idle_timeout;
    std::size_t max_connections = protocol::max_connections;
    std::size_t max_line = protocol::max_line;
    std::size_t max_pending_output = protocol::max_pending_output;
    /// Use the socket systemd passed (sd_listen_fds) when there is one.
    bool accept_systemd_socket = true;
    /// The socket file's group when this group exists (its members may use the daemon).
    std::string group = "wardcast";
};

/// Listens from construction until stop() or destruction. The socket file is created mode
/// 0660 (group `wardcast` when that group exists) in a folder created 0755 when missing; a
/// stale socket file nobody listens on is replaced. A socket passed by systemd is used
/// instead, and never unlinked. Runs on `io`'s thread and never blocks it. SIGPIPE needs no
/// handling: Asio sends with MSG_NOSIGNAL.
/// Destroy it before the Controller.
class ControlServer {
  public:
    /// Throws std::runtime_error with one line (the path and the reason) when it cannot
    /// listen: another daemon listens there, the path is not a socket, no permission, ...
    ControlServer(boost::asio::io_context& io, Controller& controller,
                  ControlServerOptions options);
    ~ControlServer();
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

    /// Stops accepting, closes every connection (watchers unsubscribed) and removes the socket
    /// file when this server created it. Idempotent.
    void stop() noexcept;

    /// Where clients connect (from the socket itself when systemd passed it).
    const std::string& path() const noexcept { return path_; }
    /// True when the socket came from systemd.
    bool inherited() const noexcept { return inherited_; }
    /// Connections being served.
    std::size_t connection_count() const noexcept { return connections_.size(); }

  private:
    bool adopt_systemd_socket();
    void listen_on_path();
    void accept_next();
    void on_accept(const boost::system::error_code& error, ControlConnection::Socket socket);
    Who identify(int fd);

    Controller& controller_;  // not owned
    ControlServerOptions options_;
    boost::asio::local::stream_protocol::acceptor acceptor_;
    boost::asio::steady_timer retry_timer_;  // accept after EMFILE and the like
    std::string path_;
    bool inherited_ = false;
    bool stopped_ = false;
    ino_t inode_ = 0;                    // of the socket file we bound: unlink only that one
    std::shared_ptr<ControlWork> work_;  // the connections' work
    std::set<std::shared_ptr<ControlConnection>> connections_;   // owned
    std::unordered_map<std::uint32_t, std::string> user_names_;  // uid → name cache
    std::size_t refused_ = 0;                                    // busy refusals not yet logged
    std::chrono::steady_clock::time_point last_refusal_warning_{};
};

}  // namespace wardcast::daemon
