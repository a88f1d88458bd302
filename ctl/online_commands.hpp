#pragma once
// Commands that talk to wardcastd over its control socket (SPEC §5): status, next, play,
// announce, stop, pause, resume, reload, volume, watch.

#include <CLI/CLI.hpp>
#include <cstddef>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace wardcast::ctl {

/// What the command line asked; filled by CLI11 through add_online_commands().
struct OnlineOptions {
    std::string command;               ///< the online subcommand given; empty when none was
    std::string socket;                ///< --socket or WARDCAST_SOCKET; empty: the default places
    bool json = false;                 ///< --json: one JSON object a line
    std::size_t count = 10;            ///< next N
    std::string id;                    ///< play ID
    std::optional<std::string> zone;   ///< play --zone; volume ZONE
    std::string file;                  ///< announce FILE (made absolute)
    std::optional<std::string> tts;    ///< announce --tts
    std::optional<std::string> voice;  ///< announce --voice
    std::optional<std::string> priority;   ///< announce --priority
    std::vector<std::string> zones;        ///< announce --zone, repeated
    std::optional<std::string> until;      ///< pause --until (or computed from --for)
    std::optional<std::string> pause_for;  ///< pause --for DURATION
    std::vector<std::string> volume_args;  ///< volume [ZONE] LEVEL, as given
    double level = 0.0;                    ///< volume LEVEL, 0.0 .. 1.0
};

/// Adds the online subcommands to `app`, each with --help, --socket and --json. A bad
/// combination (announce with both FILE and --tts, a volume that is not 0..1 or 0%..100%)
/// throws CLI::ValidationError from app.parse(): a usage error.
void add_online_commands(CLI::App& app, OnlineOptions& options);

/// Runs the online command `options.command`; returns the exit code (SPEC §5): exit_ok,
/// exit_failed when the daemon refused or failed (its message on `err`), exit_unreachable
/// when it cannot be reached (one line on `err`). Replies go to `out` (JSON lines with --json).
int run_online(const OnlineOptions& options, std::ostream& out, std::ostream& err);

}  // namespace wardcast::ctl
