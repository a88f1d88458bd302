#pragma once
// The broadcast log (SPEC §6): an SQLite file of appended, hash-chained entries.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

struct sqlite3;

namespace wardcast::daemon {

using Instant = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;

/// One appended entry. `kind` says which fields matter:
/// - "on_air": a broadcast started (written before sound goes out; closed by a "broadcast" entry);
/// - "broadcast": the outcome of one broadcast attempt (status played, failed, skipped, missed,
///   preempted, cancelled, interrupted);
/// - "operator": an operator command (command, result, who).
struct LogEntry {
    std::int64_t seq = 0;   ///< set by the log: append order, from 1
    std::string kind;       ///< on_air | broadcast | operator
    Instant recorded_at{};  ///< set by the log when appended
    std::string station;
    std::string announcement_id;
    std::string title;
    std::string trigger;              ///< schedule | operator | emergency | catch-up
    std::optional<std::int64_t> uid;  ///< who asked (operator commands, operator broadcasts)
    std::string user;
    std::vector<std::string> zones;
    std::optional<Instant> scheduled;
    std::optional<Instant> started;
    std::optional<Instant> ended;
    std::optional<std::int64_t> lateness_ms;
    std::string status;  ///< broadcast entries: played | failed | skipped | missed | ...
    std::string error;   ///< error text or reason ("zones busy with …")
    std::vector<std::string> audio_sha256;  ///< of each audio file, in playing order (chime first)
    std::string schedule_sha256;
    std::optional<std::int64_t> on_air_seq;  ///< broadcast entries: the on_air entry they close
    std::string command;                     ///< operator entries: the command line as asked
    std::string result;                      ///< operator entries: "ok" or the error
    std::string prev_hash;                   ///< set by the log
    std::string hash;  ///< set by the log: SHA-256 over the content and prev_hash
};

/// The log file. Opens (creating and migrating as needed) in WAL mode with synchronous=FULL:
/// every append is its own transaction, on disk before the call returns. Rows cannot be
/// updated or deleted (triggers refuse it). Every method throws std::runtime_error naming the
/// file and what failed when SQLite fails; nothing is written then. Text is stored as valid
/// UTF-8 (invalid bytes become U+FFFD). docs/log-format.md describes the file for auditors.
/// Not thread-safe; the daemon uses it from its event loop.
class BroadcastLog {
  public:
    /// The schema version this code writes (PRAGMA user_version).
    static constexpr int schema_version = 1;
    /// PRAGMA application_id of every wardcast log: "WCLG" in ASCII.
    static constexpr std::int32_t application_id = 0x57434c47;

    /// Opens or creates `path` (and its folder). Throws std::runtime_error with a one-line
    /// reason when it cannot be opened, is not a wardcast log, or is newer than this code.
    explicit BroadcastLog(const std::filesystem::path& path);
    ~BroadcastLog();
    BroadcastLog(const BroadcastLog&) = delete;
    BroadcastLog& operator=(const BroadcastLog&) = delete;

    /// Stores a schedule's text once per version, keyed by its SHA-256 (hex).
    void remember_schedule(const std::string& sha256, const std::string& text,
                           const std::string& path);

    /// Appends an on_air entry. When `claim` is set, the firing (announcement_id, scheduled)
    /// is claimed in the same transaction; returns nullopt, writing nothing, when it was
    /// claimed before (it aired, was skipped or missed already: it must not air again).
    /// Sets kind; returns the new entry's seq. Throws std::invalid_argument when `claim` is set
    /// without an announcement_id and a scheduled instant.
    std::optional<std::int64_t> begin_broadcast(LogEntry on_air, bool claim);

    /// Appends the outcome entry of the broadcast that `on_air_seq` started (sets kind and
    /// on_air_seq); returns its seq. Throws std::invalid_argument when `on_air_seq` is not an
    /// on_air entry or was closed already. `status` must be one of SPEC §6's.
    std::int64_t finish_broadcast(std::int64_t on_air_seq, LogEntry outcome);

    /// Appends a broadcast entry for a scheduled firing that did not air (skipped, missed),
    /// claiming it; false, writing nothing, when it was claimed before. Throws
    /// std::invalid_argument without an announcement_id and a scheduled instant.
    bool record_not_aired(LogEntry entry);

    /// Appends an operator entry (sets kind); returns its seq.
    std::int64_t record_operator(LogEntry entry);

    /// True when the scheduled firing (announcement, instant) was claimed already.
    bool is_claimed(const std::string& announcement_id, Instant scheduled);

    /// The seq and hash of the last entry, if any: the digest an auditor can keep elsewhere.
    std::optional<std::pair<std::int64_t, std::string>> last_entry();

    /// The latest scheduled instant claimed, if any.
    std::optional<Instant> last_claimed();

    /// on_air entries with no outcome yet (the daemon died while they were on air), by seq.
    std::vector<LogEntry> open_broadcasts();

    /// Every entry, in append order (tests, small logs).
    std::vector<LogEntry> entries();

    /// The file's path.
    const std::filesystem::path& path() const noexcept { return path_; }

    /// What the connection runs with, read back from SQLite (start-up logs, tests).
    struct Settings {
        std::string journal_mode;  ///< "wal"
        int synchronous = 0;       ///< 2 = FULL
        int busy_timeout_ms = 0;
        bool foreign_keys = false;
        bool persist_wal = false;  ///< -wal/-shm stay after close, for read-only openers
    };
    Settings settings();

    /// The chain hash of `entry` when it follows an entry whose hash is `prev_hash` (64 '0's for
    /// the first entry): 64 lowercase hex digits of
    ///   SHA-256( UTF-8 bytes of the compact JSON array
    ///     [seq, kind, recorded_at, station, announcement_id, title, trigger, uid, user, zones,
    ///      scheduled, started, ended, lateness_ms, status, error, audio_sha256,
    ///      schedule_sha256, on_air_seq, command, result, prev_hash] )
    /// Instants as format_utc text, absent optionals as null, zones and audio_sha256 as arrays
    /// of strings; dumped as nlohmann::json::dump() does (no spaces, non-ASCII unescaped,
    /// invalid UTF-8 replaced by U+FFFD). `entry.prev_hash` and `entry.hash` are not read.
    /// docs/log-format.md gives the recipe for other tools.
    static std::string entry_hash(const LogEntry& entry, const std::string& prev_hash);

  private:
    struct Close {
        void operator()(sqlite3* db) const noexcept;
    };

    void configure();  // connection settings and the "is this our file" checks
    void migrate();
    // Appends `entry` inside the transaction the caller holds, chaining it to the last entry;
    // sets its seq, recorded_at, prev_hash and hash.
    std::int64_t append(LogEntry& entry);
    // append() in its own transaction; when `claim`, also claims the firing, or returns
    // nullopt writing nothing when it was claimed before.
    std::optional<std::int64_t> append_claiming(LogEntry& entry, bool claim,
                                                const std::string& what);
    std::vector<LogEntry> select_entries(const char* where_order);
    std::string doing(const char* what) const;  // "broadcast log PATH: cannot WHAT"

    std::filesystem::path path_;
    std::unique_ptr<sqlite3, Close> db_;  // owned
};

/// "2026-12-01T00:00:00.000Z": how instants are stored (sortable, readable in sqlite3).
std::string format_utc(Instant i);
/// The inverse of format_utc: exactly that form, else nullopt.
std::optional<Instant> parse_utc(const std::string& text);

}  // namespace wardcast::daemon
