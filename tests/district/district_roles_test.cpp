// Who may do what in the district's store (SPEC §9), on a real PostgreSQL 15, with raw SQL as
// an attacker would send it: a ward role inserts and reads its own rows only, changes nothing;
// an auditor reads everything; row-level security is forced.

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "district/pg.hpp"
#include "district/schema.hpp"
#include "district/store.hpp"
#include "district/wards.hpp"
#include "log/log_reader.hpp"
#include "tests/district/district_test_support.hpp"
#include "tests/skip.hpp"

using namespace wardcast;
using namespace wardcast::district;
using wardcast::test::PgServer;
using wardcast::test::TestDatabase;

namespace {
constexpr const char* kNoPostgres = "PostgreSQL 15 is not installed (apt install postgresql-15)";
constexpr const char* kPermissionDenied = "42501";
}  // namespace

TEST_CASE("a ward's role inserts and reads its own rows only and changes nothing", "[district]") {
    if (!PgServer::installed()) WARDCAST_SKIP(kNoPostgres);
    TestDatabase db(test::shared_pg_server());
    test::LogDir dir;
    pg::Connection admin(db.tcp_conninfo(), "test");
    init_schema(admin);
    const NewWard a = add_ward(admin, "ngoc-thuy", {});
    const NewWard b = add_ward(admin, "thach-ban", {});
    auto as_a = test::connect_as(a, dir.path);
    auto as_b = test::connect_as(b, dir.path);
    const auto log_a = test::write_tricky_log(dir.path / "a.db", "Ngọc Thụy");
    const auto log_b = test::write_tricky_log(dir.path / "b.db", "Thạch Bàn");
    REQUIRE(insert_entries(*as_a, "ngoc-thuy", log_a).inserted == 11);
    REQUIRE(insert_entries(*as_b, "thach-ban", log_b).inserted == 11);
    const auto schedules = log::LogReader(dir.path / "b.db").schedule_versions();
    REQUIRE(insert_schedules(*as_b, "thach-ban", schedules).inserted == 1);
    insert_status(*as_b, "thach-ban", std::chrono::system_clock::now(), {{"ok", true}});

    SECTION("it sees its own rows, none of another ward's") {
        CHECK(test::value(*as_a, "SELECT count(*) FROM entries") == "11");
        CHECK(test::value(*as_a, "SELECT count(*) FROM entries WHERE ward = 'thach-ban'") == "0");
        CHECK(test::value(*as_a, "SELECT string_agg(DISTINCT ward, ',') FROM entries") ==
              "ngoc-thuy");
        CHECK(test::value(*as_a, "SELECT string_agg(name, ',') FROM wards") == "ngoc-thuy");
        CHECK(test::value(*as_a, "SELECT count(*) FROM schedules") == "0");
        CHECK(test::value(*as_a, "SELECT count(*) FROM ward_status") == "0");
        CHECK(test::value(*as_b, "SELECT count(*) FROM schedules") == "1");
        CHECK(test::value(*as_b, "SELECT count(*) FROM ward_status") == "1");
        CHECK_FALSE(last_entry(*as_a, "thach-ban"));
    }
    SECTION("it cannot UPDATE, DELETE or TRUNCATE anything, its own rows included") {
        for (const char* sql :
             {"UPDATE entries SET title = 'sửa' WHERE ward = 'ngoc-thuy' AND seq = 3",
              "DELETE FROM entries WHERE ward = 'ngoc-thuy'", "TRUNCATE entries",
              "UPDATE wards SET login_role = 'ward_ngoc_thuy' WHERE name = 'thach-ban'",
              "DELETE FROM wards", "INSERT INTO wards (name, login_role) VALUES ('x', 'y')",
              "UPDATE schedules SET text = ''", "DELETE FROM ward_status", "TRUNCATE schedules",
              "DELETE FROM wardcast_schema", "ALTER TABLE entries DISABLE ROW LEVEL SECURITY",
              "ALTER TABLE entries DISABLE TRIGGER entries_chain", "DROP TABLE entries",
              "SET session_replication_role = replica"}) {
            INFO(sql);
            const auto [state, message] = test::attempt(*as_a, sql);
            CHECK_FALSE(state.empty());
            CHECK(state == kPermissionDenied);
        }
        CHECK(test::value(admin, "SELECT count(*) FROM entries") == "22");
        CHECK(
            test::value(admin, "SELECT title FROM entries WHERE ward = 'ngoc-thuy' AND seq = 3") ==
            log_a[2].title);
    }
    SECTION("it cannot insert as another ward") {
        // The next entry of B's chain, correct in every way but sent by A.
        auto next = log_b.back();
        next.seq += 1;
        next.prev_hash = log_b.back().hash;
        next.on_air_seq = std::nullopt;
        next.hash = log::BroadcastLog::entry_hash(next, next.prev_hash);
        try {
            insert_entries(*as_a, "thach-ban", {next});
            FAIL("ward A stored an entry for ward B");
        } catch (const Refused& r) {
            CHECK(r.sqlstate() == refusal::not_your_ward);
            CHECK(std::string(r.what()) ==
                  "entry 12 of ward thach-ban: there is no ward thach-ban, or role ward_ngoc_thuy "
                  "may not write for it");
        }
        // Raw SQL, straight into the tables, the same.
        const auto [state, message] = test::attempt(
            *as_a,
            "INSERT INTO entries SELECT 'thach-ban', seq + 11, kind, recorded_at, station,"
            " announcement_id, title, trigger, uid, \"user\", zones, scheduled, started, ended,"
            " lateness_ms, status, error, audio_sha256, schedule_sha256, on_air_seq, command,"
            " result, prev_hash, hash, aired_ms FROM entries WHERE seq = 1");
        CHECK(state == refusal::not_your_ward);
        CHECK_THAT(message, Catch::Contains("there is no ward thach-ban, or role ward_ngoc_thuy"));
        CHECK(test::attempt(*as_a,
                            "INSERT INTO ward_status (ward, reported_at, status) VALUES "
                            "('thach-ban', now(), '{}')")
                  .first == refusal::not_your_ward);
        CHECK(test::attempt(*as_a,
                            "INSERT INTO schedules (ward, sha256, text, first_loaded) "
                            "SELECT 'thach-ban', encode(sha256('x'), 'hex'), 'x', "
                            "'2026-12-01T00:00:00.000Z'")
                  .first == refusal::not_your_ward);
        CHECK(test::value(admin, "SELECT count(*) FROM entries WHERE ward = 'thach-ban'") == "11");
    }
    SECTION("a temporary table cannot stand in for the ward's entries") {
        // pg_temp comes first in a default search_path; the store's functions pin theirs.
        as_a->exec("CREATE TEMP TABLE entries AS SELECT * FROM public.entries WHERE false", {},
                   "shadow");
        auto next = log_a.back();
        next.seq = 1;  // as if the ward's chain were empty
        next.prev_hash = std::string(64, '0');
        next.hash = log::BroadcastLog::entry_hash(next, next.prev_hash);
        try {
            insert_entries(*as_a, "ngoc-thuy", {next});
            FAIL("a forged entry 1 was stored");
        } catch (const Refused& r) {
            CHECK(r.sqlstate() == refusal::differs);
        }
    }
    SECTION("an auditor reads every ward's rows and writes nothing") {
        admin.exec(
            "CREATE ROLE wardcast_test_auditor LOGIN PASSWORD 'audit' IN ROLE "
            "wardcast_auditor",
            {}, "auditor");
        db.drop_later("wardcast_test_auditor");
        pg::Connection auditor(
            "host=127.0.0.1 port=" + std::to_string(test::shared_pg_server().port()) +
                " dbname=" + db.name() + " user=wardcast_test_auditor password=audit",
            "test");
        CHECK(test::value(auditor, "SELECT count(*) FROM entries") == "22");
        CHECK(test::value(auditor, "SELECT count(*) FROM wards") == "2");
        CHECK(test::value(auditor, "SELECT count(*) FROM schedules") == "1");
        CHECK(test::value(auditor, "SELECT count(*) FROM ward_status") == "1");
        CHECK(test::value(auditor,
                          "SELECT count(*) FROM entries e WHERE hash = wardcast_entry_hash(e)") ==
              "22");
        for (const char* sql : {"DELETE FROM entries", "UPDATE entries SET title = ''",
                                "INSERT INTO ward_status (ward, reported_at, status) VALUES "
                                "('thach-ban', now(), '{}')"}) {
            INFO(sql);
            CHECK(test::attempt(auditor, sql).first == kPermissionDenied);
        }
    }
}
