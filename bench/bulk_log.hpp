#pragma once
// Writing a large broadcast log fast for the benchmarks: entries straight into the real
// schema in one transaction (BroadcastLog's own appends are fsync'd one by one, far too slow
// for a million), with the same chain recipe.

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "log/broadcast_log.hpp"

namespace wardcast::bench {

inline void check(int rc, sqlite3* db, const char* what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        throw std::runtime_error(std::string(what) + ": " + sqlite3_errmsg(db));
    }
}

inline std::string hex(std::mt19937_64& rng) {
    static const char digits[] = "0123456789abcdef";
    std::string out(64, '0');
    for (char& c : out) c = digits[rng() % 16];
    return out;
}

inline std::string dump(const std::vector<std::string>& list) {
    return nlohmann::json(list).dump();
}

/// Appends entries straight into the real schema in one transaction: BroadcastLog's own
/// appends are fsync'd one by one, far too slow for a million. Same chain recipe.
class BulkWriter {
  public:
    explicit BulkWriter(const std::filesystem::path& path) {
        check(sqlite3_open(path.c_str(), &db_), db_, "open");
        // No journal while filling (a WAL would hold the whole file once more), back to WAL
        // at the end as wardcastd leaves it.
        exec(
            "PRAGMA journal_mode = DELETE; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
            " PRAGMA cache_size = -262144; BEGIN");
        check(sqlite3_prepare_v2(
                  db_,
                  "INSERT INTO entries VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
                  " ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)",
                  -1, &insert_, nullptr),
              db_, "prepare");
        check(
            sqlite3_prepare_v2(db_, "INSERT INTO claims VALUES (?1, ?2, ?3)", -1, &claim_, nullptr),
            db_, "prepare");
    }
    ~BulkWriter() {
        sqlite3_finalize(insert_);
        sqlite3_finalize(claim_);
        sqlite3_close(db_);
    }

    std::int64_t append(log::LogEntry& e, bool claim) {
        e.seq = ++seq_;
        e.hash = log::BroadcastLog::entry_hash(e, prev_);
        int i = 0;
        auto text = [&](std::string_view s) {
            sqlite3_bind_text(insert_, ++i, s.empty() ? "" : s.data(), static_cast<int>(s.size()),
                              SQLITE_TRANSIENT);
        };
        auto integer = [&](const std::optional<std::int64_t>& v) {
            v ? sqlite3_bind_int64(insert_, ++i, *v) : sqlite3_bind_null(insert_, ++i);
        };
        auto instant = [&](const std::optional<log::Instant>& v) {
            v ? text(log::format_utc(*v)) : (void)sqlite3_bind_null(insert_, ++i);
        };
        integer(e.seq), text(names::name(e.kind)), instant(e.recorded_at), text(e.station);
        text(e.announcement_id), text(e.title), text(names::name_or_empty(e.trigger));
        integer(e.uid), text(e.user);
        text(dump(e.zones)), instant(e.scheduled), instant(e.started), instant(e.ended);
        integer(e.lateness_ms), text(names::name_or_empty(e.status)), text(e.error);
        text(dump(e.audio_sha256));
        text(e.schedule_sha256), integer(e.on_air_seq), text(e.command), text(e.result);
        text(prev_), text(e.hash), integer(e.aired_ms);
        check(sqlite3_step(insert_), db_, "insert");
        sqlite3_reset(insert_);
        if (claim) {
            const std::string at = log::format_utc(*e.scheduled);
            sqlite3_bind_text(claim_, 1, e.announcement_id.c_str(), -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(claim_, 2, at.c_str(), -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(claim_, 3, e.seq);
            check(sqlite3_step(claim_), db_, "claim");
            sqlite3_reset(claim_);
        }
        prev_ = e.hash;
        return e.seq;
    }
    std::int64_t count() const { return seq_; }
    void commit() { exec("COMMIT; PRAGMA journal_mode = WAL"); }

  private:
    void exec(const char* sql) {
        check(sqlite3_exec(db_, sql, nullptr, nullptr, nullptr), db_, sql);
    }

    sqlite3* db_ = nullptr;
    sqlite3_stmt* insert_ = nullptr;
    sqlite3_stmt* claim_ = nullptr;
    std::int64_t seq_ = 0;
    std::string prev_ = std::string(64, '0');
};

}  // namespace wardcast::bench
