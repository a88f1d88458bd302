#pragma once
// systemd's end of NOTIFY_SOCKET for tests: what wardcastd tells systemd (READY, STATUS, ...).

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace wardcast::test {

using Steady = std::chrono::steady_clock;

/// What systemd's end of NOTIFY_SOCKET sees: a datagram socket bound in a temporary folder,
/// keeping every message with the time it arrived.
class NotifySocket {
  public:
    struct Message {
        Steady::time_point at;
        std::string text;
        /// True when one of the message's lines is `wanted`, or starts with it when it ends in '='.
        bool has(const std::string& wanted) const { return find(wanted) != nullptr; }
        const char* find(const std::string& wanted) const {
            const bool prefix = !wanted.empty() && wanted.back() == '=';
            for (std::size_t start = 0; start <= text.size();) {
                std::size_t end = std::min(text.find('\n', start), text.size());
                if (prefix ? text.compare(start, wanted.size(), wanted) == 0
                           : text.compare(start, end - start, wanted) == 0)
                    return text.c_str() + start;
                start = end + 1;
            }
            return nullptr;
        }
        /// The STATUS= text, or "" when there is none.
        std::string status() const {
            const char* s = find("STATUS=");
            if (!s) return "";
            std::string line(s + 7);
            return line.substr(0, line.find('\n'));
        }
    };

    explicit NotifySocket(const std::filesystem::path& path) : path_(path) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd_ >= 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        REQUIRE(path.string().size() < sizeof addr.sun_path);
        std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    }
    ~NotifySocket() { ::close(fd_); }
    NotifySocket(const NotifySocket&) = delete;
    NotifySocket& operator=(const NotifySocket&) = delete;

    const std::filesystem::path& path() const { return path_; }
    const std::vector<Message>& messages() const { return messages_; }

    /// Receives until a message from index `from` on has a line `line` (see Message::has);
    /// its index, or nullopt after `timeout`.
    std::optional<std::size_t> wait_for(const std::string& line, std::chrono::milliseconds timeout,
                                        std::size_t from = 0) {
        return wait_until([&](const Message& m) { return m.has(line); }, timeout, from);
    }

    /// Receives until a message from index `from` on satisfies `match`; its index, or nullopt.
    std::optional<std::size_t> wait_until(const std::function<bool(const Message&)>& match,
                                          std::chrono::milliseconds timeout, std::size_t from = 0) {
        const auto until = Steady::now() + timeout;
        for (;;) {
            for (std::size_t i = from; i < messages_.size(); ++i)
                if (match(messages_[i])) return i;
            from = std::max(from, messages_.size());
            if (!receive(until)) return std::nullopt;
        }
    }

    /// Keeps receiving for `how_long`.
    void collect(std::chrono::milliseconds how_long) {
        const auto until = Steady::now() + how_long;
        while (receive(until)) {
        }
    }

    /// Indices of the messages from `from` on that have `line`.
    std::vector<std::size_t> all(const std::string& line, std::size_t from = 0) const {
        std::vector<std::size_t> out;
        for (std::size_t i = from; i < messages_.size(); ++i)
            if (messages_[i].has(line)) out.push_back(i);
        return out;
    }

  private:
    /// One message, unless `until` passes first.
    bool receive(Steady::time_point until) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Steady::now());
        if (left <= std::chrono::milliseconds(0)) return false;
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
        char buffer[4096];
        ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
        if (n < 0) return false;
        messages_.push_back({Steady::now(), std::string(buffer, static_cast<std::size_t>(n))});
        return true;
    }

    std::filesystem::path path_;
    int fd_ = -1;
    std::vector<Message> messages_;
};

}  // namespace wardcast::test
