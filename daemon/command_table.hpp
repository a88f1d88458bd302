#pragma once
// The control commands (SPEC §5) as one sorted table looked up in one place (MPD's command
// table): each handler turns JSON arguments into a Controller call and its result into JSON.
// docs/protocol.md lists every command's arguments and result.

#include <nlohmann/json.hpp>
#include <span>
#include <string_view>

#include "common/protocol.hpp"
#include "daemon/controller.hpp"

namespace wardcast::daemon {

/// One request being handled: what the handler may read, and what it asks of the connection.
struct CommandCall {
    Controller& controller;
    const Who& who;
    const nlohmann::json& args;  ///< always an object
    bool start_watch = false;    ///< set by `watch`: the connection then receives events
};

/// A handler returns the `result` object; it throws ControlError for a refused request.
using CommandHandler = nlohmann::json (*)(CommandCall& call);

struct Command {
    std::string_view name;
    bool changes_state;  ///< recorded by the daemon as an operator command; logged at info
    CommandHandler handler;
};

/// Every command, sorted by name, names unique.
std::span<const Command> command_table() noexcept;

/// The command named `name` (binary search), or nullptr.
const Command* find_command(std::string_view name) noexcept;

/// Runs `request` and returns the reply to send: the handler's result, or an error reply
/// (unknown_command; bad_argument for arguments of a wrong type, range or name; a
/// ControlError's code; `failed` for any other exception, with its message). Sets
/// `start_watch` when the request was a successful `watch`. Never throws but bad_alloc.
nlohmann::json dispatch(Controller& controller, const protocol::Request& request, const Who& who,
                        bool& start_watch);

}  // namespace wardcast::daemon
