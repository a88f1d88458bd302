#include "log/log_reader.hpp"

#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <thread>
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

// A value's text as sqlite3_column_text gives it, without the copy that makes to add a
// terminator to text read in place: a TEXT value's bytes as stored when the file is UTF-8 (as
// the log writer makes it), anything else converted as column_text converts it.
std::string_view value_view(sqlite3_value* v, bool utf8_file) {
    const void* p = utf8_file && sqlite3_value_type(v) == SQLITE_TEXT ? sqlite3_value_blob(v)
                                                                      : sqlite3_value_text(v);
    return p ? std::string_view(static_cast<const char*>(p),
                                static_cast<std::size_t>(sqlite3_value_bytes(v)))
             : std::string_view();
}

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
    void bind(int i, std::int64_t value) {
        if (sqlite3_bind_int64(stmt_, i, value) != SQLITE_OK) fail();
    }
    /// Ready to step again from the start, with new parameters.
    void reset() { sqlite3_reset(stmt_); }
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
        if (utf8_file_) return value_view(sqlite3_column_value(stmt_, col), true);
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
        return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
                 : std::string_view();
    }
    /// The file's text is UTF-8 (PRAGMA encoding): view() reads it in place.
    void utf8_file(bool yes) { utf8_file_ = yes; }
    void text(int col, std::string& out) const { out.assign(view(col)); }
    std::string text(int col) const { return std::string(view(col)); }
    sqlite3_stmt* get() const { return stmt_; }

    [[noreturn]] void fail() const {
        throw std::runtime_error(doing_ + ": " + sqlite3_errmsg(db_));
    }

  private:
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
    std::string doing_;
    bool utf8_file_ = false;
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

// Whether none of the 8 bytes at `p` is one dump() escapes or that needs a UTF-8 check: all
// printable ASCII other than '"' and '\'. Eight at a time: most of a log's text is such.
bool plain_ascii8(const char* p) {
    std::uint64_t w;
    std::memcpy(&w, p, sizeof w);
    constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    const auto has_zero = [](std::uint64_t x) { return (x - ones) & ~x & highs; };
    // With no high bit set, (w - 0x20 * ones) & ~w & highs finds a byte below 0x20.
    return (w & highs) == 0 && ((w - 0x20 * ones) & ~w & highs) == 0 &&
           has_zero(w ^ (0x22 * ones)) == 0 && has_zero(w ^ (0x5c * ones)) == 0;
}

// How many bytes from `i` on dump() writes as they are: up to the first byte it escapes, or
// the first invalid UTF-8 sequence, or the end.
std::size_t plain_run(std::string_view s, std::size_t i) {
    const std::size_t start = i;
    while (i < s.size()) {
        if (i + 8 <= s.size() && plain_ascii8(s.data() + i)) {
            i += 8;
            continue;
        }
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            if (c < 0x20 || c == '"' || c == '\\') break;
            ++i;
            continue;
        }
        const std::size_t n = utf8_length(s, i);
        if (n == 0) break;
        i += n;
    }
    return i - start;
}

// No byte that dump() would escape, and valid UTF-8.
bool plain(std::string_view s) { return plain_run(s, 0) == s.size(); }

// Remembers which texts passed a check (plain, or a list that is its own dump): a log repeats
// its station, titles, zones and hashes row after row, and finding a text again is cheaper
// than checking it byte by byte. Direct-mapped by a hash of the text; a verdict is only ever
// reused for the very same bytes.
class VerdictCache {
  public:
    template <class Check>
    bool get(std::string_view s, Check&& check) {
        if (s.size() < 16 || s.size() > 1024) return check(s);
        Slot& slot = slots_[hash(s) & (kSlots - 1)];
        if (slot.used && std::string_view(slot.text) == s) return slot.ok;
        slot.ok = check(s);
        slot.text.assign(s);
        slot.used = true;
        return slot.ok;
    }

