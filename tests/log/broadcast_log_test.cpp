// The broadcast log (SPEC §6): a real SQLite file, its schema, claims, the hash chain, WAL.

#include "log/broadcast_log.hpp"

#include <sqlite3.h>
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "common/sha256.hpp"
#include "tests/log/log_test_support.hpp"

namespace fs = std::filesystem;
using namespace wardcast::log;
using namespace std::chrono_literals;

namespace {

using TempDir = wardcast::test::LogDir;

/// A second, raw connection, as an auditor or the sqlite3 tool would open the file.
class RawDb {
  public:
    explicit RawDb(const std::string& uri, int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI) {
        const int rc = sqlite3_open_v2(uri.c_str(), &db_, flags, nullptr);
        INFO(sqlite3_errmsg(db_));
        REQUIRE(rc == SQLITE_OK);
    }
    ~RawDb() { sqlite3_close_v2(db_); }
    RawDb(const RawDb&) = delete;
    RawDb& operator=(const RawDb&) = delete;

    /// Runs `sql`; the error message, or "" on success.
    std::string exec(const std::string& sql) {
        char* error = nullptr;
        sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
        std::string message = error ? error : "";
        sqlite3_free(error);
        return message;
    }
    /// The first column of the first row of `sql`, as text.
    std::string value(const std::string& sql) {
        sqlite3_stmt* stmt = nullptr;
        REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
        std::string out;
        if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0)) {
            out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
        }
        sqlite3_finalize(stmt);
        return out;
    }

  private:
    sqlite3* db_ = nullptr;
};

using wardcast::test::at;
using wardcast::test::EntryKind;
using wardcast::test::Status;
using wardcast::test::Trigger;

LogEntry firing(const std::string& id, const std::string& scheduled) {
    LogEntry e;
    e.station = "Phường 1";
    e.announcement_id = id;
    e.title = "Bản tin " + id;
    e.trigger = Trigger::schedule;
    e.zones = {"zone-a", "zone-b"};
    e.scheduled = at(scheduled);
    return e;
}

LogEntry outcome(Status status) {
    LogEntry e;
    e.status = status;
    e.ended = at("2026-12-01T00:03:00.000Z");
    return e;
}

void require_chain(const std::vector<LogEntry>& entries) {
    std::string prev(64, '0');
    for (std::size_t i = 0; i < entries.size(); ++i) {
        INFO("entry " << i + 1);
        CHECK(entries[i].seq == static_cast<std::int64_t>(i + 1));
        CHECK(entries[i].prev_hash == prev);
        CHECK(entries[i].hash == BroadcastLog::entry_hash(entries[i], prev));
        prev = entries[i].hash;
    }
}

}  // namespace

TEST_CASE("a new log is created with its folder and migrated to the current schema", "[log]") {
    TempDir dir;
    const fs::path path = dir.path / "var" / "lib" / "broadcasts.db";
    {
        BroadcastLog log(path);
        CHECK(log.path() == path);
        CHECK(log.entries().empty());
        CHECK(log.open_broadcasts().empty());
        CHECK_FALSE(log.last_claimed());
    }
    RawDb raw(path.string());
    CHECK(raw.value("PRAGMA user_version") == "2");
    CHECK(raw.value("PRAGMA application_id") == std::to_string(BroadcastLog::application_id));
    CHECK(raw.value("PRAGMA journal_mode") == "wal");
    for (const char* table : {"schedules", "entries", "claims"}) {
        INFO(table);
        CHECK(raw.value(std::string("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND "
                                    "name = '") +
                        table + "'") == "1");
    }
    CHECK(raw.value("SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name IN "
                    "('entries_scheduled', 'entries_announcement')") == "2");
    // Opening again migrates nothing and keeps the version.
    BroadcastLog again(path);
    CHECK(raw.value("PRAGMA user_version") == "2");
}

