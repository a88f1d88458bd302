#pragma once
// Reading the broadcast log file directly, read-only, as auditors do: `log` and `verify`
// (SPEC §5, §6). No daemon needed.

#include <date/tz.h>

#include <optional>
#include <ostream>
#include <string>

namespace CLI {
class App;
}

namespace wardcast::log {
class LogReader;
}

namespace wardcast::ctl {

/// The log file when --db is not given (SPEC §7); WARDCAST_DB overrides it.
inline constexpr const char* default_db_path = "/var/lib/wardcast/broadcasts.db";

struct LogOptions {
    std::string db = default_db_path;
    std::optional<std::string> from;  ///< DATE (local midnight) or INSTANT, inclusive
    std::optional<std::string> to;    ///< DATE or INSTANT, exclusive
    std::optional<std::string> announcement;
    std::optional<std::string> status;  ///< one of SPEC §6's broadcast statuses
    bool all = false;                   ///< also on_air entries (each start), not only outcomes
    bool csv = false;
    bool json = false;
};

/// `wardcastctl log`: broadcast outcomes and operator commands (with `all`, every entry), in
/// append order, filtered by time (the scheduled instant, or when recorded for entries with
/// none), announcement and status. A table in the station's time zone, RFC 4180 CSV, or JSON
/// lines. exit_ok also when nothing matches; exit_failed when the file cannot be read;
/// exit_usage for bad options.
int run_log(const LogOptions& options, std::ostream& out, std::ostream& err);

struct VerifyOptions {
    std::string db = default_db_path;
    bool json = false;
};

/// `wardcastctl verify`: walks the hash chain. Intact: one line on `out` with the entry count
/// and the last entry's full hash (the anchor to write down), exit_ok. Broken: one line on
/// `err` naming the first bad entry and what is wrong, exit_failed (also when unreadable).
int run_verify(const VerifyOptions& options, std::ostream& out, std::ostream& err);

/// Adds the `log` subcommand to `app`, bound to `options` (which must outlive parsing).
CLI::App* add_log_command(CLI::App& app, LogOptions& options);

/// Adds the `verify` subcommand to `app`, bound to `options` (which must outlive parsing).
CLI::App* add_verify_command(CLI::App& app, VerifyOptions& options);

/// The station as the log's latest stored schedule names it.
struct StationInfo {
    std::string name;                       ///< "" when no schedule was stored
    const date::time_zone* zone = nullptr;  ///< never null
};

/// The station's name and time zone from the latest schedule version stored in the log
/// (`station.timezone`); the system's zone when none is stored or it names no known zone.
StationInfo station_of(log::LogReader& reader);

}  // namespace wardcast::ctl
