// Reading the broadcast log as auditors do (SPEC §5, §6): read-only, filtered, streamed, and
// the hash chain walked to find the first entry changed, removed, inserted or reordered.

#include "log/log_reader.hpp"

#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/log/log_test_support.hpp"

namespace fs = std::filesystem;
using namespace wardcast::log;
using namespace std::chrono_literals;

namespace {

using TempDir = wardcast::test::LogDir;

/// A raw read-write connection, as someone tampering with the file would open it.
class RawDb {
  public:
    explicit RawDb(const fs::path& path, int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) {
        REQUIRE(sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) == SQLITE_OK);
    }
    ~RawDb() { sqlite3_close_v2(db_); }
    RawDb(const RawDb&) = delete;
    RawDb& operator=(const RawDb&) = delete;

    void exec(const std::string& sql) {
        char* error = nullptr;
        const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
        INFO(sql << ": " << (error ? error : ""));
        sqlite3_free(error);
        REQUIRE(rc == SQLITE_OK);
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
    e.station = "Phường Bồ Đề";
    e.announcement_id = id;
    e.title = "Bản tin " + id;
    e.trigger = Trigger::schedule;
    e.zones = {"chợ", "trường"};
    e.scheduled = at(scheduled);
    e.started = *e.scheduled + 1500ms;
    e.lateness_ms = 1500;
    e.audio_sha256 = {std::string(64, 'a'), std::string(64, 'b')};
    e.schedule_sha256 = std::string(64, 'c');
    return e;
}

/// The outcome of `on_air`, repeating its fields as the daemon does.
LogEntry outcome(LogEntry on_air, Status status, const std::string& error = "") {
    on_air.status = status;
    on_air.error = error;
    on_air.ended = *on_air.started + 3min;
    return on_air;
}

LogEntry command(const std::string& text) {
    LogEntry e;
    e.trigger = Trigger::operator_request;
    e.uid = 1000;
    e.user = "tuan";
    e.command = text;
    e.result = "ok";
    return e;
}

/// The log most tests read, 8 entries:
///   1 operator pause          2 on_air news (2031-03-01 00:00Z)   3 played (closes 2)
///   4 weather skipped (2031-03-01 01:00Z)  5 on_air news (2031-03-02)  6 failed (closes 5)
///   7 operator resume         8 weather missed (2031-03-03 01:00Z)
fs::path make_log(const TempDir& dir) {
    const fs::path path = dir.path / "broadcasts.db";
    BroadcastLog log(path);
    log.record_operator(command("pause"));
    const LogEntry news1 = firing("news", "2031-03-01T00:00:00.000Z");
    log.begin_broadcast(news1, true);
    log.finish_broadcast(2, outcome(news1, Status::played));
    LogEntry skipped = firing("weather", "2031-03-01T01:00:00.000Z");
    skipped.status = Status::skipped;
    skipped.error = "zones busy with news until 08:01; waited longer than max_delay 1m";
    skipped.started.reset();
    skipped.lateness_ms.reset();
    log.record_not_aired(skipped);
    const LogEntry news2 = firing("news", "2031-03-02T00:00:00.000Z");
    log.begin_broadcast(news2, true);
    log.finish_broadcast(5,
                         outcome(news2, Status::failed, "alsa: device \"hw:1\" busy, retry later"));
    log.record_operator(command("resume"));
    LogEntry missed = firing("weather", "2031-03-03T01:00:00.000Z");
    missed.status = Status::missed;
    missed.started.reset();
    log.record_not_aired(missed);
    return path;
}

std::vector<std::int64_t> seqs(LogReader& reader, const LogFilter& filter) {
    std::vector<std::int64_t> out;
    reader.each(filter, [&](const LogEntry& e) { out.push_back(e.seq); });
    return out;
}

using Seqs = std::vector<std::int64_t>;

}  // namespace