TEST_CASE("the schema's CHECK constraints allow exactly the names of common/names.hpp",
          "[log][names]") {
    // Schema 1's text is history (every file holds it as first written): a status or kind
    // added to the tables needs a migration that widens the CHECK, and this test says so.
    TempDir dir;
    const fs::path path = dir.path / "b.db";
    {
        BroadcastLog log(path);
        // Every status the table names goes in through the log.
        int minute = 0;
        for (const auto& row : wardcast::names::statuses) {
            INFO(row.name);
            LogEntry e = firing("news", "2026-12-01T00:0" + std::to_string(minute++) + ":00.000Z");
            e.status = row.value;
            CHECK(log.record_not_aired(e));
        }
    }
    RawDb raw(path.string());
    std::string schema;  // its whitespace squeezed: the stored text wraps the status list
    for (const char c : raw.value("SELECT sql FROM sqlite_schema WHERE name = 'entries'")) {
        const bool space = c == ' ' || c == '\n';
        if (!space || (!schema.empty() && schema.back() != ' ')) schema += space ? ' ' : c;
    }
    CHECK_THAT(schema,
               Catch::Contains("CHECK (kind IN (" +
                               wardcast::names::sql_listed(wardcast::names::entry_kinds) + "))"));
    CHECK_THAT(schema,
               Catch::Contains("CHECK (kind <> 'broadcast' OR status IN (" +
                               wardcast::names::sql_listed(wardcast::names::statuses) + "))"));
    // A writer other than wardcast cannot add a name the tables do not have.
    const std::string insert =
        "INSERT INTO entries (seq, kind, recorded_at, station, announcement_id, title, trigger,"
        " user, zones, status, error, audio_sha256, schedule_sha256, command, result,"
        " prev_hash, hash) VALUES (100, '%KIND%', '2026-12-01T00:00:00.000Z', '', 'x', '', "
        "'schedule', '', '[]', '%STATUS%', '', '[]', '', '', '', '', '')";
    auto row = [&](const std::string& kind, const std::string& status) {
        std::string sql = insert;
        sql.replace(sql.find("%KIND%"), 6, kind);
        sql.replace(sql.find("%STATUS%"), 8, status);
        return raw.exec(sql);
    };
    CHECK_THAT(row("broadcast", "aired-twice"), Catch::Contains("CHECK constraint failed"));
    CHECK_THAT(row("broadcast", ""), Catch::Contains("CHECK constraint failed"));
    CHECK_THAT(row("relay", ""), Catch::Contains("CHECK constraint failed"));
}

TEST_CASE("an outcome without a status is refused before anything is written", "[log]") {
    TempDir dir;
    BroadcastLog log(dir.path / "b.db");
    auto seq = log.begin_broadcast(firing("news", "2026-12-01T00:00:00.000Z"), true);
    REQUIRE(seq);
    LogEntry none = outcome(Status::played);
    none.status.reset();
    CHECK_THROWS_AS(log.finish_broadcast(*seq, none), std::invalid_argument);
    LogEntry not_aired = firing("weather", "2026-12-01T00:01:00.000Z");
    CHECK_THROWS_AS(log.record_not_aired(not_aired), std::invalid_argument);
    CHECK_FALSE(log.is_claimed("weather", at("2026-12-01T00:01:00.000Z")));
    CHECK(log.entries().size() == 1);
}

TEST_CASE("the connection is durable: WAL, synchronous FULL, busy timeout, persistent WAL",
          "[log]") {
    TempDir dir;
    BroadcastLog log(dir.path / "b.db");
    const BroadcastLog::Settings s = log.settings();
    CHECK(s.journal_mode == "wal");
    CHECK(s.synchronous == 2);
    CHECK(s.busy_timeout_ms == 5000);
    CHECK(s.foreign_keys);
    CHECK(s.persist_wal);
}

TEST_CASE("entries survive a reopen and the hash chain continues across it", "[log]") {
    TempDir dir;
    const fs::path path = dir.path / "b.db";
    {
        BroadcastLog log(path);
        LogEntry op;
        op.command = "pause --until 2026-12-01T08:00:00+07:00";
        op.result = "ok";
        op.uid = 1000;
        op.user = "tuan";
        CHECK(log.record_operator(op) == 1);
        CHECK(log.begin_broadcast(firing("news", "2026-12-01T00:00:00.000Z"), true) == 2);
    }
    BroadcastLog log(path);
    const std::string last_before = log.entries().back().hash;
    CHECK(log.finish_broadcast(2, outcome(Status::played)) == 3);
    const std::vector<LogEntry> entries = log.entries();
    REQUIRE(entries.size() == 3);
    CHECK(entries[2].prev_hash == last_before);
    require_chain(entries);
    CHECK(entries[0].kind == EntryKind::operator_command);
    CHECK(entries[0].uid == 1000);
    CHECK(entries[0].user == "tuan");
    CHECK(entries[0].result == "ok");
    CHECK(entries[1].kind == EntryKind::on_air);
    CHECK(entries[1].zones == std::vector<std::string>{"zone-a", "zone-b"});
    CHECK(entries[2].kind == EntryKind::broadcast);
    CHECK(entries[2].status == Status::played);
    CHECK(entries[2].on_air_seq == 2);
}

