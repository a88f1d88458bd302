// wardcast-sync's round against a real PostgreSQL (tests/district/pg_server.hpp): three wards'
// real logs shipped whole and in order, a second round that ships nothing, a resend after a
// lost reply, and a ward log rewritten with the documented recipe from entry 5 on, refused and
// named at entry 5.

#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "district/store.hpp"
#include "district/wards.hpp"
#include "sync/district_link.hpp"
#include "sync/shipper.hpp"
#include "tests/district/district_test_support.hpp"
#include "tests/e2e/process.hpp"
#include "tests/log/log_test_support.hpp"
#include "tests/skip.hpp"
#include "tests/sync/sync_process.hpp"

namespace fs = std::filesystem;
using namespace wardcast;
using wardcast::test::District;
using wardcast::test::LogDir;

namespace {

// Changes entry `from`'s title in the ward's file and recomputes the chain from there with the
// documented recipe, as someone rewriting the ward's history would.
void rewrite_from(const fs::path& path, std::int64_t from) {
    std::vector<log::LogEntry> entries = log::BroadcastLog(path).entries();
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "DROP TRIGGER entries_no_update", nullptr, nullptr, nullptr) ==
            SQLITE_OK);
    std::string prev = entries.at(static_cast<std::size_t>(from - 2)).hash;
    for (auto& e : entries) {
        if (e.seq < from) continue;
        if (e.seq == from) e.title += " (sửa lại)";
        e.prev_hash = prev;
        e.hash = log::BroadcastLog::entry_hash(e, prev);
        prev = e.hash;
        sqlite3_stmt* update = nullptr;
        REQUIRE(sqlite3_prepare_v2(db,
                                   "UPDATE entries SET title = ?1, prev_hash = ?2, hash = ?3 "
                                   "WHERE seq = ?4",
                                   -1, &update, nullptr) == SQLITE_OK);
        sqlite3_bind_text(update, 1, e.title.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(update, 2, e.prev_hash.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(update, 3, e.hash.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(update, 4, e.seq);
        REQUIRE(sqlite3_step(update) == SQLITE_DONE);
        sqlite3_finalize(update);
    }
    sqlite3_close(db);
    REQUIRE(log::LogReader(path).verify().intact);  // a rewrite the file alone cannot show
}

}  // namespace

TEST_CASE("three wards' logs reach the district whole and in order, once", "[sync][district]") {
    if (!test::PgServer::installed()) WARDCAST_SKIP("PostgreSQL 15 is not installed");
    District d({"bo-de", "gia-thuy", "ngoc-lam"});
    std::map<std::string, std::vector<log::LogEntry>> written;
    for (const auto& ward : {"bo-de", "gia-thuy", "ngoc-lam"}) {
        const fs::path file = d.dir.path / (std::string(ward) + ".db");
        written[ward] = test::write_tricky_log(file, std::string("Phường ") + ward);
        sync::Shipper shipper(file, 4);  // small batches: several transactions
        sync::DistrictLink link(d.conninfo.at(ward), "");
        CHECK(link.ward() == ward);
        const sync::Round first = shipper.round(link);
        INFO(first.error);
        CHECK(first.error.empty());
        CHECK(first.shipped == static_cast<std::int64_t>(written[ward].size()));
        CHECK(first.waiting == 0);
        const sync::Round again = shipper.round(link);
        CHECK(again.error.empty());
        CHECK(again.shipped == 0);
        CHECK(again.district_seq == first.district_seq);
    }
    for (const auto& [ward, entries] : written) {
        INFO(ward);
        district::pg::Connection admin(d.db.local_conninfo(), "wardcast-test");
        const auto rows = admin.exec("SELECT seq, hash FROM entries WHERE ward = $1 ORDER BY seq",
                                     {ward}, "read back");
        REQUIRE(rows.rows() == static_cast<int>(entries.size()));
        for (int i = 0; i < rows.rows(); ++i) {
            CHECK(rows.int64(i, 0) == entries[static_cast<std::size_t>(i)].seq);
            CHECK(rows.text(i, 1) == entries[static_cast<std::size_t>(i)].hash);
        }
        CHECK(test::value(admin, "SELECT count(*) FROM schedules WHERE ward = $1", {ward}) == "1");
        CHECK(test::value(admin, "SELECT count(*) FROM ward_status WHERE ward = $1", {ward}) ==
              "0");  // the heartbeat is the program's (wardcast-sync), not the round's
    }
}

TEST_CASE("a batch sent again after its reply was lost is stored once", "[sync][district]") {
    if (!test::PgServer::installed()) WARDCAST_SKIP("PostgreSQL 15 is not installed");
    District d({"bo-de"});
    const fs::path file = d.dir.path / "bo-de.db";
    const auto entries = test::write_tricky_log(file, "Phường Bồ Đề");
    sync::DistrictLink link(d.conninfo.at("bo-de"), "bo-de");
    const auto versions = log::LogReader(file).schedule_versions();
    link.ship(versions, entries);
    link.ship(versions, entries);  // the commit went through; its reply did not
    CHECK(d.count("SELECT count(*) FROM entries") == static_cast<std::int64_t>(entries.size()));
    CHECK(d.count("SELECT count(*) FROM schedules") == 1);
    const sync::Round r = sync::Shipper(file).round(link);
    CHECK(r.error.empty());
    CHECK(r.shipped == 0);
}

TEST_CASE("a ward log rewritten from entry 5 on is refused, and entry 5 is named",
          "[sync][district]") {
    if (!test::PgServer::installed()) WARDCAST_SKIP("PostgreSQL 15 is not installed");
    District d({"bo-de"});
    const fs::path file = d.dir.path / "bo-de.db";
    const auto entries = test::write_tricky_log(file, "Phường Bồ Đề");
    REQUIRE(entries.size() >= 8);
    sync::Shipper shipper(file, 3);
    sync::DistrictLink link(d.conninfo.at("bo-de"), "");
    REQUIRE(shipper.round(link).error.empty());

    // More airs after the district has the first part; then someone rewrites history.
    {
        log::BroadcastLog more(file);
        log::LogEntry op;
        op.station = "Phường Bồ Đề";
        op.command = "pause";
        op.result = "ok";
        op.user = "root";
        op.uid = 0;
        more.record_operator(op);
    }
    rewrite_from(file, 5);
    const sync::Round r = shipper.round(link);
    INFO(r.error);
    // Found before anything new is sent: the district's last entry has another hash now.
    REQUIRE(r.refused_seq);
    CHECK(r.found_here);
    CHECK(*r.refused_seq == static_cast<std::int64_t>(entries.size()));
    REQUIRE(r.parted_at);
    CHECK(*r.parted_at == 5);
    CHECK(r.shipped == 0);
    CHECK(r.waiting == 1);
    CHECK(r.error == "entry " + std::to_string(entries.size()) +
                         " of this ward's log is not the one the district received (another "
                         "hash): the file was rewritten or replaced");
    // The district's copy is untouched: the original entry 5 is what it holds.
    district::pg::Connection admin(d.db.local_conninfo(), "wardcast-test");
    CHECK(test::value(admin, "SELECT title FROM entries WHERE ward = 'bo-de' AND seq = 5") ==
          entries[4].title);
}

TEST_CASE("a ward log rewritten with nothing new to ship is caught at the next round",
          "[sync][district]") {
    if (!test::PgServer::installed()) WARDCAST_SKIP("PostgreSQL 15 is not installed");
    District d({"bo-de"});
    const fs::path file = d.dir.path / "bo-de.db";
    const auto entries = test::write_tricky_log(file, "Phường Bồ Đề");
    sync::Shipper shipper(file, 500);
    sync::DistrictLink link(d.conninfo.at("bo-de"), "");
    REQUIRE(shipper.round(link).error.empty());
    rewrite_from(file, 5);  // the whole file again, every hash recomputed, nothing added
    const sync::Round r = shipper.round(link);
    INFO(r.error);
    REQUIRE(r.refused_seq);
    CHECK(r.found_here);
    CHECK(r.parted_at == std::optional<std::int64_t>(5));
    CHECK(r.waiting == 0);
    CHECK(r.shipped == 0);
    // The real program says so in one line, and exits 1 for --once.
    const auto once = test::run_process({WARDCAST_SYNC, "--once", "--db", file.string(),
                                         "--district", d.conninfo.at("bo-de"), "--socket",
                                         (d.dir.path / "none.sock").string()});
    CHECK(once.exit_code == 1);
    CHECK(once.err == "wardcast-sync: entry " + std::to_string(entries.size()) +
                          " of this ward's log is not the one the district received (another "
                          "hash): the file was rewritten or replaced; this ward's log and the "
                          "district's copy part at entry 5\n");
}

TEST_CASE("the link asks libpq to give up fast on a dead link, unless told otherwise", "[sync]") {
    const std::string plain = sync::with_link_options("host=district.example dbname=wardcast");
    CHECK(plain ==
          "host=district.example dbname=wardcast connect_timeout=10 keepalives=1 "
          "keepalives_idle=30 keepalives_interval=10 keepalives_count=3 tcp_user_timeout=30000");
    CHECK(sync::with_link_options("host=h connect_timeout = 3") ==
          "host=h connect_timeout = 3 keepalives=1 keepalives_idle=30 keepalives_interval=10 "
          "keepalives_count=3 tcp_user_timeout=30000");
    CHECK(sync::with_link_options("postgresql://h/wardcast?sslmode=verify-full") ==
          "postgresql://h/wardcast?sslmode=verify-full&connect_timeout=10&keepalives=1&"
          "keepalives_idle=30&keepalives_interval=10&keepalives_count=3&tcp_user_timeout=30000");
    CHECK(sync::with_link_options("postgresql://h/wardcast") ==
          "postgresql://h/wardcast?connect_timeout=10&keepalives=1&keepalives_idle=30&"
          "keepalives_interval=10&keepalives_count=3&tcp_user_timeout=30000");
}

TEST_CASE("wardcast-sync --once ships the ward's log, says so, and exits 0, or 1 when it cannot",
          "[sync][district]") {
    if (!test::PgServer::installed()) WARDCAST_SKIP("PostgreSQL 15 is not installed");
    District d({"bo-de"});
    const fs::path file = d.dir.path / "bo-de.db";
    const auto entries = test::write_tricky_log(file, "Phường Bồ Đề");
    const fs::path conf = d.dir.path / "district.conf";
    {
        std::ofstream out(conf);
        out << "# the district's store, as wardcast-district add-ward printed it\n"
            << d.conninfo.at("bo-de") << "\n";
    }
    const fs::path out = d.dir.path / "sync.out";
    auto run = [&](const std::string& args) {
        const std::string command = std::string(WARDCAST_SYNC) + " --once --db " + file.string() +
                                    " --socket " + (d.dir.path / "no-daemon.sock").string() + " " +
                                    args + " > " + out.string() + " 2>&1";
        const int status = std::system(command.c_str());
        std::ifstream in(out);
        std::string text((std::istreambuf_iterator<char>(in)), {});
        return std::pair{WEXITSTATUS(status), text};
    };
    const auto [code, text] = run("--district-file " + conf.string());
    INFO(text);
    CHECK(code == 0);
    CHECK(text == "wardcast-sync: shipped " + std::to_string(entries.size()) +
                      " entries, the district holds up to " + std::to_string(entries.size()) +
                      ", 0 waiting\n");
    CHECK(d.count("SELECT count(*) FROM entries") == static_cast<std::int64_t>(entries.size()));
    // The heartbeat: the sync's own state, and the daemon's (not running here).
    district::pg::Connection admin(d.db.local_conninfo(), "wardcast-test");
    CHECK(test::value(admin, "SELECT status->'sync'->>'waiting' FROM ward_status") == "0");
    CHECK_THAT(test::value(admin, "SELECT status->'daemon'->>'unreachable' FROM ward_status"),
               Catch::Contains("no-daemon.sock"));

    // Nothing new: nothing said, still 0. A district that cannot be reached: 1, and why.
    const auto [again, quiet] = run("--district-file " + conf.string());
    CHECK(again == 0);
    CHECK(quiet.empty());
    const auto [down, why] =
        run("--district 'host=127.0.0.1 port=1 dbname=wardcast user=ward_bo_de'");
    CHECK(down == 1);
    CHECK_THAT(why, Catch::StartsWith("wardcast-sync: cannot connect to PostgreSQL") &&
                        Catch::EndsWith("(retrying)\n"));
}

namespace {

// Appends `count` operator entries to the ward's log, as wardcastd would while the link is down.
void record_more(const fs::path& path, int count) {
    log::BroadcastLog more(path);
    for (int i = 0; i < count; ++i) {
        log::LogEntry op;
        op.station = "Phường Bồ Đề";
        op.command = "volume loa-" + std::to_string(i % 7) + " 0.80";
        op.result = "ok";
        op.user = "can-bo";
        op.uid = 1001;
        more.record_operator(op);
    }
}

// The district's copy of the ward equals the file: same seqs 1..N, same hashes.
void check_same_chain(District& d, const fs::path& file, const std::string& ward) {
    const auto entries = log::BroadcastLog(file).entries();
    district::pg::Connection admin(d.db.local_conninfo(), "wardcast-test");
    const auto rows = admin.exec("SELECT seq, hash FROM entries WHERE ward = $1 ORDER BY seq",
                                 {ward}, "read back");
    REQUIRE(rows.rows() == static_cast<int>(entries.size()));
    for (int i = 0; i < rows.rows(); ++i) {
        INFO("entry " << i + 1);
        CHECK(rows.int64(i, 0) == i + 1);
        CHECK(rows.text(i, 1) == entries[static_cast<std::size_t>(i)].hash);
    }
}

}  // namespace

TEST_CASE("the district down for a while and back: everything arrives once, in order",
          "[sync][district]") {
    if (!test::PgServer::installed()) WARDCAST_SKIP("PostgreSQL 15 is not installed");
    test::PgServer server;  // this test's own: it stops it
    District d(server, {"bo-de"});
    const fs::path file = d.dir.path / "bo-de.db";
    test::write_tricky_log(file, "Phường Bồ Đề");
    sync::Shipper shipper(file, 4);
    {
        sync::DistrictLink link(d.conninfo.at("bo-de"), "");
        REQUIRE(shipper.round(link).error.empty());
    }
    server.stop();
    record_more(file, 30);  // the station goes on airing and logging
    try {
        sync::DistrictLink link(d.conninfo.at("bo-de"), "");
        FAIL("connected to a stopped server");
    } catch (const std::exception& e) {
        CHECK_THAT(e.what(), Catch::StartsWith("cannot connect to PostgreSQL"));
    }
    server.start_again();
    sync::DistrictLink link(d.conninfo.at("bo-de"), "");
    const sync::Round back = shipper.round(link);
    INFO(back.error);
    CHECK(back.error.empty());
    CHECK(back.shipped == 30);
    CHECK(back.waiting == 0);
    check_same_chain(d, file, "bo-de");
}

TEST_CASE("wardcast-sync killed with SIGKILL mid-batch: nothing doubled or lost",
          "[sync][district]") {
    if (!test::PgServer::installed()) WARDCAST_SKIP("PostgreSQL 15 is not installed");
    District d({"bo-de"});
    const fs::path file = d.dir.path / "bo-de.db";
    test::write_tricky_log(file, "Phường Bồ Đề");
    record_more(file, 600);
    const std::int64_t total = log::LogReader(file).last_seq();
    const std::string sync_args = "--db " + file.string() + " --socket " +
                                  (d.dir.path / "no-daemon.sock").string() + " --district '" +
                                  d.conninfo.at("bo-de") + "' --batch 3 --interval 100ms";
    const std::string command =
        std::string("exec ") + WARDCAST_SYNC + " " + sync_args + " 2>/dev/null";
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    // Kill it once part of the log has arrived, while it is still shipping.
    std::int64_t held = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (held < 30 && std::chrono::steady_clock::now() < deadline) {
        held = d.count("SELECT count(*) FROM entries");
        if (held < 30) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    held = d.count("SELECT count(*) FROM entries");
    INFO(held << " of " << total << " entries held when killed");
    REQUIRE(held >= 30);
    REQUIRE(held < total);  // it was still shipping: the kill came mid-way
    // Held entries are whole batches (one transaction each), consecutive from 1.
    CHECK(d.count("SELECT coalesce(max(seq), 0) FROM entries") == held);

    // Started again, it goes on from where the district is.
    const std::string once = std::string(WARDCAST_SYNC) + " --once " + sync_args + " > " +
                             (d.dir.path / "once.out").string() + " 2>&1";
    CHECK(WEXITSTATUS(std::system(once.c_str())) == 0);
    check_same_chain(d, file, "bo-de");
}

namespace {

// Polls `sql` (a count) at the district until it reaches `want` or `deadline` passes; the last
// count.
std::int64_t wait_for_count(District& d, const std::string& sql, std::int64_t want,
                            std::chrono::seconds deadline) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    std::int64_t n = d.count(sql);
    while (n < want && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        n = d.count(sql);
    }
    return n;
}

}  // namespace

TEST_CASE("wardcast-sync ships an entry as soon as it is written, not at its next heartbeat",
          "[sync][district]") {
    if (!test::PgServer::installed()) WARDCAST_SKIP("PostgreSQL 15 is not installed");
    District d({"bo-de"});
    const fs::path file = d.dir.path / "bo-de.db";
    const auto written = test::write_tricky_log(file, "Phường Bồ Đề");
    const auto n = static_cast<std::int64_t>(written.size());
    const fs::path err = d.dir.path / "sync.err";
    // A heartbeat a minute: far more than any deadline below, so only prompt shipping can
    // explain an entry arriving within them.
    test::SyncProcess sync("--db " + file.string() + " --socket " +
                               (d.dir.path / "no-daemon.sock").string() + " --district '" +
                               d.conninfo.at("bo-de") + "' --interval 1m",
                           err);
    const std::string entries = "SELECT count(*) FROM entries WHERE ward = 'bo-de'";
    const std::string heartbeats = "SELECT count(*) FROM ward_status WHERE ward = 'bo-de'";
    // Its first round: what the file holds, and the first heartbeat.
    REQUIRE(wait_for_count(d, entries, n, std::chrono::seconds(60)) == n);
    REQUIRE(wait_for_count(d, heartbeats, 1, std::chrono::seconds(60)) == 1);

    // wardcastd goes on writing: each entry reaches the district within seconds.
    for (int i = 1; i <= 3; ++i) {
        INFO("entry " << n + i);
        record_more(file, 1);
        CHECK(wait_for_count(d, entries, n + i, std::chrono::seconds(10)) == n + i);
    }
    check_same_chain(d, file, "bo-de");
    // Shipping sent no heartbeat of its own: still the first, which says how often they come.
    CHECK(d.count(heartbeats) == 1);
    CHECK(d.count("SELECT (status->'sync'->>'interval_ms')::bigint FROM ward_status") == 60000);

    // Watching the file holds no read transaction: wardcastd can still checkpoint its whole
    // WAL away (a reader in a transaction would make a TRUNCATE checkpoint report busy).
    {
        sqlite3* writer = nullptr;
        REQUIRE(sqlite3_open(file.c_str(), &writer) == SQLITE_OK);
        sqlite3_busy_timeout(writer, 5000);
        sqlite3_stmt* checkpoint = nullptr;
        REQUIRE(sqlite3_prepare_v2(writer, "PRAGMA wal_checkpoint(TRUNCATE)", -1, &checkpoint,
                                   nullptr) == SQLITE_OK);
        REQUIRE(sqlite3_step(checkpoint) == SQLITE_ROW);
        CHECK(sqlite3_column_int(checkpoint, 0) == 0);  // not busy
        sqlite3_finalize(checkpoint);
        sqlite3_close(writer);
        CHECK(fs::file_size(file.string() + "-wal") == 0);
    }
    record_more(file, 1);  // and it still sees what comes after
    CHECK(wait_for_count(d, entries, n + 4, std::chrono::seconds(10)) == n + 4);

    // SIGTERM ends it at once, mid-wait, with exit 0.
    CHECK(sync.stop(std::chrono::seconds(5)));
    std::ifstream in(err);
    const std::string said((std::istreambuf_iterator<char>(in)), {});
    CHECK(said == "wardcast-sync: shipped " + std::to_string(n) +
                      " entries, the district holds up to " + std::to_string(n) +
                      ", 0 waiting\n"
                      "wardcast-sync: shipped 1 entry, the district holds up to " +
                      std::to_string(n + 1) +
                      ", 0 waiting\n"
                      "wardcast-sync: shipped 1 entry, the district holds up to " +
                      std::to_string(n + 2) +
                      ", 0 waiting\n"
                      "wardcast-sync: shipped 1 entry, the district holds up to " +
                      std::to_string(n + 3) +
                      ", 0 waiting\n"
                      "wardcast-sync: shipped 1 entry, the district holds up to " +
                      std::to_string(n + 4) + ", 0 waiting\n");
}

TEST_CASE("wardcast-sync keeps its connection, and opens a new one when the district restarts",
          "[sync][district]") {
    if (!test::PgServer::installed()) WARDCAST_SKIP("PostgreSQL 15 is not installed");
    test::PgServer server;  // this test's own: it restarts it
    District d(server, {"bo-de"});
    const fs::path file = d.dir.path / "bo-de.db";
    const auto n = static_cast<std::int64_t>(test::write_tricky_log(file, "Phường Bồ Đề").size());
    test::SyncProcess sync("--db " + file.string() + " --socket " +
                               (d.dir.path / "no-daemon.sock").string() + " --district '" +
                               d.conninfo.at("bo-de") + "' --interval 1m",
                           d.dir.path / "sync.err");
    const std::string entries = "SELECT count(*) FROM entries WHERE ward = 'bo-de'";
    REQUIRE(wait_for_count(d, entries, n, std::chrono::seconds(60)) == n);
    const std::string sessions =
        "SELECT count(*) FROM pg_stat_activity WHERE usename = 'ward_bo_de'";
    record_more(file, 1);
    REQUIRE(wait_for_count(d, entries, n + 1, std::chrono::seconds(10)) == n + 1);
    CHECK(d.count(sessions) == 1);  // the same connection shipped both rounds

    // The district restarts while the ward is idle: the next entry goes on a new connection,
    // without waiting for the back-off of an unreachable district.
    server.stop();
    server.start_again();
    record_more(file, 1);
    CHECK(wait_for_count(d, entries, n + 2, std::chrono::seconds(10)) == n + 2);
    check_same_chain(d, file, "bo-de");
    CHECK(sync.stop(std::chrono::seconds(5)));
}
