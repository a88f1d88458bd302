#pragma once
// A blocking client of wardcastd's control socket (after Asio's local/stream_client.cpp, with
// the timeouts of its blocking_tcp_client): connect, send a request, read its reply.

// clang-format off
#include <utility>  // before Asio: asio#944 with GCC 12
// clang-format on
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/streambuf.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace wardcast::ctl {

/// The daemon cannot be reached or stopped answering; what() is the one line to show an
/// operator, e.g. "cannot reach wardcastd at /run/wardcast/control.sock: no such file — is it
/// running? try: systemctl status wardcastd". wardcastctl exits exit_unreachable (3).
class Unreachable : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

/// One connection to the daemon. Not thread-safe; one per thread.
class Client {
  public:
    /// Connects to the first of `candidates` (socket paths) that accepts, waiting at most
    /// `timeout` for each. Throws Unreachable naming the path(s) and the likely cause.
    explicit Client(const std::vector<std::string>& candidates,
                    std::chrono::milliseconds timeout = std::chrono::seconds(5));

    /// Sends `cmd` with `args` and returns the reply object (ok or not) with the same id.
    /// Waits at most `timeout` for the whole exchange. Throws Unreachable when the daemon
    /// closes the connection, sends something that is not a reply, or does not answer in time.
    nlohmann::json request(std::string_view cmd, nlohmann::json args = nlohmann::json::object(),
                           std::chrono::milliseconds timeout = std::chrono::seconds(60));

    /// Reads lines (events after `watch`) until the daemon closes the connection or
    /// `on_message` returns false; lines that are not JSON objects are skipped. No timeout.
    /// Throws Unreachable when the connection breaks.
    void read_messages(const std::function<bool(const nlohmann::json&)>& on_message);

    /// The socket connected to.
    const std::string& path() const noexcept { return path_; }

  private:
    bool connect_to(const std::string& path, std::chrono::milliseconds timeout,
                    boost::system::error_code& error);
    /// Runs the io_context until its work is done or `timeout` passed; false on timeout.
    bool run_for(std::chrono::milliseconds timeout);
    /// Reads one line into `line`; returns the error (eof when the daemon closed).
    boost::system::error_code read_line(std::string& line, std::chrono::milliseconds timeout);

    boost::asio::io_context io_;
    boost::asio::local::stream_protocol::socket socket_;
    boost::asio::streambuf input_;
    std::string path_;
    std::int64_t next_id_ = 1;
};

/// The one-line reason for a failed connect to `path`: "cannot reach wardcastd at PATH: …".
std::string unreachable_message(const std::string& path, const boost::system::error_code& error);

}  // namespace wardcast::ctl