TEST_CASE("each streams outcomes and commands in append order, on_air only when asked",
          "[reader]") {
    TempDir dir;
    const fs::path path = make_log(dir);
    LogReader reader(path);
    CHECK(seqs(reader, {}) == Seqs{1, 3, 4, 6, 7, 8});
    LogFilter on_air;
    on_air.kinds = {EntryKind::on_air};
    CHECK(seqs(reader, on_air) == Seqs{2, 5});
    LogFilter everything;
    everything.kinds.clear();
    CHECK(seqs(reader, everything) == Seqs{1, 2, 3, 4, 5, 6, 7, 8});

    // Every field comes back as written.
    BroadcastLog writer(path);
    const std::vector<LogEntry> written = writer.entries();
    reader.each(everything, [&](const LogEntry& e) {
        const LogEntry& w = written.at(static_cast<std::size_t>(e.seq - 1));
        INFO("entry " << e.seq);
        CHECK(e.kind == w.kind);
        CHECK(e.recorded_at == w.recorded_at);
        CHECK(e.station == w.station);
        CHECK(e.title == w.title);
        CHECK(e.trigger == w.trigger);
        CHECK(e.uid == w.uid);
        CHECK(e.user == w.user);
        CHECK(e.zones == w.zones);
        CHECK(e.scheduled == w.scheduled);
        CHECK(e.started == w.started);
        CHECK(e.ended == w.ended);
        CHECK(e.lateness_ms == w.lateness_ms);
        CHECK(e.status == w.status);
        CHECK(e.error == w.error);
        CHECK(e.audio_sha256 == w.audio_sha256);
        CHECK(e.on_air_seq == w.on_air_seq);
        CHECK(e.command == w.command);
        CHECK(e.hash == w.hash);
        CHECK(e.prev_hash == w.prev_hash);
    });
}

TEST_CASE("each reads what follows a seq, a batch at a time, as wardcast-sync ships it",
          "[reader]") {
    TempDir dir;
    const fs::path path = make_log(dir);
    LogReader reader(path);
    LogFilter batch;
    batch.kinds.clear();  // every kind: the district gets the whole chain
    batch.limit = 3;
    CHECK(seqs(reader, batch) == Seqs{1, 2, 3});
    batch.after_seq = 3;
    CHECK(seqs(reader, batch) == Seqs{4, 5, 6});
    batch.after_seq = 6;
    CHECK(seqs(reader, batch) == Seqs{7, 8});
    batch.after_seq = 8;
    CHECK(seqs(reader, batch).empty());
}

TEST_CASE("each filters by scheduled instant, or by when recorded for entries without one",
          "[reader]") {
    TempDir dir;
    LogReader reader(make_log(dir));
    struct Case {
        std::optional<std::string> from, to;
        Seqs expected;
    };
    const auto now =
        std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
    const std::string hour_ago = format_utc(now - 1h), in_an_hour = format_utc(now + 1h);
    const std::vector<Case> cases = {
        {"2031-03-01T00:00:00.000Z", "2031-03-02T00:00:00.000Z", {3, 4}},  // from inclusive
        {"2031-03-01T00:00:00.001Z", "2031-03-02T00:00:00.001Z", {4, 6}},  // to exclusive
        {"2031-03-02T00:00:00.000Z", std::nullopt, {6, 8}},
        {std::nullopt, "2031-03-01T01:00:00.000Z", {1, 3, 7}},  // commands were recorded today
        {hour_ago, in_an_hour, {1, 7}},
        {"2040-01-01T00:00:00.000Z", std::nullopt, {}},
    };
    for (const Case& c : cases) {
        INFO("from " << c.from.value_or("-") << " to " << c.to.value_or("-"));
        LogFilter f;
        if (c.from) f.from = at(*c.from);
        if (c.to) f.to = at(*c.to);
        CHECK(seqs(reader, f) == c.expected);
    }
}

TEST_CASE("each filters by announcement and status, and filters combine", "[reader]") {
    TempDir dir;
    LogReader reader(make_log(dir));
    LogFilter news;
    news.announcement = "news";
    CHECK(seqs(reader, news) == Seqs{3, 6});
    LogFilter failed;
    failed.status = Status::failed;
    CHECK(seqs(reader, failed) == Seqs{6});
    LogFilter weather_missed;
    weather_missed.announcement = "weather";
    weather_missed.status = Status::missed;
    CHECK(seqs(reader, weather_missed) == Seqs{8});
    weather_missed.to = at("2031-03-03T00:00:00.000Z");
    CHECK(seqs(reader, weather_missed).empty());
    LogFilter unknown;
    unknown.announcement = "khong-co";
    CHECK(seqs(reader, unknown).empty());
}

