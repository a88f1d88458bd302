#include "log/broadcast_log.hpp"

#include <sqlite3.h>

#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <utility>

#include "common/sha256.hpp"
#include "log/sqlite_db.hpp"

namespace wardcast::log {

namespace {

using nlohmann::json;
using sqlite::dump;
using sqlite::exec;
using sqlite::make_valid_utf8;
using sqlite::now_ms;
using sqlite::SqliteError;
using sqlite::Statement;
using sqlite::Transaction;
using sqlite::valid_utf8;

const std::string kGenesisHash(64, '0');

// Step i takes a file from user_version i to i + 1, in one transaction with the version bump.
constexpr std::array<const char*, BroadcastLog::schema_version> kMigrations = {
    R"sql(
PRAGMA application_id = 1464028231;
CREATE TABLE schedules (
    sha256       TEXT PRIMARY KEY,
    text         TEXT NOT NULL,
    path         TEXT,
    first_loaded TEXT NOT NULL
);
CREATE TABLE entries (
    seq             INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('on_air', 'broadcast', 'operator')),
    recorded_at     TEXT NOT NULL,
    station         TEXT NOT NULL,
    announcement_id TEXT NOT NULL,
    title           TEXT NOT NULL,
    trigger         TEXT NOT NULL,
    uid             INTEGER,
    user            TEXT NOT NULL,
    zones           TEXT NOT NULL,
    scheduled       TEXT,
    started         TEXT,
    ended           TEXT,
    lateness_ms     INTEGER,
    status          TEXT NOT NULL CHECK (kind <> 'broadcast' OR status IN ('played', 'failed',
                        'skipped', 'missed', 'preempted', 'cancelled', 'interrupted')),
    error           TEXT NOT NULL,
    audio_sha256    TEXT NOT NULL,
    schedule_sha256 TEXT NOT NULL,
    on_air_seq      INTEGER REFERENCES entries(seq),
    command         TEXT NOT NULL,
    result          TEXT NOT NULL,
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL
);
CREATE INDEX entries_scheduled ON entries(scheduled);
CREATE INDEX entries_announcement ON entries(announcement_id, scheduled);
CREATE UNIQUE INDEX entries_outcome ON entries(on_air_seq) WHERE on_air_seq IS NOT NULL;
CREATE TABLE claims (
    announcement_id TEXT NOT NULL,
    scheduled       TEXT NOT NULL,
    seq             INTEGER NOT NULL REFERENCES entries(seq),
    PRIMARY KEY (announcement_id, scheduled)
) WITHOUT ROWID;
CREATE INDEX claims_scheduled ON claims(scheduled);
CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries
    BEGIN SELECT RAISE(ABORT, 'the broadcast log is append-only'); END;
CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries
    BEGIN SELECT RAISE(ABORT, 'the broadcast log is append-only'); END;
CREATE TRIGGER claims_no_update BEFORE UPDATE ON claims
    BEGIN SELECT RAISE(ABORT, 'the broadcast log is append-only'); END;
CREATE TRIGGER claims_no_delete BEFORE DELETE ON claims
    BEGIN SELECT RAISE(ABORT, 'the broadcast log is append-only'); END;
CREATE TRIGGER schedules_no_update BEFORE UPDATE ON schedules
    BEGIN SELECT RAISE(ABORT, 'the broadcast log is append-only'); END;
CREATE TRIGGER schedules_no_delete BEFORE DELETE ON schedules
    BEGIN SELECT RAISE(ABORT, 'the broadcast log is append-only'); END;
)sql",
    // 1 -> 2: how much sound reached the outputs (SPEC §6). Older rows keep NULL, which the
    // hash recipe leaves out, so they keep verifying.
    R"sql(
ALTER TABLE entries ADD COLUMN aired_ms INTEGER CHECK (aired_ms IS NULL OR aired_ms >= 0);
)sql",
};

constexpr const char* kColumns =
    "seq, kind, recorded_at, station, announcement_id, title, trigger, uid, user, zones, "
    "scheduled, started, ended, lateness_ms, status, error, audio_sha256, schedule_sha256, "
    "on_air_seq, command, result, prev_hash, hash, aired_ms";

json opt_json(const std::optional<std::int64_t>& v) { return v ? json(*v) : json(nullptr); }
json opt_json(const std::optional<Instant>& v) { return v ? json(format_utc(*v)) : json(nullptr); }

std::vector<std::string> string_list(const std::string& text, const std::string& doing) {
    const json parsed = json::parse(text, nullptr, false);
    if (!parsed.is_array()) throw std::runtime_error(doing + ": malformed JSON list " + text);
    std::vector<std::string> out;
    for (const json& item : parsed) {
        if (!item.is_string()) throw std::runtime_error(doing + ": malformed JSON list " + text);
        out.push_back(item.get<std::string>());
    }
    return out;
}

