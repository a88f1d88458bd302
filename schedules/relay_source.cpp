#include "schedules/relay_source.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <vector>

#include "schedules/diagnostic.hpp"

namespace wardcast::schedules {

namespace {

const char* const kForms = "http://, https://, rtsp://, rtp://@:PORT, alsa:DEVICE or pulse:SOURCE";

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

/// A port number 1 .. 65535 written in decimal, or nullopt.
std::optional<int> port_of(std::string_view s) {
    if (s.empty() || s.size() > 5) return std::nullopt;
    int port = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        port = port * 10 + (c - '0');
    }
    if (port < 1 || port > 65535) return std::nullopt;
    return port;
}

std::string bad_port(std::string_view port) {
    return "has port '" + std::string(port) + "': a port is a number from 1 to 65535";
}

/// http://, https:// and rtsp:// URLs: `rest` is what follows "SCHEME://".
std::variant<RelaySourceForm, std::string> url(RelaySourceForm f, std::string_view rest,
                                               int default_port, const char* example) {
    const std::size_t end = std::min(rest.find_first_of("/?#"), rest.size());
    std::string_view authority = rest.substr(0, end);
    f.path = std::string(rest.substr(end));
    if (f.path.empty() || f.path[0] != '/') f.path.insert(0, "/");
    if (const auto at = authority.rfind('@'); at != std::string_view::npos)
        authority.remove_prefix(at + 1);  // user:password@ is passed on as written in `text`

    std::string_view host = authority, port;
    if (!authority.empty() && authority[0] == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos)
            return std::string("has an IPv6 address without its closing ']'");
        host = authority.substr(1, close - 1);
        std::string_view after = authority.substr(close + 1);
        if (!after.empty() && after[0] != ':')
            return std::string("has text after the IPv6 address ']': write [ADDRESS]:PORT");
        if (!after.empty()) port = after.substr(1);
        if (!after.empty() && port.empty()) return bad_port(port);
    } else if (const auto colon = authority.find(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
        if (port.empty()) return bad_port(port);
    }
    if (host.empty()) return "names no host (like " + std::string(example) + ")";
    f.host = std::string(host);
    if (port.empty()) {
        f.port = default_port;
    } else if (auto p = port_of(port)) {
        f.port = *p;
    } else {
        return bad_port(port);
    }
    if (f.kind == RelaySourceKind::http) {
        const std::string_view path =
            std::string_view(f.path).substr(0, f.path.find_first_of("?#"));
        if (ends_with(lower(path), ".m3u8")) f.kind = RelaySourceKind::hls;
    }
    return f;
}

std::variant<RelaySourceForm, std::string> rtp(RelaySourceForm f, std::string_view rest) {
    if (rest.empty() || rest[0] != '@')
        return std::string(
            "must be rtp://@:PORT: a relay listens on a port of this machine, and the sender "
            "sends its stream to that port");
    if (rest.size() < 2 || rest[1] != ':')
        return std::string("must be rtp://@:PORT, like rtp://@:5004 (no address after '@')");
    auto p = port_of(rest.substr(2));
    if (!p) return bad_port(rest.substr(2));
    f.port = *p;
    return f;
}

std::variant<RelaySourceForm, std::string> device(RelaySourceForm f, std::string_view rest,
                                                  const char* what, const char* example) {
    if (rest.empty()) return "names no " + std::string(what) + " (like " + example + ")";
    if (rest.substr(0, 2) == "//")
        return "is written " + f.scheme + ":" +
               (f.kind == RelaySourceKind::alsa ? "DEVICE" : "SOURCE") + " without '//' (like " +
               example + ")";
    f.device = std::string(rest);
    return f;
}

}  // namespace

std::variant<RelaySourceForm, std::string> parse_relay_source(std::string_view text) {
    if (text.empty()) return "is empty: name a stream or an input (" + std::string(kForms) + ")";
    if (std::any_of(text.begin(), text.end(),
                    [](char c) { return static_cast<unsigned char>(c) <= ' ' || c == '\x7f'; }))
        return std::string(
            "contains a space or a control character (write a space in a URL as %20)");

    RelaySourceForm f;
    f.text = std::string(text);
    const auto colon = text.find(':');
    f.scheme = lower(text.substr(0, colon == std::string_view::npos ? 0 : colon));
    const std::string_view after_colon =
        colon == std::string_view::npos ? std::string_view{} : text.substr(colon + 1);
    const bool slashes = after_colon.substr(0, 2) == "//";
    const std::string_view rest = slashes ? after_colon.substr(2) : after_colon;

    if ((f.scheme == "http" || f.scheme == "https") && slashes) {
        f.kind = RelaySourceKind::http;
        return url(f, rest, f.scheme == "http" ? 80 : 443, "http://radio.example.vn:8000/vov1.ogg");
    }
    if (f.scheme == "rtsp" && slashes) {
        f.kind = RelaySourceKind::rtsp;
        return url(f, rest, 554, "rtsp://192.168.1.20:554/live");
    }
    if (f.scheme == "rtp" && slashes) {
        f.kind = RelaySourceKind::rtp;
        return rtp(f, rest);
    }
    if (f.scheme == "alsa") {
        f.kind = RelaySourceKind::alsa;
        return device(f, after_colon, "device", "alsa:default or alsa:hw:1,0");
    }
    if (f.scheme == "pulse") {
        f.kind = RelaySourceKind::pulse;
        return device(f, after_colon, "source", "pulse:default or pulse:line_in.monitor");
    }
    if (f.scheme == "http" || f.scheme == "https" || f.scheme == "rtsp" || f.scheme == "rtp")
        return "is written " + f.scheme + "://... (with '//')";

    const std::vector<std::string> schemes = {"http", "https", "rtsp", "rtp", "alsa", "pulse"};
    const std::string hint = f.scheme.empty() ? "" : closest_match(f.scheme, schemes);
    return "is not one wardcast can air: use " + std::string(kForms) +
           (hint.empty() ? "" : " (did you mean '" + hint + "'?)");
}

const char* to_string(RelaySourceKind kind) noexcept {
    switch (kind) {
        case RelaySourceKind::http:
            return "http";
        case RelaySourceKind::hls:
            return "hls";
        case RelaySourceKind::rtsp:
            return "rtsp";
        case RelaySourceKind::rtp:
            return "rtp";
        case RelaySourceKind::alsa:
            return "alsa";
        case RelaySourceKind::pulse:
            return "pulse";
    }
    return "?";
}

}  // namespace wardcast::schedules
