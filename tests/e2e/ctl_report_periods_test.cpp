// wardcastctl report over a span the log does not cover whole: nothing planned before the
// first schedule was put in force, nothing due after the log's last entry (or now, while
// wardcastd has the log open).

#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "log/log_reader.hpp"
#include "tests/e2e/ctl.hpp"
#include "tests/e2e/daemon_process.hpp"
#include "tests/e2e/fixtures.hpp"
#include "tests/e2e/report_station.hpp"

using namespace wardcast::test;
using namespace std::chrono_literals;
using nlohmann::json;
using std::chrono::milliseconds;

TEST_CASE("report plans each span from the schedule then in force, and nothing before the first",
          "[e2e][report]") {
    // Two versions, the second put in force at noon: firings before the switch come from the
    // first, after it from the second; before the first was put in force, none.
    Station station;
    auto version = [](const std::string& id) {
        return "station: { name: Thử, timezone: UTC }\nzones: [{ id: all }]\nannouncements:\n"
               "  - { id: " +
               id + ", audio: a.wav, at: [\"06:00\", \"18:00\"] }\n";
    };
    const auto first = station.load(version("old"), "2025-12-01T00:00:00Z");
    const auto second = station.load(version("new"), "2025-12-01T12:00:00Z");
    auto r = ctl({"report", "--db", station.db(), "--from", "2025-11-30T05:00:00Z", "--to",
                  "2025-12-02T00:00:00Z", "--json"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto lines = json_lines(r.out);
    REQUIRE(lines.size() == 3);
    CHECK(lines[0]["announcement"] == "old");
    CHECK(lines[0]["planned"] == 1);  // 12-01 06:00; none on 11-30
    CHECK(lines[0]["unaccounted"] == 1);
    CHECK(lines[1]["announcement"] == "new");
    CHECK(lines[1]["planned"] == 1);  // 12-01 18:00
    CHECK(lines[2]["total"]["planned"] == 2);
    CHECK(lines[2]["live"] == true);  // the station has its log open: counted up to now
    CHECK(lines[2]["schedules"] == json::array({{{"sha256", nullptr},
                                                 {"from", "2025-11-30T05:00:00+00:00"},
                                                 {"to", "2025-12-01T00:00:00+00:00"},
                                                 {"problem", nullptr},
                                                 {"planned", 0},
                                                 {"not_yet_due", 0}},
                                                {{"sha256", first},
                                                 {"from", "2025-12-01T00:00:00+00:00"},
                                                 {"to", "2025-12-01T12:00:00+00:00"},
                                                 {"problem", nullptr},
                                                 {"planned", 1},
                                                 {"not_yet_due", 0}},
                                                {{"sha256", second},
                                                 {"from", "2025-12-01T12:00:00+00:00"},
                                                 {"to", "2025-12-02T00:00:00+00:00"},
                                                 {"problem", nullptr},
                                                 {"planned", 1},
                                                 {"not_yet_due", 0}}}));
}

namespace {

// The issue's case: a station whose log starts at 05:07:50 on 2 December 2026 (Wednesday),
// copied by an auditor after its last entry at noon, reported for 1 and 2 December.
const std::string kWard = R"(version: 1
station: { name: "Phường Bồ Đề", timezone: Asia/Ho_Chi_Minh }
zones: [{ id: all, output: "null" }]
announcements:
  - { id: dvc, title: "Dịch vụ công trực tuyến", audio: audio/dvc.mp3, at: ["06:00", "17:30"] }
  - { id: tiem-chung, title: "Tiêm chủng mở rộng", audio: audio/tc.mp3, at: ["09:00"] }
)";

struct StartedMidSpan {
    Station station;
    std::string sha = station.load(kWard, "2026-12-02T05:07:50+07:00");

    StartedMidSpan() {
        station.aired("dvc", "2026-12-02T06:00:00+07:00", 400ms, 90s);
        // tiem-chung at 09:00 left no outcome. The last entry:
        station.command("volume all 0.8", "2026-12-02T12:00:00+07:00");
        station.close();
    }
    ProcessResult report(const std::string& format = "") {
        std::vector<std::string> args = {"report",     "--db", station.db(), "--from",
                                         "2026-12-01", "--to", "2026-12-03"};
        if (!format.empty()) args.push_back(format);
        auto r = ctl(args);
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        return r;
    }
};

}  // namespace

TEST_CASE("report: nothing planned before the first schedule, nothing due after the last entry",
          "[e2e][report]") {
    StartedMidSpan log;
    auto r = log.report();
    INFO(r.out);
    auto lines = r.out_lines();
    REQUIRE(lines.size() > 6);
    CHECK(lines[1] == "Span: 2026-12-01 00:00 to 2026-12-03 00:00 (Asia/Ho_Chi_Minh)");
    CHECK(lines[2] == "No schedule in force 2026-12-01 00:00 to 2026-12-02 05:07:50: 0 planned");
    CHECK(lines[3] == "Schedule " + log.sha.substr(0, 12) +
                          " in force 2026-12-02 05:07:50 to 2026-12-03 00:00: 2 planned, 1 not "
                          "yet due");
    CHECK(lines[4] ==
          "Counted up to 2026-12-02 12:00, the log's last entry; later firings are not yet due");
    CHECK(lines[5] == "Log: " + log.station.db());
    // dvc: 12-01 before the schedule; 12-02 06:00 aired; 17:30 after the last entry.
    CHECK(words(line_starting(r.out, "dvc")) ==
          std::vector<std::string>{"dvc", "Dịch", "vụ", "công", "trực", "tuyến", "1", "1", "0", "0",
                                   "0", "0", "0", "1", "100.0%", "00:01:30", "400", "400"});
    CHECK(words(line_starting(r.out, "tiem-chung")) ==
          std::vector<std::string>{"tiem-chung", "Tiêm", "chủng", "mở", "rộng", "1", "0", "0", "0",
                                   "0", "0", "1", "0", "0.0%", "00:00:00", "-", "-"});
    CHECK(words(line_starting(r.out, "TOTAL")) ==
          std::vector<std::string>{"TOTAL", "2", "1", "0", "0", "0", "0", "1", "1", "50.0%",
                                   "00:01:30", "400", "400"});
    CHECK(contains(r.out, "NOT YET DUE = "));
}

TEST_CASE("report --json and --csv: not_yet_due, and periods with no schedule in force",
          "[e2e][report]") {
    StartedMidSpan log;
    auto lines = json_lines(log.report("--json").out);
    REQUIRE(lines.size() == 3);
    CHECK(lines[0]["announcement"] == "dvc");
    CHECK(lines[0]["planned"] == 1);
    CHECK(lines[0]["unaccounted"] == 0);
    CHECK(lines[0]["not_yet_due"] == 1);
    CHECK(lines[0]["compliance"] == 100.0);
    CHECK(lines[1]["announcement"] == "tiem-chung");
    CHECK(lines[1]["planned"] == 1);
    CHECK(lines[1]["unaccounted"] == 1);
    CHECK(lines[1]["not_yet_due"] == 0);
    const json& last = lines[2];
    CHECK(last["total"]["planned"] == 2);
    CHECK(last["total"]["unaccounted"] == 1);
    CHECK(last["total"]["not_yet_due"] == 1);
    CHECK(last["total"]["compliance"] == 50.0);
    CHECK(last["due_until"] == "2026-12-02T12:00:00+07:00");
    CHECK(last["live"] == false);
    CHECK(last["schedules"] == json::array({{{"sha256", nullptr},
                                             {"from", "2026-12-01T00:00:00+07:00"},
                                             {"to", "2026-12-02T05:07:50+07:00"},
                                             {"problem", nullptr},
                                             {"planned", 0},
                                             {"not_yet_due", 0}},
                                            {{"sha256", log.sha},
                                             {"from", "2026-12-02T05:07:50+07:00"},
                                             {"to", "2026-12-03T00:00:00+07:00"},
                                             {"problem", nullptr},
                                             {"planned", 2},
                                             {"not_yet_due", 1}}}));

    auto csv = log.report("--csv").out;
    CHECK(csv ==
          "announcement,title,trigger,planned,aired,failed,skipped,missed,other,"
          "unaccounted,not_yet_due,off_plan,compliance,airtime,airtime_ms,"
          "mean_lateness_ms,worst_lateness_ms\r\n"
          "dvc,Dịch vụ công trực tuyến,schedule,1,1,0,0,0,0,0,1,0,100.0,00:01:30,90000,"
          "400,400\r\n"
          "tiem-chung,Tiêm chủng mở rộng,schedule,1,0,0,0,0,0,1,0,0,0.0,00:00:00,0,,\r\n"
          "TOTAL,,schedule,2,1,0,0,0,0,1,1,0,50.0,00:01:30,90000,400,400\r\n");
}

TEST_CASE("report counts a live log up to now, a copy of it up to its last entry",
          "[e2e][report]") {
    // One announcement at 90 and 30 minutes ago and in an hour; the log's last entry is the
    // first firing's outcome. Times are around the real clock: "now" is the report's.
    const auto now = std::chrono::floor<std::chrono::minutes>(Clock::now());
    std::vector<std::string> times;
    for (auto t : {now - 90min, now - 30min, now + 60min})
        times.push_back("\"" + date::format("%H:%M", t) + "\"");
    std::sort(times.begin(), times.end());
    Station station;
    station.load(
        "station: { name: Thử, timezone: UTC }\nzones: [{ id: all }]\nannouncements:\n"
        "  - { id: a, audio: a.wav, at: [" +
            times[0] + ", " + times[1] + ", " + times[2] + "] }\n",
        utc(now - 2h));
    station.aired("a", utc(now - 90min), 500ms, 30s);
    auto report = [&] {
        auto r = ctl({"report", "--db", station.db(), "--from", utc(now - 3h), "--to",
                      utc(now + 3h), "--json"});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        auto lines = json_lines(r.out);
        REQUIRE(lines.size() == 2);
        return lines;
    };

    const auto before = std::chrono::floor<std::chrono::seconds>(Clock::now());
    auto live = report();
    CHECK(live[0]["planned"] == 2);  // 90 and 30 minutes ago
    CHECK(live[0]["unaccounted"] == 1);
    CHECK(live[0]["not_yet_due"] == 1);
    CHECK(live[1]["live"] == true);
    const auto due_until = live[1]["due_until"].get<std::string>();
    CHECK(due_until >= utc(before));  // now, not the last entry's time
    CHECK(due_until <= utc(Clock::now()));

    station.close();  // what an auditor's copy is: nobody has it open
    auto copy = report();
    CHECK(copy[0]["planned"] == 1);
    CHECK(copy[0]["unaccounted"] == 0);
    CHECK(copy[0]["not_yet_due"] == 2);
    CHECK(copy[1]["live"] == false);
    CHECK(copy[1]["due_until"] == utc(now - 90min + 30s + 500ms));
}

TEST_CASE("report on the log of a running wardcastd counts up to now, once stopped up to its end",
          "[e2e][report][daemon]") {
    TempDir dir;
    write_tone_wav(dir.path() / "one.wav", 1000);
    const auto later = whole_second_after(2h);
    const auto schedule =
        dir.write("schedule.yaml",
                  "station: { name: Thử, timezone: UTC }\nzones: [{ id: a, output: \"null\" "
                  "}]\nannouncements:\n  - id: later\n    audio: one.wav\n" +
                      when(later));
    const auto db = (dir.path() / "broadcasts.db").string();
    Daemon daemon({"--schedule", schedule.string(), "--db", db}, dir.path() / "wardcastd.log",
                  {{"WARDCAST_CACHE", (dir.path() / "cache").string()}});
    REQUIRE(daemon.wait_for_output("listening on", startup_margin + 15s));
    const auto from = utc(Clock::now() - 1h), to = utc(later + 1h);
    auto report = [&] {
        auto r = ctl({"report", "--db", db, "--from", from, "--to", to, "--json"});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        auto lines = json_lines(r.out);
        REQUIRE(lines.size() == 2);
        return lines;
    };

    const auto before = utc(Clock::now());
    auto running = report();
    CHECK(running[1]["live"] == true);
    CHECK(running[1]["due_until"].get<std::string>() >= before);
    CHECK(running[0]["planned"] == 0);
    CHECK(running[0]["not_yet_due"] == 1);
    const auto& periods = running[1]["schedules"];
    REQUIRE(periods.size() == 2);
    CHECK(periods[0]["sha256"].is_null());  // before its first start
    CHECK(periods[1]["not_yet_due"] == 1);

    REQUIRE(daemon.stop() == 0);
    const auto stopped = utc(Clock::now());
    auto after = report();
    CHECK(after[1]["live"] == false);
    const auto last = wardcast::log::LogReader(db).last_recorded_at();
    REQUIRE(last);
    CHECK(after[1]["due_until"] == utc(*last));
    CHECK(after[1]["due_until"].get<std::string>() <= stopped);
}