TEST_CASE("a scheduled firing is claimed once ever, across reopens", "[log]") {
    TempDir dir;
    const fs::path path = dir.path / "b.db";
    {
        BroadcastLog log(path);
        CHECK(log.begin_broadcast(firing("news", "2026-12-01T00:00:00.000Z"), true) == 1);
        CHECK_FALSE(log.begin_broadcast(firing("news", "2026-12-01T00:00:00.000Z"), true));
        LogEntry missed = firing("news", "2026-12-01T00:00:00.000Z");
        missed.status = Status::missed;
        CHECK_FALSE(log.record_not_aired(missed));
        CHECK(log.entries().size() == 1);  // refused claims write nothing

        LogEntry skipped = firing("weather", "2026-12-01T01:00:00.000Z");
        skipped.status = Status::skipped;
        skipped.error = "zones busy with news";
        CHECK(log.record_not_aired(skipped));
    }
    BroadcastLog log(path);
    CHECK(log.is_claimed("news", at("2026-12-01T00:00:00.000Z")));
    CHECK(log.is_claimed("weather", at("2026-12-01T01:00:00.000Z")));
    CHECK_FALSE(log.is_claimed("news", at("2026-12-02T00:00:00.000Z")));
    CHECK(log.last_claimed() == at("2026-12-01T01:00:00.000Z"));
    CHECK_FALSE(log.begin_broadcast(firing("news", "2026-12-01T00:00:00.000Z"), true));
    CHECK_FALSE(log.begin_broadcast(firing("weather", "2026-12-01T01:00:00.000Z"), true));
    CHECK(log.begin_broadcast(firing("news", "2026-12-02T00:00:00.000Z"), true) == 3);
    // An operator's play of the same announcement does not claim the firing.
    CHECK(log.begin_broadcast(firing("news", "2026-12-01T00:00:00.000Z"), false) == 4);
    CHECK(log.entries().size() == 4);
    require_chain(log.entries());

    LogEntry anonymous;
    CHECK_THROWS_AS(log.begin_broadcast(anonymous, true), std::invalid_argument);
}

TEST_CASE("two writers on one file keep one chain", "[log]") {
    TempDir dir;
    const fs::path path = dir.path / "b.db";
    BroadcastLog first(path);
    BroadcastLog second(path);
    LogEntry op;
    op.command = "status";
    op.result = "ok";
    CHECK(first.record_operator(op) == 1);
    CHECK(second.record_operator(op) == 2);
    CHECK(first.begin_broadcast(firing("news", "2026-12-01T00:00:00.000Z"), true) == 3);
    CHECK_FALSE(second.begin_broadcast(firing("news", "2026-12-01T00:00:00.000Z"), true));
    CHECK(second.finish_broadcast(3, outcome(Status::played)) == 4);
    require_chain(first.entries());
}

TEST_CASE("open broadcasts are on_air entries that no outcome closed", "[log]") {
    TempDir dir;
    const fs::path path = dir.path / "b.db";
    {
        BroadcastLog log(path);
        const auto a = log.begin_broadcast(firing("a", "2026-12-01T00:00:00.000Z"), true);
        const auto b = log.begin_broadcast(firing("b", "2026-12-01T00:00:00.000Z"), true);
        REQUIRE(a);
        REQUIRE(b);
        CHECK(log.open_broadcasts().size() == 2);
        log.finish_broadcast(*a, outcome(Status::played));
        const std::vector<LogEntry> open = log.open_broadcasts();
        REQUIRE(open.size() == 1);
        CHECK(open[0].seq == *b);
        CHECK(open[0].announcement_id == "b");

        CHECK_THROWS_WITH(log.finish_broadcast(*a, outcome(Status::played)),
                          Catch::Contains("closed already by entry 3"));
        CHECK_THROWS_WITH(log.finish_broadcast(3, outcome(Status::played)),
                          Catch::Contains("entry 3 is not an on_air entry"));
        CHECK_THROWS_WITH(log.finish_broadcast(99, outcome(Status::played)),
                          Catch::Contains("entry 99 is not an on_air entry"));
        CHECK(log.entries().size() == 3);
    }
    // The daemon died with b on air: on restart it is still open, and closing it works.
    BroadcastLog log(path);
    const std::vector<LogEntry> open = log.open_broadcasts();
    REQUIRE(open.size() == 1);
    CHECK(log.finish_broadcast(open[0].seq, outcome(Status::interrupted)) == 4);
    CHECK(log.open_broadcasts().empty());
    require_chain(log.entries());
}