TEST_CASE("each refuses an entry whose trigger or status is none of the names", "[reader]") {
    TempDir dir;
    const fs::path path = make_log(dir);
    {
        RawDb raw(path);
        raw.exec(
            "DROP TRIGGER entries_no_update; UPDATE entries SET trigger = 'bằng tay' WHERE seq = "
            "4");
    }
    LogReader reader(path);
    LogFilter news;
    news.announcement = "news";
    CHECK(seqs(reader, news) == Seqs{3, 6});  // a filter that does not reach it reads on
    CHECK_THROWS_WITH(seqs(reader, {}),
                      "broadcast log " + path.string() +
                          ": entry 4 is malformed: its trigger \"bằng tay\" is not one of "
                          "schedule, catch-up, operator, emergency");
}

TEST_CASE("stored schedule versions come oldest first", "[reader]") {
    TempDir dir;
    const fs::path path = dir.path / "b.db";
    {
        BroadcastLog log(path);
        log.remember_schedule(std::string(64, '1'), "version: 1\n", "/etc/wardcast/schedule.yaml");
        std::this_thread::sleep_for(5ms);
        log.remember_schedule(std::string(64, '2'), "version: 2\n", "/etc/wardcast/schedule.yaml");
    }
    LogReader reader(path);
    const auto versions = reader.schedule_versions();
    REQUIRE(versions.size() == 2);
    CHECK(versions[0].sha256 == std::string(64, '1'));
    CHECK(versions[0].text == "version: 1\n");
    CHECK(versions[0].path == "/etc/wardcast/schedule.yaml");
    CHECK(versions[1].text == "version: 2\n");
    CHECK(versions[0].first_loaded < versions[1].first_loaded);
}

TEST_CASE("an untouched log verifies intact, its last hash is the anchor", "[reader][verify]") {
    TempDir dir;
    const fs::path path = make_log(dir);
    std::vector<LogEntry> written;
    {
        BroadcastLog log(path);
        // Text that JSON escapes: the quick check must write exactly what the recipe writes.
        LogEntry odd = command(std::string("say \"xin chào\" \\ tab\t nl\n cr\r bell\x07 del\x7f") +
                               " / 😀 \xef\xbf\xbd \x1f");
        odd.title = "Thông báo: \b\f";
        log.record_operator(odd);
        written = log.entries();
    }
    LogReader reader(path);
    const VerifyResult r = reader.verify();
    CHECK(r.intact);
    CHECK(r.problem.empty());
    CHECK_FALSE(r.bad_seq);
    CHECK(r.entries == 9);
    CHECK(r.last_seq == 9);
    CHECK(r.last_hash == written.back().hash);
    CHECK(r.last_recorded_at == written.back().recorded_at);
    CHECK(r.rechecked == 0);  // the quick check agreed with the recipe on every entry
}

TEST_CASE("an empty log verifies intact with no entries", "[reader][verify]") {
    TempDir dir;
    { BroadcastLog log(dir.path / "b.db"); }
    const VerifyResult r = LogReader(dir.path / "b.db").verify();
    CHECK(r.intact);
    CHECK(r.entries == 0);
    CHECK(r.last_hash.empty());
}

TEST_CASE("lists the quick check cannot settle are checked by the recipe", "[reader][verify]") {
    TempDir dir;
    const fs::path path = dir.path / "b.db";
    {
        BroadcastLog log(path);
        LogEntry e = firing("news", "2031-03-01T00:00:00.000Z");
        e.zones = {"tổ \"1\"", "back\\slash"};  // stored with escapes
        log.begin_broadcast(e, true);
        log.finish_broadcast(1, outcome(e, Status::played));
    }
    const VerifyResult r = LogReader(path).verify();
    CHECK(r.intact);
    CHECK(r.entries == 2);
    CHECK(r.rechecked == 2);  // the on_air entry and its outcome
}

