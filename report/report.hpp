#pragma once
// `report`'s figures: what the schedule versions in force planned, against what a ward's log
// recorded. Built from a ward's file (wardcastctl report) or from the district's copy of it
// (wardcast-district report), by the same code, so that both give the same figures.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/names.hpp"
#include "log/log_reader.hpp"
#include "report/schedule_history.hpp"

namespace wardcast::report {

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
    std::string db;  ///< where the entries were read: the log's path, or the ward's name
    std::string source_is = "Log";                       ///< the table's label of `db`
    std::string last_entry_is = "the log's last entry";  ///< what due_until is, when not live
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
    /// Owns the schedule versions `periods` point to.
    std::shared_ptr<ScheduleHistory> history;
};

/// The span asked for: a local month, or from (inclusive) and to (exclusive), each a DATE
/// (local midnight) or an INSTANT, in the station's time zone.
struct SpanRequest {
    std::optional<std::string> month;  ///< YYYY-MM
    std::optional<std::string> from;
    std::optional<std::string> to;
};

/// The span options cannot make a span; what() is the one line to print (exit code 2).
class SpanError : public std::invalid_argument {
  public:
    using std::invalid_argument::invalid_argument;
};

/// Why `span` cannot make a report ("give the span: ...", "--month '13' is not a month"), or
/// "" when it can.
std::string span_problem(const SpanRequest& span);

/// The report of `source` over `span`. For each announcement, and in total: firings planned
/// by the schedule versions in force (schedules::firings_between over the log's
/// "load-schedule" timeline; none before its first such entry), how many aired, failed, were
/// skipped, missed or cut short, how many have no outcome recorded (unaccounted), compliance,
/// airtime and lateness. Firings scheduled after `due_until` (the source's last entry's
/// recorded_at; `now` when `live` and later) are not yet due. Dates and the display use the
/// station's time zone: the schedule in force at the span's start, or the first one put in
/// force when none was yet. Throws NoSchedule when the source holds no schedule, SpanError for
/// a span that cannot be read, and what the source throws.
Report build_report(log::EntrySource& source, const SpanRequest& span, bool live,
                    schedules::Instant now);

}  // namespace wardcast::report
