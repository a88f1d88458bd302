// aired_ms (SPEC §6) and the migration that added it: a schema 1 log written by the code before
// it (tests/data/logs/schema1.sql) migrates in place and keeps verifying, read-only readers
// read it unmigrated, and a changed aired_ms breaks the chain.

#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "log/broadcast_log.hpp"
#include "log/log_reader.hpp"
#include "tests/log/log_test_support.hpp"
#include "tests/skip.hpp"

namespace fs = std::filesystem;
using namespace wardcast::log;
using wardcast::test::at;
using wardcast::test::EntryKind;
using wardcast::test::Status;
using wardcast::test::Trigger;

namespace {

using TempDir = wardcast::test::LogDir;

// The last hash of the fixture, as the schema 1 code wrote it.
const std::string kSchema1LastHash =
    "e927a47d5c302b0a6a18f3a7eb073bcd35dca8f62b1efcb30d20f5d327ddb6f0";

std::string read_text(const fs::path& path) {
    std::ifstream in(path);
    REQUIRE(in);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

/// A raw connection, as the sqlite3 tool (or someone tampering) would open the file.
class RawDb {
  public:
    explicit RawDb(const fs::path& path) {
        REQUIRE(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                nullptr) == SQLITE_OK);
    }
    ~RawDb() { sqlite3_close_v2(db_); }
    RawDb(const RawDb&) = delete;
    RawDb& operator=(const RawDb&) = delete;

    void exec(const std::string& sql) {
        char* error = nullptr;
        const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
        INFO((error ? error : ""));
        sqlite3_free(error);
        REQUIRE(rc == SQLITE_OK);
    }
    std::string value(const std::string& sql) {
        sqlite3_stmt* stmt = nullptr;
        REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
        std::string out;
        if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0))
            out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
        sqlite3_finalize(stmt);
        return out;
    }

  private:
    sqlite3* db_ = nullptr;
};

/// The schema 1 fixture loaded into `path`, in WAL mode as wardcastd left its files.
void write_schema1_log(const fs::path& path) {
    RawDb raw(path);
    raw.exec(read_text(fs::path(WARDCAST_TEST_DATA) / "logs" / "schema1.sql"));
    raw.exec("PRAGMA journal_mode = WAL");
}

LogEntry firing(const std::string& id, const std::string& scheduled) {
    LogEntry e;
    e.station = "Phường Bồ Đề";
    e.announcement_id = id;
    e.title = "Bản tin " + id;
    e.trigger = Trigger::schedule;
    e.zones = {"cho"};
    e.scheduled = at(scheduled);
    return e;
}

// Appends an on_air row and its played outcome with `aired_ms`.
void air(BroadcastLog& log, const std::string& id, const std::string& scheduled,
         std::int64_t aired_ms) {
    LogEntry e = firing(id, scheduled);
    e.started = *e.scheduled;
    const auto seq = log.begin_broadcast(e, true);
    REQUIRE(seq);
    e.status = Status::played;
    e.ended = *e.started + std::chrono::milliseconds(aired_ms);
    e.lateness_ms = 0;
    e.aired_ms = aired_ms;
    log.finish_broadcast(*seq, e);
}

std::vector<LogEntry> read_all(const fs::path& path) {
    LogReader reader(path);
    LogFilter all;
    all.kinds.clear();
    std::vector<LogEntry> out;
    reader.each(all, [&](const LogEntry& e) { out.push_back(e); });
    return out;
}

/// docs/log-format.md's Python checker, run on `db`: its output line, or "" when it cannot run.
std::string python_check(const fs::path& db, const fs::path& dir) {
    const std::string doc =
        read_text(fs::path(WARDCAST_TEST_DATA) / ".." / ".." / "docs" / "log-format.md");
    const auto intro = doc.find("A check in Python");
    REQUIRE(intro != std::string::npos);
    const auto begin = doc.find("```python\n", intro);
    REQUIRE(begin != std::string::npos);
    const auto end = doc.find("```", begin + 10);
    REQUIRE(end != std::string::npos);
    const fs::path script = dir / "check.py";
    std::ofstream(script) << doc.substr(begin + 10, end - begin - 10);
    const std::string command = "python3 '" + script.string() + "' '" + db.string() + "' 2>&1";
    FILE* pipe = ::popen(command.c_str(), "r");
    REQUIRE(pipe);
    std::string out;
    char buf[512];
    while (std::fgets(buf, sizeof buf, pipe)) out += buf;
    ::pclose(pipe);
    return out;
}

}  // namespace

