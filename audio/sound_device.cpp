#include "audio/sound_device.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>

#include "audio/gst_init.hpp"

namespace wardcast::audio {

namespace {

namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

constexpr std::uint16_t pulse_default_port = 4713;  // libpulse's PA_NATIVE_DEFAULT_PORT

// Why a server was not reached; nullopt when it accepted a connection.
using Failure = std::optional<std::string>;

struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

std::optional<std::string> env_of(const SoundSearch& s, const char* name) {
    const auto it = s.env.find(name);
    if (it == s.env.end()) return std::nullopt;
    return it->second;
}

bool consume(std::string_view& text, std::string_view prefix) {
    if (text.substr(0, prefix.size()) != prefix) return false;
    text.remove_prefix(prefix.size());
    return true;
}

std::string reason(int error, bool local) {
    switch (error) {
        case ENOENT:
        case ENOTDIR:
            return local ? "no such socket" : std::strerror(error);
        case ECONNREFUSED:
            return local ? "no server listens on it (a stale socket)" : "connection refused";
        case EACCES:
        case EPERM:
            return "permission denied";
        default:
            return std::strerror(error);
    }
}

Failure connect_local(const std::string& path) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof address.sun_path) return "not a socket path";
    std::memcpy(address.sun_path, path.data(), path.size());
    Fd s{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)};
    if (s.fd < 0) return std::string("cannot make a socket: ") + std::strerror(errno);
    if (::connect(s.fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0)
        return std::nullopt;
    if (errno == EAGAIN) return std::nullopt;  // its backlog is full: a server is there, busy
    return reason(errno, true);
}

Failure connect_tcp(const std::string& host, std::uint16_t port, int family,
                    std::chrono::milliseconds timeout) {
    addrinfo hints{};
    hints.ai_family = family;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* found = nullptr;
    if (const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found))
        return "cannot resolve '" + host + "': " + ::gai_strerror(rc);
    const std::unique_ptr<addrinfo, void (*)(addrinfo*)> owned(found, ::freeaddrinfo);
    const auto deadline = Steady::now() + timeout;
    std::string why = "no address";
    for (const addrinfo* a = found; a; a = a->ai_next) {
        Fd s{::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol)};
        if (s.fd < 0) {
            why = std::strerror(errno);
            continue;
        }
        if (::connect(s.fd, a->ai_addr, a->ai_addrlen) == 0) return std::nullopt;
        if (errno != EINPROGRESS) {
            why = reason(errno, false);
            continue;
        }
        pollfd p{s.fd, POLLOUT, 0};
        int ready = 0;
        do {
            const auto left =
                std::chrono::ceil<std::chrono::milliseconds>(deadline - Steady::now());
            ready = ::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 0)));
        } while (ready < 0 && errno == EINTR);
        if (ready <= 0) return "no answer within " + std::to_string(timeout.count()) + " ms";
        int error = 0;
        socklen_t length = sizeof error;
        ::getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &error, &length);
        if (error == 0) return std::nullopt;
        why = reason(error, false);
    }
    return why;
}

// libpulse's parse_host: HOST, HOST:PORT, [HOST] or [HOST]:PORT; port 0 when not given.
std::optional<std::pair<std::string, std::uint16_t>> parse_host(std::string_view s) {
    std::uint16_t port = 0;
    auto parse_port = [&](std::string_view digits) {
        unsigned value = 0;
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
        if (ec != std::errc() || end != digits.data() + digits.size() || value > 65535)
            return false;
        port = static_cast<std::uint16_t>(value);
        return true;
    };
    if (!s.empty() && s.front() == '[') {
        const auto close = s.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        const auto rest = s.substr(close + 1);
        if (!rest.empty() && (rest.front() != ':' || !parse_port(rest.substr(1))))
            return std::nullopt;
        return std::pair{std::string(s.substr(1, close - 1)), port};
    }
    const auto colon = s.rfind(':');
    if (colon == std::string_view::npos) return std::pair{std::string(s), port};
    if (!parse_port(s.substr(colon + 1))) return std::nullopt;
    return std::pair{std::string(s.substr(0, colon)), port};
}

