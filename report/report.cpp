#include "report/report.hpp"

#include <algorithm>
#include <chrono>
#include <regex>
#include <unordered_map>

#include "schedules/engine.hpp"
#include "schedules/timefmt.hpp"

namespace wardcast::report {

namespace sch = wardcast::schedules;

namespace {

std::optional<ReportSpan> parse_span(const SpanRequest& o, const date::time_zone& zone,
                                     std::string& why) {
    if (o.month) {
        static const std::regex form(R"((\d{4})-(\d{2}))");
        std::smatch m;
        unsigned month = 0;
        if (std::regex_match(*o.month, m, form)) month = static_cast<unsigned>(std::stoi(m[2]));
        if (month < 1 || month > 12) {
            why = "--month '" + *o.month + "' is not a month YYYY-MM (2026-12)";
            return std::nullopt;
        }
        const date::year_month first{date::year{std::stoi(m[1])}, date::month{month}};
        return ReportSpan{
            sch::local_to_instant(zone, date::local_days{first / 1}, {}),
            sch::local_to_instant(zone, date::local_days{(first + date::months{1}) / 1}, {})};
    }
    auto parse = [&](const std::string& text, const char* flag) {
        auto i = sch::parse_date_or_instant(text, zone);
        if (!i && why.empty())
            why = std::string(flag) + " '" + text +
                  "' is not a DATE (2026-12-01) or an INSTANT (2026-12-01T06:00:00+07:00)";
        return i;
    };
    auto from = parse(*o.from, "--from");
    auto to = parse(*o.to, "--to");
    if (!from || !to) return std::nullopt;
    if (*to <= *from) {
        why = "--to '" + *o.to + "' is not after --from '" + *o.from + "'";
        return std::nullopt;
    }
    return ReportSpan{*from, *to};
}

}  // namespace

std::string span_problem(const SpanRequest& o) {
    if (o.month && (o.from || o.to)) return "give either --month or --from and --to, not both";
    if (!o.month && !(o.from && o.to))
        return "give the span: --month YYYY-MM, or --from DATE|INSTANT and --to DATE|INSTANT";
    std::string why;
    parse_span(o, *date::locate_zone("UTC"), why);  // the form does not depend on the zone
    return why;
}

namespace {

bool on_request(const std::optional<names::Trigger>& trigger) {
    return trigger == names::Trigger::operator_request || trigger == names::Trigger::emergency;
}

void count(ReportTally& t, const log::LogEntry& e) {
    using names::Status;
    // What reached the outputs, whatever ended it; rows written before aired_ms existed (NULL)
    // count end - start when they played through.
    if (e.aired_ms)
        t.airtime += std::chrono::milliseconds(*e.aired_ms);
    else if (e.status == Status::played && e.started && e.ended && *e.ended > *e.started)
        t.airtime += *e.ended - *e.started;
    if (e.status == Status::played) {
        ++t.aired;
        std::int64_t late = 0;
        if (e.lateness_ms)
            late = *e.lateness_ms;
        else if (e.started && e.scheduled)
            late = (*e.started - *e.scheduled).count();
        t.late_sum += late;
        t.worst_late = std::max(t.worst_late.value_or(late), late);
    } else if (e.status == Status::failed) {
        ++t.failed;
    } else if (e.status == Status::skipped) {
        ++t.skipped;
    } else if (e.status == Status::missed) {
        ++t.missed;
    } else {
        ++t.other;  // preempted, cancelled, interrupted
    }
}

/// Gathers a report: plan from `history`, outcomes streamed from `reader` over the span only.
class Gatherer {
  public:
    explicit Gatherer(Report& report) : r_(report) {}

    /// Adds a period and the firings its version plans over it; call in time order.
    void plan(const InForce& in_force) {
        const auto period = static_cast<std::uint32_t>(r_.periods.size());
        r_.periods.push_back({in_force.version, in_force.from, in_force.to});
        const auto* schedule = in_force.version ? in_force.version->schedule.get() : nullptr;
        if (!schedule) return;
        std::vector<std::size_t> row_of(schedule->announcements.size());  // by order
        for (const auto& a : schedule->announcements)
            row_of[a.order] = row_for(a.id, a.title, true);
        // Stretches come in time order and firings_between keeps it: each plan stays sorted.
        const auto due_until = r_.due_until.time_since_epoch().count();
        for (const auto& f : sch::firings_between(*schedule, in_force.from, in_force.to)) {
            const auto at = f.scheduled.time_since_epoch().count();
            plans_[row_of[f.announcement->order]].push_back({at, period, at <= due_until, false});
        }
    }