TEST_CASE("a schema 1 log is read as it is by readers, and migrated in place by the writer",
          "[log][migration]") {
    TempDir dir;
    const fs::path path = dir.path / "broadcasts.db";
    write_schema1_log(path);

    // wardcastctl's reader: no aired_ms column, nothing migrated, the old chain intact.
    {
        const VerifyResult r = LogReader(path).verify();
        INFO(r.problem);
        CHECK(r.intact);
        CHECK(r.entries == 9);
        CHECK(r.last_hash == kSchema1LastHash);
        CHECK(r.rechecked == 0);
        const auto rows = read_all(path);
        REQUIRE(rows.size() == 9);
        for (const auto& e : rows) CHECK_FALSE(e.aired_ms);
    }
    {
        RawDb raw(path);
        CHECK(raw.value("PRAGMA user_version") == "1");
        CHECK(raw.value("SELECT count(*) FROM pragma_table_info('entries') WHERE name = "
                        "'aired_ms'") == "0");
    }

    // wardcastd opens it: schema 2, the old rows unchanged, new rows with aired_ms.
    std::vector<std::string> old_hashes;
    {
        BroadcastLog log(path);
        const auto before = log.entries();
        REQUIRE(before.size() == 9);
        for (const auto& e : before) {
            CHECK_FALSE(e.aired_ms);
            old_hashes.push_back(e.hash);
        }
        air(log, "ban-tin-chieu", "2026-12-02T10:00:00.000Z", 185400);
        LogEntry skipped = firing("thong-bao", "2026-12-02T10:01:00.000Z");
        skipped.status = Status::skipped;
        skipped.error = "zones busy with ban-tin-chieu";
        REQUIRE(log.record_not_aired(skipped));
    }
    RawDb raw(path);
    CHECK(raw.value("PRAGMA user_version") == "2");
    CHECK(raw.value("SELECT count(*) FROM entries WHERE aired_ms IS NULL AND seq <= 9") == "9");

    const VerifyResult r = LogReader(path).verify();
    INFO(r.problem);
    CHECK(r.intact);
    CHECK(r.entries == 12);
    CHECK(r.rechecked == 0);  // the quick hash agrees with the recipe on both kinds of row
    const auto rows = read_all(path);
    REQUIRE(rows.size() == 12);
    for (std::size_t i = 0; i < 9; ++i) CHECK(rows[i].hash == old_hashes[i]);
    CHECK(rows[9].kind == EntryKind::on_air);
    CHECK_FALSE(rows[9].aired_ms);
    CHECK(rows[10].aired_ms == 185400);
    CHECK(rows[11].aired_ms == 0);  // skipped: never aired
    CHECK(rows[10].prev_hash == rows[9].hash);
}

TEST_CASE("verify finds an aired_ms changed, cleared or set after the fact", "[log][migration]") {
    struct Case {
        const char* what;
        std::string sql;
        std::int64_t bad_seq;
    };
    // Rows 1-9 the schema 1 fixture (aired_ms NULL), 10-11 a broadcast aired 185.4 s.
    const std::vector<Case> cases = {
        {"aired_ms made longer", "UPDATE entries SET aired_ms = 185500 WHERE seq = 11", 11},
        {"aired_ms cleared", "UPDATE entries SET aired_ms = NULL WHERE seq = 11", 11},
        {"aired_ms given to an old row", "UPDATE entries SET aired_ms = 185412 WHERE seq = 3", 3},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        TempDir dir;
        const fs::path path = dir.path / "broadcasts.db";
        write_schema1_log(path);
        {
            BroadcastLog log(path);
            air(log, "ban-tin-chieu", "2026-12-02T10:00:00.000Z", 185400);
        }
        REQUIRE(LogReader(path).verify().intact);
        {
            RawDb raw(path);
            raw.exec("DROP TRIGGER entries_no_update; " + c.sql);
        }
        const VerifyResult r = LogReader(path).verify();
        CHECK_FALSE(r.intact);
        CHECK(r.bad_seq == c.bad_seq);
        CHECK(r.problem == "entry " + std::to_string(c.bad_seq) +
                               " was changed: its hash does not match its content");
    }
}

