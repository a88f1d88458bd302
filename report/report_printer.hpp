#pragma once
// Printing a report (report/report.hpp) as a table, CSV or JSON lines; the pieces are public
// so that wardcast-district prints every ward's report and the district's total alike.

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "report/report.hpp"

namespace wardcast::report {

using Json = nlohmann::ordered_json;  // keys in the documented order

/// The page an auditor prints: heading, one line per announcement, TOTAL, the broadcasts on
/// request, and a legend.
void print_report_table(const Report& report, std::ostream& out);

/// RFC 4180: CRLF line ends, fields quoted where needed, a header row; UTF-8. Announcement
/// rows (trigger "schedule"), then operator and emergency rows, then a TOTAL row.
void print_report_csv(const Report& report, std::ostream& out);

/// One JSON object a line, with the CSV's rows and fields, then a last line
/// {"total": {...}, "station", "timezone", "from", "to", "due_until", "live",
///  "schedules": [{"sha256" (null: no schedule in force), "from", "to", "problem", "planned",
///  "not_yet_due"}, ...]}.
void print_report_json(const Report& report, std::ostream& out);

/// The CSV's and JSON's lines: announcements, broadcasts on request, TOTAL last.
std::vector<Json> report_lines(const Report& report);

/// print_report_json's last line.
Json report_summary(const Report& report);

/// The figures of a total (a TOTAL line without announcement, title and trigger), with
/// `on_request` the summed broadcasts on request: {"planned", ..., "worst_lateness_ms",
/// "on_request": {"broadcasts", "aired", "airtime", "airtime_ms"}}.
Json total_json(const ReportTally& total, const ReportTally& on_request);

/// The table's figure columns, PLANNED to WORST LATE ms: their headers and one tally's cells.
std::vector<std::string> tally_headers();
std::vector<std::string> tally_cells(const ReportTally& t);

/// The sum of `report`'s broadcasts on request.
ReportTally on_request_total(const Report& report);

/// One CSV line (no line end) of `values`, quoted where needed.
std::string csv_line(const Json& values);
/// ... of the keys of `object`.
std::string csv_header(const Json& object);

}  // namespace wardcast::report