// A name column as stored: one of the table's names, or "" where `absent_ok`.
template <class Parse>
auto named(const Statement& row, int col, Parse parse, bool absent_ok, const char* what,
           const std::string& doing) {
    const std::string text = row.text(col);
    decltype(parse(text)) value;
    if (text.empty() && absent_ok) return value;
    value = parse(text);
    if (!value) throw std::runtime_error(doing + ": unknown " + what + " \"" + text + "\"");
    return value;
}

LogEntry read_entry(const Statement& row, const std::string& doing) {
    LogEntry e;
    e.seq = row.int64(0);
    e.kind = *named(row, 1, names::parse_entry_kind, false, "kind", doing);
    e.recorded_at = row.opt_instant(2).value_or(Instant{});
    e.station = row.text(3);
    e.announcement_id = row.text(4);
    e.title = row.text(5);
    e.trigger = named(row, 6, names::parse_trigger, true, "trigger", doing);
    e.uid = row.opt_int64(7);
    e.user = row.text(8);
    e.zones = string_list(row.text(9), doing);
    e.scheduled = row.opt_instant(10);
    e.started = row.opt_instant(11);
    e.ended = row.opt_instant(12);
    e.lateness_ms = row.opt_int64(13);
    e.status = named(row, 14, names::parse_status, true, "status", doing);
    e.error = row.text(15);
    e.audio_sha256 = string_list(row.text(16), doing);
    e.schedule_sha256 = row.text(17);
    e.on_air_seq = row.opt_int64(18);
    e.command = row.text(19);
    e.result = row.text(20);
    e.prev_hash = row.text(21);
    e.hash = row.text(22);
    e.aired_ms = row.opt_int64(23);
    return e;
}

bool parse_digits(std::string_view text, std::size_t pos, std::size_t count, int& out) {
    out = 0;
    for (std::size_t i = pos; i < pos + count; ++i) {
        if (text[i] < '0' || text[i] > '9') return false;
        out = out * 10 + (text[i] - '0');
    }
    return true;
}

}  // namespace

namespace sqlite {

std::string dump(const nlohmann::json& value) {
    return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// What is stored must be what is hashed, and readable by any UTF-8 tool: invalid sequences
// become U+FFFD before either happens.
std::string valid_utf8(const std::string& text) {
    return json::parse(dump(json(text))).get<std::string>();
}

void make_valid_utf8(LogEntry& e) {
    for (std::string* s : {&e.station, &e.announcement_id, &e.title, &e.user, &e.error,
                           &e.schedule_sha256, &e.command, &e.result}) {
        *s = valid_utf8(*s);
    }
    for (auto* list : {&e.zones, &e.audio_sha256}) {
        for (std::string& s : *list) s = valid_utf8(s);
    }
}

}  // namespace sqlite

std::string format_utc(Instant i) {
    using namespace std::chrono;
    const auto day = floor<days>(i);
    const year_month_day ymd(day);
    const hh_mm_ss<milliseconds> t(i - day);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", int(ymd.year()),
                  unsigned(ymd.month()), unsigned(ymd.day()), int(t.hours().count()),
                  int(t.minutes().count()), int(t.seconds().count()), int(t.subseconds().count()));
    return buf;
}

std::optional<Instant> parse_utc(std::string_view text) {
    using namespace std::chrono;
    // Exactly the form format_utc writes: anything else is not ours.
    if (text.size() != 24 || text[4] != '-' || text[7] != '-' || text[10] != 'T' ||
        text[13] != ':' || text[16] != ':' || text[19] != '.' || text[23] != 'Z') {
        return std::nullopt;
    }
    int y, mo, d, h, mi, s, ms;
    if (!parse_digits(text, 0, 4, y) || !parse_digits(text, 5, 2, mo) ||
        !parse_digits(text, 8, 2, d) || !parse_digits(text, 11, 2, h) ||
        !parse_digits(text, 14, 2, mi) || !parse_digits(text, 17, 2, s) ||
        !parse_digits(text, 20, 3, ms)) {
        return std::nullopt;
    }
    const year_month_day ymd{year(y), month(unsigned(mo)), day(unsigned(d))};
    if (!ymd.ok() || h > 23 || mi > 59 || s > 59) return std::nullopt;
    return sys_days(ymd) + hours(h) + minutes(mi) + seconds(s) + milliseconds(ms);
}

void BroadcastLog::Close::operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }

