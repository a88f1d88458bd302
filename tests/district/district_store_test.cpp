// Shipping a real ward log to the district's store (SPEC §9) on a real PostgreSQL 15: the
// chain is checked in the database, refusals name the ward and the entry, resends are
// harmless, received_at is the server's, one ward's writers wait for each other.

#include <libpq-fe.h>

#include <catch2/catch.hpp>
#include <future>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "district/commands.hpp"
#include "district/pg.hpp"
#include "district/store.hpp"
#include "district/wards.hpp"
#include "log/log_reader.hpp"
#include "tests/district/district_test_support.hpp"
#include "tests/skip.hpp"

using namespace wardcast;
using namespace wardcast::district;
using log::BroadcastLog;
using log::LogEntry;
using wardcast::test::PgServer;
using wardcast::test::TestDatabase;

namespace {

constexpr const char* kNoPostgres = "PostgreSQL 15 is not installed (apt install postgresql-15)";

std::vector<LogEntry> slice(const std::vector<LogEntry>& all, std::size_t from, std::size_t to) {
    return {all.begin() + static_cast<long>(from), all.begin() + static_cast<long>(to)};
}

// What insert_entries refused, as wardcast-sync would see it.
struct Refusal {
    std::string sqlstate, message;
    std::optional<std::int64_t> seq;
};
Refusal refusal_of(pg::Connection& conn, const std::string& ward,
                   const std::vector<LogEntry>& batch) {
    try {
        insert_entries(conn, ward, batch);
    } catch (const Refused& r) {
        return {r.sqlstate(), r.what(), r.seq()};
    }
    FAIL("the store accepted the batch");
    return {};
}

// A store with one ward, and a connection as that ward.
struct Store {
    TestDatabase db{test::shared_pg_server()};
    test::LogDir dir;
    NewWard ward;
    std::unique_ptr<pg::Connection> as_ward;
    explicit Store(const std::string& name) {
        pg::Connection admin(db.tcp_conninfo(), "test");
        init_schema(admin);
        ward = add_ward(admin, name, {});
        as_ward = test::connect_as(ward, dir.path);
    }
};

}  // namespace

