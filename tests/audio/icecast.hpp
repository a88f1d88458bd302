#pragma once
// A real Icecast server on a free loopback port, and a real source client feeding it, for the
// relay tests. Both are child processes, ended by their destructors.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/spawn.hpp"
#include "tests/schedules/schedule_files.hpp"

namespace wardcast::test {

/// Whether `program` is on PATH.
inline bool have_program(const std::string& program) {
    return find_on_path(program).has_value();
}

/// A TCP port on 127.0.0.1 that nothing listens on (at the moment of asking).
inline int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t size = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
    ::close(fd);
    return ntohs(address.sin_port);
}

/// A loopback TCP listener that completes connections (the kernel does) and never answers:
/// a stalled server.
class SilentServer {
  public:
    SilentServer() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
        ::listen(fd_, 16);
        socklen_t size = sizeof address;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size);
        port_ = ntohs(address.sin_port);
    }
    ~SilentServer() { ::close(fd_); }
    SilentServer(const SilentServer&) = delete;
    SilentServer& operator=(const SilentServer&) = delete;
    int port() const { return port_; }

  private:
    int fd_;
    int port_ = 0;
};

/// A child process, its output in `log`; SIGTERM, then SIGKILL, when destroyed or stopped.
class Child {
  public:
    Child(const std::vector<std::string>& argv, const std::filesystem::path& log) {
        const ExecImage image(argv);
        const int out = open_output(log, true);
        pid_ = ::fork();
        if (pid_ == 0) {
            ::dup2(out, 1);
            ::dup2(out, 2);
            image.exec();
            ::_exit(127);
        }
        ::close(out);
    }
    ~Child() { stop(); }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    /// Whether it is still running.
    bool running() {
        if (pid_ <= 0) return false;
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) pid_ = -1;
        return pid_ > 0;
    }
    /// Ends it (SIGKILL after 3 s of SIGTERM) and waits for it.
    void stop() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGTERM);
        for (int i = 0; i < 300 && running(); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
            pid_ = -1;
        }
    }

  private:
    pid_t pid_ = -1;
};

/// The body of GET `path` from 127.0.0.1:`port` (after the headers), or nullopt when nothing
/// answers within about a second. Reads at most `limit` bytes.
inline std::optional<std::string> http_get(int port, const std::string& path,
                                           std::size_t limit = 1 << 20) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval timeout{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string reply;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
        const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
        if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(request.size())) {
            char chunk[4096];
            for (ssize_t n; reply.size() < limit && (n = ::recv(fd, chunk, sizeof chunk, 0)) > 0;) {
                reply.append(chunk, static_cast<std::size_t>(n));
            }
        }
    }
    ::close(fd);
    const auto body = reply.find("\r\n\r\n");
    if (body == std::string::npos) return std::nullopt;
    return reply.substr(body + 4);
}

/// icecast2 on a free loopback port, configured by the test (source password "wardcast").
class Icecast {
  public:
    Icecast() : port_(free_port()) {
        // Icecast will not run as root without dropping to another user: as root it changes
        // to nobody, which only needs to read this folder.
        std::filesystem::permissions(dir_.path(), std::filesystem::perms::owner_all |
                                                      std::filesystem::perms::group_read |
                                                      std::filesystem::perms::group_exec |
                                                      std::filesystem::perms::others_read |
                                                      std::filesystem::perms::others_exec);
        const std::string security =
            ::geteuid() == 0 ? "<security><chroot>0</chroot><changeowner><user>nobody</user>"
                               "<group>nogroup</group></changeowner></security>"
                             : "<security><chroot>0</chroot></security>";
        config_ = dir_.write(
            "icecast.xml",
            "<icecast>\n"
            "  <limits><clients>50</clients><sources>4</sources><source-timeout>5</source-timeout>"
            "<burst-on-connect>1</burst-on-connect></limits>\n"
            "  <authentication><source-password>wardcast</source-password>"
            "<admin-user>admin</admin-user><admin-password>wardcast</admin-password>"
            "</authentication>\n"
            "  <hostname>127.0.0.1</hostname>\n"
            "  <listen-socket><port>" +
                std::to_string(port_) +
                "</port><bind-address>127.0.0.1</bind-address></listen-socket>\n"
                "  <paths><basedir>/usr/share/icecast2</basedir><logdir>" +
                dir_.path().string() +
                "</logdir><webroot>/usr/share/icecast2/web</webroot>"
                "<adminroot>/usr/share/icecast2/admin</adminroot></paths>\n"
                "  <logging><accesslog>-</accesslog><errorlog>-</errorlog><loglevel>2</loglevel>"
                "</logging>\n  " +
                security + "\n</icecast>\n");
        server_.emplace(std::vector<std::string>{"icecast2", "-c", config_.string()},
                        dir_.path() / "icecast.log");
    }

    int port() const { return port_; }
    const std::filesystem::path& dir() const { return dir_.path(); }
    /// What icecast printed, for failure messages.
    std::string log() const {
        std::ifstream f(dir_.path() / "icecast.log");
        return std::string((std::istreambuf_iterator<char>(f)), {});
    }

    /// Whether the server answers its status page within `timeout`.
    bool wait_up(std::chrono::milliseconds timeout) {
        return poll(timeout, [&] { return http_get(port_, "/status-json.xsl").has_value(); });
    }
    /// Whether `mount` is on the air (a source client feeds it) within `timeout`, with a
    /// second or so of sound for a new listener at once, as a station that has been on a while.
    bool wait_mount(const std::string& mount, std::chrono::milliseconds timeout) {
        const std::string url = "\"listenurl\":\"http://127.0.0.1:" + std::to_string(port_) + mount;
        return poll(timeout, [&] {
            const auto status = http_get(port_, "/status-json.xsl");
            if (!status || status->find(url) == std::string::npos) return false;
            const auto burst = http_get(port_, mount, 16384);
            return burst && burst->size() >= 12000;
        });
    }

    /// A source client (gst-launch-1.0 … shout2send) feeding `mount` a 440 Hz Ogg Vorbis tone.
    std::unique_ptr<Child> start_source(const std::string& mount) {
        return std::make_unique<Child>(
            std::vector<std::string>{"gst-launch-1.0", "-q", "audiotestsrc", "is-live=true",
                                     "freq=440", "volume=0.5", "!", "audioconvert", "!",
                                     "vorbisenc", "!", "oggmux", "!", "shout2send", "ip=127.0.0.1",
                                     "port=" + std::to_string(port_), "mount=" + mount,
                                     "password=wardcast"},
            dir_.path() / "source.log");
    }

  private:
    template <class Ready>
    static bool poll(std::chrono::milliseconds timeout, Ready ready) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!ready()) {
            if (std::chrono::steady_clock::now() > deadline) return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return true;
    }

    TempDir dir_;
    int port_;
    std::filesystem::path config_;
    std::optional<Child> server_;
};

}  // namespace wardcast::test
