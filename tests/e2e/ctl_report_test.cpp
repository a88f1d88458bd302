// wardcastctl report: what the schedule in force planned against what the log recorded, as a
// district auditor runs it on a log file.

#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>

#include "schedules/bundle.hpp"
#include "tests/e2e/ctl.hpp"
#include "tests/e2e/report_station.hpp"

using namespace wardcast::test;
using namespace std::chrono_literals;
using nlohmann::json;
using std::chrono::milliseconds;

namespace {

const std::string kMain = R"(version: 1
station: { name: "Phường Bồ Đề", timezone: Asia/Ho_Chi_Minh }
zones: [{ id: all, output: "null" }]
include: [campaigns/*.yaml]
announcements:
  - id: dvc
    title: "Dịch vụ công trực tuyến"
    audio: audio/dvc.mp3
    at: ["06:00", "17:30"]
)";
const std::string kCampaign = R"(announcements:
  - id: pccc
    title: "Phòng cháy, chữa cháy"
    audio: audio/pccc.mp3
    days: [mon]
    at: ["07:00"]
)";

/// December 2025, on a log whose schedule was put in force in November.
struct December {
    Station station;
    std::string sha = station.load(
        wardcast::schedules::bundle({{"schedule.yaml", kMain}, {"campaigns/pccc.yaml", kCampaign}}),
        "2025-11-20T08:00:00+07:00");

    December() {
        // Outside the month in the station's zone.
        station.aired("dvc", "2025-11-30T17:30:00+07:00", 0ms, 90s);
        // dvc: planned 62 (06:00 and 17:30 on 31 days). pccc: planned 5 (the Mondays 1, 8,
        // 15, 22, 29).
        station.aired("dvc", "2025-12-01T06:00:00+07:00", 1200ms, 90s);
        station.aired("pccc", "2025-12-01T07:00:00+07:00", 0ms, 120s);
        station.aired("dvc", "2025-12-01T17:30:00+07:00", 800ms, 60s);
        station.aired("dvc", "2025-12-02T06:00:00+07:00", 300ms, 0ms, "failed");
        station.not_aired("dvc", "2025-12-02T17:30:00+07:00", "skipped");
        station.not_aired("dvc", "2025-12-03T06:00:00+07:00", "missed");
        station.aired("dvc", "2025-12-03T17:30:00+07:00", 0ms, 10s, "preempted");
        station.aired("dvc", "2025-12-04T06:00:00+07:00", 120000ms, 90s, "played", "catch-up");
        // In no plan (an older schedule's announcement, say).
        station.aired("tet", "2025-12-05T08:00:00+07:00", 500ms, 30s);
        station.aired("pccc", "2025-12-08T07:00:00+07:00", 0ms, 20s, "interrupted");
        // On request: not planned, not in compliance.
        station.aired("dvc", "2025-12-10T10:00:00+07:00", 0ms, 90s, "played", "operator");
        station.aired("", "2025-12-11T14:00:00+07:00", 0ms, 45s, "played", "emergency",
                      "Báo cháy khẩn cấp");
        // Outside the month; the log's last entry, at 06:01:30.
        station.aired("dvc", "2026-01-01T06:00:00+07:00", 0ms, 90s);
    }
};

}  // namespace

TEST_CASE("report --json: planned, aired and unaccounted per announcement", "[e2e][report]") {
    December dec;
    dec.station.close();
    auto r = ctl({"report", "--db", dec.station.db(), "--month", "2025-12", "--json"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.empty());
    auto lines = json_lines(r.out);
    REQUIRE(lines.size() == 6);

    auto row = [](const char* id, const char* title, const char* trigger, json planned, int aired,
                  int failed, int skipped, int missed, int other, json unaccounted,
                  json not_yet_due, json off_plan, json compliance, const char* airtime,
                  int airtime_ms, json mean, json worst) {
        return json{{"announcement", id},
                    {"title", title},
                    {"trigger", trigger},
                    {"planned", planned},
                    {"aired", aired},
                    {"failed", failed},
                    {"skipped", skipped},
                    {"missed", missed},
                    {"other", other},
                    {"unaccounted", unaccounted},
                    {"not_yet_due", not_yet_due},
                    {"off_plan", off_plan},
                    {"compliance", compliance},
                    {"airtime", airtime},
                    {"airtime_ms", airtime_ms},
                    {"mean_lateness_ms", mean},
                    {"worst_lateness_ms", worst}};
    };
    const json null;
    CHECK(lines[0] == row("dvc", "Dịch vụ công trực tuyến", "schedule", 62, 3, 1, 1, 1, 1, 55, 0, 0,
                          4.8, "00:04:00", 240000, 40667, 120000));
    CHECK(lines[1] == row("pccc", "Phòng cháy, chữa cháy", "schedule", 5, 1, 0, 0, 0, 1, 3, 0, 0,
                          20.0, "00:02:00", 120000, 0, 0));
    CHECK(lines[2] == row("tet", "tet", "schedule", 0, 1, 0, 0, 0, 0, 0, 0, 1, null, "00:00:30",
                          30000, 500, 500));
    CHECK(lines[3] == row("dvc", "dvc", "operator", null, 1, 0, 0, 0, 0, null, null, null, null,
                          "00:01:30", 90000, 0, 0));
    CHECK(lines[4] == row("", "Báo cháy khẩn cấp", "emergency", null, 1, 0, 0, 0, 0, null, null,
                          null, null, "00:00:45", 45000, 0, 0));

    const json& last = lines[5];
    json total =
        row("", "", "", 67, 5, 1, 1, 1, 2, 58, 0, 1, 5.9, "00:06:30", 390000, 24500, 120000);
    for (const char* key : {"announcement", "title", "trigger"}) total.erase(key);
    total["on_request"] = {
        {"broadcasts", 2}, {"aired", 2}, {"airtime", "00:02:15"}, {"airtime_ms", 135000}};
    CHECK(last["total"] == total);
    CHECK(last["station"] == "Phường Bồ Đề");
    CHECK(last["timezone"] == "Asia/Ho_Chi_Minh");
    CHECK(last["from"] == "2025-12-01T00:00:00+07:00");
    CHECK(last["to"] == "2026-01-01T00:00:00+07:00");
    CHECK(last["due_until"] == "2026-01-01T06:01:30+07:00");  // the log's last entry
    CHECK(last["live"] == false);
    CHECK(last["schedules"] == json::array({{{"sha256", dec.sha},
                                             {"from", "2025-12-01T00:00:00+07:00"},
                                             {"to", "2026-01-01T00:00:00+07:00"},
                                             {"problem", nullptr},
                                             {"planned", 67},
                                             {"not_yet_due", 0}}}));
}

TEST_CASE("report prints a page an auditor can read", "[e2e][report]") {
    December dec;
    auto r = ctl({"report", "--db", dec.station.db(), "--month", "2025-12"});
    INFO(r.out + r.err);
    REQUIRE(r.exit_code == 0);
    auto lines = r.out_lines();
    REQUIRE(lines.size() > 4);
    CHECK(lines[0] == "Broadcast report — Phường Bồ Đề");
    CHECK(lines[1] == "Span: 2025-12-01 00:00 to 2026-01-01 00:00 (Asia/Ho_Chi_Minh)");
    CHECK(lines[2] == "Schedule " + dec.sha.substr(0, 12) +
                          " in force 2025-12-01 00:00 to 2026-01-01 00:00: 67 planned");
    CHECK(lines[3] == "Log: " + dec.station.db());
    CHECK(words(line_starting(r.out, "ANNOUNCEMENT")) ==
          std::vector<std::string>{"ANNOUNCEMENT", "TITLE",  "PLANNED",    "AIRED",       "FAILED",
                                   "SKIPPED",      "MISSED", "OTHER",      "UNACCOUNTED", "NOT",
                                   "YET",          "DUE",    "COMPLIANCE", "AIRTIME",     "MEAN",
                                   "LATE",         "ms",     "WORST",      "LATE",        "ms"});
    CHECK(words(line_starting(r.out, "pccc")) ==
          std::vector<std::string>{"pccc", "Phòng", "cháy,", "chữa", "cháy", "5", "1", "0", "0",
                                   "0", "1", "3", "0", "20.0%", "00:02:00", "0", "0"});
    CHECK(words(line_starting(r.out, "tet")) ==
          std::vector<std::string>{"tet", "tet", "0", "1", "0", "0", "0", "0", "0", "0", "-",
                                   "00:00:30", "500", "500"});
    CHECK(words(line_starting(r.out, "TOTAL")) ==
          std::vector<std::string>{"TOTAL", "67", "5", "1", "1", "1", "2", "58", "0", "5.9%",
                                   "00:06:30", "24500", "120000"});
    // Columns line up by what a terminal shows, whatever the script (all text here is NFC).
    auto column = [](const std::string& line, const std::string& cell) {
        const auto bytes = line.find(cell);
        REQUIRE(bytes != std::string::npos);
        std::size_t columns = 0;
        for (std::size_t i = 0; i < bytes; ++i) columns += (line[i] & 0xc0) != 0x80;
        return columns;
    };
    CHECK(column(line_starting(r.out, "dvc "), " 62 ") + 1 ==
          column(line_starting(r.out, "ANNOUNCEMENT"), "PLANNED"));
    CHECK(contains(r.out, "Operator and emergency broadcasts (not planned, not in compliance):"));
    CHECK(words(line_starting(r.out, "emergency")) ==
          std::vector<std::string>{"emergency", "(ad", "hoc)", "Báo", "cháy", "khẩn", "cấp", "1",
                                   "1", "00:00:45"});
    CHECK(contains(r.out, "1 outcome matches no firing planned by the schedule in force"));
}

TEST_CASE("report --csv is RFC 4180 with a header row and a TOTAL row", "[e2e][report]") {
    December dec;
    auto r = ctl({"report", "--db", dec.station.db(), "--month", "2025-12", "--csv"});
    REQUIRE(r.exit_code == 0);
    std::vector<std::string> rows;
    for (std::size_t pos = 0; pos < r.out.size();) {
        auto end = r.out.find("\r\n", pos);
        REQUIRE(end != std::string::npos);  // every line ends in CRLF
        rows.push_back(r.out.substr(pos, end - pos));
        pos = end + 2;
    }
    REQUIRE(rows.size() == 7);
    CHECK(rows[0] ==
          "announcement,title,trigger,planned,aired,failed,skipped,missed,other,unaccounted,"
          "not_yet_due,off_plan,compliance,airtime,airtime_ms,mean_lateness_ms,worst_lateness_ms");
    CHECK(rows[1] ==
          "dvc,Dịch vụ công trực tuyến,schedule,62,3,1,1,1,1,55,0,0,4.8,00:04:00,240000,"
          "40667,120000");
    CHECK(rows[2] ==
          "pccc,\"Phòng cháy, chữa cháy\",schedule,5,1,0,0,0,1,3,0,0,20.0,00:02:00,120000,0,0");
    CHECK(rows[5] == ",Báo cháy khẩn cấp,emergency,,1,0,0,0,0,,,,,00:00:45,45000,0,0");
    CHECK(rows[6] == "TOTAL,,schedule,67,5,1,1,1,2,58,0,1,5.9,00:06:30,390000,24500,120000");
}

TEST_CASE("report --from/--to: DATEs and INSTANTs in the station's zone, --to exclusive",
          "[e2e][report]") {
    December dec;
    auto planned = [&](const char* from, const char* to) {
        auto r = ctl({"report", "--db", dec.station.db(), "--from", from, "--to", to, "--json"});
        REQUIRE(r.exit_code == 0);
        std::map<std::string, std::pair<int, int>> out;  // id -> planned, aired
        for (const auto& j : json_lines(r.out))
            if (j.contains("trigger") && j["trigger"] == "schedule")
                out[j["announcement"]] = {j["planned"].get<int>(), j["aired"].get<int>()};
        return out;
    };
    using Counts = std::map<std::string, std::pair<int, int>>;
    CHECK(planned("2025-12-01", "2025-12-02") == Counts{{"dvc", {2, 2}}, {"pccc", {1, 1}}});
    CHECK(planned("2025-12-01T06:00", "2025-12-01T17:30:00+07:00") ==
          Counts{{"dvc", {1, 1}}, {"pccc", {1, 1}}});
    CHECK(planned("2025-11-30T23:00:00Z", "2025-11-30T23:00:01Z") == Counts{{"dvc", {1, 1}}});
}

TEST_CASE("report names a stored schedule it cannot restore and still reports", "[e2e][report]") {
    Station station;
    station.load(std::string(wardcast::schedules::bundle_marker) + "/etc/passwd\nx: 1\n" +
                     wardcast::schedules::bundle_marker + "b.yaml\ny: 2\n",
                 "2025-11-01T00:00:00Z");
    station.aired("dvc", "2025-12-15T06:00:00+07:00", 0ms, 90s);  // December in any zone
    auto r = ctl({"report", "--db", station.db(), "--month", "2025-12"});
    INFO(r.out + r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(contains(r.out,
                   "(cannot be read: the stored schedule names a file '/etc/passwd' that "
                   "cannot be restored; nothing planned from it)"));
    CHECK(words(line_starting(r.out, "dvc")).at(2) == "0");  // planned
}

TEST_CASE("report refuses bad input with one line and the SPEC's exit code", "[e2e][report]") {
    Station empty;  // a log with no schedule stored
    December dec;
    const std::string db = dec.station.db();
    struct Case {
        std::vector<std::string> args;
        int exit_code;
        std::string message;
    };
    const std::vector<Case> cases = {
        {{"--db", db, "--month", "2025-13"},
         2,
         "--month '2025-13' is not a month YYYY-MM (2026-12)"},
        {{"--db", db, "--month", "December"}, 2, "--month 'December' is not a month YYYY-MM"},
        {{"--db", db, "--month", "2025-12", "--from", "2025-12-01"},
         2,
         "give either --month or --from and --to, not both"},
        {{"--db", db}, 2, "give the span: --month YYYY-MM, or --from DATE|INSTANT and --to"},
        {{"--db", db, "--from", "2025-12-01"}, 2, "give the span"},
        {{"--db", db, "--from", "yesterday", "--to", "2025-12-02"},
         2,
         "--from 'yesterday' is not a DATE (2026-12-01) or an INSTANT"},
        {{"--db", db, "--from", "2025-12-02", "--to", "2025-12-01"},
         2,
         "--to '2025-12-01' is not after --from '2025-12-02'"},
        {{"--db", db, "--month", "2025-12", "--csv", "--json"},
         2,
         "--csv and --json cannot be used together"},
        {{"--db", db + ".missing", "--month", "2025-12"}, 1, "no such file"},
        {{"--db", empty.db(), "--month", "2025-12"},
         1,
         "the log holds no schedule: nothing to compare with"},
    };
    for (const auto& c : cases) {
        std::vector<std::string> args = {"report"};
        args.insert(args.end(), c.args.begin(), c.args.end());
        auto r = ctl(args);
        INFO(c.message);
        CHECK(r.exit_code == c.exit_code);
        CHECK(r.out.empty());
        REQUIRE(r.err_lines().size() == 1);
        CHECK(r.err.rfind("wardcastctl report: ", 0) == 0);
        CHECK(contains(r.err, c.message));
    }
}
