#include "daemon/control_connection.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>

#include "common/protocol.hpp"
#include "daemon/command_table.hpp"

namespace wardcast::daemon {

namespace asio = boost::asio;
using nlohmann::json;

ControlConnection::ControlConnection(Socket socket, Controller& controller, Who who,
                                     ConnectionLimits limits, OnClosed on_closed)
    : socket_(std::move(socket)),
      controller_(controller),
      who_(std::move(who)),
      limits_(limits),
      on_closed_(std::move(on_closed)),
      input_(limits.max_line + 1),
      idle_timer_(socket_.get_executor()) {}

ControlConnection::~ControlConnection() { stop(); }

void ControlConnection::start() {
    spdlog::debug("control: {} (uid {}) connected", who_.user, who_.uid);
    arm_idle_timer();
    read_next();
}

void ControlConnection::stop() noexcept {
    on_closed_ = nullptr;
    close();
}

void ControlConnection::read_next() {
    asio::async_read_until(
        socket_, input_, '\n',
        [self = shared_from_this()](const boost::system::error_code& error, std::size_t bytes) {
            self->on_read(error, bytes);
        });
}

void ControlConnection::on_read(const boost::system::error_code& error, std::size_t bytes) {
    if (closed_) return;
    if (error == asio::error::not_found) {
        // The buffer is full without a newline: answer once, then drop the client rather
        // than read megabytes of a line we would refuse anyway.
        spdlog::info("control: {} (uid {}) sent a line over {} bytes; closing", who_.user, who_.uid,
                     limits_.max_line);
        close_after_write_ = true;
        send(protocol::frame(protocol::make_error(
            nullptr, protocol::err::too_large,
            "request longer than " + std::to_string(limits_.max_line) + " bytes")));
        return;
    }
    if (error == asio::error::eof && input_.size() > 0) {
        // A last request without '\n' (`printf '…' | socat`): answer it, then close.
        std::string rest(asio::buffers_begin(input_.data()), asio::buffers_end(input_.data()));
        input_.consume(input_.size());
        close_after_write_ = true;
        handle_line(std::move(rest));
        if (!writing_ && !closed_) close();
        return;
    }
    if (error) {
        if (error != asio::error::eof && error != asio::error::operation_aborted)
            spdlog::debug("control: {} (uid {}): {}", who_.user, who_.uid, error.message());
        if (!writing_)
            close();
        else
            close_after_write_ = true;  // the client only shut its side: let it have the replies
        return;
    }
    std::string line(asio::buffers_begin(input_.data()),
                     asio::buffers_begin(input_.data()) + static_cast<std::ptrdiff_t>(bytes - 1));
    input_.consume(bytes);
    arm_idle_timer();
    handle_line(std::move(line));
    if (!closed_) read_next();
}

void ControlConnection::handle_line(std::string line) {
    if (!line.empty() && line.back() == '\r') line.pop_back();  // socat crlf, telnet
    if (line.find_first_not_of(" \t") == std::string::npos) return;
    auto parsed = protocol::parse_request(line);
    if (auto* reply = std::get_if<json>(&parsed)) {
        spdlog::debug("control: {} (uid {}): {}", who_.user, who_.uid,
                      (*reply)["error"]["message"].get<std::string>());
        send(protocol::frame(*reply));
        return;
    }
    const auto& request = std::get<protocol::Request>(parsed);
    bool start_watching = false;
    json reply = dispatch(controller_, request, who_, start_watching);
    const Command* command = find_command(request.cmd);
    auto level = command && command->changes_state ? spdlog::level::info : spdlog::level::debug;
    spdlog::log(
        level, "control: {} (uid {}): {} → {}", who_.user, who_.uid, request.cmd,
        reply["ok"].get<bool>() ? std::string("ok") : reply["error"]["message"].get<std::string>());
    send(protocol::frame(reply));
    if (start_watching && !watching()) start_watch();
}

void ControlConnection::start_watch() {
    idle_timer_.cancel();  // a watcher may stay silent for days
    std::weak_ptr<ControlConnection> weak = weak_from_this();
    watch_token_ = controller_.subscribe([weak](const json& event) {
        if (auto self = weak.lock())
            self->send(
                protocol::frame(protocol::make_event(event.value("event", std::string()), event)));
    });
}

void ControlConnection::arm_idle_timer() {
    if (watching()) return;
    idle_timer_.expires_after(limits_.idle_timeout);
    idle_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& error) {
        auto self = weak.lock();
        if (error || !self || self->closed_ || self->watching()) return;
        spdlog::debug("control: {} (uid {}) idle; closing", self->who_.user, self->who_.uid);
        self->close();
    });
}

void ControlConnection::send(std::string line) {
    if (closed_) return;
    pending_bytes_ += line.size();
    if (pending_bytes_ > limits_.max_pending_output) {
        spdlog::warn("control: {} (uid {}) does not read its replies; closing", who_.user,
                     who_.uid);
        close();
        return;
    }
    output_.push_back(std::move(line));
    if (!writing_) write_next();
}

void ControlConnection::write_next() {
    writing_ = true;
    asio::async_write(
        socket_, asio::buffer(output_.front()),
        [self = shared_from_this()](const boost::system::error_code& error, std::size_t) {
            self->writing_ = false;
            if (self->closed_) return;
            if (error) {  // EPIPE, ECONNRESET: the client left mid-reply (send uses MSG_NOSIGNAL)
                self->close();
                return;
            }
            self->pending_bytes_ -= self->output_.front().size();
            self->output_.pop_front();
            if (!self->output_.empty())
                self->write_next();
            else if (self->close_after_write_)
                self->close();
        });
}

void ControlConnection::close() noexcept {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    idle_timer_.cancel(ignored);
    socket_.shutdown(Socket::shutdown_both, ignored);
    socket_.close(ignored);
    if (watch_token_) {
        try {
            controller_.unsubscribe(*watch_token_);
        } catch (const std::exception& e) {
            spdlog::warn("control: unsubscribe failed: {}", e.what());
        }
        watch_token_.reset();
    }
    spdlog::debug("control: {} (uid {}) disconnected", who_.user, who_.uid);
    if (on_closed_) {
        auto on_closed = std::move(on_closed_);
        on_closed_ = nullptr;
        try {
            on_closed(shared_from_this());
        } catch (const std::exception&) {  // shared_from_this in the destructor: nobody to tell
        }
    }
}

}  // namespace wardcast::daemon