TEST_CASE("entries from a real ward log are stored and their chain checks in the database",
          "[district]") {
    if (!PgServer::installed()) WARDCAST_SKIP(kNoPostgres);
    Store store("bo-de");
    const auto entries = test::write_tricky_log(store.dir.path / "broadcasts.db", "Phường Bồ Đề");
    REQUIRE(entries.size() == 11);
    pg::Connection admin(store.db.local_conninfo(), "test");
    const std::string before = test::value(admin, "SELECT now()");

    BatchOutcome first = insert_entries(*store.as_ward, "bo-de", slice(entries, 0, 4));
    CHECK(first.inserted == 4);
    CHECK(first.already_held == 0);
    CHECK(last_entry(*store.as_ward, "bo-de") == std::pair{entries[3].seq, entries[3].hash});
    // A batch overlapping what is held: the held ones are skipped, the rest stored.
    BatchOutcome second = insert_entries(*store.as_ward, "bo-de", slice(entries, 2, 11));
    CHECK(second.inserted == 7);
    CHECK(second.already_held == 2);
    // The whole log again (a reply lost): nothing twice.
    BatchOutcome again = insert_entries(*store.as_ward, "bo-de", entries);
    CHECK(again.inserted == 0);
    CHECK(again.already_held == 11);
    CHECK(test::value(admin, "SELECT count(*) FROM entries") == "11");

    // Stored as the ward's file holds them, and hashing in SQL gives the ward's hash.
    const auto rows = admin.exec(
        "SELECT seq, title, zones, \"user\", error, aired_ms, hash, wardcast_entry_hash(e), "
        "received_at >= $1::timestamptz AND received_at <= now() FROM entries e ORDER BY seq",
        {before}, "read back");
    REQUIRE(rows.rows() == 11);
    for (int i = 0; i < rows.rows(); ++i) {
        const LogEntry& e = entries[static_cast<std::size_t>(i)];
        INFO("entry " << e.seq << " " << e.title);
        CHECK(rows.int64(i, 0) == e.seq);
        CHECK(rows.text(i, 1) == e.title);
        CHECK(rows.text(i, 2) == nlohmann::json(e.zones).dump());
        CHECK(rows.text(i, 3) == e.user);
        CHECK(rows.text(i, 4) == e.error);
        CHECK(rows.opt_text(i, 5) ==
              (e.aired_ms ? std::optional(std::to_string(*e.aired_ms)) : std::nullopt));
        CHECK(rows.text(i, 6) == e.hash);
        CHECK(rows.text(i, 7) == e.hash);
        CHECK(rows.text(i, 8) == "t");
    }
    CHECK(entries[10].aired_ms == std::nullopt);  // the recipe without aired_ms was exercised
    CHECK(entries[8].aired_ms.has_value());

    SECTION("received_at is the server's, whatever the client sends") {
        TestDatabase other(test::shared_pg_server());
        pg::Connection o(other.tcp_conninfo(), "test");
        init_schema(o);
        o.exec("INSERT INTO wards (name, login_role) VALUES ('x', 'nobody')", {}, "ward");
        o.exec(
            "INSERT INTO entries SELECT 'x', seq, kind, recorded_at, station, announcement_id,"
            " title, trigger, uid, \"user\", zones, scheduled, started, ended, lateness_ms,"
            " status, error, audio_sha256, schedule_sha256, on_air_seq, command, result,"
            " prev_hash, hash, aired_ms, '2001-01-01T00:00:00Z' FROM json_populate_record("
            "NULL::entries, $1::json)",
            {nlohmann::json({{"seq", 1},
                             {"kind", "operator"},
                             {"recorded_at", "2026-12-01T00:00:00.000Z"},
                             {"station", ""},
                             {"announcement_id", ""},
                             {"title", ""},
                             {"trigger", ""},
                             {"user", ""},
                             {"zones", "[]"},
                             {"status", ""},
                             {"error", ""},
                             {"audio_sha256", "[]"},
                             {"schedule_sha256", ""},
                             {"command", "x"},
                             {"result", "ok"},
                             {"prev_hash", std::string(64, '0')},
                             {"hash",
                              [] {
                                  LogEntry e;
                                  e.seq = 1;
                                  e.kind = names::EntryKind::operator_command;
                                  e.recorded_at = test::at("2026-12-01T00:00:00.000Z");
                                  e.command = "x";
                                  e.result = "ok";
                                  return BroadcastLog::entry_hash(e, std::string(64, '0'));
                              }()}})
                 .dump()},
            "insert with a received_at");
        CHECK(test::value(o, "SELECT received_at > now() - interval '1 hour' FROM entries") == "t");
    }

    SECTION("the schedules the ward recorded, checked against their sha256") {
        log::LogReader reader(store.dir.path / "broadcasts.db");
        const auto schedules = reader.schedule_versions();
        REQUIRE(schedules.size() == 1);
        CHECK(insert_schedules(*store.as_ward, "bo-de", schedules).inserted == 1);
        CHECK(insert_schedules(*store.as_ward, "bo-de", schedules).already_held == 1);
        CHECK(test::value(admin, "SELECT text FROM schedules") == test::schedule_text());
        auto forged = schedules;
        forged[0].text += "announcements: [{id: forged}]\n";
        try {
            insert_schedules(*store.as_ward, "bo-de", forged);
            FAIL("a schedule that does not match its sha256 was stored");
        } catch (const Refused& r) {
            CHECK(r.sqlstate() == refusal::hash);
            CHECK(std::string(r.what()) ==
                  "schedule " + schedules[0].sha256 +
                      " of ward bo-de: its sha256 does not match its text");
            CHECK_FALSE(r.seq());
        }
    }

    SECTION("status heartbeats, with the server's received_at") {
        insert_status(*store.as_ward, "bo-de",
                      std::chrono::system_clock::now() - std::chrono::hours(24 * 365),
                      {{"on_air", nullptr}, {"faults", nlohmann::json::array()}});
        CHECK(test::value(
                  admin,
                  "SELECT received_at - reported_at > interval '300 days' AND "
                  "status = '{\"on_air\": null, \"faults\": []}'::jsonb FROM ward_status") == "t");
    }
}