  private:
    // From three words of the text and its length (it has 16 bytes or more): a slot is only
    // a guess, the comparison decides, and hashing every byte cost more than checking them.
    static std::uint64_t hash(std::string_view s) {
        std::uint64_t head, middle, tail;
        std::memcpy(&head, s.data(), 8);
        std::memcpy(&middle, s.data() + s.size() / 2 - 4, 8);
        std::memcpy(&tail, s.data() + s.size() - 8, 8);
        std::uint64_t h = (head * 0x9e3779b97f4a7c15ull) ^ (middle * 0xff51afd7ed558ccdull) ^
                          (tail * 0xc4ceb9fe1a85ec53ull) ^ s.size();
        return h ^ (h >> 29);
    }
    static constexpr std::size_t kSlots = 1024;
    struct Slot {
        std::string text;
        bool ok = false;
        bool used = false;
    };
    std::vector<Slot> slots_ = std::vector<Slot>(kSlots);
};

// A compact list of strings without escapes, in valid UTF-8: what dump() writes for the list
// it holds, so it is hashed as it is.
bool own_dump(std::string_view stored) {
    if (stored.size() < 2 || stored.front() != '[' || stored.back() != ']') return false;
    for (std::size_t i = 1; i + 1 < stored.size();) {
        if (i > 1 && stored[i++] != ',') return false;
        if (i + 1 >= stored.size() || stored[i] != '"') return false;
        const std::size_t end = i + 1 + plain_run(stored.substr(0, stored.size() - 1), i + 1);
        if (end + 1 >= stored.size() || stored[end] != '"') return false;
        i = end + 1;
    }
    return true;
}

/// The chain hash of docs/log-format.md computed straight from a row's columns, its JSON
/// written by hand into one reused buffer: building a LogEntry and nlohmann values for 22
/// fields was most of a million-entry verify. Stored lists and instants are copied as they
/// are when they are in the form the writer stores (then parsing and dumping them again
/// gives the same text). Anything else (escapes or invalid UTF-8 in a list, a malformed
/// instant) is left to BroadcastLog::entry_hash.
class RowHasher {
  public:
    /// The row's chain hash after `prev_hash`, or "" when the row needs the full recipe; valid
    /// until the next call.
    std::string_view hash(sqlite3_value* const* row, std::string_view prev_hash) {
        if (!build(row, prev_hash)) return {};
        sha_.hex(text(), hex_);
        return std::string_view(hex_, sizeof hex_);
    }

    /// Writes what is hashed, the recipe's compact JSON array (text()); false when the row
    /// needs the full recipe.
    bool build(sqlite3_value* const* row, std::string_view prev_hash) {
        // The recipe's 21 columns by type; recorded_at is never NULL.
        enum Kind { text, list, instant, number };
        static constexpr Kind kinds[21] = {number, text, instant, text,    text,    text,    text,
                                           number, text, list,    instant, instant, instant, number,
                                           text,   text, list,    text,    number,  text,    text};
        used_ = 0;
        put("[", 1);
        for (int col = 0; col < 21; ++col) {
            sqlite3_value* v = row[col];
            const bool null = sqlite3_value_type(v) == SQLITE_NULL;
            if (kinds[col] == number) {
                add_number(v, null);
                continue;
            }
            if (null && kinds[col] != text) {
                if (kinds[col] == list || col == 2) return false;
                put("null,", 5);
                continue;
            }
            const std::string_view s = value_view(v, utf8_file_);
            switch (kinds[col]) {
                case text:
                    add_text(s);
                    break;
                case list:
                    if (!lists_.get(s, own_dump)) return false;
                    put(s.data(), s.size());
                    put(",", 1);
                    break;
                case instant:
                    if (!utc_text(s)) return false;
                    put("\"", 1);
                    put(s.data(), s.size());
                    put("\",", 2);
                    break;
                case number:
                    break;
            }
        }
        sqlite3_value* aired = row[kAiredColumn];
        if (sqlite3_value_type(aired) != SQLITE_NULL) add_number(aired, false);  // only when set
        add_text(prev_hash, false);  // another one each row: not worth remembering
        buf_[used_ - 1] = ']';
        return true;
    }

