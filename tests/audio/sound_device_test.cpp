// Whether output `auto` has a sound device (audio/sound_device.hpp): the PulseAudio server
// libpulse would reach, found by PULSE_SERVER, PULSE_RUNTIME_PATH, XDG_RUNTIME_DIR, HOME or the
// system-wide socket, else an ALSA playback device. Real sockets in a temporary folder: one
// that listens counts, a stale one (its server gone) and a missing one do not.

#include "audio/sound_device.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <memory>

#include "tests/schedules/schedule_files.hpp"

namespace fs = std::filesystem;
using namespace wardcast::audio;
using Kind = SoundDevice::Kind;

namespace {

/// A socket file descriptor, closed at the end.
class Socket {
  public:
    explicit Socket(int fd) : fd_(fd) { REQUIRE(fd_ >= 0); }
    ~Socket() { ::close(fd_); }
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    int fd() const { return fd_; }

  private:
    int fd_;
};

/// An AF_UNIX stream socket bound at `path`; listening, or closed at once when `stale` (the
/// file stays, as after a server that died), as a PulseAudio server's socket would be.
std::unique_ptr<Socket> unix_socket(const fs::path& path, bool stale) {
    fs::create_directories(path.parent_path());
    auto s = std::make_unique<Socket>(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    REQUIRE(path.string().size() < sizeof address.sun_path);
    std::strcpy(address.sun_path, path.c_str());
    REQUIRE(::bind(s->fd(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    if (stale) return nullptr;  // closes it; the file stays
    REQUIRE(::listen(s->fd(), 4) == 0);
    return s;
}

/// A TCP socket bound on 127.0.0.1 at a free port, listening or not (then it refuses).
std::pair<std::unique_ptr<Socket>, int> tcp_socket(bool listening, int backlog = 4) {
    auto s = std::make_unique<Socket>(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(s->fd(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    if (listening) REQUIRE(::listen(s->fd(), backlog) == 0);
    socklen_t length = sizeof address;
    REQUIRE(::getsockname(s->fd(), reinterpret_cast<sockaddr*>(&address), &length) == 0);
    return {std::move(s), ntohs(address.sin_port)};
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
    return text;
}

std::string describe(const SoundDevice& d) {
    std::string text = "where: " + d.where + "\ntried:";
    for (const auto& t : d.tried) text += "\n  " + t;
    return text;
}

}  // namespace

TEST_CASE("a sound device is found where libpulse and autoaudiosink would find one",
          "[audio][sound-device]") {
    struct Case {
        const char* name;
        /// The environment; `@` is the temporary folder, {PORT} a listening TCP port on
        /// 127.0.0.1, {CLOSED} one that refuses.
        std::vector<std::pair<std::string, std::string>> env;
        std::vector<std::string> listening;  ///< unix sockets with a server, under `@`
        std::vector<std::string> stale;      ///< socket files nobody listens on, under `@`
        std::vector<std::pair<std::string, std::string>> files;  ///< under `@`
        Kind kind;
        std::string says;         ///< in `where` when found, else in one of `tried`
        bool other_user = false;  ///< the folders belong to someone else
        bool pulsesink = true;
        bool alsasink = true;
    };
    const std::string id = "0123456789abcdef0123456789abcdef";
    const std::string machine_id = "root/etc/machine-id";
    // clang-format off
    const auto c = GENERATE_COPY(values<Case>({
        {"nothing anywhere", {}, {}, {}, {}, Kind::none, "ALSA: no playback device"},
        {"nothing: the system-wide socket is missing", {}, {}, {}, {}, Kind::none,
         "/var/run/pulse/native (system-wide): no such socket"},
        {"PULSE_SERVER unix:PATH with a server", {{"PULSE_SERVER", "unix:@/p/native"}},
         {"p/native"}, {}, {}, Kind::pulse, "at unix:@/p/native (PULSE_SERVER)"},
        {"PULSE_SERVER as a bare path", {{"PULSE_SERVER", "@/p/native"}}, {"p/native"}, {}, {},
         Kind::pulse, "at @/p/native (PULSE_SERVER)"},
        {"PULSE_SERVER naming a stale socket", {{"PULSE_SERVER", "unix:@/p/native"}}, {},
         {"p/native"}, {}, Kind::none, "no server listens on it (a stale socket)"},
        {"PULSE_SERVER naming no socket", {{"PULSE_SERVER", "unix:@/p/native"}}, {}, {}, {},
         Kind::none, "unix:@/p/native (PULSE_SERVER): no such socket"},
        {"PULSE_SERVER list: the second answers",
         {{"PULSE_SERVER", "unix:@/gone/native  \t@/p/native"}}, {"p/native"}, {"gone/native"},
         {}, Kind::pulse, "at @/p/native (PULSE_SERVER)"},
        {"PULSE_SERVER {machine id} of this machine",
         {{"PULSE_SERVER", "{" + id + "}unix:@/p/native"}}, {"p/native"}, {},
         {{machine_id, id + "\n"}}, Kind::pulse, "(PULSE_SERVER)"},
        {"PULSE_SERVER {machine id} of another machine",
         {{"PULSE_SERVER", "{ffff}unix:@/p/native"}}, {"p/native"}, {}, {{machine_id, id + "\n"}},
         Kind::none, "for another machine (this one is " + id + ")"},
        {"PULSE_SERVER {host name} counts only without a machine id",
         {{"PULSE_SERVER", "{wardhost}unix:@/p/native"}}, {"p/native"}, {}, {}, Kind::pulse,
         "(PULSE_SERVER)"},
        {"PULSE_SERVER tcp:HOST:PORT with a server", {{"PULSE_SERVER", "tcp:127.0.0.1:{PORT}"}},
         {}, {}, {}, Kind::pulse, "at tcp:127.0.0.1:{PORT} (PULSE_SERVER)"},
        {"PULSE_SERVER HOST:PORT with a server", {{"PULSE_SERVER", "127.0.0.1:{PORT}"}}, {}, {},
         {}, Kind::pulse, "(PULSE_SERVER)"},
        {"PULSE_SERVER [HOST]:PORT with a server", {{"PULSE_SERVER", "[127.0.0.1]:{PORT}"}}, {},
         {}, {}, Kind::pulse, "(PULSE_SERVER)"},
        {"PULSE_SERVER tcp4: refused", {{"PULSE_SERVER", "tcp4:127.0.0.1:{CLOSED}"}}, {}, {}, {},
         Kind::none, "tcp4:127.0.0.1:{CLOSED} (PULSE_SERVER): connection refused"},
        {"PULSE_SERVER tcp6: is IPv6 only", {{"PULSE_SERVER", "tcp6:127.0.0.1:{PORT}"}}, {}, {},
         {}, Kind::none, "cannot resolve '127.0.0.1'"},
        {"PULSE_SERVER with a bad port", {{"PULSE_SERVER", "tcp:localhost:speakers"}}, {}, {}, {},
         Kind::none, "not a server address"},
        {"PULSE_SERVER empty: libpulse refuses it, whatever else runs",
         {{"PULSE_SERVER", ""}, {"XDG_RUNTIME_DIR", "@/xdg"}}, {"xdg/pulse/native"}, {}, {},
         Kind::none, "PULSE_SERVER is set but names no server"},
        {"PULSE_SERVER wins over PULSE_RUNTIME_PATH",
         {{"PULSE_SERVER", "unix:@/p/native"}, {"PULSE_RUNTIME_PATH", "@/rt"}}, {"rt/native"},
         {"p/native"}, {}, Kind::none, "(a stale socket)"},
        {"PULSE_RUNTIME_PATH with a server", {{"PULSE_RUNTIME_PATH", "@/rt"}}, {"rt/native"}, {},
         {}, Kind::pulse, "at unix:@/rt/native (PULSE_RUNTIME_PATH)"},
        {"PULSE_RUNTIME_PATH with a stale socket", {{"PULSE_RUNTIME_PATH", "@/rt"}}, {},
         {"rt/native"}, {}, Kind::none, "unix:@/rt/native (PULSE_RUNTIME_PATH): no server"},
        {"PULSE_RUNTIME_PATH wins over XDG_RUNTIME_DIR",
         {{"PULSE_RUNTIME_PATH", "@/rt"}, {"XDG_RUNTIME_DIR", "@/xdg"}}, {"xdg/pulse/native"}, {},
         {}, Kind::none, "unix:@/rt/native (PULSE_RUNTIME_PATH): no such socket"},
        {"XDG_RUNTIME_DIR with a server", {{"XDG_RUNTIME_DIR", "@/xdg"}}, {"xdg/pulse/native"},
         {}, {}, Kind::pulse, "at unix:@/xdg/pulse/native (XDG_RUNTIME_DIR)"},
        {"XDG_RUNTIME_DIR with a stale socket", {{"XDG_RUNTIME_DIR", "@/xdg"}}, {},
         {"xdg/pulse/native"}, {}, Kind::none, "(a stale socket)"},
        {"XDG_RUNTIME_DIR of another user", {{"XDG_RUNTIME_DIR", "@/xdg"}}, {"xdg/pulse/native"},
         {}, {}, Kind::none, "belongs to another user", true},
        {"HOME's legacy runtime folder", {{"HOME", "@/home"}},
         {"home/.config/pulse/" + id + "-runtime/native"}, {}, {{machine_id, id}}, Kind::pulse,
         "-runtime/native (HOME)"},
        {"XDG_CONFIG_HOME moves HOME's", {{"HOME", "@/home"}, {"XDG_CONFIG_HOME", "@/config"}},
         {"config/pulse/wardhost-runtime/native"}, {}, {}, Kind::pulse, "(HOME)"},
        {"the system-wide server", {}, {"root/var/run/pulse/native"}, {}, {}, Kind::pulse,
         "at unix:@/root/var/run/pulse/native (system-wide)"},
        {"the system-wide socket, stale", {}, {}, {"root/var/run/pulse/native"}, {}, Kind::none,
         "(system-wide): no server listens on it (a stale socket)"},
        {"an ALSA playback device", {}, {}, {}, {{"root/dev/snd/pcmC0D0p", ""}}, Kind::alsa,
         "ALSA device @/root/dev/snd/pcmC0D0p"},
        {"ALSA capture only", {}, {}, {},
         {{"root/dev/snd/pcmC0D0c", ""}, {"root/dev/snd/controlC0", ""}}, Kind::none,
         "ALSA: no playback device in @/root/dev/snd"},
        {"PulseAudio before ALSA, as autoaudiosink ranks them", {{"PULSE_RUNTIME_PATH", "@/rt"}},
         {"rt/native"}, {}, {{"root/dev/snd/pcmC1D3p", ""}}, Kind::pulse, "(PULSE_RUNTIME_PATH)"},
        {"a server but no pulsesink", {{"PULSE_RUNTIME_PATH", "@/rt"}}, {"rt/native"}, {}, {},
         Kind::none, "GStreamer has no pulsesink", false, false},
        {"a server but no pulsesink: ALSA then", {{"PULSE_RUNTIME_PATH", "@/rt"}}, {"rt/native"},
         {}, {{"root/dev/snd/pcmC0D0p", ""}}, Kind::alsa, "ALSA device", false, false},
        {"an ALSA device but no alsasink", {}, {}, {}, {{"root/dev/snd/pcmC0D0p", ""}},
         Kind::none, "GStreamer has no alsasink", false, true, false},
    }));
    // clang-format on

    wardcast::test::TempDir dir;
    const auto listener = tcp_socket(true);
    const auto refuser = tcp_socket(false);
    const int port = listener.second, closed_port = refuser.second;
    auto fill = [&](std::string text) {
        text = replaced(text, "@", dir.path().string());
        text = replaced(text, "{PORT}", std::to_string(port));
        return replaced(text, "{CLOSED}", std::to_string(closed_port));
    };
    std::vector<std::unique_ptr<Socket>> servers;
    for (const auto& s : c.listening) servers.push_back(unix_socket(dir.path() / s, false));
    for (const auto& s : c.stale) unix_socket(dir.path() / s, true);
    for (const auto& [name, text] : c.files) dir.write(name, text);
    fs::create_directories(dir.path() / "root");

    SoundSearch search;
    for (const auto& [name, value] : c.env) search.env[name] = fill(value);
    search.root = dir.path() / "root";
    search.uid = ::getuid() + (c.other_user ? 1 : 0);
    search.hostname = "wardhost";
    search.have_pulsesink = c.pulsesink;
    search.have_alsasink = c.alsasink;
    const SoundDevice found = find_sound_device(search);

    INFO(c.name << "\n" << describe(found));
    CHECK(found.kind == c.kind);
    CHECK(found.present() == (c.kind != Kind::none));
    const std::string says = fill(c.says);
    if (found.present()) {
        CHECK_THAT(found.where, Catch::Contains(says));
    } else {
        CHECK(found.where.empty());
        CHECK(std::any_of(found.tried.begin(), found.tried.end(),
                          [&](const std::string& t) { return t.find(says) != std::string::npos; }));
    }
}

TEST_CASE("a TCP server that never answers is given up after tcp_timeout",
          "[audio][sound-device]") {
    // A listener whose accept queue is full drops new connection requests unanswered.
    auto [server, port] = tcp_socket(true, 0);
    std::vector<std::unique_ptr<Socket>> queued;
    for (int i = 0; i < 4; ++i) {
        queued.push_back(std::make_unique<Socket>(
            ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)));
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = htons(static_cast<std::uint16_t>(port));
        ::connect(queued.back()->fd(), reinterpret_cast<sockaddr*>(&address), sizeof address);
    }
    wardcast::test::TempDir dir;
    SoundSearch search;
    search.env["PULSE_SERVER"] = "tcp:127.0.0.1:" + std::to_string(port);
    search.root = dir.path();
    search.tcp_timeout = std::chrono::milliseconds(300);
    const auto start = std::chrono::steady_clock::now();
    const SoundDevice found = find_sound_device(search);
    const auto took = std::chrono::steady_clock::now() - start;

    INFO(describe(found));
    CHECK_FALSE(found.present());
    REQUIRE_FALSE(found.tried.empty());
    CHECK_THAT(found.tried.front(), Catch::Contains("no answer within 300 ms"));
    CHECK(took >= std::chrono::milliseconds(300));
    CHECK(took < std::chrono::seconds(3));
}
