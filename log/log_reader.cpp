#include "log/log_reader.hpp"

#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <utility>

#include "common/sha256.hpp"
#include "log/chain_check.hpp"
#include "log/entry_row.hpp"

namespace wardcast::log {

namespace {

using nlohmann::json;

// The columns in the order of the hash recipe, then prev_hash and hash, then aired_ms (NULL
// in a file older than schema 2, which a reader reads as it is, never migrating it).
std::string columns(bool has_aired_ms) {
    return std::string(
               "seq, kind, recorded_at, station, announcement_id, title, trigger, uid, user, "
               "zones, scheduled, started, ended, lateness_ms, status, error, audio_sha256, "
               "schedule_sha256, on_air_seq, command, result, prev_hash, hash, ") +
           (has_aired_ms ? "aired_ms" : "NULL AS aired_ms");
}
constexpr int kAiredColumn = entry_aired_column;

/// A prepared statement, finalized on scope exit. Parameters count from 1, columns from 0.
class Statement {
  public:
    Statement(sqlite3* db, const std::string& sql, std::string doing)
        : db_(db), doing_(std::move(doing)) {
        if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) fail();
    }
    ~Statement() { sqlite3_finalize(stmt_); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    void bind(int i, const std::string& text) {
        if (sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()),
                              SQLITE_TRANSIENT) != SQLITE_OK) {
            fail();
        }
    }
    /// True when a row is ready, false when done.
    bool step() {
        const int rc = sqlite3_step(stmt_);
        if (rc == SQLITE_ROW) return true;
        if (rc != SQLITE_DONE) fail();
        return false;
    }
    bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
    std::int64_t int64(int col) const { return sqlite3_column_int64(stmt_, col); }
    std::optional<std::int64_t> opt_int64(int col) const {
        return is_null(col) ? std::nullopt : std::optional(int64(col));
    }
    /// The column's text, valid until the next step.
    std::string_view view(int col) const {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
        return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
                 : std::string_view();
    }
    void text(int col, std::string& out) const { out.assign(view(col)); }
    std::string text(int col) const { return std::string(view(col)); }

    [[noreturn]] void fail() const {
        throw std::runtime_error(doing_ + ": " + sqlite3_errmsg(db_));
    }

  private:
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
    std::string doing_;
};

using namespace entry_row;  // read_string_list, read_name, not_named
using RowReader = EntryRowReader<Statement>;

// Where RFC 3629 allows the UTF-8 sequence starting at `i`, its length; else 0.
std::size_t utf8_length(std::string_view s, std::size_t i) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char b = byte(i);
    std::size_t n;
    unsigned char lo = 0x80, hi = 0xbf;  // the range of the second byte
    if (b >= 0xc2 && b <= 0xdf) {
        n = 2;
    } else if (b >= 0xe0 && b <= 0xef) {
        n = 3;
        if (b == 0xe0) lo = 0xa0;
        if (b == 0xed) hi = 0x9f;  // no surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
        n = 4;
        if (b == 0xf0) lo = 0x90;
        if (b == 0xf4) hi = 0x8f;
    } else {
        return 0;
    }
    if (i + n > s.size() || byte(i + 1) < lo || byte(i + 1) > hi) return 0;
    for (std::size_t k = 2; k < n; ++k) {
        if (byte(i + k) < 0x80 || byte(i + k) > 0xbf) return 0;
    }
    return n;
}

/// The chain hash of docs/log-format.md computed straight from a row's columns, its JSON
/// written by hand into one reused buffer: building a LogEntry and nlohmann values for 22
/// fields was most of a million-entry verify. Stored lists and instants are copied as they
/// are when they are in the form the writer stores (then parsing and dumping them again
/// gives the same text). Anything else (escapes or invalid UTF-8 in a list, a malformed
/// instant) is left to BroadcastLog::entry_hash.
class RowHasher {
  public:
    /// The row's chain hash after `prev_hash`, or "" when the row needs the full recipe.
    std::string hash(const Statement& row, std::string_view prev_hash) {
        // The recipe's 21 columns by type; recorded_at is never NULL.
        enum Kind { text, list, instant, number };
        static constexpr Kind kinds[21] = {number, text, instant, text,    text,    text,    text,
                                           number, text, list,    instant, instant, instant, number,
                                           text,   text, list,    text,    number,  text,    text};
        if (row.is_null(2)) return {};
        buf_.assign("[");
        for (int col = 0; col < 21; ++col) {
            bool ok = true;
            switch (kinds[col]) {
                case text:
                    add_text(row.view(col));
                    break;
                case list:
                    ok = add_list(row.view(col));
                    break;
                case instant:
                    ok = add_instant(row, col);
                    break;
                case number:
                    add_number(row, col);
                    break;
            }
            if (!ok) return {};
        }
        if (!row.is_null(kAiredColumn)) add_number(row, kAiredColumn);  // only when set
        add_text(prev_hash);
        buf_.back() = ']';
        return wardcast::sha256_hex(buf_);
    }