    /// What build() wrote.
    std::string_view text() const { return std::string_view(buf_.data(), used_); }

    /// Whether the file's text is UTF-8 (PRAGMA encoding), as the log writer makes it: then
    /// text is read in place.
    void utf8_file(bool yes) { utf8_file_ = yes; }

  private:
    [[gnu::always_inline]] void put(const char* p, std::size_t n) {
        if (used_ + n > buf_.size()) [[unlikely]]
            buf_.resize(std::max(2 * buf_.size(), used_ + n));
        if (n > 0) std::memcpy(buf_.data() + used_, p, n);  // p may be null when n is 0
        used_ += n;
    }

    void add_number(sqlite3_value* v, bool null) {
        if (null) {
            put("null,", 5);
            return;
        }
        char digits[24];
        char* end = std::to_chars(digits, digits + sizeof digits, sqlite3_value_int64(v)).ptr;
        *end++ = ',';
        put(digits, static_cast<std::size_t>(end - digits));
    }

    void add_text(std::string_view s, bool remember = true) {
        if (remember ? texts_.get(s, plain) : plain(s)) {
            put("\"", 1);
            put(s.data(), s.size());
            put("\",", 2);
            return;
        }
        scratch_.clear();
        append_json_string(scratch_, s);
        scratch_ += ',';
        put(scratch_.data(), scratch_.size());
    }

    // Whether parse_utc accepts `s`. Instants of one day share their date: once it is known
    // good, the time of day is all there is left to check.
    bool utc_text(std::string_view s) {
        if (s.size() == 24 && s.compare(0, 10, good_date_, 0, 10) == 0 && good_date_.size() == 10) {
            const auto digit = [&](std::size_t i) { return s[i] >= '0' && s[i] <= '9'; };
            const auto two = [&](std::size_t i) { return (s[i] - '0') * 10 + (s[i + 1] - '0'); };
            return s[10] == 'T' && s[13] == ':' && s[16] == ':' && s[19] == '.' && s[23] == 'Z' &&
                   digit(11) && digit(12) && digit(14) && digit(15) && digit(17) && digit(18) &&
                   digit(20) && digit(21) && digit(22) && two(11) <= 23 && two(14) <= 59 &&
                   two(17) <= 59;
        }
        if (!parse_utc(s)) return false;
        good_date_.assign(s.substr(0, 10));
        return true;
    }

    wardcast::Sha256 sha_;
    char hex_[64];
    std::vector<char> buf_ = std::vector<char>(4096);
    std::size_t used_ = 0;
    std::string scratch_, good_date_;
    VerdictCache texts_, lists_;
    bool utf8_file_ = false;
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
    for (std::size_t i = 0;;) {
        const std::size_t run = plain_run(text, i);
        out.append(text.data() + i, run);
        i += run;
        if (i == text.size()) break;
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x80) {
            // How dump() replaces invalid sequences is its own business: let it.
            out.resize(start);
            out += json(std::string(text)).dump(-1, ' ', false, json::error_handler_t::replace);
            return;
        }
        ++i;
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