TEST_CASE("the hash recipe takes aired_ms before prev_hash, only when it is set",
          "[log][migration]") {
    LogEntry e;
    e.seq = 3;
    e.kind = EntryKind::broadcast;
    e.recorded_at = at("2026-12-01T00:00:05.250Z");
    e.station = "Phường Bến Nghé";
    e.announcement_id = "morning-news";
    e.title = "Bản tin sáng \"số 1\"\n";
    e.trigger = Trigger::schedule;
    e.zones = {"tổ-1", "tổ-2"};
    e.scheduled = at("2026-12-01T00:00:00.000Z");
    e.started = at("2026-12-01T00:00:01.500Z");
    e.ended = at("2026-12-01T00:03:01.500Z");
    e.lateness_ms = 1500;
    e.status = Status::played;
    e.audio_sha256 = {std::string(64, 'a'), std::string(64, 'b')};
    e.schedule_sha256 = std::string(64, 'c');
    e.on_air_seq = 2;
    const std::string prev(64, 'd');
    // Computed with Python (docs/log-format.md): the 22-element array, then with 180000
    // inserted before prev_hash.
    CHECK(BroadcastLog::entry_hash(e, prev) ==
          "b001a0865574a00f63121d246fd2a219a76f2624b45a9a922cb07361331256fb");
    e.aired_ms = 180000;
    CHECK(BroadcastLog::entry_hash(e, prev) ==
          "d7ea4eaa3fe16452eedcaf5071d80f8371d15f806ae29a156cd75a6f17cb8541");
    e.aired_ms = 0;  // 0 is a value, not an absence
    CHECK(BroadcastLog::entry_hash(e, prev) !=
          "b001a0865574a00f63121d246fd2a219a76f2624b45a9a922cb07361331256fb");
}

TEST_CASE("the Python checker of docs/log-format.md agrees on old, migrated and new files",
          "[log][migration]") {
    if (std::system("python3 -c 'import sqlite3' >/dev/null 2>&1") != 0)
        WARDCAST_SKIP("python3 with its sqlite3 module is not installed");
    TempDir dir;
    const fs::path old_file = dir.path / "old.db", migrated = dir.path / "migrated.db",
                   fresh = dir.path / "new.db";
    write_schema1_log(old_file);
    write_schema1_log(migrated);
    {
        BroadcastLog log(migrated);
        air(log, "ban-tin-chieu", "2026-12-02T10:00:00.000Z", 185400);
    }
    std::string fresh_last;
    {
        BroadcastLog log(fresh);
        air(log, "ban-tin-sang", "2026-12-02T00:00:00.000Z", 3100);
        air(log, "ban-tin-chieu", "2026-12-02T10:00:00.000Z", 0);
        fresh_last = log.last_entry()->second;
    }
    CHECK(python_check(old_file, dir.path) ==
          "9 entries, chain intact, last hash " + kSchema1LastHash + "\n");
    CHECK(python_check(migrated, dir.path) ==
          "11 entries, chain intact, last hash " + LogReader(migrated).verify().last_hash + "\n");
    CHECK(python_check(fresh, dir.path) ==
          "4 entries, chain intact, last hash " + fresh_last + "\n");
    {
        RawDb raw(fresh);
        raw.exec(
            "DROP TRIGGER entries_no_update; UPDATE entries SET aired_ms = 3200 WHERE seq = 2");
    }
    CHECK(python_check(fresh, dir.path) == "entry 2: the chain is broken here\n");
}
