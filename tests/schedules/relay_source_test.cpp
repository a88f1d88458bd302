// The forms of a relay or live source (SPEC §8), as the player will take them apart.

#include "schedules/relay_source.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace wardcast::schedules;

TEST_CASE("each source form is taken apart into what the player needs", "[relay_source]") {
    struct Case {
        const char* text;
        RelaySourceKind kind;
        const char* scheme;
        const char* host;
        int port;
        const char* path;
        const char* device;
    };
    using K = RelaySourceKind;
    const Case cases[] = {
        {"http://radio.example.vn:8000/vov1.ogg", K::http, "http", "radio.example.vn", 8000,
         "/vov1.ogg", ""},
        {"http://radio.example.vn/vov1", K::http, "http", "radio.example.vn", 80, "/vov1", ""},
        {"https://radio.example.vn", K::http, "https", "radio.example.vn", 443, "/", ""},
        {"HTTP://Radio.example.vn/a?x=1", K::http, "http", "Radio.example.vn", 80, "/a?x=1", ""},
        {"https://cdn.example.vn/live/vov1/playlist.m3u8", K::hls, "https", "cdn.example.vn", 443,
         "/live/vov1/playlist.m3u8", ""},
        {"http://127.0.0.1:8080/hls/index.M3U8?token=abc", K::hls, "http", "127.0.0.1", 8080,
         "/hls/index.M3U8?token=abc", ""},
        {"http://[::1]:8000/vov1.mp3", K::http, "http", "::1", 8000, "/vov1.mp3", ""},
        {"http://user:secret@radio.example.vn:8000/x", K::http, "http", "radio.example.vn", 8000,
         "/x", ""},
        {"rtsp://192.168.1.20/live", K::rtsp, "rtsp", "192.168.1.20", 554, "/live", ""},
        {"rtsp://cam.local:8554/stream1", K::rtsp, "rtsp", "cam.local", 8554, "/stream1", ""},
        {"rtp://@:5004", K::rtp, "rtp", "", 5004, "", ""},
        {"rtp://@:65535", K::rtp, "rtp", "", 65535, "", ""},
        {"alsa:hw:1,0", K::alsa, "alsa", "", 0, "", "hw:1,0"},
        {"alsa:default", K::alsa, "alsa", "", 0, "", "default"},
        {"pulse:null.monitor", K::pulse, "pulse", "", 0, "", "null.monitor"},
    };
    for (const Case& c : cases) {
        INFO(c.text);
        auto parsed = parse_relay_source(c.text);
        REQUIRE(std::holds_alternative<RelaySourceForm>(parsed));
        const auto& f = std::get<RelaySourceForm>(parsed);
        CHECK(f.kind == c.kind);
        CHECK(f.text == c.text);
        CHECK(f.scheme == c.scheme);
        CHECK(f.host == c.host);
        CHECK(f.port == c.port);
        CHECK(f.path == (c.kind == K::http || c.kind == K::hls || c.kind == K::rtsp ? c.path : ""));
        CHECK(f.device == c.device);
    }
}

TEST_CASE("a source in no known form is refused with the reason", "[relay_source]") {
    struct Case {
        const char* text;
        const char* reason;
    };
    const Case cases[] = {
        {"",
         "is empty: name a stream or an input (http://, https://, rtsp://, rtp://@:PORT, "
         "alsa:DEVICE or pulse:SOURCE)"},
        {"htp://radio.example.vn/vov1",
         "is not one wardcast can air: use http://, https://, rtsp://, rtp://@:PORT, alsa:DEVICE "
         "or pulse:SOURCE (did you mean 'http'?)"},
        {"radio.example.vn/vov1",
         "is not one wardcast can air: use http://, https://, rtsp://, rtp://@:PORT, alsa:DEVICE "
         "or pulse:SOURCE"},
        {"file:/srv/audio/x.wav",
         "is not one wardcast can air: use http://, https://, rtsp://, rtp://@:PORT, alsa:DEVICE "
         "or pulse:SOURCE"},
        {"http:radio.example.vn", "is written http://... (with '//')"},
        {"http://", "names no host (like http://radio.example.vn:8000/vov1.ogg)"},
        {"http://:8000/vov1", "names no host (like http://radio.example.vn:8000/vov1.ogg)"},
        {"http://radio.example.vn:80000/vov1",
         "has port '80000': a port is a number from 1 to 65535"},
        {"http://radio.example.vn:/vov1", "has port '': a port is a number from 1 to 65535"},
        {"http://radio.example.vn:abc/", "has port 'abc': a port is a number from 1 to 65535"},
        {"http://[::1/vov1", "has an IPv6 address without its closing ']'"},
        {"rtsp:///live", "names no host (like rtsp://192.168.1.20:554/live)"},
        {"http://radio.example.vn/thời sự.mp3",
         "contains a space or a control character (write a space in a URL as %20)"},
        {"rtp://10.0.0.5:5004",
         "must be rtp://@:PORT: a relay listens on a port of this machine, and the sender sends "
         "its stream to that port"},
        {"rtp://@239.1.1.1:5004", "must be rtp://@:PORT, like rtp://@:5004 (no address after '@')"},
        {"rtp://@:0", "has port '0': a port is a number from 1 to 65535"},
        {"rtp://@:65536", "has port '65536': a port is a number from 1 to 65535"},
        {"rtp://@:", "has port '': a port is a number from 1 to 65535"},
        {"alsa:", "names no device (like alsa:default or alsa:hw:1,0)"},
        {"alsa://hw:1,0", "is written alsa:DEVICE without '//' (like alsa:default or alsa:hw:1,0)"},
        {"pulse:", "names no source (like pulse:default or pulse:line_in.monitor)"},
    };
    for (const Case& c : cases) {
        INFO(c.text);
        auto parsed = parse_relay_source(c.text);
        REQUIRE(std::holds_alternative<std::string>(parsed));
        CHECK(std::get<std::string>(parsed) == c.reason);
    }
}

TEST_CASE("source kinds have short names", "[relay_source]") {
    CHECK(std::string(to_string(RelaySourceKind::hls)) == "hls");
    CHECK(std::string(to_string(RelaySourceKind::pulse)) == "pulse");
}