// One server address, as libpulse's pa_parse_address and pa_socket_client_new_string read it.
Failure try_server(std::string_view address, const SoundSearch& search,
                   const std::string& machine_id) {
    if (!address.empty() && address.front() == '{') {
        if (!consume(address, "{" + machine_id + "}"))
            return "for another machine (this one is " + machine_id + ")";
    }
    if (!address.empty() && address.front() == '/') return connect_local(std::string(address));
    if (consume(address, "unix:")) return connect_local(std::string(address));
    int family = AF_UNSPEC;
    if (consume(address, "tcp:") || consume(address, "tcp4:")) {
        family = AF_INET;
    } else if (consume(address, "tcp6:")) {
        family = AF_INET6;
    }
    const auto host = parse_host(address);
    if (!host) return "not a server address";
    const std::uint16_t port = host->second ? host->second : pulse_default_port;
    return connect_tcp(host->first, port, family, search.tcp_timeout);
}

// libpulse's pa_machine_id(): the D-Bus machine id, else the host name.
std::string machine_id(const SoundSearch& search) {
    for (const char* file : {"var/lib/dbus/machine-id", "etc/machine-id"}) {
        std::ifstream in(search.root / file);
        std::string line;
        if (!std::getline(in, line)) continue;
        line = line.substr(0, std::min(line.find('\r'), std::size_t{32}));
        if (!line.empty()) return line;
    }
    return search.hostname;
}

bool owned_by_other(const std::string& path, uid_t uid) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && st.st_uid != uid;
}

// libpulse's per-user socket (pa_runtime_path("native")) and the variable it came from;
// nullopt, with why in `tried`, when libpulse would have none.
std::optional<std::pair<std::string, std::string>> user_socket(const SoundSearch& search,
                                                               const std::string& machine_id,
                                                               std::vector<std::string>& tried) {
    if (const auto dir = env_of(search, "PULSE_RUNTIME_PATH")) {
        if (dir->empty()) {
            tried.push_back("PULSE_RUNTIME_PATH is empty: libpulse has no user socket");
            return std::nullopt;
        }
        return std::pair{*dir + "/native", std::string("PULSE_RUNTIME_PATH")};
    }
    if (const auto dir = env_of(search, "XDG_RUNTIME_DIR")) {
        if (owned_by_other(*dir, search.uid)) {
            tried.push_back("XDG_RUNTIME_DIR " + *dir +
                            " belongs to another user: libpulse does not use it");
            return std::nullopt;
        }
        return std::pair{*dir + "/pulse/native", std::string("XDG_RUNTIME_DIR")};
    }
    const auto home = env_of(search, "HOME");
    if (!home || home->empty()) return std::nullopt;
    if (owned_by_other(*home, search.uid)) {
        tried.push_back("HOME " + *home + " belongs to another user: libpulse does not use it");
        return std::nullopt;
    }
    std::error_code ec;
    std::string base = *home + "/.pulse";
    if (!fs::exists(base, ec)) {
        const auto config = env_of(search, "XDG_CONFIG_HOME");
        base = (config && !config->empty() ? *config : *home + "/.config") + "/pulse";
    }
    return std::pair{base + "/" + machine_id + "-runtime/native", std::string("HOME")};
}

// The PulseAudio server libpulse would reach, as SoundDevice::where; nullopt when none.
std::optional<std::string> find_pulse(const SoundSearch& search, std::vector<std::string>& tried) {
    const std::string id = machine_id(search);
    // {address, where it came from}, in the order libpulse tries them.
    std::vector<std::pair<std::string, std::string>> servers;
    if (const auto list = env_of(search, "PULSE_SERVER")) {
        for (std::size_t at = 0; at < list->size();) {
            const auto start = list->find_first_not_of(" \t\r\n", at);
            if (start == std::string::npos) break;
            const auto end = std::min(list->find_first_of(" \t\r\n", start), list->size());
            servers.emplace_back(list->substr(start, end - start), "PULSE_SERVER");
            at = end;
        }
        if (servers.empty()) tried.push_back("PULSE_SERVER is set but names no server");
    } else {
        if (auto user = user_socket(search, id, tried))
            servers.emplace_back("unix:" + user->first, user->second);
        servers.emplace_back("unix:" + (search.root / "var/run/pulse/native").string(),
                             "system-wide");
    }
    for (const auto& [address, origin] : servers) {
        const std::string name = "PulseAudio server at " + address + " (" + origin + ")";
        if (const auto failure = try_server(address, search, id)) {
            tried.push_back(name + ": " + *failure);
        } else if (!search.have_pulsesink) {
            tried.push_back(name +
                            ": GStreamer has no pulsesink (package gstreamer1.0-pulseaudio)");
            return std::nullopt;
        } else {
            return name;
        }
    }
    return std::nullopt;
}

