#include "ctl/client.hpp"

#include <sys/un.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>

#include "common/protocol.hpp"

namespace wardcast::ctl {

namespace asio = boost::asio;
using nlohmann::json;
using stream = asio::local::stream_protocol;

namespace {

constexpr std::size_t max_reply = 64 * 1024 * 1024;
constexpr const char* try_status = "try: systemctl status wardcastd";

std::string seconds(std::chrono::milliseconds d) {
    auto s = std::chrono::duration<double>(d).count();
    std::string text = std::to_string(s);
    text.erase(text.find_last_not_of('0') + 1);
    if (text.back() == '.') text.pop_back();
    return text + " s";
}

std::string closed_message(const std::string& path) {
    return "wardcastd at " + path +
           " closed the connection without answering — see: "
           "journalctl -u wardcastd";
}

}  // namespace

std::string unreachable_message(const std::string& path, const boost::system::error_code& error) {
    std::string why;
    switch (error.value()) {
        case ENOENT:
            why = std::string("no such file — is it running? ") + try_status;
            break;
        case EACCES:
        case EPERM:
            why =
                "permission denied — is your user in the wardcast group? "
                "(sudo adduser $USER wardcast, then log in again)";
            break;
        case ECONNREFUSED:
            why = std::string(
                      "connection refused — wardcastd is not running there (stale "
                      "socket); ") +
                  try_status;
            break;
        case EAGAIN:
            why = "its connection queue is full — try again";
            break;
        case ETIMEDOUT:
            why = std::string("no answer — is it stuck? ") + try_status;
            break;
        default:
            why = error.message() + " — " + try_status;
    }
    return "cannot reach wardcastd at " + path + ": " + why;
}

Client::Client(const std::vector<std::string>& candidates, std::chrono::milliseconds timeout)
    : socket_(io_), input_(max_reply) {
    std::vector<std::pair<std::string, boost::system::error_code>> failures;
    for (const auto& path : candidates) {
        boost::system::error_code error;
        if (connect_to(path, timeout, error)) {
            path_ = path;
            return;
        }
        failures.emplace_back(path, error);
    }
    if (failures.empty()) throw Unreachable("cannot reach wardcastd: no socket path given");
    // The first socket that exists tells most (permission denied on the system one); when
    // none exists, name them all.
    for (const auto& [path, error] : failures)
        if (error.value() != ENOENT) throw Unreachable(unreachable_message(path, error));
    std::string paths;
    for (const auto& f : failures) paths += (paths.empty() ? "" : " or ") + f.first;
    throw Unreachable(unreachable_message(paths, failures.front().second));
}

bool Client::connect_to(const std::string& path, std::chrono::milliseconds timeout,
                        boost::system::error_code& error) {
    boost::system::error_code ignored;
    socket_.close(ignored);
    if (path.size() >= sizeof(sockaddr_un::sun_path)) {
        error = asio::error::name_too_long;
        return false;
    }
    error = asio::error::would_block;
    socket_.async_connect(stream::endpoint(path),
                          [&error](const boost::system::error_code& e) { error = e; });
    if (!run_for(timeout)) error = asio::error::timed_out;
    return !error;
}

bool Client::run_for(std::chrono::milliseconds timeout) {
    io_.restart();
    io_.run_for(timeout);
    if (io_.stopped()) return true;
    // Timed out: cancel what is pending and let the handlers see it.
    boost::system::error_code ignored;
    socket_.close(ignored);
    io_.restart();
    io_.run();
    return false;
}

boost::system::error_code Client::read_line(std::string& line, std::chrono::milliseconds timeout) {
    boost::system::error_code error = asio::error::would_block;
    std::size_t bytes = 0;
    asio::async_read_until(socket_, input_, '\n',
                           [&](const boost::system::error_code& e, std::size_t n) {
                               error = e;
                               bytes = n;
                           });
    if (timeout == std::chrono::milliseconds::max()) {
        io_.restart();
        io_.run();
    } else if (!run_for(timeout)) {
        return asio::error::timed_out;
    }
    if (error) return error;
    line.assign(asio::buffers_begin(input_.data()),
                asio::buffers_begin(input_.data()) + static_cast<std::ptrdiff_t>(bytes - 1));
    input_.consume(bytes);
    return {};
}

json Client::request(std::string_view cmd, json args, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    auto left = [&] {
        return std::max(std::chrono::milliseconds(1),
                        std::chrono::duration_cast<std::chrono::milliseconds>(
                            deadline - std::chrono::steady_clock::now()));
    };
    std::int64_t id = next_id_++;
    std::string out = protocol::frame(protocol::make_request(id, cmd, std::move(args)));
    asio::async_write(socket_, asio::buffer(out),
                      [](const boost::system::error_code&, std::size_t) {});
    if (!run_for(left()))
        throw Unreachable("wardcastd at " + path_ + " did not take the request within " +
                          seconds(timeout) + " — is it stuck? " + try_status);
    // Even when the write failed (the daemon refused us with `busy` and closed), its reason
    // may be waiting to be read.
    for (;;) {
        std::string line;
        auto error = read_line(line, left());
        if (error == asio::error::timed_out)
            throw Unreachable("wardcastd at " + path_ + " did not answer within " +
                              seconds(timeout) + " — is it stuck? " + try_status);
        if (error == asio::error::eof || error == asio::error::connection_reset ||
            error == asio::error::broken_pipe)
            throw Unreachable(closed_message(path_));
        if (error) throw Unreachable("lost wardcastd at " + path_ + ": " + error.message());
        json reply = protocol::parse_message(line);
        if (reply.is_discarded())
            throw Unreachable("wardcastd at " + path_ + " sent something that is not a reply");
        if (reply.contains("event")) continue;  // a watch event before our reply
        auto reply_id = reply.find("id");
        if (reply_id != reply.end() && !reply_id->is_null() && *reply_id != id) continue;
        return reply;
    }
}

void Client::read_messages(const std::function<bool(const json&)>& on_message) {
    for (;;) {
        std::string line;
        auto error = read_line(line, std::chrono::milliseconds::max());
        if (error == asio::error::eof) return;
        if (error) throw Unreachable("lost wardcastd at " + path_ + ": " + error.message());
        json message = protocol::parse_message(line);
        if (message.is_discarded()) continue;
        if (!on_message(message)) return;
    }
}

}  // namespace wardcast::ctl
