#include "daemon/control_server.hpp"

#include <grp.h>
#include <pwd.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace wardcast::daemon {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using stream = asio::local::stream_protocol;

namespace {

/// Work for clients between two returns to the event loop (ControlWork): short next to a
/// broadcast's timing, long enough to answer dozens of `status` requests in one turn.
constexpr std::chrono::microseconds work_per_turn{250};

std::runtime_error cannot_listen(const std::string& path, const std::string& why) {
    return std::runtime_error("cannot listen on control socket " + path + ": " + why);
}

/// True when something accepts connections at `path`.
bool someone_listens(const std::string& path) {
    // Non-blocking: a live daemon with a full backlog must not hang our start-up.
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return false;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    bool listening =
        ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 || errno == EAGAIN;
    ::close(fd);
    return listening;
}

/// Removes a socket file left by a daemon that died; refuses anything else.
void remove_stale(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return;
        throw cannot_listen(path, std::strerror(errno));
    }
    if (!S_ISSOCK(st.st_mode)) throw cannot_listen(path, "it exists and is not a socket");
    if (someone_listens(path)) throw cannot_listen(path, "another wardcastd is listening there");
    if (::unlink(path.c_str()) != 0) throw cannot_listen(path, std::strerror(errno));
    spdlog::info("removed stale control socket {}", path);
}

/// Group `name`'s id, when it exists.
std::optional<gid_t> group_id(const std::string& name) {
    std::vector<char> buffer(16384);
    group g{}, *found = nullptr;
    while (::getgrnam_r(name.c_str(), &g, buffer.data(), buffer.size(), &found) == ERANGE &&
           buffer.size() < (1u << 22))
        buffer.resize(buffer.size() * 2);
    if (!found) return std::nullopt;
    return found->gr_gid;
}

std::string user_name(uid_t uid) {
    std::vector<char> buffer(16384);
    passwd pw{}, *found = nullptr;
    while (::getpwuid_r(uid, &pw, buffer.data(), buffer.size(), &found) == ERANGE &&
           buffer.size() < (1u << 22))
        buffer.resize(buffer.size() * 2);
    return found && found->pw_name ? std::string(found->pw_name) : std::to_string(uid);
}

}  // namespace

ControlServer::ControlServer(asio::io_context& io, Controller& controller,
                             ControlServerOptions options)
    : controller_(controller),
      options_(std::move(options)),
      acceptor_(io),
      retry_timer_(io),
      path_(options_.socket_path.string()),
      work_(std::make_shared<ControlWork>(io.get_executor(), work_per_turn)) {
    if (!(options_.accept_systemd_socket && adopt_systemd_socket())) listen_on_path();
    spdlog::info("control socket {}{}", path_, inherited_ ? " (from systemd)" : "");
    accept_next();
}

ControlServer::~ControlServer() { stop(); }

bool ControlServer::adopt_systemd_socket() {
    int n = sd_listen_fds(0);
    if (n <= 0) return false;
    int fd = SD_LISTEN_FDS_START;
    if (sd_is_socket_unix(fd, SOCK_STREAM, 1, nullptr, 0) <= 0)
        throw cannot_listen("fd " + std::to_string(fd),
                            "systemd passed a socket that is not a listening AF_UNIX stream");
    if (n > 1) spdlog::warn("systemd passed {} sockets; using the first", n);
    acceptor_.assign(stream(), fd);
    inherited_ = true;
    boost::system::error_code error;
    auto local = acceptor_.local_endpoint(error);
    if (!error && !local.path().empty()) path_ = local.path();
    return true;
}