TEST_CASE("verify names the first entry changed, removed, inserted or reordered",
          "[reader][verify]") {
    struct Case {
        const char* what;
        std::string sql;
        std::int64_t bad_seq;
        std::string problem;
    };
    const std::string copy_of_2 =
        "SELECT 9, kind, recorded_at, station, announcement_id, title, trigger, uid, user, zones,"
        " scheduled, started, ended, lateness_ms, status, error, audio_sha256, schedule_sha256,"
        " on_air_seq, command, result, prev_hash, hash, aired_ms FROM entries WHERE seq = 2";
    const std::vector<Case> cases = {
        {"a status changed", "UPDATE entries SET status = 'played' WHERE seq = 6", 6,
         "entry 6 was changed: its hash does not match its content"},
        {"an error text wiped", "UPDATE entries SET error = '' WHERE seq = 4", 4,
         "entry 4 was changed: its hash does not match its content"},
        {"a lateness set", "UPDATE entries SET lateness_ms = 0 WHERE seq = 3", 3,
         "entry 3 was changed: its hash does not match its content"},
        {"a zone added", "UPDATE entries SET zones = '[\"chợ\",\"trường\",\"đình\"]' WHERE seq = 2",
         2, "entry 2 was changed: its hash does not match its content"},
        {"an instant garbled", "UPDATE entries SET scheduled = 'hôm qua' WHERE seq = 4", 4,
         "entry 4 was changed: its scheduled \"hôm qua\" is not an instant"},
        {"zones not a list", "UPDATE entries SET zones = 'chợ' WHERE seq = 5", 5,
         "entry 5 was changed: its zones are not a JSON list of names"},
        {"a trigger no wardcast writes", "UPDATE entries SET trigger = 'thủ công' WHERE seq = 3", 3,
         "entry 3 was changed: its trigger \"thủ công\" is not one of schedule, catch-up, "
         "operator, emergency"},
        {"a status on a start", "UPDATE entries SET status = 'aired' WHERE seq = 2", 2,
         "entry 2 was changed: its status \"aired\" is not one of played, failed, skipped, "
         "missed, preempted, cancelled, interrupted"},
        {"a hash replaced", "UPDATE entries SET hash = prev_hash WHERE seq = 8", 8,
         "entry 8 was changed: its hash does not match its content"},
        {"one entry deleted", "DELETE FROM entries WHERE seq = 4", 4,
         "entry 4 was removed: entries jump from 3 to 5"},
        {"two entries deleted", "DELETE FROM entries WHERE seq IN (4, 5)", 4,
         "entries 4 to 5 were removed: entries jump from 3 to 6"},
        {"the first entry deleted", "DELETE FROM entries WHERE seq = 1", 1,
         "entry 1 was removed: entries start at 2"},
        {"a copy appended", "INSERT INTO entries " + copy_of_2, 9,
         "entry 9 was inserted or reordered: its prev_hash does not match entry 8"},
        {"two entries swapped",
         "UPDATE entries SET seq = 100 WHERE seq = 3; UPDATE entries SET seq = 3 WHERE seq = 4;"
         " UPDATE entries SET seq = 4 WHERE seq = 100",
         3, "entry 3 was inserted or reordered: its prev_hash does not match entry 2"},
        {"the last entries cut off (claims still point at them)",
         "DELETE FROM entries WHERE seq >= 5", 5,
         "entries after 4 were removed: a claim points at entry 8, which is missing"},
    };
    for (const Case& c : cases) {
        INFO(c.what);
        TempDir dir;
        const fs::path path = make_log(dir);
        {
            RawDb raw(path);
            raw.exec("DROP TRIGGER entries_no_update; DROP TRIGGER entries_no_delete;" + c.sql);
        }
        const VerifyResult r = LogReader(path).verify();
        CHECK_FALSE(r.intact);
        CHECK(r.bad_seq == c.bad_seq);
        CHECK(r.problem == c.problem);
        // Walked in pieces (one thread each), the same first break, in the same words.
        for (unsigned pieces = 2; pieces <= 9; ++pieces) {
            INFO(pieces << " pieces");
            const VerifyResult p = LogReader(path).verify(pieces);
            CHECK(p.intact == r.intact);
            CHECK(p.bad_seq == r.bad_seq);
            CHECK(p.problem == r.problem);
            CHECK(p.entries == r.entries);
            CHECK(p.last_hash == r.last_hash);
            CHECK(p.rechecked == r.rechecked);
        }
    }
}

