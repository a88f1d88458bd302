#include "daemon/control_connection.hpp"

#include <poll.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>

#include "common/protocol.hpp"
#include "daemon/command_table.hpp"

namespace wardcast::daemon {

namespace asio = boost::asio;
using nlohmann::json;

ControlWork::ControlWork(asio::any_io_executor executor, std::chrono::microseconds budget)
    : executor_(std::move(executor)), budget_(budget) {}

void ControlWork::add(Step step) {
    steps_.push_back(std::move(step));
    if (scheduled_) return;
    scheduled_ = true;
    asio::post(executor_, [self = shared_from_this()] { self->run(); });
}

void ControlWork::run() {
    scheduled_ = false;
    auto start = std::chrono::steady_clock::now();
    while (!steps_.empty() && std::chrono::steady_clock::now() - start < budget_) {
        auto step = std::move(steps_.front());
        steps_.pop_front();
        step();
    }
    if (steps_.empty() || scheduled_) return;
    // The rest after a return to the loop: to the back of its queue, behind timers and I/O.
    scheduled_ = true;
    asio::post(executor_, [self = shared_from_this()] { self->run(); });
}

ControlConnection::ControlConnection(Socket socket, Controller& controller, Who who,
                                     ConnectionLimits limits, std::shared_ptr<ControlWork> work,
                                     OnClosed on_closed)
    : socket_(std::move(socket)),
      controller_(controller),
      who_(std::move(who)),
      limits_(limits),
      work_(std::move(work)),
      on_closed_(std::move(on_closed)),
      input_(limits.max_line + 1),
      idle_timer_(socket_.get_executor()) {}

ControlConnection::~ControlConnection() { stop(); }

void ControlConnection::start() {
    spdlog::debug("control: {} (uid {}) connected", who_.user, who_.uid);
    arm_idle_timer();
    serve_later();
}

void ControlConnection::stop() noexcept {
    on_closed_ = nullptr;
    close();
}

void ControlConnection::serve() {
    // Only when everything said to this client is written: that is the backpressure.
    if (closed_ || reading_ || writing_ || building_ || awaiting_answer_) return;
    if (auto line = take_line()) {
        arm_idle_timer();
        handle_line(std::move(*line));
        if (!closed_ && !writing_ && !building_) serve_later();  // a blank line: no reply
        return;
    }
    if (!input_ended_) {
        read_next();
        return;
    }
    if (input_.size() > 0) {
        // A last request without '\n' (`printf '…' | socat`): answer it, then close.
        std::string rest(asio::buffers_begin(input_.data()), asio::buffers_end(input_.data()));
        input_.consume(input_.size());
        close_after_write_ = true;
        handle_line(std::move(rest));
        if (!closed_ && !writing_ && !building_) close();
        return;
    }
    close();  // every request answered, and the client has no more to say
}

void ControlConnection::serve_later() {
    work_->add([self = shared_from_this()] { self->serve(); });
}

std::optional<std::string> ControlConnection::take_line() {
    auto begin = asio::buffers_begin(input_.data());
    auto end = asio::buffers_end(input_.data());
    auto newline = std::find(begin, end, '\n');
    if (newline == end) return std::nullopt;
    std::string line(begin, newline);
    input_.consume(line.size() + 1);
    return line;
}

void ControlConnection::read_next() {
    reading_ = true;
    asio::async_read_until(
        socket_, input_, '\n',
        [self = shared_from_this()](const boost::system::error_code& error, std::size_t) {
            self->reading_ = false;
            self->on_read(error);
        });
}

void ControlConnection::on_read(const boost::system::error_code& error) {
    if (closed_) return;
    if (error == asio::error::not_found) {
        // The buffer is full without a newline: answer once, then drop the client rather
        // than read megabytes of a line we would refuse anyway.
        spdlog::info("control: {} (uid {}) sent a line over {} bytes; closing", who_.user, who_.uid,
                     limits_.max_line);
        close_after_write_ = true;
        send(protocol::frame(protocol::make_error(
                 nullptr, protocol::err::too_large,
                 "request longer than " + std::to_string(limits_.max_line) + " bytes")),
             Kind::reply);
        return;
    }
    if (error == asio::error::eof) {
        input_ended_ = true;  // it may only have shut its side: answer what it sent
    } else if (error) {
        if (error != asio::error::operation_aborted)
            spdlog::debug("control: {} (uid {}): {}", who_.user, who_.uid, error.message());
        close();
        return;
    }
    serve_later();
}

void ControlConnection::handle_line(std::string line) {
    if (!line.empty() && line.back() == '\r') line.pop_back();  // socat crlf, telnet
    if (line.find_first_not_of(" \t") == std::string::npos) return;
    auto parsed = protocol::parse_request(line);
    if (auto* reply = std::get_if<json>(&parsed)) {
        spdlog::debug("control: {} (uid {}): {}", who_.user, who_.uid,
                      (*reply)["error"]["message"].get<std::string>());
        send(protocol::frame(*reply), Kind::reply);
        return;
    }
    const auto& request = std::get<protocol::Request>(parsed);
    const Command* command = find_command(request.cmd);
    bool changes_state = command && command->changes_state;
    bool gone = peer_gone();
    if (gone && !changes_state) {
        // Its answer is all a read-only request does, and nobody is there to read it.
        spdlog::debug("control: {} (uid {}) left before {} was answered; closing", who_.user,
                      who_.uid, request.cmd);
        close();
        return;
    }
    // A change asked for by a client that did not wait for the answer (`… | nc -q0`) is
    // still carried out and recorded; only its reply is dropped.
    bool start_watching = false;
    auto answer_later = [weak = weak_from_this(), cmd = request.cmd](json answer) {
        if (auto self = weak.lock()) self->on_answer(cmd, std::move(answer));
    };
    auto dispatched =
        dispatch_in_pieces(controller_, request, who_, start_watching, std::move(answer_later));
    if (std::holds_alternative<AnsweredLater>(dispatched)) {
        // The work goes on off the loop (a reload): no next request until it is answered,
        // even when the client has gone (what it asked is still done and recorded).
        awaiting_answer_ = true;
        return;
    }
    auto* reply = std::get_if<json>(&dispatched);
    spdlog::log(changes_state ? spdlog::level::info : spdlog::level::debug,
                "control: {} (uid {}): {} → {}", who_.user, who_.uid, request.cmd,
                !reply || (*reply)["ok"].get<bool>()
                    ? std::string("ok")
                    : (*reply)["error"]["message"].get<std::string>());
    if (gone) {
        close();
        return;
    }
    if (!reply) {
        building_ = std::move(std::get<ReplyPieces>(dispatched));
        work_->add([self = shared_from_this()] { self->build_next_piece(); });
        return;
    }
    // Subscribed before the reply leaves: a client that has read it misses no event.
    if (start_watching && !watching()) start_watch();
    send(protocol::frame(*reply), Kind::reply);
}

void ControlConnection::on_answer(const std::string& cmd, json reply) {
    awaiting_answer_ = false;
    if (closed_) return;
    const bool ok = reply.value("ok", false);
    spdlog::info("control: {} (uid {}): {} → {}", who_.user, who_.uid, cmd,
                 ok ? std::string("ok") : reply["error"].value("message", std::string()));
    if (peer_gone()) {
        close();
        return;
    }
    send(protocol::frame(reply), Kind::reply);
}

void ControlConnection::build_next_piece() {
    // Only with nothing left to write (the write's completion calls again): the piece before
    // this one has reached the socket. A client that does not read is thus built no more
    // than its socket buffer holds.
    if (closed_ || writing_) return;
    if (peer_gone()) {
        spdlog::debug("control: {} (uid {}) left mid-reply; closing", who_.user, who_.uid);
        close();
        return;
    }
    std::string piece;
    bool done = building_(piece);
    pending_bytes_ += piece.size();
    output_.push_back(std::move(piece));
    if (done) {
        building_ = nullptr;
        for (auto& event : held_events_) output_.push_back(std::move(event));
        held_events_.clear();
    }
    write_next();
}

bool ControlConnection::peer_gone() noexcept {
    // POLLHUP: the client closed (not merely shut its writing side: that is POLLRDHUP);
    // POLLERR: it closed with our replies unread. Both are reported whatever `events` asks.
    pollfd p{socket_.native_handle(), 0, 0};
    return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR)) != 0;
}

