#include "district/report.hpp"

#include <chrono>
#include <ostream>

#include "ctl/table.hpp"
#include "district/commands.hpp"
#include "district/pg.hpp"
#include "district/ward_entries.hpp"
#include "report/report_printer.hpp"
#include "schedules/timefmt.hpp"

namespace wardcast::district {

namespace {

using report::Json;

struct WardReport {
    std::string ward;
    std::optional<report::Report> report;  ///< nullopt: no schedule received
    std::string problem;                   ///< why there is no report
};

std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

/// `line` with "ward" first.
Json with_ward(const std::string& ward, const Json& line) {
    Json out{{"ward", ward}};
    for (const auto& [key, value] : line.items()) out[key] = value;
    return out;
}

void print_json(const std::vector<WardReport>& wards, const report::ReportTally& total,
                const report::ReportTally& asked, std::ostream& out) {
    Json without = Json::array();
    std::int64_t reported = 0;
    for (const auto& w : wards) {
        if (!w.report) {
            without.push_back(w.ward);
            out << dump({{"ward", w.ward}, {"problem", w.problem}}) << '\n';
            continue;
        }
        ++reported;
        auto lines = report::report_lines(*w.report);
        lines.pop_back();  // TOTAL: in the summary, as wardcastctl prints it
        for (const auto& line : lines) out << dump(with_ward(w.ward, line)) << '\n';
        out << dump(with_ward(w.ward, report::report_summary(*w.report))) << '\n';
    }
    out << dump({{"district_total", report::total_json(total, asked)},
                 {"wards", static_cast<std::int64_t>(wards.size())},
                 {"reported", reported},
                 {"without_schedule", without}})
        << '\n';
}

void print_csv(const std::vector<WardReport>& wards, const report::ReportTally& total,
               std::ostream& out) {
    bool header = false;
    auto row = [&](const std::string& ward, const Json& line) {
        const Json full = with_ward(ward, line);
        if (!header) out << report::csv_header(full) << "\r\n";
        header = true;
        out << report::csv_line(full) << "\r\n";
    };
    for (const auto& w : wards)
        if (w.report)
            for (const auto& line : report::report_lines(*w.report)) row(w.ward, line);
    report::Report sum;
    sum.total = total;
    Json district = report::report_lines(sum).back();
    district["announcement"] = "DISTRICT TOTAL";
    row("", district);
}

void print_table(const std::vector<WardReport>& wards, const report::ReportTally& total,
                 std::ostream& out) {
    for (const auto& w : wards) {
        out << "== Ward " << w.ward << " ==\n";
        if (w.report)
            report::print_report_table(*w.report, out);
        else
            out << w.problem << '\n';
        out << '\n';
    }
    std::vector<std::string> headers{"WARD", "STATION"};
    for (auto& h : report::tally_headers()) headers.push_back(std::move(h));
    ctl::Table table(std::move(headers));
    auto add = [&](const std::string& ward, const std::string& station,
                   const report::ReportTally& t) {
        std::vector<std::string> cells{ward, ctl::truncate(station, 30)};
        for (auto& c : report::tally_cells(t)) cells.push_back(std::move(c));
        table.add_row(std::move(cells));
    };
    std::vector<std::string> without;
    for (const auto& w : wards) {
        if (w.report)
            add(w.ward, w.report->station, w.report->total);
        else
            without.push_back(w.ward);
    }
    add("DISTRICT TOTAL", "", total);
    out << "== District: every ward's TOTAL (scheduled broadcasts) ==\n";
    if (!wards.empty() && wards.front().report) {
        const auto& first = *wards.front().report;
        out << "Span: " << schedules::format_local(first.span.from, *first.zone) << " to "
            << schedules::format_local(first.span.to, *first.zone) << " (" << first.zone->name()
            << ")\n";
    }
    table.print(out);
    if (!without.empty()) {
        out << "\nNo schedule received yet, so nothing to compare with (in no total):";
        for (const auto& w : without) out << ' ' << w;
        out << '\n';
    }
}

}  // namespace

int run_report(const std::string& conninfo, const DistrictReportOptions& options, std::ostream& out,
               std::ostream& err) {
    std::string why = options.csv && options.json ? "--csv and --json cannot be used together"
                                                  : report::span_problem(options.span);
    if (!why.empty()) {
        err << "wardcast-district report: " << why << '\n';
        return exit_usage;
    }
    pg::Connection conn(conninfo, "wardcast-district");
    const pg::Result names =
        options.ward
            ? conn.exec("SELECT name FROM public.wards WHERE name = $1", {*options.ward},
                        "finding the ward")
            : conn.exec("SELECT name FROM public.wards ORDER BY name", {}, "listing the wards");
    if (options.ward && names.rows() == 0) {
        err << "wardcast-district report: no ward " << *options.ward
            << " in the district's store (wardcast-district status lists them)\n";
        return exit_failed;
    }
    const auto now =
        std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
    std::vector<WardReport> wards;
    report::ReportTally total, asked;
    for (int i = 0; i < names.rows(); ++i) {
        WardReport w{names.text(i, 0), std::nullopt, ""};
        WardEntries entries(conn, w.ward);
        try {
            // Not live: the district knows what happened up to the last entry it received.
            w.report = report::build_report(entries, options.span, false, now);
            w.report->db = w.ward;
            w.report->source_is = "Ward (the district's copy)";
            w.report->last_entry_is = "the last entry the district received";
            total.add(w.report->total);
            asked.add(report::on_request_total(*w.report));
        } catch (const report::NoSchedule&) {
            w.problem = "ward " + w.ward + " has shipped no schedule yet: nothing to compare with";
        } catch (const report::SpanError& e) {
            err << "wardcast-district report: " << e.what() << '\n';
            return exit_usage;
        }
        wards.push_back(std::move(w));
    }
    if (options.json)
        print_json(wards, total, asked, out);
    else if (options.csv)
        print_csv(wards, total, out);
    else if (wards.empty())
        out << "no wards in the district's store yet (wardcast-district add-ward adds one)\n";
    else
        print_table(wards, total, out);
    return exit_ok;
}

}  // namespace wardcast::district