    void outcome(const log::LogEntry& e) {
        if (on_request(e.trigger)) {
            auto& asked = r_.on_request;
            auto it = std::find_if(asked.begin(), asked.end(), [&](const OnRequestRow& o) {
                return o.trigger == e.trigger && o.id == e.announcement_id && o.title == e.title;
            });
            if (it == asked.end())
                it = asked.insert(asked.end(), {*e.trigger, e.announcement_id, e.title, {}});
            count(it->tally, e);
            return;
        }
        const auto i = row_for(e.announcement_id, e.title, false);
        auto& row = r_.rows[i];
        count(row.tally, e);
        auto& plan = plans_[i];
        const auto at = e.scheduled ? e.scheduled->time_since_epoch().count() : 0;
        const auto f = std::lower_bound(plan.begin(), plan.end(), at,
                                        [](const Firing& f, std::int64_t t) { return f.at < t; });
        if (!e.scheduled || f == plan.end() || f->at != at || f->recorded) {
            ++row.tally.off_plan;  // a second outcome for one firing is off plan too
            return;
        }
        f->recorded = true;
        f->due = true;  // decided before due_until, say skipped ahead of a pause: accounted for
        if (e.status == names::Status::played) ++row.tally.aired_on_plan;
    }

    /// Counts what is planned, not yet due and never recorded, by row, period and in total;
    /// drops announcements with nothing to show (none of their firings fall in the span, and
    /// nothing was recorded).
    void finish() {
        std::vector<ReportRow> kept;
        for (std::size_t i = 0; i < r_.rows.size(); ++i) {
            auto& t = r_.rows[i].tally;
            for (const auto& f : plans_[i]) {
                auto& period = r_.periods[f.period];
                if (f.due) {
                    ++t.planned, ++period.planned;
                    t.unaccounted += !f.recorded;
                } else {
                    ++t.not_yet_due, ++period.not_yet_due;
                }
            }
            if (t.planned == 0 && t.not_yet_due == 0 && t.outcomes() == 0) continue;
            r_.total.add(t);
            kept.push_back(std::move(r_.rows[i]));
        }
        r_.rows = std::move(kept);
    }

  private:
    /// The row of announcement `id`, made when new; a plan's title wins over a log entry's.
    std::size_t row_for(const std::string& id, const std::string& title, bool planned) {
        auto [it, fresh] = index_.try_emplace(id, r_.rows.size());
        if (fresh) {
            r_.rows.push_back({id, title, {}});
            plans_.emplace_back();
        } else if (planned) {
            r_.rows[it->second].title = title;  // the latest version's
        }
        return it->second;
    }

    Report& r_;
    std::unordered_map<std::string, std::size_t> index_;  // announcement id -> row
    struct Firing {
        std::int64_t at;       // scheduled, ms since the epoch
        std::uint32_t period;  // index in Report::periods
        bool due;              // at or before due_until, or recorded
        bool recorded;         // an outcome was recorded
    };
    std::vector<std::vector<Firing>> plans_;  // by row: planned firings, sorted by `at`
};

}  // namespace

Report build_report(log::EntrySource& reader, const SpanRequest& options, bool live,
                    sch::Instant now) {
    if (auto why = span_problem(options); !why.empty()) throw SpanError(why);
    Report report;
    report.live = live;
    report.history = std::make_shared<ScheduleHistory>(reader, sch::system_timezone_name());
    ScheduleHistory& history = *report.history;

    const date::time_zone* zone = date::locate_zone(sch::system_timezone_name());
    auto zone_of = [](const StoredSchedule* v) {
        return v && v->schedule ? v->schedule->timezone : nullptr;
    };
    if (auto z = zone_of(&history.latest())) zone = z;
    std::string why;
    auto span = parse_span(options, *zone, why);
    // The station's zone is the one in force when the span starts (the first one put in
    // force, when none was yet).
    auto at_start = [&] {
        const auto* v = history.at(span->from);
        return v ? v : &history.first();
    };
    if (const auto* z = span ? zone_of(at_start()) : nullptr; z && z != zone) {
        zone = z;
        span = parse_span(options, *zone, why);
    }
    if (!span) throw SpanError(why);
    report.zone = zone;
    report.span = *span;
    const auto* first = at_start();
    const auto& named = first->schedule ? *first : history.latest();
    if (named.schedule) report.station = named.schedule->station_name;

    // The log says what happened up to its last entry; a live one also up to now.
    report.due_until = reader.last_recorded_at().value_or(history.latest_since());
    if (report.live) report.due_until = std::max(report.due_until, now);

    Gatherer gather(report);
    for (const auto& in_force : history.over(span->from, span->to)) gather.plan(in_force);

    log::LogFilter filter;
    filter.from = span->from;
    filter.to = span->to;
    filter.kinds = {names::EntryKind::broadcast};
    reader.each(filter, [&](const log::LogEntry& e) { gather.outcome(e); });
    gather.finish();
    return report;
}

}  // namespace wardcast::report