  private:
    void add_number(const Statement& row, int col) {
        if (row.is_null(col)) {
            buf_ += "null,";
            return;
        }
        char digits[24];
        const auto end = std::to_chars(digits, digits + sizeof digits, row.int64(col)).ptr;
        buf_.append(digits, end);
        buf_ += ',';
    }

    // Exactly format_utc's form, which parse_utc accepts, is what format_utc gives back.
    bool add_instant(const Statement& row, int col) {
        if (row.is_null(col)) {
            buf_ += "null,";
            return true;
        }
        scratch_.assign(row.view(col));
        if (!parse_utc(scratch_)) return false;
        buf_ += '"';
        buf_ += scratch_;
        buf_ += "\",";
        return true;
    }

    // A compact list of strings without escapes is its own dump.
    bool add_list(std::string_view stored) {
        if (stored.size() < 2 || stored.front() != '[' || stored.back() != ']') return false;
        for (std::size_t i = 1; i + 1 < stored.size();) {
            if (i > 1 && stored[i++] != ',') return false;
            if (i + 1 >= stored.size() || stored[i] != '"') return false;
            std::size_t end = i + 1;
            while (end + 1 < stored.size() && stored[end] != '"' && stored[end] != '\\') ++end;
            if (end + 1 >= stored.size() || stored[end] != '"') return false;
            if (!plain(stored.substr(i + 1, end - i - 1))) return false;
            i = end + 1;
        }
        buf_ += stored;
        buf_ += ',';
        return true;
    }

    // No byte that dump() would escape, and valid UTF-8.
    static bool plain(std::string_view s) {
        for (std::size_t i = 0; i < s.size();) {
            const auto c = static_cast<unsigned char>(s[i]);
            if (c < 0x20 || c == '"' || c == '\\') return false;
            const std::size_t n = c < 0x80 ? 1 : utf8_length(s, i);
            if (n == 0) return false;
            i += n;
        }
        return true;
    }

    void add_text(std::string_view s) {
        append_json_string(buf_, s);
        buf_ += ',';
    }

    std::string buf_;
    std::string scratch_;
};

// Why the file opened as `db` is not a log this code reads; "" when it is one. SQLite opens
// lazily: this first read is where a foreign or unreadable file shows.
std::string refusal_of(sqlite3* db) {
    sqlite3_stmt* probe = nullptr;
    int rc = sqlite3_prepare_v2(db,
                                "SELECT (SELECT user_version FROM pragma_user_version),"
                                " (SELECT application_id FROM pragma_application_id),"
                                " (SELECT count(*) FROM sqlite_schema)",
                                -1, &probe, nullptr);
    if (rc == SQLITE_OK) rc = sqlite3_step(probe);
    const std::int64_t version = rc == SQLITE_ROW ? sqlite3_column_int64(probe, 0) : 0;
    const std::int64_t app_id = rc == SQLITE_ROW ? sqlite3_column_int64(probe, 1) : 0;
    const std::int64_t objects = rc == SQLITE_ROW ? sqlite3_column_int64(probe, 2) : 0;
    const std::string error = sqlite3_errmsg(db);
    sqlite3_finalize(probe);
    if (rc == SQLITE_NOTADB) return "not a wardcast broadcast log (" + error + ")";
    if (rc != SQLITE_ROW) return error;
    if (version == 0 && app_id == 0 && objects == 0) {
        return "it is empty: not a wardcast broadcast log";
    }
    if (app_id != BroadcastLog::application_id) {
        char id[16];
        std::snprintf(id, sizeof id, "0x%08llx", static_cast<unsigned long long>(app_id));
        return std::string(
                   "not a wardcast broadcast log (an SQLite database of another kind, "
                   "application_id ") +
               id + ")";
    }
    if (version > BroadcastLog::schema_version) {
        return "written by a newer wardcast (schema " + std::to_string(version) +
               "); this one reads up to " + std::to_string(BroadcastLog::schema_version);
    }
    if (version < 1) return "its schema was never created (user_version 0)";
    return {};
}

