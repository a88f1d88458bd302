// wardcast-district status on a real PostgreSQL: every ward in one table from its latest
// heartbeat (what wardcast-sync records each round), a ward never heard from, --json.

#include <catch2/catch.hpp>
#include <sstream>
#include <string>

#include "district/status.hpp"
#include "district/store.hpp"
#include "tests/district/district_test_support.hpp"
#include "tests/skip.hpp"

using namespace wardcast;

TEST_CASE("district status: each ward's latest heartbeat in one table, --json too",
          "[district][status]") {
    if (!test::PgServer::installed()) WARDCAST_SKIP("PostgreSQL 15 is not installed");
    test::TestDatabase db(test::shared_pg_server());
    test::LogDir dir;
    district::pg::Connection admin(db.local_conninfo(), "wardcast-test");
    district::init_schema(admin);
    district::AddWardOptions options;
    options.host = "127.0.0.1";
    for (const char* ward : {"bo-de", "gia-thuy", "ngoc-lam", "thach-ban", "viet-hung"})
        district::add_ward(admin, ward, options);
    const auto entries = test::write_tricky_log(dir.path / "bo-de.db", "Phường Bồ Đề");
    district::insert_entries(admin, "bo-de", entries);

    const auto now = std::chrono::system_clock::now();
    // An older heartbeat, then the latest: only the latest counts.
    district::insert_status(admin, "bo-de", now, {{"sync", {{"waiting", 7}, {"error", ""}}}});
    district::insert_status(
        admin, "bo-de", now,
        {{"sync",
          {{"waiting", 0},
           {"district_seq", entries.size()},
           {"error", ""},
           {"refused_seq", nullptr},
           {"parted_at", nullptr}}},
         {"daemon",
          {{"timezone", "Asia/Ho_Chi_Minh"},
           {"on_air", {{{"announcement", "cchc-dvc"}}}},
           {"next", {{"announcement", "van-hoa"}, {"scheduled", "2026-12-07T17:30:00+07:00"}}},
           {"paused", false},
           {"faults", nlohmann::json::array()}}}});
    district::insert_status(
        admin, "gia-thuy", now,
        {{"sync",
          {{"waiting", 12},
           {"error", "entry 12 of ward gia-thuy: …"},
           {"refused_seq", 12},
           {"parted_at", 5}}},
         {"daemon", {{"unreachable", "cannot connect to /run/wardcast/control.sock"}}}});
    // thach-ban reports every second and was last heard 10 s ago: three rounds missed, silent.
    district::insert_status(admin, "thach-ban", now,
                            {{"sync", {{"waiting", 0}, {"error", ""}, {"interval_ms", 1000}}}});
    admin.exec(
        "UPDATE ward_status SET received_at = now() - interval '10 seconds'"
        " WHERE ward = 'thach-ban'",
        {}, "age a heartbeat");
    // viet-hung's own sync found its file no longer matches what the district holds.
    district::insert_status(admin, "viet-hung", now,
                            {{"sync",
                              {{"waiting", 3},
                               {"error",
                                "entry 7 of this ward's log is not the one the district "
                                "received"},
                               {"refused_seq", 7},
                               {"parted_at", 7},
                               {"found_here", true},
                               {"interval_ms", 60000}}}});

    std::ostringstream out;
    CHECK(district::run_status(db.local_conninfo(), false, out) == 0);
    const std::string text = out.str();
    INFO(text);
    std::istringstream lines(text);
    std::string header, bo_de, gia_thuy, ngoc_lam, thach_ban, viet_hung;
    for (std::string* line : {&header, &bo_de, &gia_thuy, &ngoc_lam, &thach_ban, &viet_hung})
        std::getline(lines, *line);
    CHECK_THAT(header, Catch::StartsWith("WARD") && Catch::Contains("LAST HEARD") &&
                           Catch::Contains("WAITING") && Catch::Contains("SYNC") &&
                           Catch::EndsWith("CAMPAIGNS"));
    CHECK_THAT(bo_de,
               Catch::StartsWith("bo-de") && Catch::Contains(std::to_string(entries.size())) &&
                   Catch::Contains("cchc-dvc") && Catch::Contains("van-hoa 12-07 17:30") &&
                   Catch::Contains(" ok ") && Catch::EndsWith(" -") && !Catch::Contains("SILENT"));
    CHECK_THAT(gia_thuy, Catch::StartsWith("gia-thuy") && Catch::Contains(" 12 ") &&
                             Catch::Contains("wardcastd not answering") &&
                             Catch::Contains("refused entry 12, parts at 5 "));
    CHECK_THAT(ngoc_lam, Catch::StartsWith("ngoc-lam") && Catch::Contains("never"));
    CHECK_THAT(thach_ban, Catch::StartsWith("thach-ban") && Catch::Contains("s SILENT "));
    CHECK_THAT(viet_hung, Catch::Contains("log differs from the district's copy from entry 7 ") &&
                              !Catch::Contains("SILENT"));

    std::ostringstream as_json;
    district::run_status(db.local_conninfo(), true, as_json);
    std::istringstream objects(as_json.str());
    std::string first;
    std::getline(objects, first);
    const auto parsed = nlohmann::json::parse(first);
    CHECK(parsed["ward"] == "bo-de");
    CHECK(parsed["held"] == entries.size());
    CHECK(parsed["waiting"] == 0);
    CHECK(parsed["daemon"]["on_air"][0]["announcement"] == "cchc-dvc");
    CHECK(parsed["seconds_ago"].get<long long>() >= 0);
    CHECK(parsed["silent"] == false);
    CHECK(parsed["campaigns"] == nlohmann::json::array());
    std::string line;
    while (std::getline(objects, line)) {
        const auto ward = nlohmann::json::parse(line);
        if (ward["ward"] == "thach-ban") CHECK(ward["silent"] == true);
    }
}

