#include "report/report_printer.hpp"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "ctl/table.hpp"
#include "schedules/timefmt.hpp"

namespace wardcast::report {

namespace sch = wardcast::schedules;
using ctl::Table;
using ctl::truncate;

void ReportTally::add(const ReportTally& t) {
    planned += t.planned;
    aired += t.aired;
    failed += t.failed;
    skipped += t.skipped;
    missed += t.missed;
    other += t.other;
    unaccounted += t.unaccounted;
    not_yet_due += t.not_yet_due;
    aired_on_plan += t.aired_on_plan;
    off_plan += t.off_plan;
    airtime += t.airtime;
    late_sum += t.late_sum;
    if (t.worst_late) worst_late = std::max(worst_late.value_or(*t.worst_late), *t.worst_late);
}

std::optional<double> ReportTally::compliance() const {
    if (planned == 0) return std::nullopt;
    // Rounded down, so that 100.0 means every planned firing aired.
    return static_cast<double>(aired_on_plan * 1000 / planned) / 10.0;
}

std::optional<std::int64_t> ReportTally::mean_late() const {
    if (aired == 0) return std::nullopt;
    return std::llround(static_cast<double>(late_sum) / static_cast<double>(aired));
}

namespace {

std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

/// HH:MM:SS, rounded down to the second; hours may pass 24.
std::string hh_mm_ss(std::chrono::milliseconds ms) {
    const long long s = std::chrono::floor<std::chrono::seconds>(ms).count();
    char text[32];
    std::snprintf(text, sizeof text, "%02lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
    return text;
}

std::string percent(double p) {
    char text[16];
    std::snprintf(text, sizeof text, "%.1f", p);
    return text;
}

/// Local "YYYY-MM-DD HH:MM", with ":SS" when the seconds are not zero.
std::string local(sch::Instant i, const date::time_zone& zone) {
    std::string text = sch::format_local(i, zone);
    return text.compare(16, 3, ":00") == 0 ? text.substr(0, 16) : text;
}

std::string short_sha(const std::string& sha) { return sha.substr(0, 12); }

/// The figures of one line; planned-side fields are null for broadcasts on request.
Json line_json(const std::string& id, const std::string& title, names::Trigger trigger,
               const ReportTally& t, bool planned) {
    auto opt = [](const auto& v) { return v ? Json(*v) : Json(nullptr); };
    auto when_planned = [&](std::int64_t v) { return planned ? Json(v) : Json(nullptr); };
    return Json{{"announcement", id},
                {"title", title},
                {"trigger", names::name(trigger)},
                {"planned", when_planned(t.planned)},
                {"aired", t.aired},
                {"failed", t.failed},
                {"skipped", t.skipped},
                {"missed", t.missed},
                {"other", t.other},
                {"unaccounted", when_planned(t.unaccounted)},
                {"not_yet_due", when_planned(t.not_yet_due)},
                {"off_plan", when_planned(t.off_plan)},
                {"compliance", planned ? opt(t.compliance()) : Json(nullptr)},
                {"airtime", hh_mm_ss(t.airtime)},
                {"airtime_ms", t.airtime.count()},
                {"mean_lateness_ms", opt(t.mean_late())},
                {"worst_lateness_ms", opt(t.worst_late)}};
}

}  // namespace

std::vector<Json> report_lines(const Report& r) {
    std::vector<Json> out;
    for (const auto& row : r.rows)
        out.push_back(line_json(row.id, row.title, names::Trigger::schedule, row.tally, true));
    for (const auto& o : r.on_request)
        out.push_back(line_json(o.id, o.title, o.trigger, o.tally, false));
    out.push_back(line_json("TOTAL", "", names::Trigger::schedule, r.total, true));
    return out;
}

namespace {

std::string csv_field(const Json& v) {
    std::string text = v.is_null() ? "" : v.is_string() ? v.get<std::string>() : dump(v);
    if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
    std::string quoted = "\"";
    for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + '"';
}

}  // namespace

std::string csv_header(const Json& object) {
    std::string line;
    for (const auto& [key, value] : object.items()) line += (line.empty() ? "" : ",") + key;
    return line;
}

std::string csv_line(const Json& values) {
    std::string line;
    bool first = true;
    for (const auto& [key, value] : values.items()) {
        line += (first ? "" : ",") + csv_field(value);
        first = false;
    }
    return line;
}

void print_report_csv(const Report& report, std::ostream& out) {
    const auto all = report_lines(report);
    out << csv_header(all.front()) << "\r\n";
    for (const auto& j : all) out << csv_line(j) << "\r\n";
}

ReportTally on_request_total(const Report& report) {
    ReportTally asked;
    for (const auto& o : report.on_request) asked.add(o.tally);
    return asked;
}

Json total_json(const ReportTally& total, const ReportTally& asked) {
    Json j = line_json("TOTAL", "", names::Trigger::schedule, total, true);
    for (const char* key : {"announcement", "title", "trigger"}) j.erase(key);
    j["on_request"] = Json{{"broadcasts", asked.outcomes()},
                           {"aired", asked.aired},
                           {"airtime", hh_mm_ss(asked.airtime)},
                           {"airtime_ms", asked.airtime.count()}};
    return j;
}

Json report_summary(const Report& report) {
    const auto& zone = *report.zone;
    Json schedules = Json::array();
    for (const auto& p : report.periods) {
        const bool unreadable = p.version && !p.version->schedule;
        schedules.push_back({{"sha256", p.version ? Json(p.version->sha256) : Json(nullptr)},
                             {"from", sch::format_instant(p.from, zone)},
                             {"to", sch::format_instant(p.to, zone)},
                             {"problem", unreadable ? Json(p.version->problem) : Json(nullptr)},
                             {"planned", p.planned},
                             {"not_yet_due", p.not_yet_due}});
    }
    return {{"total", total_json(report.total, on_request_total(report))},
            {"station", report.station},
            {"timezone", zone.name()},
            {"from", sch::format_instant(report.span.from, zone)},
            {"to", sch::format_instant(report.span.to, zone)},
            {"due_until", sch::format_instant(report.due_until, zone)},
            {"live", report.live},
            {"schedules", schedules}};
}

void print_report_json(const Report& report, std::ostream& out) {
    auto all = report_lines(report);
    all.pop_back();  // TOTAL: in the summary
    for (const auto& j : all) out << dump(j) << '\n';
    out << dump(report_summary(report)) << '\n';
}

std::vector<std::string> tally_headers() {
    return {"PLANNED",     "AIRED",       "FAILED",     "SKIPPED", "MISSED",       "OTHER",
            "UNACCOUNTED", "NOT YET DUE", "COMPLIANCE", "AIRTIME", "MEAN LATE ms", "WORST LATE ms"};
}

std::vector<std::string> tally_cells(const ReportTally& t) {
    auto dash = [](const auto& v) { return v ? std::to_string(*v) : std::string("-"); };
    auto c = t.compliance();
    return {
        std::to_string(t.planned),     std::to_string(t.aired),       std::to_string(t.failed),
        std::to_string(t.skipped),     std::to_string(t.missed),      std::to_string(t.other),
        std::to_string(t.unaccounted), std::to_string(t.not_yet_due), c ? percent(*c) + "%" : "-",
        hh_mm_ss(t.airtime),           dash(t.mean_late()),           dash(t.worst_late)};
}

void print_report_table(const Report& r, std::ostream& out) {
    const auto& zone = *r.zone;
    out << "Broadcast report" << (r.station.empty() ? "" : " — " + r.station) << '\n'
        << "Span: " << local(r.span.from, zone) << " to " << local(r.span.to, zone) << " ("
        << zone.name() << ")\n";
    for (const auto& p : r.periods) {
        const auto stretch = local(p.from, zone) + " to " + local(p.to, zone);
        if (!p.version) {
            out << "No schedule in force " << stretch << ": 0 planned\n";
            continue;
        }
        out << "Schedule " << short_sha(p.version->sha256) << " in force " << stretch;
        if (!p.version->schedule)
            out << " (cannot be read: " << p.version->problem << "; nothing planned from it)";
        else
            out << ": " << p.planned << " planned"
                << (p.not_yet_due ? ", " + std::to_string(p.not_yet_due) + " not yet due" : "");
        out << '\n';
    }
    if (r.due_until < r.span.to)
        out << "Counted up to " << local(r.due_until, zone)
            << (r.live ? ", now (wardcastd has the log open)" : ", " + r.last_entry_is)
            << "; later firings are not yet due\n";
    out << r.source_is << ": " << r.db << "\n\n";

    auto cells = [&](const std::string& id, const std::string& title, const ReportTally& t) {
        std::vector<std::string> row{id, truncate(title, 36)};
        for (auto& c : tally_cells(t)) row.push_back(std::move(c));
        return row;
    };
    std::vector<std::string> headers{"ANNOUNCEMENT", "TITLE"};
    for (auto& h : tally_headers()) headers.push_back(std::move(h));
    Table table(std::move(headers));
    for (const auto& row : r.rows) table.add_row(cells(row.id, row.title, row.tally));
    table.add_row(cells("TOTAL", "", r.total));
    table.print(out);

    out << '\n';
    if (r.on_request.empty()) {
        out << "Operator and emergency broadcasts: none\n";
    } else {
        out << "Operator and emergency broadcasts (not planned, not in compliance):\n";
        Table asked({"TRIGGER", "ANNOUNCEMENT", "TITLE", "BROADCASTS", "AIRED", "AIRTIME"});
        for (const auto& o : r.on_request)
            asked.add_row({std::string(names::name(o.trigger)), o.id.empty() ? "(ad hoc)" : o.id,
                           truncate(o.title, 36), std::to_string(o.tally.outcomes()),
                           std::to_string(o.tally.aired), hh_mm_ss(o.tally.airtime)});
        asked.print(out);
    }

    out << "\nCOMPLIANCE = aired / planned. OTHER = preempted, cancelled or interrupted.\n"
           "UNACCOUNTED = planned firings with no outcome in the log (the daemon was not "
           "running, or entries are missing).\n"
           "NOT YET DUE = firings after the log's last entry (after now, on a live log): not "
           "in PLANNED, not in compliance.\n";
    if (r.total.off_plan)
        out << r.total.off_plan << (r.total.off_plan == 1 ? " outcome matches" : " outcomes match")
            << " no firing planned by the schedule in force: counted in its row, not in "
               "compliance.\n";
}

}  // namespace wardcast::report
