// wardcast-district report (SPEC §9) on three wards' real wardcastd logs, shipped by the real
// wardcast-sync into a real PostgreSQL: every ward's figures are exactly what wardcastctl
// report prints from that ward's own file, and the district's total is their sum.

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "district/wards.hpp"
#include "schedules/timefmt.hpp"
#include "tests/district/district_test_support.hpp"
#include "tests/e2e/daemon_process.hpp"
#include "tests/e2e/fixtures.hpp"
#include "tests/e2e/process.hpp"
#include "tests/e2e/text_lines.hpp"
#include "tests/skip.hpp"

namespace fs = std::filesystem;
using namespace wardcast;
using namespace std::chrono_literals;
using nlohmann::json;
using test::Clock;

namespace {

/// A UTC station's schedule: one zone written to WAV files, and `announcements`.
std::string schedule(const std::string& station, const fs::path& dir,
                     const std::string& announcements) {
    return "station: { name: \"" + station +
           "\", timezone: UTC }\nzones:\n"
           "  - { id: loa, output: \"file:" +
           (dir / "air.wav").string() + "\" }\n" + "announcements:\n" + announcements;
}

std::string announcement(const std::string& id, const std::string& audio, Clock::time_point t,
                         const std::string& extra = "") {
    return "  - id: " + id + "\n    title: \"Tin " + id +
           "\"\n    zones: [loa]\n    audio: " + audio + "\n" + extra + test::when(t);
}

/// Runs wardcastd on `schedule_file` with the log `db` until it printed `last`; `started` runs
/// once it has read the schedule. False (and its output in `output`) when it did not get there.
bool air(
    const fs::path& schedule_file, const fs::path& db, const std::string& last,
    Clock::time_point last_at, std::string& output, const std::function<void()>& started = [] {}) {
    test::Daemon daemon({"--schedule", schedule_file.string(), "--db", db.string()},
                        db.parent_path() / "wardcastd.log",
                        {{"WARDCAST_CACHE", (db.parent_path() / "cache").string()}});
    const bool ready = daemon.wait_for_output("next: ", test::startup_margin + 10s);
    if (ready) started();
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
        last_at - Clock::now() + test::startup_margin + 15s);
    const bool aired = ready && daemon.wait_for_output(last, wait);
    const bool stopped = daemon.stop() == 0;
    output = daemon.output();
    return aired && stopped;
}

/// The JSON lines of `text`, each parsed.
std::vector<json> json_lines(const std::string& text) {
    std::vector<json> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
    return out;
}

std::string instant(Clock::time_point t) {
    return schedules::format_instant(std::chrono::floor<std::chrono::milliseconds>(t),
                                     *date::locate_zone("UTC"));
}

}  // namespace

