#pragma once
// The figures of `wardcastctl report`, and printing them as a table, CSV or JSON lines.

#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "common/names.hpp"
#include "ctl/schedule_history.hpp"

namespace wardcast::ctl {

/// Counts for one announcement (or a total). Status counts cover every outcome recorded for
/// a firing in the span; `aired_on_plan` only those matching a planned firing. A planned
/// firing is due when scheduled at or before Report::due_until, or when the log records its
/// outcome; only due firings are `planned`, the others are `not_yet_due`.
struct ReportTally {
    std::int64_t planned = 0;  ///< due firings of the schedule in force
    std::int64_t aired = 0;    ///< played
    std::int64_t failed = 0;
    std::int64_t skipped = 0;
    std::int64_t missed = 0;
    std::int64_t other = 0;        ///< preempted, cancelled, interrupted
    std::int64_t unaccounted = 0;  ///< planned firings with no outcome recorded at all
    std::int64_t not_yet_due = 0;  ///< firings of the schedule in force after due_until
    std::int64_t aired_on_plan = 0;
    std::int64_t off_plan = 0;  ///< outcomes that match no planned firing
    /// Sound that reached the outputs: the sum of aired_ms (any status), and of ended - started
    /// of what was played in rows written before aired_ms.
    std::chrono::milliseconds airtime{0};
    std::int64_t late_sum = 0;               ///< ms, over what was played
    std::optional<std::int64_t> worst_late;  ///< ms, over what was played

    void add(const ReportTally& t);
    /// Every outcome counted.
    std::int64_t outcomes() const noexcept { return aired + failed + skipped + missed + other; }
    /// aired_on_plan / planned in percent, rounded down to 0.1 (100.0 only when all aired);
    /// nullopt when nothing was planned.
    std::optional<double> compliance() const;
    /// Mean lateness of what was played, ms rounded; nullopt when nothing was played.
    std::optional<std::int64_t> mean_late() const;
};

/// One announcement's line: scheduled and catch-up broadcasts.
struct ReportRow {
    std::string id;
    std::string title;
    ReportTally tally;
};

/// Operator or emergency broadcasts of one announcement (or one ad-hoc message): not planned.
struct OnRequestRow {
    names::Trigger trigger = names::Trigger::operator_request;  ///< or emergency
    std::string id;                                             ///< "" for an ad-hoc message
    std::string title;
    ReportTally tally;
};

/// from <= scheduled < to.
struct ReportSpan {
    schedules::Instant from;
    schedules::Instant to;
};

/// A stretch of the span with one schedule version in force, or none, and what it planned.
struct ReportPeriod {
    const StoredSchedule* version = nullptr;  ///< null: no schedule in force
    schedules::Instant from;
    schedules::Instant to;
    std::int64_t planned = 0;  ///< due firings
    std::int64_t not_yet_due = 0;
};

/// A whole report.
struct Report {
    std::string db;
    std::string station;
    const date::time_zone* zone = nullptr;  ///< for display; never null when printed
    ReportSpan span;
    /// Firings scheduled up to here are due: the log's last entry's recorded_at, or now when
    /// `live` and now is later.
    schedules::Instant due_until;
    bool live = false;                  ///< another process (a running wardcastd) had the log open
    std::vector<ReportPeriod> periods;  ///< covering the span, in time order
    std::vector<ReportRow> rows;        ///< planned announcements first, in schedule order
    ReportTally total;                  ///< of `rows`
    std::vector<OnRequestRow> on_request;
};

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

}  // namespace wardcast::ctl