TEST_CASE("a failed append leaves no transaction open and writes nothing", "[log]") {
    TempDir dir;
    const fs::path path = dir.path / "b.db";
    BroadcastLog log(path);
    RawDb other(path.string());
    // A constraint the log does not know of: its failure is not a fault of the medium.
    REQUIRE(other.exec("CREATE TRIGGER refuse BEFORE INSERT ON entries WHEN NEW.error = 'no'"
                       " BEGIN SELECT RAISE(ABORT, 'refused by a test'); END") == "");
    LogEntry bogus = firing("news", "2026-12-01T00:00:00.000Z");
    bogus.status = Status::missed;
    bogus.error = "no";
    CHECK_THROWS_WITH(log.record_not_aired(bogus), Catch::Contains("refused by a test"));
    CHECK_FALSE(log.is_claimed("news", at("2026-12-01T00:00:00.000Z")));
    // Another writer gets the lock at once: nothing is held.
    CHECK(other.exec("PRAGMA busy_timeout = 0; BEGIN IMMEDIATE; ROLLBACK") == "");
    bogus.error = "the daemon was down";
    CHECK(log.record_not_aired(bogus));
    CHECK(log.entries().size() == 1);
}

TEST_CASE("rows cannot be edited or deleted in place", "[log]") {
    TempDir dir;
    const fs::path path = dir.path / "b.db";
    BroadcastLog log(path);
    log.begin_broadcast(firing("news", "2026-12-01T00:00:00.000Z"), true);
    log.remember_schedule(std::string(64, 'c'), "announcements: []\n", "/etc/wardcast/s.yaml");
    RawDb raw(path.string());
    CHECK_THAT(raw.exec("UPDATE entries SET title = 'x'"), Catch::Contains("append-only"));
    CHECK_THAT(raw.exec("DELETE FROM entries"), Catch::Contains("append-only"));
    CHECK_THAT(raw.exec("DELETE FROM claims"), Catch::Contains("append-only"));
    CHECK_THAT(raw.exec("UPDATE schedules SET text = ''"), Catch::Contains("append-only"));
    CHECK(raw.value("SELECT count(*) FROM entries") == "1");
    CHECK(raw.value("SELECT count(*) FROM claims") == "1");
}

TEST_CASE("a schedule's text is stored once per version, byte for byte", "[log]") {
    TempDir dir;
    const fs::path path = dir.path / "b.db";
    const std::string text = "station: Phường Bến Nghé\nannouncements: []\n";
    const std::string sha = wardcast::sha256_hex(text);
    {
        BroadcastLog log(path);
        log.remember_schedule(sha, text, "/etc/wardcast/schedule.yaml");
        log.remember_schedule(sha, text, "/elsewhere.yaml");
        log.remember_schedule(wardcast::sha256_hex("v2"), "v2", "/etc/wardcast/v2.yaml");
    }
    RawDb raw(path.string());
    CHECK(raw.value("SELECT count(*) FROM schedules") == "2");
    CHECK(raw.value("SELECT path FROM schedules WHERE sha256 = '" + sha + "'") ==
          "/etc/wardcast/schedule.yaml");
    CHECK(wardcast::sha256_hex(
              raw.value("SELECT text FROM schedules WHERE sha256 = '" + sha + "'")) == sha);
    CHECK(parse_utc(raw.value("SELECT first_loaded FROM schedules LIMIT 1")));
}

