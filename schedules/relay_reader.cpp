#include "schedules/relay_reader.hpp"

#include <variant>

#include "schedules/relay_source.hpp"

namespace wardcast::schedules {

std::optional<std::string> read_source(YamlReader& r, const YAML::Node& node,
                                       const std::string& key, const std::string& what) {
    auto text = r.text(node, key);
    if (!text) return std::nullopt;
    auto parsed = parse_relay_source(*text);
    if (const auto* reason = std::get_if<std::string>(&parsed)) {
        r.error(node, what + " '" + *text + "' " + *reason);
        return std::nullopt;
    }
    return text;
}

std::optional<Relay> read_relay(YamlReader& r, const YAML::Node& node) {
    if (!node.IsMap()) {
        r.error(node,
                "'relay' must be a mapping like { source: \"http://radio.example.vn/vov1\", "
                "duration: 30m }, not " +
                    describe(node));
        return std::nullopt;
    }
    r.check_keys(node, {"source", "duration", "start_timeout"}, "relay");
    Relay relay;
    relay.mark = r.mark_of(node);
    bool ok = true;

    if (!node["source"]) {
        r.error(node,
                "'relay' needs 'source', the stream or input to relay (http://, https://, "
                "rtsp://, rtp://@:PORT, alsa:DEVICE or pulse:SOURCE)");
        ok = false;
    } else if (auto source = read_source(r, node["source"], "source", "relay source")) {
        relay.source = *source;
    } else {
        ok = false;
    }

    if (!node["duration"]) {
        r.error(node,
                "'relay' needs 'duration', how long to relay, like 30m: it is how long the relay "
                "holds its zones");
        ok = false;
    } else if (auto d = r.duration(node["duration"], "duration")) {
        if (*d <= Duration{0}) {
            r.error(node["duration"], "a relay's 'duration' must be more than 0s, like 30m");
            ok = false;
        } else {
            relay.duration = *d;
        }
    } else {
        ok = false;
    }

    if (const YAML::Node timeout = node["start_timeout"]) {
        if (auto t = r.duration(timeout, "start_timeout")) {
            if (*t < std::chrono::seconds(1)) {
                r.error(timeout, "'start_timeout' must be at least 1s");
                ok = false;
            } else if (relay.duration > Duration{0} && *t > relay.duration) {
                r.error(timeout, "'start_timeout' " + format_duration(*t) +
                                     " is longer than the relay's duration " +
                                     format_duration(relay.duration) +
                                     ": the slot would end before the relay gave up waiting");
                ok = false;
            } else {
                relay.start_timeout = *t;
            }
        } else {
            ok = false;
        }
    }
    return ok ? std::optional(relay) : std::nullopt;
}

std::string refused_with_relay(const std::string& key) {
    return "'" + key + "' cannot be used with 'relay': a relay airs once, for its 'duration'";
}

}  // namespace wardcast::schedules