void ControlServer::listen_on_path() {
    if (path_.empty()) throw cannot_listen(path_, "no path given");
    if (path_.size() >= sizeof(sockaddr_un::sun_path))
        throw cannot_listen(path_, "the path is longer than " +
                                       std::to_string(sizeof(sockaddr_un::sun_path) - 1) +
                                       " bytes");
    fs::path dir = fs::path(path_).parent_path();
    std::error_code fs_error;
    if (!dir.empty() && !fs::exists(dir, fs_error)) {
        fs::create_directories(dir, fs_error);
        if (fs_error)
            throw cannot_listen(path_, "cannot create " + dir.string() + ": " + fs_error.message());
        fs::permissions(dir, fs::perms(0755), fs_error);
    }
    remove_stale(path_);

    boost::system::error_code error;
    acceptor_.open(stream(), error);
    if (!error) {
        // The file must never be reachable by others, not even between bind and chmod.
        mode_t old_mask = ::umask(0117);
        acceptor_.bind(stream::endpoint(path_), error);
        ::umask(old_mask);
    }
    if (error) throw cannot_listen(path_, error.message());
    if (::chmod(path_.c_str(), 0660) != 0)
        spdlog::warn("cannot set mode 0660 on {}: {}", path_, std::strerror(errno));
    if (auto gid = group_id(options_.group)) {
        if (::chown(path_.c_str(), static_cast<uid_t>(-1), *gid) != 0)
            spdlog::warn("cannot give {} to group {}: {}", path_, options_.group,
                         std::strerror(errno));
    }
    struct stat st {};
    if (::stat(path_.c_str(), &st) == 0) inode_ = st.st_ino;
    acceptor_.listen(stream::socket::max_listen_connections, error);
    if (error) {
        ::unlink(path_.c_str());
        throw cannot_listen(path_, error.message());
    }
}

void ControlServer::stop() noexcept {
    if (stopped_) return;
    stopped_ = true;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    retry_timer_.cancel(ignored);
    for (const auto& c : connections_) c->stop();
    connections_.clear();
    struct stat st {};
    // Only the file we bound: a second daemon may have replaced it since.
    if (!inherited_ && inode_ != 0 && ::stat(path_.c_str(), &st) == 0 && st.st_ino == inode_)
        ::unlink(path_.c_str());
}

void ControlServer::accept_next() {
    acceptor_.async_accept([this](const boost::system::error_code& error, stream::socket socket) {
        on_accept(error, std::move(socket));
    });
}

void ControlServer::on_accept(const boost::system::error_code& error, stream::socket socket) {
    if (stopped_ || error == asio::error::operation_aborted) return;
    if (error) {
        // EMFILE and the like: accepting again at once would spin; let descriptors free up.
        spdlog::warn("control socket: accept failed: {}", error.message());
        retry_timer_.expires_after(std::chrono::milliseconds(100));
        retry_timer_.async_wait([this](const boost::system::error_code& e) {
            if (!e && !stopped_) accept_next();
        });
        return;
    }
    Who who = identify(socket.native_handle());
    if (connections_.size() >= options_.max_connections) {
        // A client retrying in a loop must not flood the journal: one line a minute at most.
        ++refused_;
        auto now = std::chrono::steady_clock::now();
        if (last_refusal_warning_ == std::chrono::steady_clock::time_point{} ||
            now - last_refusal_warning_ >= std::chrono::minutes(1)) {
            spdlog::warn("control socket: {} connections already; refused {} (uid {}){}",
                         connections_.size(), who.user, who.uid,
                         refused_ > 1 ? fmt::format(" and {} more", refused_ - 1) : "");
            last_refusal_warning_ = now;
            refused_ = 0;
        }
        std::string line = protocol::frame(
            protocol::make_error(nullptr, protocol::err::busy,
                                 "wardcastd serves " + std::to_string(options_.max_connections) +
                                     " connections at once; try again"));
        // A short line into an empty socket buffer: never blocks, and a failure changes nothing.
        [[maybe_unused]] auto sent =
            ::send(socket.native_handle(), line.data(), line.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        boost::system::error_code ignored;
        socket.close(ignored);
    } else {
        auto connection = std::make_shared<ControlConnection>(
            std::move(socket), controller_, std::move(who),
            ConnectionLimits{options_.max_line, options_.idle_timeout, options_.max_pending_output},
            work_, [this](const std::shared_ptr<ControlConnection>& c) { connections_.erase(c); });
        connections_.insert(connection);
        connection->start();
    }
    accept_next();
}

Who ControlServer::identify(int fd) {
    ucred cred{};
    socklen_t size = sizeof(cred);
    Who who;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &size) != 0) {
        who.uid = static_cast<std::uint32_t>(-1);
        who.user = "unknown";
        return who;
    }
    who.uid = cred.uid;
    auto [it, added] = user_names_.try_emplace(cred.uid);
    if (added) it->second = user_name(cred.uid);
    who.user = it->second;
    return who;
}

}  // namespace wardcast::daemon