TEST_CASE("a log written by a newer wardcast is refused and left alone", "[log]") {
    TempDir dir;
    const fs::path path = dir.path / "b.db";
    { BroadcastLog log(path); }
    {
        RawDb raw(path.string());
        REQUIRE(raw.exec("PRAGMA user_version = 99") == "");
    }
    CHECK_THROWS_WITH(
        BroadcastLog(path),
        path.string() + " was written by a newer wardcast (schema 99); this one reads up to 2");
    RawDb raw(path.string());
    CHECK(raw.value("PRAGMA user_version") == "99");
}

TEST_CASE("a file that is not a wardcast log is refused and left alone", "[log]") {
    TempDir dir;
    const fs::path text = dir.path / "notes.txt";
    std::ofstream(text) << "Lịch phát thanh tuần này: thứ Hai 6 giờ sáng.\n"
                        << std::string(2000, 'x') << "\n";
    CHECK_THROWS_WITH(BroadcastLog(text), text.string() +
                                              " is not a wardcast broadcast log: "
                                              "file is not a database");

    const fs::path other = dir.path / "other.db";
    {
        RawDb raw(other.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
        REQUIRE(raw.exec("CREATE TABLE songs (title TEXT)") == "");
    }
    CHECK_THROWS_WITH(BroadcastLog(other),
                      Catch::StartsWith(other.string() + " is not a wardcast broadcast log: "));
    RawDb raw(other.string());
    CHECK(raw.value("PRAGMA journal_mode") == "delete");
    CHECK(raw.value("SELECT count(*) FROM sqlite_schema") == "1");
}

TEST_CASE("a read-only opener reads the log after the daemon closed it", "[log]") {
    TempDir dir;
    const fs::path path = dir.path / "b.db";
    {
        BroadcastLog log(path);
        log.begin_broadcast(firing("news", "2026-12-01T00:00:00.000Z"), true);
        log.finish_broadcast(1, outcome(Status::played));
    }
    CHECK(fs::exists(path.string() + "-wal"));
    CHECK(fs::exists(path.string() + "-shm"));
    // An auditor cannot create files in the daemon's folder (root can, so this part of the
    // check only bites when the tests run unprivileged).
    struct ReadOnlyFolder {
        const fs::path& path;
        ~ReadOnlyFolder() { fs::permissions(path, fs::perms::owner_all); }
    } read_only{dir.path};
    fs::permissions(dir.path, fs::perms::owner_read | fs::perms::owner_exec);
    RawDb ro("file:" + path.string() + "?mode=ro", SQLITE_OPEN_READONLY | SQLITE_OPEN_URI);
    CHECK(ro.value("SELECT count(*) FROM entries") == "2");
    CHECK(ro.value("SELECT status FROM entries WHERE seq = 2") == "played");
}

TEST_CASE("entry_hash follows the documented recipe and covers every field", "[log][hash]") {
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
    // Computed independently with Python: docs/log-format.md.
    const std::string base = BroadcastLog::entry_hash(e, prev);
    CHECK(base == "b001a0865574a00f63121d246fd2a219a76f2624b45a9a922cb07361331256fb");

    LogEntry ignored = e;  // the stored prev_hash and hash are not part of the content
    ignored.prev_hash = "x";
    ignored.hash = "y";
    CHECK(BroadcastLog::entry_hash(ignored, prev) == base);
    CHECK(BroadcastLog::entry_hash(e, std::string(64, '0')) != base);

    using Change = std::function<void(LogEntry&)>;
    const std::vector<std::pair<const char*, Change>> changes = {
        {"seq", [](LogEntry& x) { x.seq = 4; }},
        {"kind", [](LogEntry& x) { x.kind = EntryKind::on_air; }},
        {"recorded_at", [](LogEntry& x) { x.recorded_at += 1ms; }},
        {"station", [](LogEntry& x) { x.station = "Phường 2"; }},
        {"announcement_id", [](LogEntry& x) { x.announcement_id = "evening-news"; }},
        {"title", [](LogEntry& x) { x.title = "Bản tin chiều"; }},
        {"trigger", [](LogEntry& x) { x.trigger = Trigger::catch_up; }},
        {"uid", [](LogEntry& x) { x.uid = 0; }},
        {"user", [](LogEntry& x) { x.user = "root"; }},
        {"zones order", [](LogEntry& x) { std::swap(x.zones[0], x.zones[1]); }},
        {"zones split", [](LogEntry& x) { x.zones = {"tổ-1\",\"tổ-2"}; }},
        {"scheduled", [](LogEntry& x) { x.scheduled.reset(); }},
        {"started", [](LogEntry& x) { *x.started += 1ms; }},
        {"ended", [](LogEntry& x) { x.ended.reset(); }},
        {"lateness_ms", [](LogEntry& x) { x.lateness_ms = 1501; }},
        {"status", [](LogEntry& x) { x.status = Status::failed; }},
        {"error", [](LogEntry& x) { x.error = "no sound device"; }},
        {"audio_sha256", [](LogEntry& x) { x.audio_sha256.pop_back(); }},
        {"schedule_sha256", [](LogEntry& x) { x.schedule_sha256[0] = 'd'; }},
        {"on_air_seq", [](LogEntry& x) { x.on_air_seq.reset(); }},
        {"command", [](LogEntry& x) { x.command = "stop"; }},
        {"result", [](LogEntry& x) { x.result = "ok"; }},
        {"aired_ms set", [](LogEntry& x) { x.aired_ms = 0; }},
        {"text moved between fields", [](LogEntry& x) { x.station += "morning-news"; }},
    };
    for (const auto& [name, change] : changes) {
        INFO(name);
        LogEntry changed = e;
        change(changed);
        CHECK(BroadcastLog::entry_hash(changed, prev) != base);
    }
}

TEST_CASE("Vietnamese text round-trips, invalid UTF-8 is stored as it is hashed", "[log]") {
    TempDir dir;
    const fs::path path = dir.path / "nhật ký" / "phát thanh.db";
    {
        BroadcastLog log(path);
        LogEntry e = firing("tiêm-chủng", "2026-12-01T00:00:00.000Z");
        e.title = "Thông báo tiêm chủng đợt 2 — Trạm y tế phường";
        e.zones = {"Tổ dân phố 3", "Chợ Bến Thành"};
        e.user = "nguyễn";
        REQUIRE(log.begin_broadcast(e, true));
        LogEntry bad;
        bad.command = "announce --tts \"xin ch\xe0o\xff\"";
        bad.result = "ok";
        log.record_operator(bad);
    }
    BroadcastLog log(path);
    const std::vector<LogEntry> entries = log.entries();
    REQUIRE(entries.size() == 2);
    CHECK(entries[0].announcement_id == "tiêm-chủng");
    CHECK(entries[0].title == "Thông báo tiêm chủng đợt 2 — Trạm y tế phường");
    CHECK(entries[0].zones == std::vector<std::string>{"Tổ dân phố 3", "Chợ Bến Thành"});
    CHECK(entries[0].user == "nguyễn");
    CHECK(log.is_claimed("tiêm-chủng", at("2026-12-01T00:00:00.000Z")));
    CHECK(entries[1].command == "announce --tts \"xin ch\xef\xbf\xbdo\xef\xbf\xbd\"");
    require_chain(entries);
}

TEST_CASE("instants are stored as sortable UTC text to the millisecond", "[log][time]") {
    const std::vector<std::pair<Instant, std::string>> cases = {
        {Instant{}, "1970-01-01T00:00:00.000Z"},
        {Instant{1'796'083'200'000ms}, "2026-12-01T00:00:00.000Z"},
        {Instant{1'796'083'200'000ms + 23h + 59min + 59s + 999ms}, "2026-12-01T23:59:59.999Z"},
        {Instant{-1ms}, "1969-12-31T23:59:59.999Z"},
        {Instant{951'782'400'000ms}, "2000-02-29T00:00:00.000Z"},
    };
    for (const auto& [instant, text] : cases) {
        CHECK(format_utc(instant) == text);
        CHECK(parse_utc(text) == instant);
    }
    for (const char* bad :
         {"", "2026-12-01", "2026-12-01T00:00:00Z", "2026-12-01T00:00:00.000",
          "2026-12-01 00:00:00.000Z", "2026-02-30T00:00:00.000Z", "2026-12-01T24:00:00.000Z",
          "2026-12-01T00:60:00.000Z", "2026-12-01T00:00:60.000Z", "2026-12-01T00:00:00.00aZ",
          "+026-12-01T00:00:00.000Z", "2026-12-01T00:00:00.000+07:00"}) {
        INFO(bad);
        CHECK_FALSE(parse_utc(bad));
    }
}