    uri_ = uri_for(path_);
    const int rc = sqlite3_open_v2(
        uri_.c_str(), &db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nullptr);
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
            uri_ += "&immutable=1";
            const int again = sqlite3_open_v2(
                uri_.c_str(), &db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX,
                nullptr);
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
    // Pages read in place rather than copied (SQLite caps it at its SQLITE_MAX_MMAP_SIZE).
    sqlite3_exec(db_, "PRAGMA mmap_size = 4294967296", nullptr, nullptr, nullptr);
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

namespace {

// A SELECT of `what` from the entries `filter` selects, in seq order, and its parameters.
struct Query {
    std::string sql;
    std::vector<std::string> params;
};

// Adds a parameter; its "?N".
std::string param(std::vector<std::string>& params, std::string value) {
    params.push_back(std::move(value));
    return "?" + std::to_string(params.size());
}

// The conditions of `filter` other than its time span; `unindexed`: written so that SQLite
// does not pick an index for them ("+kind"), for a statement that must walk seqs.
std::string filters_sql(const LogFilter& filter, std::vector<std::string>& params,
                        bool unindexed = false) {
    const std::string plus = unindexed ? "+" : "";
    std::string where = "1";
    if (!filter.kinds.empty()) {
        where += " AND " + plus + "kind IN (";
        for (std::size_t i = 0; i < filter.kinds.size(); ++i) {
            where += (i ? ", " : "") + param(params, std::string(names::name(filter.kinds[i])));
        }
        where += ")";
    }
    if (filter.announcement) {
        where += " AND " + plus + "announcement_id = " + param(params, *filter.announcement);
    }
    if (filter.status) {
        where +=
            " AND " + plus + "status = " + param(params, std::string(names::name(*filter.status)));
    }
    if (filter.after_seq) where += " AND seq > " + std::to_string(*filter.after_seq);
    return where;
}

Query select_entries(const LogFilter& filter, const std::string& what) {
    // The time filter is an OR of two index ranges on entries_scheduled (scheduled in the
    // span; scheduled NULL for commands and ad-hoc broadcasts, then recorded_at in the span).
    // Selecting the seqs first and reading rows by primary key keeps both index searches and
    // returns the rows in seq order without sorting them.
    Query q;
    const std::string where = filters_sql(filter, q.params);
    q.sql = "SELECT " + what + " FROM entries WHERE ";
    if (filter.from || filter.to) {
        std::string scheduled = "scheduled IS NOT NULL", recorded;
        if (filter.from) {
            const std::string p = param(q.params, format_utc(*filter.from));
            scheduled = "scheduled >= " + p;
            recorded += " AND recorded_at >= " + p;
        }
        if (filter.to) {
            const std::string p = param(q.params, format_utc(*filter.to));
            scheduled += " AND scheduled < " + p;
            recorded += " AND recorded_at < " + p;
        }
        q.sql += "seq IN (SELECT seq FROM entries WHERE " + scheduled +
                 " UNION ALL SELECT seq FROM entries WHERE scheduled IS NULL" + recorded +
                 ") AND " + where;
    } else {
        q.sql += where;
    }
    q.sql += " ORDER BY seq";
    if (filter.limit) q.sql += " LIMIT " + std::to_string(*filter.limit);
    return q;
}

bool utf8_encoded(sqlite3* db, const std::string& doing) {
    Statement encoding(db, "PRAGMA encoding", doing);
    return encoding.step() && encoding.view(0) == "UTF-8";
}

std::runtime_error malformed(const std::filesystem::path& path, std::int64_t seq,
                             const std::string& problem) {
    return std::runtime_error("broadcast log " + path.string() + ": entry " + std::to_string(seq) +
                              " is malformed: " + problem);
}

sqlite3* open_again(const std::string& uri, const std::string& doing);

}  // namespace

void LogReader::each(const LogFilter& filter, const std::function<void(const LogEntry&)>& visit) {
    const Query q = select_entries(filter, columns_);
    const std::string doing = "broadcast log " + path_.string() + ": cannot read entries";
    Statement rows(db_, q.sql, doing);
    for (std::size_t i = 0; i < q.params.size(); ++i)
        rows.bind(static_cast<int>(i + 1), q.params[i]);
    rows.utf8_file(utf8_encoded(db_, doing));
    RowReader reader;
    LogEntry entry;
    while (rows.step()) {
        const std::string problem = reader.read(rows, entry);
        if (!problem.empty()) throw malformed(path_, entry.seq, problem);
        visit(entry);
    }
}

void LogReader::each_formatted(const LogFilter& filter, const std::function<Format()>& make_format,
                               const std::function<void(std::string_view)>& write,
                               unsigned threads) {
    const std::string doing = "broadcast log " + path_.string() + ": cannot read entries";
    // Which entries, in one statement (one snapshot of a log being appended to: the rows it
    // names never change); then their rows, read by seq a chunk at a time. With a time span
    // (and no limit or announcement, whose index finds its few rows at once), the candidates
    // come from the index alone: those scheduled in the span, and all not scheduled. The rest
    // of the filter is applied to the rows as they are read, on all threads; looking up every
    // row of a month here, one after another, would be a third of the work. Then a chunk of
    // candidates close together is read as a range of seqs with the whole time condition
    // (which picks out exactly the candidates in it), cheaper than looking each one up.
    std::vector<std::int64_t> seqs;
    std::vector<std::string> chunk_params = {"", ""};  // ?1 ?2: the chunk's seqs, or lo and hi
    std::string chunk_where = "1", range_where;
    {
        Query q;
        if ((filter.from || filter.to) && !filter.limit && !filter.announcement) {
            std::string scheduled = "scheduled IS NOT NULL", in_span = "+scheduled IS NOT NULL",
                        recorded = "+scheduled IS NULL";
            for (auto [bound, op] :
                 {std::pair(&filter.from, " >= "), std::pair(&filter.to, " < ")}) {
                if (!*bound) continue;
                const std::string utc = format_utc(**bound);
                scheduled += std::string(" AND scheduled") + op + param(q.params, utc);
                const std::string p = param(chunk_params, utc);
                in_span += std::string(" AND +scheduled") + op + p;
                recorded += std::string(" AND recorded_at") + op + p;
            }
            q.sql = "SELECT seq FROM entries WHERE " + scheduled +
                    " UNION ALL SELECT seq FROM entries WHERE scheduled IS NULL";
            const std::string rest = filters_sql(filter, chunk_params, true);
            chunk_where = rest + " AND (+scheduled IS NOT NULL OR (" + recorded + "))";
            range_where = rest + " AND ((" + in_span + ") OR (" + recorded + "))";
        } else {
            q = select_entries(filter, "seq");
        }
        Statement rows(db_, q.sql, doing);
        for (std::size_t i = 0; i < q.params.size(); ++i)
            rows.bind(static_cast<int>(i + 1), q.params[i]);
        while (rows.step()) seqs.push_back(rows.int64(0));
        std::sort(seqs.begin(), seqs.end());  // already sorted from select_entries
    }
    const bool utf8 = utf8_encoded(db_, doing);
    constexpr std::size_t chunk_rows = 1024;
    const std::size_t chunks = (seqs.size() + chunk_rows - 1) / chunk_rows;
    if (threads == 0) threads = std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
    threads = static_cast<unsigned>(std::clamp<std::size_t>(chunks, 1, threads));

    struct Chunk {
        std::string text;
        std::exception_ptr error;  // after its text: the entry that stopped it
        bool done = false;
    };
    struct Worker {
        Statement rows;
        std::optional<Statement> range;
        Format format;
        RowReader reader;
        LogEntry entry;
        std::string list;
    };
    const std::string sql = "SELECT " + columns_ +
                            " FROM entries WHERE seq IN (SELECT value FROM json_each(?1)) AND " +
                            chunk_where + " ORDER BY seq";
    auto make_worker = [&](sqlite3* db) {
        std::unique_ptr<Worker> w(
            new Worker{Statement(db, sql, doing), std::nullopt, make_format(), {}, {}, {}});
        if (!range_where.empty()) {
            w->range.emplace(db,
                             "SELECT " + columns_ + " FROM entries WHERE seq >= ?1 AND seq <= ?2" +
                                 " AND " + range_where + " ORDER BY seq",
                             doing);
        }
        for (Statement* st : {&w->rows, w->range ? &*w->range : nullptr}) {
            if (!st) continue;
            st->utf8_file(utf8);
            for (std::size_t i = 2; i < chunk_params.size(); ++i)
                st->bind(static_cast<int>(i + 1), chunk_params[i]);
        }
        return w;
    };
    auto read_chunk = [&](Worker& w, std::size_t i, Chunk& c) {
        try {
            const std::size_t begin = i * chunk_rows,
                              end = std::min(seqs.size(), begin + chunk_rows);
            Statement* rows = &w.rows;
            const auto span = static_cast<std::uint64_t>(seqs[end - 1] - seqs[begin]) + 1;
            if (w.range && span <= 2 * (end - begin)) {
                rows = &*w.range;
                rows->reset();
                rows->bind(1, seqs[begin]);
                rows->bind(2, seqs[end - 1]);
            } else {
                w.list.assign("[");
                for (std::size_t k = begin; k < end; ++k) {
                    w.list += std::to_string(seqs[k]);
                    w.list += ',';
                }
                w.list.back() = ']';
                rows->reset();
                rows->bind(1, w.list);
            }
            while (rows->step()) {
                const std::string problem = w.reader.read(*rows, w.entry);
                if (!problem.empty()) throw malformed(path_, w.entry.seq, problem);
                w.format(w.entry, c.text);
            }
        } catch (...) {
            c.error = std::current_exception();
        }
    };

    if (threads <= 1) {
        auto w = make_worker(db_);
        Chunk c;
        for (std::size_t i = 0; i < chunks; ++i) {
            c.text.clear();
            read_chunk(*w, i, c);
            write(c.text);
            if (c.error) std::rethrow_exception(c.error);
        }
        return;
    }

    // Each thread takes the next chunk, at most `window` ahead of the one written last (the
    // text waiting to be written stays small however long the output).
    std::vector<Chunk> parts(chunks);
    std::mutex mutex;
    std::condition_variable changed;
    std::size_t next = 0, written = 0;
    bool stop = false;
    // Texts written and cleared, kept for the next chunks: a chunk's text is most of a
    // megabyte, and a fresh one each time is pages faulted in and unmapped again.
    std::vector<std::string> spare;
    const std::size_t window = 4 * threads;
    auto work = [&](sqlite3* db) {
        std::unique_ptr<Worker> w;
        try {
            w = make_worker(db);
        } catch (...) {
            const std::lock_guard lock(mutex);
            if (next < chunks) {  // the next chunk says why nothing more comes
                parts[next].error = std::current_exception();
                parts[next].done = true;
                next = chunks;
            }
            changed.notify_all();
            return;
        }
        for (;;) {
            std::size_t i;
            {
                std::unique_lock lock(mutex);
                changed.wait(lock,
                             [&] { return stop || next >= chunks || next < written + window; });
                if (stop || next >= chunks) return;
                i = next++;
                if (!spare.empty()) {
                    parts[i].text = std::move(spare.back());
                    spare.pop_back();
                }
            }
            read_chunk(*w, i, parts[i]);
            {
                const std::lock_guard lock(mutex);
                parts[i].done = true;
            }
            changed.notify_all();
        }
    };
    std::vector<std::thread> pool;
    for (unsigned k = 0; k < threads; ++k) {
        pool.emplace_back([&, k] {
            sqlite3* db = nullptr;
            if (k > 0) {
                try {
                    db = open_again(uri_, doing);
                } catch (...) {
                    return;  // the others read on without it
                }
                sqlite3_exec(db, "PRAGMA mmap_size = 4294967296", nullptr, nullptr, nullptr);
            }
            work(k == 0 ? db_ : db);
            sqlite3_close_v2(db);  // no-op for null
        });
    }
    std::exception_ptr error;
    for (std::size_t i = 0; i < chunks && !error; ++i) {
        {
            std::unique_lock lock(mutex);
            changed.wait(lock, [&] { return parts[i].done; });
        }
        try {
            write(parts[i].text);
        } catch (...) {
            error = std::current_exception();
        }
        if (parts[i].error && !error) error = parts[i].error;
        {
            const std::lock_guard lock(mutex);
            parts[i].text.clear();
            spare.push_back(std::move(parts[i].text));
            written = i + 1;
            if (error) stop = true;
        }
        changed.notify_all();
    }
    for (auto& t : pool) t.join();
    if (error) std::rethrow_exception(error);
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

namespace {

// One piece of the chain, the entries with seq in [lo, hi], walked on its own (by one thread)
// with ChainCheck's piece rules; LogReader::verify puts the pieces together.
struct Piece {
    std::int64_t lo = 0, hi = 0;
    std::optional<ChainCheck> chain;  // from its first entry on; none when it has no entries
    std::int64_t first_seq = 0;
    std::string first_prev;               // the first entry's prev_hash
    std::optional<ChainBreak> broken;     // its own first break
    std::string last_recorded;            // the last accepted entry's recorded_at
    std::vector<std::int64_t> rechecked;  // entries the quick check could not settle
    std::exception_ptr error;             // SQLite failed
};

void walk(sqlite3* db, const std::string& columns, const std::string& doing, Piece& piece) {
    // Pages read in place rather than copied: the whole file is read. (SQLite caps it at its
    // SQLITE_MAX_MMAP_SIZE; where it cannot map, it reads as usual.)
    sqlite3_exec(db, "PRAGMA mmap_size = 4294967296", nullptr, nullptr, nullptr);
    Statement rows(db,
                   "SELECT " + columns + " FROM entries WHERE seq >= ?1 AND seq <= ?2 ORDER BY seq",
                   doing);
    rows.bind(1, piece.lo);
    rows.bind(2, piece.hi);
    RowHasher quick;
    RowReader reader;
    LogEntry e;
    std::array<sqlite3_value*, 24> v;
    bool utf8_file = false;
    {
        Statement encoding(db, "PRAGMA encoding", doing);
        utf8_file = encoding.step() && encoding.view(0) == "UTF-8";
    }
    quick.utf8_file(utf8_file);
    const auto text = [&](int col) { return value_view(v[col], utf8_file); };
    while (rows.step()) {
        // Each column fetched once (the calls add up over a million rows).
        for (int col = 0; col < 24; ++col) v[col] = sqlite3_column_value(rows.get(), col);
        ChainCheck::Step step;
        step.seq = sqlite3_value_int64(v[0]);
        step.on_air = text(1) == names::name(names::EntryKind::on_air);
        if (sqlite3_value_type(v[18]) != SQLITE_NULL) step.closes = sqlite3_value_int64(v[18]);
        step.prev_hash = text(21);
        step.hash = text(22);
        if (!piece.chain) {
            piece.chain.emplace(step.seq, step.prev_hash);
            piece.first_seq = step.seq;
            piece.first_prev.assign(step.prev_hash);
        }
        auto wrong = piece.chain->next_with(step, [&]() -> std::string {
            // The documented recipe has the last word whenever the quick one cannot tell.
            // (Its place is right: prev_hash is the last entry's hash.)
            if (quick.hash(v.data(), step.prev_hash) == step.hash) return "";
            piece.rechecked.push_back(step.seq);
            const std::string malformed = reader.read(rows, e);
            if (!malformed.empty()) return malformed;
            if (BroadcastLog::entry_hash(e, std::string(step.prev_hash)) != e.hash)
                return "its hash does not match its content";
            return "";
        });
        if (wrong) {
            piece.broken = std::move(wrong);
            return;
        }
        piece.last_recorded.assign(text(2));
    }
}

// Readers that share no connection: a thread each.
sqlite3* open_again(const std::string& uri, const std::string& doing) {
    sqlite3* db = nullptr;
    const int rc = sqlite3_open_v2(
        uri.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        const std::string why = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
        sqlite3_close_v2(db);
        throw std::runtime_error(doing + ": " + why);
    }
    sqlite3_busy_timeout(db, 5000);
    return db;
}

}  // namespace

VerifyResult LogReader::verify(unsigned pieces) {
    const std::string doing = "broadcast log " + path_.string() + ": cannot read entries";
    VerifyResult result;
    auto broken = [&](std::int64_t seq, std::string problem) {
        result.intact = false;
        result.bad_seq = seq;
        result.problem = std::move(problem);
        result.entries = result.last_seq = seq - 1;  // what was accepted before it
        return result;
    };

    // Pieces of about equal seq spans, one per core: SQLite reading the rows is about half of
    // the work, hashing them the rest, and both split.
    std::int64_t first = 0, last = 0;
    {
        // Two subqueries: SQLite looks up a lone min() or max() in the index, but scans the
        // whole table for both in one SELECT.
        Statement bounds(
            db_, "SELECT (SELECT min(seq) FROM entries), (SELECT max(seq) FROM entries)", doing);
        if (bounds.step() && !bounds.is_null(0)) {
            first = bounds.int64(0);
            last = bounds.int64(1);
        }
    }
    const auto span = static_cast<std::uint64_t>(last) - static_cast<std::uint64_t>(first);
    // A thread per core, each taking the next piece until none is left: four pieces per
    // thread, so that one that reads slower (its pages, another process on its core) does not
    // leave the others waiting at the end.
    constexpr std::uint64_t min_piece = 50000;  // below that a thread is not worth it
    unsigned threads = std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
    if (pieces == 0) {
        threads = static_cast<unsigned>(std::min<std::uint64_t>(threads, span / min_piece + 1));
        pieces = threads == 1 ? 1 : 4 * threads;
    }
    pieces = static_cast<unsigned>(std::clamp<std::uint64_t>(pieces, 1, span + 1));
    threads = std::min(threads, pieces);
    std::vector<Piece> parts(pieces);
    for (unsigned k = 0; k < pieces; ++k) {
        const auto at = [&](unsigned i) {
            return static_cast<std::int64_t>(static_cast<std::uint64_t>(first) + span / pieces * i);
        };
        parts[k].lo = k == 0 ? std::numeric_limits<std::int64_t>::min() : at(k);
        parts[k].hi = k + 1 == pieces ? std::numeric_limits<std::int64_t>::max() : at(k + 1) - 1;
    }
    std::atomic<unsigned> next{0};
    auto run = [&](sqlite3* db) {
        for (unsigned k; (k = next++) < pieces;) {
            try {
                walk(db, columns_, doing, parts[k]);
            } catch (...) {
                parts[k].error = std::current_exception();
            }
        }
    };
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t) {
        pool.emplace_back([&] {
            sqlite3* db = nullptr;
            try {
                db = open_again(uri_, doing);
            } catch (...) {
                return;  // the others walk its pieces
            }
            run(db);
            sqlite3_close_v2(db);
        });
    }
    run(db_);
    for (auto& t : pool) t.join();

    // The pieces in order, as one walk would have met them.
    ChainCheck chain;
    std::string last_recorded;
    for (Piece& piece : parts) {
        if (!piece.chain) {
            if (piece.error) std::rethrow_exception(piece.error);
            continue;
        }
        if (auto wrong = chain.place(piece.first_seq, piece.first_prev)) {
            return broken(wrong->seq, std::move(wrong->problem));
        }
        const std::int64_t before = piece.broken ? piece.broken->seq : ChainCheck::no_break;
        if (auto wrong = chain.absorb(*piece.chain, before)) {
            for (const std::int64_t seq : piece.rechecked) result.rechecked += seq <= wrong->seq;
            return broken(wrong->seq, std::move(wrong->problem));
        }
        if (piece.error) std::rethrow_exception(piece.error);
        result.rechecked += static_cast<std::int64_t>(piece.rechecked.size());
        if (piece.broken) return broken(piece.broken->seq, std::move(piece.broken->problem));
        last_recorded = std::move(piece.last_recorded);
    }
    result.entries = result.last_seq = chain.entries();
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
