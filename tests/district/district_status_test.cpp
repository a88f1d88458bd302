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
    for (const char* ward : {"bo-de", "gia-thuy", "ngoc-lam"})
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

    std::ostringstream out;
    CHECK(district::run_status(db.local_conninfo(), false, out) == 0);
    const std::string text = out.str();
    INFO(text);
    std::istringstream lines(text);
    std::string header, bo_de, gia_thuy, ngoc_lam;
    std::getline(lines, header);
    std::getline(lines, bo_de);
    std::getline(lines, gia_thuy);
    std::getline(lines, ngoc_lam);
    CHECK_THAT(header, Catch::StartsWith("WARD") && Catch::Contains("LAST HEARD") &&
                           Catch::Contains("WAITING") && Catch::EndsWith("SYNC"));
    CHECK_THAT(bo_de, Catch::StartsWith("bo-de") &&
                          Catch::Contains(std::to_string(entries.size())) &&
                          Catch::Contains("cchc-dvc") && Catch::Contains("van-hoa 12-07 17:30") &&
                          Catch::EndsWith(" ok"));
    CHECK_THAT(gia_thuy, Catch::StartsWith("gia-thuy") && Catch::Contains(" 12 ") &&
                             Catch::Contains("wardcastd not answering") &&
                             Catch::EndsWith("refused entry 12, parts at 5"));
    CHECK_THAT(ngoc_lam, Catch::StartsWith("ngoc-lam") && Catch::Contains("never"));

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
}