// File names may hold characters that mean something in a URI.
std::string uri_for(const std::filesystem::path& path) {
    std::string uri = "file:";
    for (const char c : std::filesystem::absolute(path).lexically_normal().string()) {
        if (c == '%' || c == '?' || c == '#') {
            char buf[4];
            std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
            uri += buf;
        } else {
            uri += c;
        }
    }
    return uri + "?mode=ro";
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    const std::size_t start = out.size();
    out += '"';
    std::size_t copied = 0;  // bytes of `text` already in `out`
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x80) {
            const std::size_t n = utf8_length(text, i);
            if (n == 0) {
                // How dump() replaces invalid sequences is its own business: let it.
                out.resize(start);
                out += json(std::string(text)).dump(-1, ' ', false, json::error_handler_t::replace);
                return;
            }
            i += n;
            continue;
        }
        if (c >= 0x20 && c != '"' && c != '\\') {
            ++i;
            continue;
        }
        out.append(text.data() + copied, i - copied);
        copied = ++i;
        static constexpr std::string_view shorts = "\"\\\b\f\n\r\t", letters = "\"\\bfnrt";
        if (const auto k = shorts.find(static_cast<char>(c)); k != std::string_view::npos) {
            out += '\\';
            out += letters[k];
        } else {
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 0xf];
        }
    }
    out.append(text.data() + copied, text.size() - copied);
    out += '"';
}

LogReader::LogReader(const std::filesystem::path& path) : path_(path) {
    const std::string cannot = "cannot open the broadcast log " + path_.string() + ": ";
    std::error_code ec;
    const auto status = std::filesystem::status(path_, ec);
    if (status.type() == std::filesystem::file_type::not_found) {
        throw std::runtime_error(cannot + "no such file");
    }
    if (std::filesystem::is_directory(status)) throw std::runtime_error(cannot + "it is a folder");

    const int rc =
        sqlite3_open_v2(uri_for(path_).c_str(), &db_,
                        SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nullptr);
    std::string refusal =
        rc != SQLITE_OK ? (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc)) : refusal_of(db_);
    if (::access(path_.c_str(), R_OK) != 0) {
        refusal = std::strerror(errno);
    } else if (refusal == sqlite3_errstr(SQLITE_READONLY) &&
               !std::filesystem::exists(path_.string() + "-shm", ec)) {
        // Read-only, a WAL file needs its -shm file, which only a writable folder can create.
        if (!std::filesystem::exists(path_.string() + "-wal", ec)) {
            // No -wal either: everything is in the file itself, as in a copy made with
            // sqlite3's .backup that an auditor keeps in a folder of their own. Nobody
            // writes to such a copy, so it can be read as immutable (no locks, no -shm).
            sqlite3_close_v2(db_);
            db_ = nullptr;
            const int again = sqlite3_open_v2(
                (uri_for(path_) + "&immutable=1").c_str(), &db_,
                SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nullptr);
            refusal = again != SQLITE_OK ? (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(again))
                                         : refusal_of(db_);
        } else {
            refusal = "its -shm file is missing (copy the -wal and -shm files along with it)";
        }
    }
    if (!refusal.empty()) {
        sqlite3_close_v2(db_);  // a handle comes back even when opening failed
        db_ = nullptr;
        throw std::runtime_error(cannot + refusal);
    }
    sqlite3_busy_timeout(db_, 5000);
    try {
        // Schema 1 files have no aired_ms; they are read as they are, never migrated here.
        Statement aired(db_,
                        "SELECT count(*) FROM pragma_table_info('entries') WHERE name = 'aired_ms'",
                        cannot + "cannot read its columns");
        columns_ = columns(aired.step() && aired.int64(0) > 0);
    } catch (...) {
        sqlite3_close_v2(db_);
        db_ = nullptr;
        throw;
    }
}

LogReader::~LogReader() { sqlite3_close_v2(db_); }

void LogReader::each(const LogFilter& filter, const std::function<void(const LogEntry&)>& visit) {
    // The time filter is an OR of two index ranges on entries_scheduled (scheduled in the
    // span; scheduled NULL for commands and ad-hoc broadcasts, then recorded_at in the span).
    // Selecting the seqs first and reading rows by primary key keeps both index searches and
    // returns the rows in seq order without sorting them.
    std::string where = "1";
    std::vector<std::string> params;
    auto param = [&](std::string value) {
        params.push_back(std::move(value));
        return "?" + std::to_string(params.size());
    };
    if (!filter.kinds.empty()) {
        where += " AND kind IN (";
        for (std::size_t i = 0; i < filter.kinds.size(); ++i) {
            where += (i ? ", " : "") + param(std::string(names::name(filter.kinds[i])));
        }
        where += ")";
    }
    if (filter.announcement) where += " AND announcement_id = " + param(*filter.announcement);
    if (filter.status) where += " AND status = " + param(std::string(names::name(*filter.status)));
    if (filter.after_seq) where += " AND seq > " + std::to_string(*filter.after_seq);
    std::string sql = "SELECT " + columns_ + " FROM entries WHERE ";
    if (filter.from || filter.to) {
        std::string scheduled = "scheduled IS NOT NULL", recorded;
        if (filter.from) {
            const std::string p = param(format_utc(*filter.from));
            scheduled = "scheduled >= " + p;
            recorded += " AND recorded_at >= " + p;
        }
        if (filter.to) {
            const std::string p = param(format_utc(*filter.to));
            scheduled += " AND scheduled < " + p;
            recorded += " AND recorded_at < " + p;
        }
        sql += "seq IN (SELECT seq FROM entries WHERE " + scheduled +
               " UNION ALL SELECT seq FROM entries WHERE scheduled IS NULL" + recorded + ") AND " +
               where;
    } else {
        sql += where;
    }
    sql += " ORDER BY seq";
    if (filter.limit) sql += " LIMIT " + std::to_string(*filter.limit);

    const std::string doing = "broadcast log " + path_.string() + ": cannot read entries";
    Statement rows(db_, sql, doing);
    for (std::size_t i = 0; i < params.size(); ++i) rows.bind(static_cast<int>(i + 1), params[i]);
    RowReader reader;
    LogEntry entry;
    while (rows.step()) {
        const std::string problem = reader.read(rows, entry);
        if (!problem.empty()) {
            throw std::runtime_error("broadcast log " + path_.string() + ": entry " +
                                     std::to_string(entry.seq) + " is malformed: " + problem);
        }
        visit(entry);
    }
}