TEST_CASE("a ward's heartbeats older than an hour before its latest go on its next one",
          "[district][status]") {
    if (!test::PgServer::installed()) WARDCAST_SKIP("PostgreSQL 15 is not installed");
    test::TestDatabase db(test::shared_pg_server());
    test::LogDir dir;
    district::pg::Connection admin(db.local_conninfo(), "wardcast-test");
    district::init_schema(admin);
    district::AddWardOptions options;
    options.host = "127.0.0.1";
    auto bo_de = test::connect_as(district::add_ward(admin, "bo-de", options), dir.path);
    auto gia_thuy = test::connect_as(district::add_ward(admin, "gia-thuy", options), dir.path);
    const auto now = std::chrono::system_clock::now();
    for (int n = 0; n < 3; ++n) district::insert_status(*bo_de, "bo-de", now, {{"n", n}});
    district::insert_status(*gia_thuy, "gia-thuy", now, {{"n", 0}});
    // As if received earlier (only the schema owner may change rows): bo-de's first two
    // heartbeats 2 hours ago, its third 30 minutes ago; gia-thuy's only one 3 hours ago, a
    // ward gone silent since.
    auto age = [&](const std::string& ward, int n, const std::string& ago) {
        admin.exec(
            "UPDATE ward_status SET received_at = now() - $3::interval"
            " WHERE ward = $1 AND (status->>'n')::int = $2",
            {ward, std::to_string(n), ago}, "age a heartbeat");
    };
    age("bo-de", 0, "2 hours");
    age("bo-de", 1, "61 minutes");
    age("bo-de", 2, "30 minutes");
    age("gia-thuy", 0, "3 hours");

    district::insert_status(*bo_de, "bo-de", now, {{"n", 3}});
    auto kept = [&](const std::string& ward) {
        return test::value(admin,
                           "SELECT coalesce(string_agg(status->>'n', ',' ORDER BY id), '')"
                           " FROM ward_status WHERE ward = $1",
                           {ward});
    };
    CHECK(kept("bo-de") == "2,3");   // the latest, and the one within the hour before it
    CHECK(kept("gia-thuy") == "0");  // another ward's are not touched, a silent ward's last stays
    std::ostringstream out;
    district::run_status(db.local_conninfo(), false, out);
    INFO(out.str());
    CHECK(out.str().find("never") == std::string::npos);

    // The pruning is the trigger's: the ward's role itself still may not DELETE.
    CHECK(test::attempt(*bo_de, "DELETE FROM ward_status").first == "42501");
    CHECK(test::attempt(*gia_thuy, "DELETE FROM ward_status WHERE ward = 'gia-thuy'").first ==
          "42501");
    district::insert_status(*gia_thuy, "gia-thuy", now, {{"n", 1}});
    CHECK(kept("gia-thuy") == "1");  // back after 3 hours: its old row goes now
}
