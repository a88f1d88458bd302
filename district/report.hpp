#pragma once
// `wardcast-district report` (SPEC §9): every ward's `wardcastctl report` from the district's
// copy of its log, planned by the same code from the schedules the ward shipped, and the
// district's total.

#include <iosfwd>
#include <optional>
#include <string>

#include "report/report.hpp"

namespace wardcast::district {

struct DistrictReportOptions {
    report::SpanRequest span;         ///< --month, or --from and --to
    std::optional<std::string> ward;  ///< only this ward
    bool csv = false;
    bool json = false;
};

/// Prints the report of every ward (or `options.ward`) over the span, in the ward's time zone:
/// per ward what `wardcastctl report` prints for its file (counted up to the last entry the
/// district received), then a table of every ward's TOTAL and the DISTRICT TOTAL. A ward that
/// shipped no schedule yet is listed as such, in no total. --json: every ward's lines of
/// `wardcastctl report --json`, each with "ward" first; then one line
/// {"district_total": {...}, "wards", "reported", "without_schedule": [...]}. --csv: a "ward"
/// column before `wardcastctl report --csv`'s, every ward's rows, then DISTRICT TOTAL.
/// Returns exit_usage for bad options (a line on `err`), exit_failed when --ward is unknown,
/// exit_ok otherwise. Throws pg::Error when the store fails.
int run_report(const std::string& conninfo, const DistrictReportOptions& options, std::ostream& out,
               std::ostream& err);

}  // namespace wardcast::district
