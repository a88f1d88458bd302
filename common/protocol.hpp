#pragma once
// The control protocol shared by wardcastd and wardcastctl (as chrony's candm.h): framing,
// command names, error codes, limits. docs/protocol.md is the description for other tools.
//
// One JSON object a line, UTF-8, '\n'-terminated. Request and reply alternate on a connection
// (a client may pipeline: replies come in request order). After `watch`, the connection
// receives event lines until it closes.
//   request: {"v":1,"id":7,"cmd":"status","args":{}}
//   reply:   {"v":1,"id":7,"ok":true,"result":{...}}
//            {"v":1,"id":7,"ok":false,"error":{"code":"not_found","message":"..."}}
//   event:   {"v":1,"event":"broadcast-start", ...}

#include <chrono>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace wardcast::protocol {

using nlohmann::json;

/// The protocol version this code speaks; a request with another `v` is refused.
inline constexpr int version = 1;

/// Longest request line accepted, in bytes without the '\n'; a longer one gets `too_large`
/// and the connection is closed.
inline constexpr std::size_t max_line = 64 * 1024;
/// Deepest nesting of arrays/objects accepted in a request (none of ours needs more than 3).
inline constexpr std::size_t max_depth = 16;
/// Connections served at once; one more gets a `busy` error line and is closed.
inline constexpr std::size_t max_connections = 32;
/// A connection without a complete request for this long is closed (watch connections are not).
inline constexpr std::chrono::seconds idle_timeout{30};
/// Bytes of events queued for a watcher that does not read; past this it is closed. (A client
/// that does not read its replies is simply not read from: one reply at a time is queued.)
inline constexpr std::size_t max_pending_output = 1024 * 1024;

/// Command names (the `cmd` field).
namespace cmd {
inline constexpr const char* announce = "announce";
inline constexpr const char* hello = "hello";
inline constexpr const char* live = "live";
inline constexpr const char* next = "next";
inline constexpr const char* pause = "pause";
inline constexpr const char* play = "play";
inline constexpr const char* reload = "reload";
inline constexpr const char* resume = "resume";
inline constexpr const char* status = "status";
inline constexpr const char* stop = "stop";
inline constexpr const char* version = "version";
inline constexpr const char* volume = "volume";
inline constexpr const char* watch = "watch";
}  // namespace cmd

/// Error codes (`error.code`).
namespace err {
inline constexpr const char* bad_json = "bad_json";        ///< the line is not JSON
inline constexpr const char* bad_request = "bad_request";  ///< JSON, but not a request object
inline constexpr const char* unsupported_version = "unsupported_version";  ///< `v` is not 1
inline constexpr const char* unknown_command = "unknown_command";
inline constexpr const char* bad_argument = "bad_argument";  ///< missing, unknown, wrong type/range
inline constexpr const char* not_found = "not_found";        ///< no such announcement or zone
inline constexpr const char* failed = "failed";        ///< could not be done (reason in message)
inline constexpr const char* conflict = "conflict";    ///< not in the current state
inline constexpr const char* too_large = "too_large";  ///< line longer than max_line
inline constexpr const char* busy = "busy";            ///< too many connections
}  // namespace err

/// Event names (`event` field of watch lines).
namespace event {
inline constexpr const char* broadcast_start = "broadcast-start";
inline constexpr const char* broadcast_end = "broadcast-end";
inline constexpr const char* operator_command = "operator";
inline constexpr const char* fault = "fault";  ///< a fault begun or cleared (state)
}  // namespace event

/// What a fault is about (`what` in a `fault` event and in `status`'s `faults`), and the
/// `state` of a `fault` event.
namespace fault {
inline constexpr const char* log = "log";  ///< the broadcast log cannot be written (SPEC §6)
inline constexpr const char* begun = "begun";
inline constexpr const char* cleared = "cleared";
}  // namespace fault

/// A well-formed request.
struct Request {
    json id;  ///< an integer, or null when the client sent none; echoed in the reply
    std::string cmd;
    json args = json::object();  ///< always an object
};

/// One line on the wire: `message` dumped compactly as UTF-8 (invalid UTF-8 in strings is
/// replaced by U+FFFD, never thrown) plus '\n'. Never throws but std::bad_alloc.
std::string frame(const json& message);

/// {"v":1,"id":id,"cmd":cmd,"args":args}.
json make_request(const json& id, std::string_view cmd, json args = json::object());
/// {"v":1,"id":id,"ok":true,"result":result}.
json make_result(const json& id, json result);
/// {"v":1,"id":id,"ok":false,"error":{"code":code,"message":message}}.
json make_error(const json& id, std::string_view code, std::string_view message);
/// `fields` (an object) with "v":1 and "event":name added.
json make_event(std::string_view name, json fields = json::object());

/// Parses one request line (without the '\n'). Never throws on any input (but bad_alloc):
/// returns the request, or the error reply to send (bad_json, bad_request, unsupported_version).
std::variant<Request, json> parse_request(std::string_view line);

/// Parses one reply or event line from the daemon; a discarded json (is_discarded()) when the
/// line is not a JSON object. Never throws but bad_alloc.
json parse_message(std::string_view line);

/// The daemon's default socket (SPEC §7): /run/wardcast/control.sock as root, else
/// $XDG_RUNTIME_DIR/wardcast/control.sock (/tmp/wardcast-UID/control.sock when that variable
/// is unset). Ignores WARDCAST_SOCKET.
std::string default_socket_path();

/// Where a client looks for the daemon, in order: $WARDCAST_SOCKET alone when set; else
/// default_socket_path() and, for a non-root user, also /run/wardcast/control.sock (operators
/// in the wardcast group talk to the system daemon without saying where it is).
std::vector<std::string> client_socket_candidates();

}  // namespace wardcast::protocol