BroadcastLog::BroadcastLog(const std::filesystem::path& path) : path_(path) {
    if (path_.has_parent_path()) {
        std::error_code ec;
        std::filesystem::create_directories(path_.parent_path(), ec);
        if (ec) throw std::runtime_error(doing("create its folder") + ": " + ec.message());
    }
    open();
    migrate();
    if (auto last = last_entry()) last_seq_ = last->first;
    if (readonly_) {
        // A read-only file at the current schema: air all the same, holding what is recorded.
        fault_ = LogFault{"the file or its folder is read-only", now_ms(), 0};
        reopen_ = true;
    }
}

void BroadcastLog::open() {
    db_.reset();
    sqlite3* db = nullptr;
    const int rc =
        sqlite3_open_v2(path_.c_str(), &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    db_.reset(db);  // a handle comes back even on failure and must be closed
    if (rc != SQLITE_OK) {
        throw std::runtime_error(doing("open it") + ": " +
                                 (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
    }
    configure();
}

BroadcastLog::~BroadcastLog() = default;

std::string BroadcastLog::doing(const char* what) const {
    return "broadcast log " + path_.string() + ": cannot " + what;
}

void BroadcastLog::configure() {
    sqlite3* db = db_.get();
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, 5000);
    // Keep -wal and -shm when the daemon closes, or `?mode=ro` readers cannot open the file.
    int persist = 1;
    if (sqlite3_file_control(db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist) != SQLITE_OK) {
        throw SqliteError(doing("keep its WAL file"), db);
    }

    // Look before touching anything: a foreign or newer file is refused unchanged.
    std::int64_t version = 0, app_id = 0, objects = 0;
    try {
        Statement probe(db,
                        "SELECT (SELECT user_version FROM pragma_user_version),"
                        " (SELECT application_id FROM pragma_application_id),"
                        " (SELECT count(*) FROM sqlite_schema)",
                        doing("read it"));
        probe.step();
        version = probe.int64(0);
        app_id = probe.int64(1);
        objects = probe.int64(2);
    } catch (const SqliteError& e) {
        if ((e.code & 0xff) != SQLITE_NOTADB) throw;
        throw std::runtime_error(path_.string() +
                                 " is not a wardcast broadcast log: " + sqlite3_errmsg(db));
    }
    const bool empty = version == 0 && app_id == 0 && objects == 0;
    if (!empty && app_id != application_id) {
        char id[16];
        std::snprintf(id, sizeof id, "0x%08llx", static_cast<unsigned long long>(app_id));
        throw std::runtime_error(path_.string() +
                                 " is not a wardcast broadcast log: an SQLite database of "
                                 "another kind (application_id " +
                                 id + ")");
    }
    if (version > schema_version) {
        throw std::runtime_error(path_.string() + " was written by a newer wardcast (schema " +
                                 std::to_string(version) + "); this one reads up to " +
                                 std::to_string(schema_version));
    }
    readonly_ = sqlite3_db_readonly(db, "main") == 1;
    if (readonly_ && (version < schema_version || empty)) {
        throw std::runtime_error(doing("write it") + ": the file or its folder is read-only");
    }

    // journal_mode is stored in the file and cannot change inside a transaction.
    Statement wal(db, "PRAGMA journal_mode = WAL", doing("switch it to WAL mode"));
    if (!wal.step() || wal.text(0) != "wal") {
        throw std::runtime_error(doing("switch it to WAL mode") + ": journal mode stays " +
                                 wal.text(0));
    }
    // Per connection: durable on COMMIT, wait for other writers, enforce references, and
    // truncate the persistent WAL after checkpoints so it does not stay at its peak size.
    exec(db,
         "PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;"
         " PRAGMA journal_size_limit = 4194304",
         doing("configure the connection"));
}

void BroadcastLog::migrate() {
    sqlite3* db = db_.get();
    const std::string what = doing("migrate its schema");
    if (readonly_) return;  // at the current schema already (configure checked)
    for (;;) {
        Transaction tx(db, what);
        // Read again under the write lock: another process may have migrated meanwhile.
        Statement current(db, "PRAGMA user_version", what);
        current.step();
        const std::int64_t version = current.int64(0);
        if (version >= schema_version) break;
        exec(db, kMigrations[static_cast<std::size_t>(version)], what);
        exec(db, "PRAGMA user_version = " + std::to_string(version + 1), what);
        tx.commit(what);
    }
}

std::string BroadcastLog::entry_hash(const LogEntry& e, const std::string& prev_hash) {
    json fields = {e.seq,
                   names::name(e.kind),
                   format_utc(e.recorded_at),
                   e.station,
                   e.announcement_id,
                   e.title,
                   names::name_or_empty(e.trigger),
                   opt_json(e.uid),
                   e.user,
                   e.zones,
                   opt_json(e.scheduled),
                   opt_json(e.started),
                   opt_json(e.ended),
                   opt_json(e.lateness_ms),
                   names::name_or_empty(e.status),
                   e.error,
                   e.audio_sha256,
                   e.schedule_sha256,
                   opt_json(e.on_air_seq),
                   e.command,
                   e.result};
    // Only when set: the rows written before it existed keep the hash they were written with.
    if (e.aired_ms) fields.push_back(*e.aired_ms);
    fields.push_back(prev_hash);
    return wardcast::sha256_hex(dump(fields));
}

std::int64_t BroadcastLog::append(LogEntry& e, bool keep_time) {
    sqlite3* db = db_.get();
    const std::string what = doing("append an entry");
    // The tail is read under the write lock the caller holds, so the chain cannot fork even
    // if another process appended since we opened.
    Statement tail(db, "SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1", what);
    const bool any = tail.step();
    e.seq = any ? tail.int64(0) + 1 : 1;
    e.prev_hash = any ? tail.text(1) : kGenesisHash;
    if (!keep_time) e.recorded_at = now_ms();
    make_valid_utf8(e);
    e.hash = entry_hash(e, e.prev_hash);

    Statement insert(db,
                     "INSERT INTO entries (seq, kind, recorded_at, station, announcement_id, "
                     "title, trigger, uid, user, zones, scheduled, started, ended, lateness_ms, "
                     "status, error, audio_sha256, schedule_sha256, on_air_seq, command, result, "
                     "prev_hash, hash, aired_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
                     "?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)",
                     what);
    insert.bind(1, e.seq).bind(2, names::name(e.kind)).bind(3, format_utc(e.recorded_at));
    insert.bind(4, e.station).bind(5, e.announcement_id).bind(6, e.title);
    insert.bind(7, names::name_or_empty(e.trigger)).bind(8, e.uid);
    insert.bind(9, e.user).bind(10, dump(e.zones)).bind(11, e.scheduled).bind(12, e.started);
    insert.bind(13, e.ended).bind(14, e.lateness_ms).bind(15, names::name_or_empty(e.status));
    insert.bind(16, e.error);
    insert.bind(17, dump(e.audio_sha256)).bind(18, e.schedule_sha256).bind(19, e.on_air_seq);
    insert.bind(20, e.command).bind(21, e.result).bind(22, e.prev_hash).bind(23, e.hash);
    insert.bind(24, e.aired_ms);
    insert.step();
    return e.seq;
}

std::optional<std::pair<std::int64_t, std::string>> BroadcastLog::last_entry() {
    Statement q(db_.get(), "SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1",
                doing("read the last entry"));
    if (!q.step()) return std::nullopt;
    return std::pair{q.int64(0), q.text(1)};
}

std::optional<Instant> BroadcastLog::last_claimed() {
    Statement q(db_.get(), "SELECT max(scheduled) FROM claims", doing("read the claims"));
    q.step();
    auto last = q.opt_instant(0);
    for (const auto& [id, scheduled] : held_claims_)
        if (!last || scheduled > *last) last = scheduled;
    return last;
}

BroadcastLog::Settings BroadcastLog::settings() {
    Statement q(db_.get(),
                "SELECT (SELECT journal_mode FROM pragma_journal_mode),"
                " (SELECT synchronous FROM pragma_synchronous),"
                " (SELECT timeout FROM pragma_busy_timeout),"
                " (SELECT foreign_keys FROM pragma_foreign_keys)",
                doing("read its settings"));
    q.step();
    Settings s;
    s.journal_mode = q.text(0);
    s.synchronous = static_cast<int>(q.int64(1));
    s.busy_timeout_ms = static_cast<int>(q.int64(2));
    s.foreign_keys = q.int64(3) != 0;
    int persist = -1;  // -1 asks without changing
    sqlite3_file_control(db_.get(), "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
    s.persist_wal = persist == 1;
    return s;
}

std::vector<LogEntry> BroadcastLog::select_entries(const std::string& where_order) {
    const std::string what = doing("read entries");
    const std::string sql = std::string("SELECT ") + kColumns + " FROM entries " + where_order;
    Statement q(db_.get(), sql.c_str(), what);
    std::vector<LogEntry> out;
    while (q.step()) out.push_back(read_entry(q, what));
    return out;
}

std::vector<LogEntry> BroadcastLog::open_broadcasts() {
    return select_entries("AS e WHERE kind = '" +
                          std::string(names::name(names::EntryKind::on_air)) +
                          "' AND NOT EXISTS (SELECT 1 FROM entries AS b WHERE b.on_air_seq = "
                          "e.seq) ORDER BY seq");
}

std::vector<LogEntry> BroadcastLog::entries() { return select_entries("ORDER BY seq"); }

}  // namespace wardcast::log
