#pragma once
// The control commands (SPEC §5) as one sorted table looked up in one place (MPD's command
// table). Each row declares the command's arguments, which the dispatcher checks before the
// handler runs; the handler turns them into a Controller call and its result into JSON; the
// dispatcher records each command that changes something, done or refused, as an operator
// entry. docs/protocol.md lists every command's arguments, result and errors.

#include <functional>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "common/protocol.hpp"
#include "daemon/command_args.hpp"
#include "daemon/controller.hpp"

namespace wardcast::daemon {

/// One request being handled: what the handler may read, and what it asks of the connection.
struct CommandCall {
    Controller& controller;
    const Who& who;
    const Arguments& args;  ///< checked against the command's declaration
    /// What the operator entry records as the result when the handler returns: "ok", or more
    /// (stop: what it stopped). Only for commands that change state.
    std::string outcome = "ok";
    bool start_watch = false;  ///< set by `watch`: the connection then receives events
    bool in_pieces = false;    ///< the caller takes a big result in pieces (dispatch_in_pieces)
    /// Set by a handler whose result has one big array (`next`'s firings) when `in_pieces`:
    /// the handler leaves that array, `pieces_key`, empty in the result it returns, and each
    /// call of `pieces` appends the text of a few more of its elements (comma-separated, no
    /// brackets), returning true after the last.
    std::function<bool(std::string& out)> pieces = nullptr;
    const char* pieces_key = nullptr;
    /// The request's id, for a reply sent later.
    nlohmann::json id = nullptr;
    /// For a handler that finishes later (`reload`): it sets `answers_later` and calls
    /// `answer` once, on the event loop, with the whole reply (result or error) and the
    /// operator entry's result. Set by dispatch.
    std::function<void(nlohmann::json reply, const std::string& outcome)> answer = nullptr;
    bool answers_later = false;
};

/// What dispatch_in_pieces returns for a request answered later: the reply goes to the
/// `answer_later` function the caller gave, once the work is done.
struct AnsweredLater {};

/// A reply line built a piece at a time: each call appends the next piece of the line (the
/// same bytes protocol::frame() gives for the whole reply, '\n' included) to `out` and returns
/// true once the line is complete. Needs nothing of the Controller: it was asked already.
using ReplyPieces = std::function<bool(std::string& out)>;

/// A handler returns the `result` object; it throws ControlError for a refused request.
using CommandHandler = nlohmann::json (*)(CommandCall& call);

/// The command as an operator would type it with wardcastctl, for its operator entry:
/// "play cchc-dvc --zone cho", "volume cho 0.50".
using CommandLine = std::string (*)(const Arguments& args);

/// One row of the table. Adding a command is adding a row (and its handler).
struct Command {
    std::string_view name;
    bool changes_state;              ///< recorded by the dispatcher as an operator command
    std::span<const Argument> args;  ///< every argument it takes; others are refused
    CommandHandler handler;
    CommandLine line = nullptr;  ///< for changes_state; null: the name alone
};

/// Every command, sorted by name, names unique.
std::span<const Command> command_table() noexcept;

/// The command named `name` (binary search), or nullptr.
const Command* find_command(std::string_view name) noexcept;

/// Runs `request` and returns the reply to send: the handler's result, or an error reply
/// (unknown_command; bad_argument for arguments that do not match the command's declaration,
/// checked before the controller is asked anything; a ControlError's code; `failed` for any
/// other exception, with its message). Sets `start_watch` when the request was a successful
/// `watch`. A command that changes state and got past the argument check is recorded once,
/// with `who`, through Controller::record_operator: "ok…" when done, "refused: MESSAGE" for
/// a ControlError, "failed: MESSAGE" for another exception; one answered later when its
/// answer is known. Throws only bad_alloc and what record_operator throws.
nlohmann::json dispatch(Controller& controller, const protocol::Request& request, const Who& who,
                        bool& start_watch);

/// dispatch(), except that a result that takes long to turn into text (`next` with many
/// firings: 300 KB for 1,000) comes as ReplyPieces, so that the caller can return to the event
/// loop between pieces. Errors and small results come as the reply, as from dispatch().
/// A request whose work ends later (`reload`, which reads the schedule off the event loop)
/// comes back as AnsweredLater and its reply is passed to `answer_later` when it is ready (at
/// once, before this returns, when the work was done at once).
std::variant<nlohmann::json, ReplyPieces, AnsweredLater> dispatch_in_pieces(
    Controller& controller, const protocol::Request& request, const Who& who, bool& start_watch,
    std::function<void(nlohmann::json reply)> answer_later = nullptr);

}  // namespace wardcast::daemon