TEST_CASE("an entry inserted with a well-forged hash is still found", "[reader][verify]") {
    TempDir dir;
    const fs::path path = make_log(dir);
    std::vector<LogEntry> entries = BroadcastLog(path).entries();
    // Entries 3.. move up one; a forged command chained properly to entry 2 takes the gap.
    LogEntry forged = entries[0];
    forged.seq = 3;
    forged.command = "stop";
    const std::string hash = BroadcastLog::entry_hash(forged, entries[1].hash);
    {
        RawDb raw(path);
        raw.exec(
            "DROP TRIGGER entries_no_update;"
            "UPDATE entries SET seq = seq + 100 WHERE seq >= 3;"
            "UPDATE entries SET seq = seq - 99 WHERE seq >= 103;"
            "INSERT INTO entries SELECT 3, kind, recorded_at, station, announcement_id, title,"
            " trigger, uid, user, zones, scheduled, started, ended, lateness_ms, status,"
            " error, audio_sha256, schedule_sha256, on_air_seq, 'stop', result, '" +
            entries[1].hash + "', '" + hash + "', aired_ms FROM entries WHERE seq = 1");
    }
    const VerifyResult r = LogReader(path).verify();
    CHECK_FALSE(r.intact);
    // The forgery itself chains; the entry after it no longer does.
    CHECK(r.bad_seq == 4);
    CHECK(r.problem == "entry 4 was inserted or reordered: its prev_hash does not match entry 3");
}

TEST_CASE("a chain re-hashed after the fact still shows an outcome pointing astray",
          "[reader][verify]") {
    TempDir dir;
    const fs::path path = make_log(dir);
    std::vector<LogEntry> entries = BroadcastLog(path).entries();
    // Entry 6 now claims to close entry 4 (a skipped firing); every hash from 6 on is redone.
    {
        RawDb raw(path);
        raw.exec("DROP TRIGGER entries_no_update");
        std::string prev = entries[4].hash;
        for (std::size_t i = 5; i < entries.size(); ++i) {
            LogEntry& e = entries[i];
            if (e.seq == 6) e.on_air_seq = 4;
            e.hash = BroadcastLog::entry_hash(e, prev);
            raw.exec("UPDATE entries SET on_air_seq = " +
                     (e.on_air_seq ? std::to_string(*e.on_air_seq) : std::string("NULL")) +
                     ", prev_hash = '" + prev + "', hash = '" + e.hash +
                     "' WHERE seq = " + std::to_string(e.seq));
            prev = e.hash;
        }
    }
    const VerifyResult r = LogReader(path).verify();
    CHECK_FALSE(r.intact);
    CHECK(r.bad_seq == 6);
    CHECK(r.problem ==
          "entry 6 was changed: it closes entry 4, which is not an open on_air entry before it");
}

TEST_CASE("files that are not a readable wardcast log are refused with one line", "[reader]") {
    TempDir dir;
    const std::string prefix = "cannot open the broadcast log ";
    const fs::path missing = dir.path / "khong-co.db";
    CHECK_THROWS_WITH(LogReader(missing), prefix + missing.string() + ": no such file");
    CHECK_FALSE(fs::exists(missing));

    CHECK_THROWS_WITH(LogReader(dir.path), prefix + dir.path.string() + ": it is a folder");

    const fs::path text = dir.path / "notes.txt";
    std::ofstream(text) << "Lịch phát thanh\n" << std::string(2000, 'x') << "\n";
    CHECK_THROWS_WITH(LogReader(text), prefix + text.string() +
                                           ": not a wardcast broadcast log (file is not a "
                                           "database)");

    const fs::path empty = dir.path / "empty.db";
    std::ofstream{empty};
    CHECK_THROWS_WITH(LogReader(empty),
                      prefix + empty.string() + ": it is empty: not a wardcast broadcast log");
    CHECK(fs::file_size(empty) == 0);

    const fs::path other = dir.path / "other.db";
    {
        RawDb raw(other);
        raw.exec("PRAGMA application_id = 42; CREATE TABLE songs (title TEXT)");
    }
    CHECK_THROWS_WITH(LogReader(other),
                      prefix + other.string() +
                          ": not a wardcast broadcast log (an SQLite database of another kind, "
                          "application_id 0x0000002a)");

    const fs::path newer = dir.path / "newer.db";
    { BroadcastLog log(newer); }
    {
        RawDb raw(newer);
        raw.exec("PRAGMA user_version = 7");
    }
    CHECK_THROWS_WITH(LogReader(newer), prefix + newer.string() +
                                            ": written by a newer wardcast (schema 7); this one "
                                            "reads up to 2");
}

