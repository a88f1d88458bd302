#pragma once
// `wardcastctl report`: what the schedule in force planned, against what the log recorded.

#include <optional>
#include <ostream>
#include <string>

#include "ctl/log_commands.hpp"      // default_db_path
#include "ctl/offline_commands.hpp"  // ExitCode

namespace CLI {
class App;
}

namespace wardcast::ctl {

struct ReportOptions {
    std::string db = default_db_path;  ///< the broadcast log, opened read-only
    std::optional<std::string> month;  ///< YYYY-MM: that local month
    std::optional<std::string> from;   ///< DATE or INSTANT, inclusive (with `to`)
    std::optional<std::string> to;     ///< DATE or INSTANT, exclusive (with `from`)
    bool csv = false;                  ///< RFC 4180: CRLF, quoted where needed, header row
    bool json = false;                 ///< one JSON object a line
};

/// `wardcastctl report --db PATH (--month YYYY-MM | --from X --to Y) [--csv | --json]`.
///
/// For each announcement, and in total: firings planned by the schedule versions in force
/// (the daemon's own engine, schedules::firings_between, over the log's "load-schedule"
/// timeline; none before its first such entry), how many aired, failed, were skipped, missed
/// or cut short (preempted, cancelled, interrupted), how many have no outcome recorded at all
/// (unaccounted), compliance (aired on plan / planned), airtime of what aired, and its mean
/// and worst lateness in milliseconds. Only firings due are planned: scheduled at or before
/// the log's last entry, or before now when another process (wardcastd) has the log open, or
/// with an outcome recorded; later ones are counted as not yet due. Operator and emergency
/// broadcasts are listed apart: they are not planned.
/// Dates, months and the display use the station's time zone (the schedule in force at the
/// span's start, or the first one put in force when none was yet). Returns exit_usage for bad
/// options (a line on `err`), exit_failed when the log cannot be read or holds no schedule, exit_ok
/// otherwise.
int run_report(const ReportOptions& options, std::ostream& out, std::ostream& err);

/// Adds the `report` subcommand to `app`, bound to `options` (which must outlive parsing).
CLI::App* add_report_command(CLI::App& app, ReportOptions& options);

}  // namespace wardcast::ctl