// An ALSA playback device alsasink may open, as SoundDevice::where; nullopt when none.
std::optional<std::string> find_alsa(const SoundSearch& search, std::vector<std::string>& tried) {
    const fs::path dir = search.root / "dev/snd";
    std::vector<fs::path> devices;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        // pcmC<card>D<device>p: a playback PCM (…c is capture).
        const auto d = name.find('D', 4);
        auto digits = [&](std::size_t from, std::size_t to) {
            return to > from && std::all_of(name.begin() + from, name.begin() + to,
                                            [](char c) { return c >= '0' && c <= '9'; });
        };
        if (name.rfind("pcmC", 0) == 0 && name.back() == 'p' && d != std::string::npos &&
            digits(4, d) && digits(d + 1, name.size() - 1)) {
            devices.push_back(it->path());
        }
    }
    if (devices.empty()) {
        tried.push_back("ALSA: no playback device in " + dir.string());
        return std::nullopt;
    }
    std::sort(devices.begin(), devices.end());
    for (const auto& device : devices) {
        if (::faccessat(AT_FDCWD, device.c_str(), R_OK | W_OK, AT_EACCESS) != 0) {
            tried.push_back("ALSA device " + device.string() + ": " + reason(errno, false));
        } else if (!search.have_alsasink) {
            tried.push_back("ALSA device " + device.string() +
                            ": GStreamer has no alsasink (package gstreamer1.0-alsa)");
            return std::nullopt;
        } else {
            return "ALSA device " + device.string();
        }
    }
    return std::nullopt;
}

// Whether autoaudiosink would consider the factory: installed, and ranked at least marginal.
bool usable_sink(const char* factory) {
    GstElementFactory* f = gst_element_factory_find(factory);
    if (!f) return false;
    const bool ranked = gst_plugin_feature_get_rank(GST_PLUGIN_FEATURE(f)) >= GST_RANK_MARGINAL;
    gst_object_unref(f);
    return ranked;
}

}  // namespace

SoundDevice find_sound_device(const SoundSearch& search) {
    SoundDevice found;
    try {
        if (auto pulse = find_pulse(search, found.tried)) {
            found.kind = SoundDevice::Kind::pulse;
            found.where = std::move(*pulse);
        } else if (auto alsa = find_alsa(search, found.tried)) {
            found.kind = SoundDevice::Kind::alsa;
            found.where = std::move(*alsa);
        }
    } catch (const std::exception& e) {  // out of memory, or a path too odd to build
        found.tried.push_back(std::string("cannot look for a sound device: ") + e.what());
    }
    return found;
}

SoundSearch this_process_search() {
    SoundSearch search;
    for (const char* name :
         {"PULSE_SERVER", "PULSE_RUNTIME_PATH", "XDG_RUNTIME_DIR", "HOME", "XDG_CONFIG_HOME"}) {
        if (const char* value = std::getenv(name)) search.env[name] = value;
    }
    search.uid = ::getuid();
    if (!search.env.count("HOME")) {  // libpulse's pa_get_home_dir() falls back to passwd
        passwd entry{};
        passwd* user = nullptr;
        std::vector<char> buffer(16384);
        if (::getpwuid_r(search.uid, &entry, buffer.data(), buffer.size(), &user) == 0 && user &&
            user->pw_dir)
            search.env["HOME"] = user->pw_dir;
    }
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) == 0) search.hostname = host;
    try {
        ensure_gstreamer();
        search.have_pulsesink = usable_sink("pulsesink");
        search.have_alsasink = usable_sink("alsasink");
    } catch (const std::exception&) {  // no GStreamer: nothing plays at all
        search.have_pulsesink = search.have_alsasink = false;
    }
    return search;
}

bool sound_device_present() { return find_sound_device(this_process_search()).present(); }

}  // namespace wardcast::audio