TEST_CASE("the reader works beside a running writer and changes no file", "[reader]") {
    TempDir dir;
    const fs::path path = make_log(dir);
    BroadcastLog writer(path);  // as wardcastd holds it
    auto snapshot = [&] {
        std::vector<std::string> files;
        for (const auto& f : fs::directory_iterator(dir.path)) {
            const fs::path p = f.path();
            if (p.extension() == ".db-shm") continue;  // shared memory: readers take locks in it
            files.push_back(p.filename().string() + " " + std::to_string(fs::file_size(p)) + " " +
                            std::to_string(fs::last_write_time(p).time_since_epoch().count()));
        }
        std::sort(files.begin(), files.end());
        return files;
    };
    const auto before = snapshot();
    {
        LogReader reader(path);
        CHECK(seqs(reader, {}).size() == 6);
        CHECK(reader.verify().intact);
        CHECK(snapshot() == before);
        // A later append is seen by the next read.
        writer.record_operator(command("stop"));
        CHECK(seqs(reader, {}).back() == 9);
        const auto after_append = snapshot();
        std::this_thread::sleep_for(20ms);
        CHECK(reader.verify().entries == 9);
        CHECK(snapshot() == after_append);
    }
    CHECK(snapshot() != before);  // the writer's append, not the reader
}

TEST_CASE("a path with URI characters opens as a plain file name", "[reader]") {
    TempDir dir;
    const fs::path folder = dir.path / "ấp 3 #1 ?x=%20";
    fs::create_directories(folder);
    const fs::path path = folder / "b?mode=rw.db";
    { BroadcastLog log(path); }
    CHECK(LogReader(path).verify().intact);
    CHECK_FALSE(fs::exists(folder / "b"));
}

TEST_CASE("append_json_string writes what nlohmann dump writes", "[reader][json]") {
    auto dumped = [](const std::string& s) {
        return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    };
    auto mine = [](const std::string& s) {
        std::string out = "x";
        append_json_string(out, s);
        return out.substr(1);
    };
    for (int b = 0; b < 256; ++b) {
        const std::string s = "a" + std::string(1, static_cast<char>(b)) + "z";
        INFO("byte " << b);
        CHECK(mine(s) == dumped(s));
    }
    for (const std::string s :
         {"", "Phường Bồ Đề", "😀 / \\ \"", "\xed\xa0\x80 surrogate", "\xc0\xaf overlong",
          "\xf4\x90\x80\x80 too big", "cut \xe1\xbb", "\xe1\xbb\xb1 ự"}) {
        INFO(s);
        CHECK(mine(s) == dumped(s));
    }
    std::mt19937 rng(7);
    const std::string pieces[] = {"a", "\"", "\\", "\n", "\x01", "ờ", "😀", "\x80", "\xe1", "\xff"};
    for (int i = 0; i < 2000; ++i) {
        std::string s;
        for (int k = 0, n = static_cast<int>(rng() % 12); k < n; ++k) s += pieces[rng() % 10];
        INFO(nlohmann::json(s).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace));
        REQUIRE(mine(s) == dumped(s));
    }
}