std::vector<ScheduleVersion> LogReader::schedule_versions() {
    Statement rows(db_,
                   "SELECT sha256, text, coalesce(path, ''), first_loaded FROM schedules"
                   " ORDER BY first_loaded, rowid",
                   "broadcast log " + path_.string() + ": cannot read the stored schedules");
    std::vector<ScheduleVersion> out;
    while (rows.step()) {
        ScheduleVersion v{rows.text(0), rows.text(1), rows.text(2), {}};
        v.first_loaded = parse_utc(rows.text(3)).value_or(Instant{});
        out.push_back(std::move(v));
    }
    return out;
}

std::optional<Instant> LogReader::last_recorded_at() {
    Statement last(db_, "SELECT recorded_at FROM entries ORDER BY seq DESC LIMIT 1",
                   "broadcast log " + path_.string() + ": cannot read the last entry");
    if (!last.step()) return std::nullopt;
    return parse_utc(last.text(0));
}

std::int64_t LogReader::last_seq() {
    Statement last(db_, "SELECT seq FROM entries ORDER BY seq DESC LIMIT 1",
                   "broadcast log " + path_.string() + ": cannot read the last entry");
    return last.step() ? last.int64(0) : 0;
}

VerifyResult LogReader::verify() {
    const std::string doing = "broadcast log " + path_.string() + ": cannot read entries";
    Statement rows(db_, "SELECT " + columns_ + " FROM entries ORDER BY seq", doing);
    VerifyResult result;
    auto broken = [&](std::int64_t seq, std::string problem) {
        result.intact = false;
        result.bad_seq = seq;
        result.problem = std::move(problem);
        return result;
    };

    RowHasher quick;
    RowReader reader;
    LogEntry e;
    ChainCheck chain;
    std::string last_recorded;
    while (rows.step()) {
        ChainCheck::Step step;
        step.seq = rows.int64(0);
        step.on_air = rows.view(1) == names::name(names::EntryKind::on_air);
        step.closes = rows.opt_int64(18);
        step.prev_hash = rows.view(21);
        step.hash = rows.view(22);
        const auto wrong = chain.next(step, [&]() -> std::string {
            // The documented recipe has the last word whenever the quick one cannot tell.
            if (quick.hash(rows, chain.last_hash()) == step.hash) return "";
            ++result.rechecked;
            const std::string malformed = reader.read(rows, e);
            if (!malformed.empty()) return malformed;
            if (BroadcastLog::entry_hash(e, chain.last_hash()) != e.hash)
                return "its hash does not match its content";
            return "";
        });
        if (wrong) return broken(wrong->seq, wrong->problem);
        last_recorded.assign(rows.view(2));
        result.entries = result.last_seq = step.seq;
    }
    const std::string prev = chain.last_hash();
    if (result.entries > 0) {
        result.last_hash = prev;
        result.last_recorded_at = parse_utc(last_recorded).value_or(Instant{});
    }

    // The chain cannot show entries cut off its end; the claims (not chained) still point
    // at them.
    Statement claims(db_, "SELECT max(seq) FROM claims",
                     "broadcast log " + path_.string() + ": cannot read the claims");
    if (claims.step() && !claims.is_null(0) && claims.int64(0) > result.last_seq) {
        return broken(result.last_seq + 1, "entries after " + std::to_string(result.last_seq) +
                                               " were removed: a claim points at entry " +
                                               std::to_string(claims.int64(0)) +
                                               ", which is missing");
    }
    return result;
}

}  // namespace wardcast::log
