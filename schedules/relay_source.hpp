#pragma once
// The forms of a relayed or live source (SPEC §8): what `relay.source`, `station.live_source`
// and `wardcastctl live --source` may name. Form only: nothing here touches the network.

#include <string>
#include <string_view>
#include <variant>

namespace wardcast::schedules {

/// Which kind of source a source text names; the player picks its GStreamer elements by it.
enum class RelaySourceKind {
    http,   ///< http:// or https:// stream (Icecast, Shoutcast: MP3, Ogg, AAC)
    hls,    ///< http:// or https:// URL whose path ends in .m3u8 (an HLS playlist)
    rtsp,   ///< rtsp://HOST[:PORT]/PATH
    rtp,    ///< rtp://@:PORT, an L16 RTP stream received on a local UDP port (as SPEC §3 sends)
    alsa,   ///< alsa:DEVICE, a sound card input (a tuner, a line input)
    pulse,  ///< pulse:SOURCE, a PulseAudio source (an input or a sink's monitor)
};

/// A source text taken apart.
struct RelaySourceForm {
    RelaySourceKind kind = RelaySourceKind::http;
    std::string text;    ///< the source as written
    std::string scheme;  ///< lower case: "http", "https", "rtsp", "rtp", "alsa" or "pulse"
    std::string host;    ///< http/https/rtsp: the host (an IPv6 address without brackets); else ""
    int port = 0;        ///< the port written, else the scheme's (80, 443, 554); alsa/pulse: 0
    std::string path;    ///< http/https/rtsp: from the first '/' on, with the query ("/" if none)
    std::string device;  ///< alsa: the device ("hw:1,0", "default"); pulse: the source name
};

/// Takes `text` apart as one of SPEC §8's source forms: http:// or https:// URL (kind hls when
/// the path ends in .m3u8), rtsp://HOST[:PORT][/PATH], rtp://@:PORT (port 1 to 65535),
/// alsa:DEVICE or pulse:SOURCE. Schemes are matched without regard to case. On failure returns
/// the reason, worded to follow the quoted source in a message: "names no host (like ...)".
std::variant<RelaySourceForm, std::string> parse_relay_source(std::string_view text);

/// "http", "hls", "rtsp", "rtp", "alsa" or "pulse".
const char* to_string(RelaySourceKind kind) noexcept;

}  // namespace wardcast::schedules