namespace {

/// 1,200 firings over 25 days (an on_air entry and its outcome each, every fifth one failed,
/// every hundredth scheduled a year before among the others), a command after every 50th:
/// 2,424 entries, more than two of each_formatted's chunks.
fs::path make_long_log(const TempDir& dir) {
    const fs::path path = dir.path / "long.db";
    BroadcastLog log(path);
    for (int i = 0; i < 1200; ++i) {
        char when[32];
        std::snprintf(when, sizeof when, "2031-03-%02dT%02d:%02d:00.000Z", 1 + i / 48, i % 48 / 2,
                      i % 2 * 30);
        if (i % 100 == 37) std::memcpy(when, "2030", 4);  // a catch-up of a year before
        const LogEntry on_air = firing(i % 3 ? "news" : "weather", when);
        const auto seq = log.begin_broadcast(on_air, true);
        REQUIRE(seq);
        log.finish_broadcast(*seq, outcome(on_air, i % 5 ? Status::played : Status::failed,
                                           i % 5 ? "" : "alsa: device busy"));
        if (i % 50 == 49) log.record_operator(command("pause " + std::to_string(i)));
    }
    return path;
}

// One line per entry with what tells entries apart.
std::string line_of(const LogEntry& e) {
    return std::to_string(e.seq) + " " + e.announcement_id + " " + e.command + " " +
           (e.scheduled ? format_utc(*e.scheduled) : "-") + "\n";
}

std::string formatted(LogReader& reader, const LogFilter& filter, unsigned threads) {
    std::string out;
    reader.each_formatted(
        filter, [] { return [](const LogEntry& e, std::string& text) { text += line_of(e); }; },
        [&](std::string_view text) { out += text; }, threads);
    return out;
}

}  // namespace

TEST_CASE("each_formatted writes what each() reads, in order, on any number of threads",
          "[reader]") {
    TempDir dir;
    const fs::path path = make_long_log(dir);
    LogReader reader(path);
    LogFilter all_kinds;
    all_kinds.kinds.clear();
    LogFilter span;  // three weeks (read as ranges of seqs), and the commands recorded today
    span.from = at("2031-03-03T00:00:00.000Z");
    span.to = at("2031-03-24T00:00:00.000Z");
    LogFilter today;  // the commands only: scheduled NULL, recorded now
    today.from = std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now()) -
                 std::chrono::hours(1);
    LogFilter weather_failed = span;
    weather_failed.announcement = "weather";
    weather_failed.status = Status::failed;
    LogFilter first = all_kinds;
    first.limit = 1500;
    first.from = at("2031-03-02T00:00:00.000Z");
    const std::vector<std::pair<const char*, LogFilter>> filters = {
        {"default", {}},  {"all kinds", all_kinds},           {"three weeks", span},
        {"today", today}, {"weather failed", weather_failed}, {"limit", first}};
    for (const auto& [name, filter] : filters) {
        std::string expected;
        reader.each(filter, [&](const LogEntry& e) { expected += line_of(e); });
        INFO(name);
        CHECK_FALSE(expected.empty());
        for (unsigned threads = 1; threads <= 4; ++threads) {
            INFO(threads << " threads");
            CHECK(formatted(reader, filter, threads) == expected);
        }
    }
    std::size_t commands = 0;  // the filters reach what they should: all 24 commands today
    reader.each(today, [&](const LogEntry& e) { commands += !e.command.empty(); });
    CHECK(commands == 24);
}

TEST_CASE("each_formatted stops at a malformed entry after writing those before it", "[reader]") {
    TempDir dir;
    const fs::path path = make_long_log(dir);
    {
        RawDb raw(path);
        raw.exec(
            "DROP TRIGGER entries_no_update; UPDATE entries SET trigger = 'bằng tay' WHERE seq = "
            "1700");
    }
    LogReader reader(path);
    LogFilter all_kinds;
    all_kinds.kinds.clear();
    std::string before;
    try {
        reader.each(all_kinds, [&](const LogEntry& e) { before += line_of(e); });
    } catch (const std::exception&) {
    }
    REQUIRE(before.rfind("1699 ", before.size() - 1) != std::string::npos);
    const std::string why = "broadcast log " + path.string() +
                            ": entry 1700 is malformed: its trigger \"bằng tay\" is not one of " +
                            "schedule, catch-up, operator, emergency";
    for (unsigned threads = 1; threads <= 3; ++threads) {
        INFO(threads << " threads");
        std::string out;
        CHECK_THROWS_WITH(
            reader.each_formatted(
                all_kinds,
                [] { return [](const LogEntry& e, std::string& text) { text += line_of(e); }; },
                [&](std::string_view text) { out += text; }, threads),
            why);
        CHECK(out == before);
    }
}