TEST_CASE("the store refuses entries that do not continue the ward's chain, naming them",
          "[district]") {
    if (!PgServer::installed()) WARDCAST_SKIP(kNoPostgres);
    Store store("long-bien");
    const auto entries = test::write_tricky_log(store.dir.path / "broadcasts.db", "Long Biên");
    REQUIRE(insert_entries(*store.as_ward, "long-bien", slice(entries, 0, 4)).inserted == 4);

    LogEntry tampered = entries[4];  // entry 5, its title changed, nothing recomputed
    tampered.title = "Bản tin đã sửa";
    LogEntry wrong_prev = entries[4];  // entry 5 chained to something else, hashed correctly
    wrong_prev.prev_hash = std::string(64, 'f');
    wrong_prev.hash = BroadcastLog::entry_hash(wrong_prev, wrong_prev.prev_hash);
    LogEntry rewritten = entries[2];  // entry 3 rewritten with the recipe: a different resend
    rewritten.error = "nothing happened";
    rewritten.hash = BroadcastLog::entry_hash(rewritten, rewritten.prev_hash);
    LogEntry dropped_aired = entries[4];  // aired_ms cleared after the fact
    dropped_aired.aired_ms = std::nullopt;

    struct Case {
        const char* what;
        std::vector<LogEntry> batch;
        std::string_view sqlstate;
        std::int64_t seq;
        std::string message;
    };
    const std::vector<Case> cases = {
        {"a tampered row",
         {tampered},
         refusal::hash,
         5,
         "entry 5 of ward long-bien: its hash does not match its content"},
        {"aired_ms cleared",
         {dropped_aired},
         refusal::hash,
         5,
         "entry 5 of ward long-bien: its hash does not match its content"},
        {"a wrong prev_hash",
         {wrong_prev},
         refusal::prev_hash,
         5,
         "entry 5 of ward long-bien: its prev_hash is not the hash of entry 4"},
        {"a gap",
         {entries[5], entries[6]},
         refusal::gap,
         6,
         "entry 6 of ward long-bien: entry 5 is missing (the district holds entries 1 to 4)"},
        {"a different resend",
         {rewritten},
         refusal::differs,
         3,
         "entry 3 of ward long-bien: it differs from the entry the district already holds"},
        {"a good row then a tampered one: the batch is all or nothing",
         {entries[4], tampered},
         refusal::differs,
         5,
         "entry 5 of ward long-bien: it differs from the entry the district already holds"},
    };
    for (const Case& c : cases) {
        INFO(c.what);
        const Refusal r = refusal_of(*store.as_ward, "long-bien", c.batch);
        CHECK(r.sqlstate == c.sqlstate);
        CHECK(r.seq == c.seq);
        CHECK_THAT(r.message, Catch::StartsWith(c.message));
    }
    pg::Connection admin(store.db.local_conninfo(), "test");
    CHECK(test::value(admin, "SELECT max(seq) FROM entries") == "4");

    // The genuine entries still go in after all that.
    CHECK(insert_entries(*store.as_ward, "long-bien", slice(entries, 4, 11)).inserted == 7);
    CHECK(test::value(admin,
                      "SELECT count(*) FROM entries WHERE hash = wardcast_entry_hash(entries)") ==
          "11");

    // The first entry of a new ward must start the chain.
    NewWard second = add_ward(admin, "gia-thuy", {.host = "127.0.0.1"});
    auto as_second = test::connect_as(second, store.dir.path);
    LogEntry first = entries[0];
    first.prev_hash = entries[0].hash;
    first.hash = BroadcastLog::entry_hash(first, first.prev_hash);
    const Refusal r = refusal_of(*as_second, "gia-thuy", {first});
    CHECK(r.sqlstate == refusal::prev_hash);
    CHECK_THAT(r.message, Catch::StartsWith("entry 1 of ward gia-thuy: its prev_hash is not 64 "
                                            "zeros, as the first entry's is"));
    const Refusal late = refusal_of(*as_second, "gia-thuy", slice(entries, 2, 3));
    CHECK(late.message ==
          "entry 3 of ward gia-thuy: entries 1 to 2 are missing (the district "
          "holds none of this ward's entries)");
}

TEST_CASE("two writers of one ward wait for each other and nothing is stored twice", "[district]") {
    if (!PgServer::installed()) WARDCAST_SKIP(kNoPostgres);
    Store store("phuc-dong");
    const auto entries = test::write_tricky_log(store.dir.path / "broadcasts.db", "Phúc Đồng");
    auto second = test::connect_as(store.ward, store.dir.path);

    store.as_ward->exec("BEGIN", {}, "first writer");
    REQUIRE(insert_entries(*store.as_ward, "phuc-dong", slice(entries, 0, 6)).inserted == 6);
    const std::string pid = std::to_string(PQbackendPID(second->get()));
    auto other = std::async(std::launch::async, [&] {
        return insert_entries(*second, "phuc-dong", slice(entries, 0, 8));
    });
    // Declared after the future: on a failed REQUIRE the first writer lets go before the
    // future's destructor waits for the second.
    struct Release {
        pg::Connection& conn;
        ~Release() { PQclear(PQexec(conn.get(), "ROLLBACK")); }  // after COMMIT: a warning
    };
    Release release{*store.as_ward};
    // Wait (no fixed sleep) until the second writer is blocked on the ward's lock.
    pg::Connection admin(store.db.local_conninfo(), "test");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (test::value(admin,
                       "SELECT count(*) FROM pg_stat_activity WHERE pid = $1 AND "
                       "wait_event_type = 'Lock'",
                       {pid}) != "1") {
        REQUIRE(std::chrono::steady_clock::now() < deadline);
        REQUIRE(other.wait_for(std::chrono::milliseconds(20)) == std::future_status::timeout);
    }
    store.as_ward->exec("COMMIT", {}, "first writer");
    const BatchOutcome late = other.get();
    CHECK(late.inserted == 2);
    CHECK(late.already_held == 6);
    CHECK(test::value(admin, "SELECT count(*) FROM entries") == "8");
}