void ControlConnection::start_watch() {
    idle_timer_.cancel();  // a watcher may stay silent for days
    std::weak_ptr<ControlConnection> weak = weak_from_this();
    watch_token_ = controller_.subscribe([weak](const json& event) {
        if (auto self = weak.lock())
            self->send(
                protocol::frame(protocol::make_event(event.value("event", std::string()), event)),
                Kind::event);
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

void ControlConnection::send(std::string line, Kind kind) {
    if (closed_) return;
    if (kind == Kind::event && pending_bytes_ + line.size() > limits_.max_pending_output) {
        spdlog::warn("control: {} (uid {}) does not read its events; closing", who_.user, who_.uid);
        close();
        return;
    }
    pending_bytes_ += line.size();
    if (building_) {  // not into the middle of a reply's line: after it
        held_events_.push_back(std::move(line));
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
                spdlog::debug("control: {} (uid {}): {}; closing", self->who_.user, self->who_.uid,
                              error.message());
                self->close();
                return;
            }
            self->pending_bytes_ -= self->output_.front().size();
            self->output_.pop_front();
            if (!self->output_.empty())
                self->write_next();
            else if (self->building_)
                self->work_->add([self] { self->build_next_piece(); });
            else if (self->close_after_write_)
                self->close();
            else
                self->serve_later();
        });
}

void ControlConnection::close() noexcept {
    if (closed_) return;
    closed_ = true;
    if (building_) {
        // The firings a reply was being built from: freeing 1,000 of them takes 0.7 ms, so
        // as a step of its own, not one more for each of twenty clients that leave at once.
        try {
            work_->add([dropped = std::move(building_)] {});
        } catch (const std::bad_alloc&) {
        }
        building_ = nullptr;
    }
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
