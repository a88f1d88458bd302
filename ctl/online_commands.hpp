#pragma once
// Commands that talk to wardcastd over its control socket (SPEC §5), as one table like the
// daemon's (daemon/command_table.cpp): each row says what the command takes on the command
// line, the request it sends and how it prints the result. Adding a command is adding a row.

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <vector>

namespace wardcast::ctl {

struct OnlineCommand;

/// What the command line asked; filled by CLI11 through add_online_command().
struct OnlineOptions {
    const OnlineCommand* command = nullptr;  ///< the online subcommand given, if any
    std::string socket;                ///< --socket or WARDCAST_SOCKET; empty: the default places
    bool json = false;                 ///< --json: one JSON object a line
    std::size_t count = 10;            ///< next N
    std::string id;                    ///< play ID
    std::optional<std::string> zone;   ///< play --zone; volume ZONE
    std::string file;                  ///< announce FILE (made absolute)
    std::optional<std::string> tts;    ///< announce --tts
    std::optional<std::string> voice;  ///< announce --voice
    std::optional<std::string> priority;   ///< announce --priority
    std::vector<std::string> zones;        ///< announce, live --zone, repeated
    std::optional<std::string> source;     ///< live --source
    std::optional<std::string> live_max;   ///< live --max DURATION
    std::optional<std::string> until;      ///< pause --until
    std::optional<std::string> pause_for;  ///< pause --for DURATION
    std::vector<std::string> volume_args;  ///< volume [ZONE] LEVEL, as given
    double level = 0.0;                    ///< volume LEVEL, 0.0 .. 1.0
};

class Client;

/// One online command. Every one also takes --help, --socket and --json (the result as the
/// daemon sent it, one JSON object a line).
struct OnlineCommand {
    const char* name;  ///< the subcommand, the same as the protocol's `cmd`
    const char* help;  ///< one line for --help
    /// Adds its own arguments and options to its subcommand; null: it takes none.
    void (*add_options)(CLI::App& sub, OnlineOptions& o) = nullptr;
    /// Checks what was given, once parsed; throws CLI::ValidationError (a usage error, exit 2).
    void (*check)(OnlineOptions& o) = nullptr;
    /// The request's `args`, built before connecting; throws std::runtime_error for what
    /// cannot be sent (exit 1, "wardcastctl: NAME: WHAT"). Null: none.
    nlohmann::json (*request)(const OnlineOptions& o) = nullptr;
    /// Prints the result for a person.
    void (*print)(const OnlineOptions& o, const nlohmann::json& result,
                  std::ostream& out) = nullptr;
    /// How long the daemon may take to answer.
    std::chrono::seconds timeout{30};
    /// Replaces request-and-print for a command that does more (watch); returns the exit code.
    int (*run)(Client& client, const OnlineOptions& o, std::ostream& out,
               std::ostream& err) = nullptr;
};

/// Every online command, in the order --help lists them.
std::span<const OnlineCommand> online_commands() noexcept;

/// Adds `command`'s subcommand to `app`, with --help, --socket and --json; parsing it sets
/// `options.command`. A bad combination (announce with both FILE and --tts, a volume that is
/// not 0..1 or 0%..100%) throws CLI::ValidationError from app.parse(): a usage error.
CLI::App* add_online_command(CLI::App& app, const OnlineCommand& command, OnlineOptions& options);

/// Runs `options.command`; returns the exit code (SPEC §5): exit_ok, exit_failed when the
/// daemon refused or failed (its message on `err`), exit_unreachable when it cannot be
/// reached (one line on `err`). Replies go to `out` (JSON lines with --json).
int run_online(const OnlineOptions& options, std::ostream& out, std::ostream& err);

}  // namespace wardcast::ctl