TEST_CASE(
    "wardcast-district report: every ward's figures as wardcastctl report gives them, and "
    "the district's total",
    "[district][report]") {
    if (!test::PgServer::installed()) WARDCAST_SKIP("PostgreSQL 15 is not installed");
    const std::vector<std::string> wards = {"bo-de", "gia-thuy", "ngoc-lam", "thach-ban"};
    test::District district(wards);
    const test::TestDatabase& db = district.db;
    const test::LogDir& dir = district.dir;
    const std::map<std::string, std::string>& conninfo = district.conninfo;
    for (const auto& ward : wards) fs::create_directories(dir.path / ward);
    auto db_of = [&](const std::string& ward) { return dir.path / ward / "broadcasts.db"; };
    auto write = [&](const std::string& ward, const std::string& name, const std::string& text) {
        const fs::path path = dir.path / ward / name;
        std::ofstream(path) << text;
        return path;
    };
    for (const auto& ward : {"bo-de", "gia-thuy", "ngoc-lam"}) {
        test::write_tone_wav(dir.path / ward / "tin.wav", 600);
        test::write_tone_wav(dir.path / ward / "dai.wav", 2500);
    }

    // Three stations on the air at once: played, failed (a file gone), skipped (the zone busy
    // past max_delay); gia-thuy then restarts on a second version of its schedule.
    const auto t0 = test::whole_second_after(test::startup_margin + 2s);
    const auto bo_de =
        write("bo-de", "schedule.yaml",
              schedule("Phường Bồ Đề", dir.path / "bo-de",
                       announcement("dai", "dai.wav", t0) +
                           announcement("tre", "tin.wav", t0 + 1s, "    max_delay: 500ms\n") +
                           announcement("mat", "mat.wav", t0 + 4s) +
                           announcement("cuoi", "tin.wav", t0 + 5s)));
    test::write_tone_wav(dir.path / "bo-de" / "mat.wav", 600);
    const auto gia_thuy_1 = write(
        "gia-thuy", "schedule.yaml",
        schedule("Phường Gia Thụy", dir.path / "gia-thuy",
                 announcement("sang", "tin.wav", t0) + announcement("chieu", "tin.wav", t0 + 2s)));
    const auto ngoc_lam = write(
        "ngoc-lam", "schedule.yaml",
        schedule("Phường Ngọc Lâm", dir.path / "ngoc-lam",
                 announcement("mot", "tin.wav", t0) + announcement("hai", "dai.wav", t0 + 1s)));
    std::string out_b, out_n, out_g;
    bool aired_b = false, aired_n = false;
    {
        // mat.wav is gone when its time comes: failed, with GStreamer's reason.
        std::thread b([&] {
            aired_b = air(bo_de, db_of("bo-de"), "played cuoi", t0 + 5s, out_b,
                          [&] { fs::remove(dir.path / "bo-de" / "mat.wav"); });
        });
        std::thread n(
            [&] { aired_n = air(ngoc_lam, db_of("ngoc-lam"), "played hai", t0 + 1s, out_n); });
        const bool aired_g = air(gia_thuy_1, db_of("gia-thuy"), "played chieu", t0 + 2s, out_g);
        b.join();
        n.join();
        INFO(out_b << out_n << out_g);
        REQUIRE(aired_b);
        REQUIRE(aired_n);
        REQUIRE(aired_g);
    }
    const auto t1 = test::whole_second_after(test::startup_margin + 2s);
    const auto gia_thuy_2 = write(
        "gia-thuy", "schedule.yaml",
        schedule("Phường Gia Thụy", dir.path / "gia-thuy",
                 announcement("sang", "tin.wav", t0) + announcement("chieu", "tin.wav", t0 + 2s) +
                     announcement("toi", "tin.wav", t1)));
    {
        const bool aired = air(gia_thuy_2, db_of("gia-thuy"), "played toi", t1, out_g);
        INFO(out_g);
        REQUIRE(aired);
    }
    // Every ward ships with the real wardcast-sync; thach-ban has not connected yet.
    for (const auto& ward : {"bo-de", "gia-thuy", "ngoc-lam"}) {
        const auto shipped =
            test::run_process({WARDCAST_SYNC, "--once", "--db", db_of(ward).string(), "--district",
                               conninfo.at(ward), "--socket", (dir.path / "none.sock").string()});
        INFO(shipped.err);
        REQUIRE(shipped.exit_code == 0);
    }

    const std::string from = instant(t0 - 1h), to = instant(t1 + 1h);
    auto district_report = [&](std::vector<std::string> args) {
        std::vector<std::string> argv = {
            WARDCAST_DISTRICT, "--db", db.local_conninfo(), "report", "--from", from, "--to", to};
        argv.insert(argv.end(), args.begin(), args.end());
        return test::run_process(argv);
    };
    auto ward_report = [&](const std::string& ward, const std::string& form) {
        std::vector<std::string> argv = {WARDCASTCTL, "report", "--db", db_of(ward).string(),
                                         "--from",    from,     "--to", to};
        if (!form.empty()) argv.push_back(form);
        const auto r = test::run_process(argv);
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        return r.out;
    };

    {  // --json: each ward's lines are wardcastctl report --json's, with the ward first
        const auto r = district_report({"--json"});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        const auto lines = json_lines(r.out);
        const auto texts = r.out_lines();
        for (std::size_t i = 0; i + 1 < texts.size(); ++i)
            CHECK(texts[i].rfind("{\"ward\":", 0) == 0);
        std::map<std::string, std::vector<json>> by_ward;
        for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
            json line = lines[i];
            REQUIRE(line.contains("ward"));
            const std::string ward = line["ward"];
            line.erase("ward");
            by_ward[ward].push_back(line);
        }
        std::int64_t planned = 0, aired = 0, failed = 0, skipped = 0, airtime = 0;
        for (const auto& ward : {"bo-de", "gia-thuy", "ngoc-lam"}) {
            INFO(ward);
            const auto own = json_lines(ward_report(ward, "--json"));
            CHECK(by_ward[ward] == own);
            const json& total = own.back()["total"];
            planned += total["planned"].get<std::int64_t>();
            aired += total["aired"].get<std::int64_t>();
            failed += total["failed"].get<std::int64_t>();
            skipped += total["skipped"].get<std::int64_t>();
            airtime += total["airtime_ms"].get<std::int64_t>();
        }
        // What the stations did, seen in the figures the district holds.
        const json bo_de_total = by_ward["bo-de"].back()["total"];
        CHECK(bo_de_total["planned"] == 4);
        CHECK(bo_de_total["aired"] == 2);
        CHECK(bo_de_total["failed"] == 1);
        CHECK(bo_de_total["skipped"] == 1);
        const json& periods = by_ward["gia-thuy"].back()["schedules"];
        REQUIRE(periods.size() == 3);  // none in force yet, then two versions
        CHECK(periods[0]["sha256"].is_null());
        CHECK(periods[1]["sha256"] != periods[2]["sha256"]);
        CHECK(by_ward["gia-thuy"].back()["total"]["aired"] == 3);
        CHECK(by_ward["thach-ban"].size() == 1);
        CHECK_THAT(by_ward["thach-ban"][0]["problem"].get<std::string>(),
                   Catch::Contains("has shipped no schedule yet"));

        const json last = lines.back();
        CHECK(last["wards"] == 4);
        CHECK(last["reported"] == 3);
        CHECK(last["without_schedule"] == json::array({"thach-ban"}));
        const json& district = last["district_total"];
        CHECK(district["planned"] == planned);
        CHECK(district["aired"] == aired);
        CHECK(district["failed"] == failed);
        CHECK(district["skipped"] == skipped);
        CHECK(district["airtime_ms"] == airtime);
        CHECK(planned == 4 + 3 + 2);
    }

    {  // the table: each ward's page as wardcastctl prints it, then every ward's TOTAL
        const auto r = district_report({});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        INFO(r.out);
        for (const auto& ward : {"bo-de", "gia-thuy", "ngoc-lam"}) {
            INFO(ward);
            // The ward's page, but for the line naming where it was read and up to when.
            std::string own = ward_report(ward, "");
            const std::string heading = "== Ward " + std::string(ward) + " ==\n";
            const auto page = r.out.find(heading);
            REQUIRE(page != std::string::npos);
            std::istringstream theirs(r.out.substr(page + heading.size()));
            std::istringstream mine(own);
            std::string a, b;
            while (std::getline(mine, a) && std::getline(theirs, b)) {
                if (a.rfind("Log: ", 0) == 0) {
                    CHECK(b == "Ward (the district's copy): " + std::string(ward));
                    continue;
                }
                const std::string own_end = "the log's last entry";
                if (const auto at = a.find(own_end);
                    a.rfind("Counted up to", 0) == 0 && at != std::string::npos)
                    a.replace(at, own_end.size(), "the last entry the district received");
                CHECK(b == a);
            }
            // Its TOTAL line's figures are its row in the district's table.
            const auto total = test::words(test::line_starting(own, "TOTAL"));
            const auto row =
                test::words(test::line_starting(r.out.substr(r.out.find("== District")), ward));
            REQUIRE(row.size() > 4);
            CHECK(std::vector(row.end() - 12, row.end()) ==
                  std::vector(total.begin() + 1, total.end()));
        }
        const auto district = test::words(
            test::line_starting(r.out.substr(r.out.find("== District")), "DISTRICT TOTAL"));
        REQUIRE(district.size() == 14);
        CHECK(district[2] == "9");  // planned: 4 + 3 + 2
        CHECK_THAT(r.out, Catch::Contains("No schedule received yet, so nothing to compare with "
                                          "(in no total): thach-ban"));
    }

    {  // --csv: a ward column before wardcastctl's, every ward's rows, then DISTRICT TOTAL
        const auto r = district_report({"--csv"});
        REQUIRE(r.exit_code == 0);
        const auto lines = r.out_lines();
        std::size_t expected = 2;  // header, DISTRICT TOTAL
        for (const auto& ward : {"bo-de", "gia-thuy", "ngoc-lam"}) {
            std::istringstream own(ward_report(ward, "--csv"));
            std::string header, line;
            std::getline(own, header);
            if (ward == std::string("bo-de")) CHECK(lines.at(0) == "ward," + header);
            while (std::getline(own, line)) {
                ++expected;
                CHECK(std::find(lines.begin(), lines.end(), ward + ("," + line)) != lines.end());
            }
        }
        CHECK(lines.size() == expected);
        CHECK(lines.back().rfind(",DISTRICT TOTAL,,schedule,9,", 0) == 0);
    }

    {  // one ward; an unknown ward; a bad span
        const auto one = district_report({"--ward", "ngoc-lam", "--json"});
        REQUIRE(one.exit_code == 0);
        const auto lines = json_lines(one.out);
        CHECK(lines.back()["wards"] == 1);
        CHECK(lines.back()["district_total"]["planned"] == 2);
        const auto unknown = district_report({"--ward", "long-bien"});
        CHECK(unknown.exit_code == 1);
        CHECK(unknown.err ==
              "wardcast-district report: no ward long-bien in the district's store "
              "(wardcast-district status lists them)\n");
        const auto bad = test::run_process(
            {WARDCAST_DISTRICT, "--db", db.local_conninfo(), "report", "--month", "2026-13"});
        CHECK(bad.exit_code == 2);
        CHECK(bad.err ==
              "wardcast-district report: --month '2026-13' is not a month YYYY-MM (2026-12)\n");
    }
}
