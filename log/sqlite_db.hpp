#pragma once
// Small RAII helpers over SQLite's C API for the broadcast log's writer (broadcast_log*.cpp).
// Not a public interface: the log's users see BroadcastLog.

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "log/broadcast_log.hpp"

namespace wardcast::log::sqlite {

/// An SQLite failure; `code` lets the opener tell "not a database" from other trouble, and
/// the log tell a fault of the medium (is_fault) from a bug.
struct SqliteError : std::runtime_error {
    SqliteError(const std::string& doing, sqlite3* db)
        : std::runtime_error(doing + ": " + sqlite3_errmsg(db)),
          code(sqlite3_extended_errcode(db)),
          reason(sqlite3_errmsg(db)) {}
    int code;            ///< extended result code
    std::string reason;  ///< SQLite's words alone: "database or disk is full"
};

inline void exec(sqlite3* db, const std::string& sql, const std::string& doing) {
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
        throw SqliteError(doing, db);
    }
}

/// A prepared statement, finalized on scope exit. Columns and parameters count from 0 and 1.
class Statement {
  public:
    Statement(sqlite3* db, const char* sql, std::string doing) : db_(db), doing_(std::move(doing)) {
        if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) {
            throw SqliteError(doing_, db);
        }
    }
    ~Statement() { sqlite3_finalize(stmt_); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    /// Text, never NULL: an empty view (whose data() may be null) binds "".
    Statement& bind(int i, std::string_view text) {
        return check(sqlite3_bind_text(stmt_, i, text.empty() ? "" : text.data(),
                                       static_cast<int>(text.size()), SQLITE_TRANSIENT));
    }
    Statement& bind(int i, std::int64_t value) {
        return check(sqlite3_bind_int64(stmt_, i, value));
    }
    Statement& bind(int i, const std::optional<std::int64_t>& value) {
        return value ? bind(i, *value) : check(sqlite3_bind_null(stmt_, i));
    }
    Statement& bind(int i, const std::optional<Instant>& value) {
        return value ? bind(i, format_utc(*value)) : check(sqlite3_bind_null(stmt_, i));
    }

    /// True when a row is ready, false when done.
    bool step() {
        const int rc = sqlite3_step(stmt_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        throw SqliteError(doing_, db_);
    }

    bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
    std::int64_t int64(int col) const { return sqlite3_column_int64(stmt_, col); }
    std::optional<std::int64_t> opt_int64(int col) const {
        return is_null(col) ? std::nullopt : std::optional(int64(col));
    }
    std::string text(int col) const {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
        return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
                 : std::string();
    }
    std::optional<Instant> opt_instant(int col) const {
        if (is_null(col)) return std::nullopt;
        auto parsed = parse_utc(text(col));
        if (!parsed) throw std::runtime_error(doing_ + ": malformed instant \"" + text(col) + "\"");
        return parsed;
    }

  private:
    Statement& check(int rc) {
        if (rc != SQLITE_OK) throw SqliteError(doing_, db_);
        return *this;
    }

    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
    std::string doing_;
};

/// BEGIN IMMEDIATE (the write lock up front, so no upgrade deadlock); rolls back unless
/// committed, so no error path leaves a transaction open.
class Transaction {
  public:
    Transaction(sqlite3* db, const std::string& doing) : db_(db) {
        exec(db, "BEGIN IMMEDIATE", doing);
    }
    ~Transaction() {
        if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

    void commit(const std::string& doing) { exec(db_, "COMMIT", doing); }

  private:
    sqlite3* db_;
};

/// The wall clock to the millisecond, as recorded_at is written.
inline Instant now_ms() {
    return std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

/// Compact JSON as the chain hashes it (invalid UTF-8 replaced by U+FFFD).
std::string dump(const nlohmann::json& value);
/// `text` with invalid UTF-8 sequences replaced by U+FFFD.
std::string valid_utf8(const std::string& text);
/// valid_utf8 over every text field of `entry`.
void make_valid_utf8(LogEntry& entry);

/// True for the failures of the medium rather than of the code (SPEC §6): the disk is full,
/// the file system read-only, an I/O error, the file locked or damaged. The log holds its
/// entries through these and writes them once the file takes writes again.
inline bool is_fault(int code) noexcept {
    switch (code & 0xff) {
        case SQLITE_FULL:
        case SQLITE_IOERR:
        case SQLITE_READONLY:
        case SQLITE_CANTOPEN:
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
        case SQLITE_CORRUPT:
        case SQLITE_PROTOCOL:
        case SQLITE_NOTADB:
            return true;
        default:
            return false;
    }
}

}  // namespace wardcast::log::sqlite
