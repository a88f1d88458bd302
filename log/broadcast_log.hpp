#pragma once
// The broadcast log (SPEC §6): an SQLite file of appended, hash-chained entries.

#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/names.hpp"

struct sqlite3;

namespace wardcast::log {

using Instant = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;

/// One appended entry. `kind` says which fields matter:
/// - on_air: a broadcast started (written before sound goes out; closed by a broadcast entry);
/// - broadcast: the outcome of one broadcast attempt (`status`);
/// - operator: an operator command (command, result, who).
/// The names of kinds, triggers and statuses are common/names.hpp's; they are stored and hashed
/// as those names, an absent trigger or status as "".
struct LogEntry {
    std::int64_t seq = 0;                              ///< set by the log: append order, from 1
    names::EntryKind kind = names::EntryKind::on_air;  ///< set by the log's append functions
    Instant recorded_at{};                             ///< set by the log when appended
    std::string station;
    std::string announcement_id;
    std::string title;
    /// Broadcasts: why it aired. Operator entries: none (the daemon's), or operator.
    std::optional<names::Trigger> trigger;
    std::optional<std::int64_t> uid;  ///< who asked (operator commands, operator broadcasts)
    std::string user;
    std::vector<std::string> zones;
    std::optional<Instant> scheduled;
    std::optional<Instant> started;
    std::optional<Instant> ended;
    std::optional<std::int64_t> lateness_ms;
    std::optional<names::Status> status;    ///< broadcast entries' outcome; none for the others
    std::string error;                      ///< error text or reason ("zones busy with …")
    std::vector<std::string> audio_sha256;  ///< of each audio file, in playing order (chime first)
    std::string schedule_sha256;
    std::optional<std::int64_t> on_air_seq;  ///< broadcast entries: the on_air entry they close
    std::string command;                     ///< operator entries: the command line as asked
    std::string result;                      ///< operator entries: "ok" or the error
    /// Broadcast entries: milliseconds of sound that reached the outputs (SPEC §6); 0 for a
    /// firing that never aired. None for on_air and operator entries, for `interrupted` (nothing
    /// measured it) and in rows written before schema 2.
    std::optional<std::int64_t> aired_ms;
    std::string prev_hash;  ///< set by the log
    std::string hash;       ///< set by the log: SHA-256 over the content and prev_hash
};

/// The log cannot be written (SPEC §6): what fails, since when, and how much waits.
struct LogFault {
    std::string reason;    ///< SQLite's words: "database or disk is full", "disk I/O error", ...
    Instant since{};       ///< when the first write failed
    std::size_t held = 0;  ///< entries waiting in memory to be written
};

/// Thrown when a write would hold more than BroadcastLog::max_held entries: the daemon stops.
class LogOverflow : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

/// The log file. Opens (creating and migrating as needed) in WAL mode with synchronous=FULL:
/// every append is its own transaction, on disk before the call returns. Rows cannot be
/// updated or deleted (triggers refuse it). Text is stored as valid UTF-8 (invalid bytes
/// become U+FFFD). docs/log-format.md describes the file for auditors.
///
/// The station's first duty is to air (SPEC §6): when a write fails for a fault of the medium
/// (the disk full, the file system read-only, an I/O error, the file locked or damaged), the
/// write does not throw. The entry is held in memory, in order, with the seq and recorded_at it
/// would have had, its claim counting as made; the next write, or retry(), writes what is held
/// (in order, chained as if never held) once the file takes writes again, then records a
/// `log-recovered` entry saying what was held and why. Other SQLite failures throw
/// std::runtime_error naming the file and what failed; nothing is written then.
/// Not thread-safe; the daemon uses it from its event loop.
class BroadcastLog {
  public:
    /// The schema version this code writes (PRAGMA user_version).
    /// 2 added entries.aired_ms.
    static constexpr int schema_version = 2;
    /// PRAGMA application_id of every wardcast log: "WCLG" in ASCII.
    static constexpr std::int32_t application_id = 0x57434c47;

    /// Entries held while the file cannot be written; one more and writes throw LogOverflow.
    static constexpr std::size_t max_held = 10000;
    /// Held entries written by one retry() (one transaction): bounds how long it takes.
    static constexpr std::size_t retry_batch = 1000;

    /// Opens or creates `path` (and its folder). Throws std::runtime_error with a one-line
    /// reason when it cannot be opened, is not a wardcast log, or is newer than this code. A
    /// log file at the current schema that is read-only (its file system mounted read-only)
    /// opens in the fault state: what is written is held until it takes writes.
    explicit BroadcastLog(const std::filesystem::path& path);
    ~BroadcastLog();
    BroadcastLog(const BroadcastLog&) = delete;
    BroadcastLog& operator=(const BroadcastLog&) = delete;

    /// The fault that keeps entries from being written, if any (held counts them now).
    std::optional<LogFault> fault() const;

    /// Called (on the caller's thread, from inside a write or retry()) when a fault begins and
    /// when it ends with everything held written (nullopt).
    void on_fault(std::function<void(const std::optional<LogFault>&)> changed) {
        on_fault_ = std::move(changed);
    }

    /// Writes up to retry_batch held entries (reopening the file first after a fault); true
    /// when nothing is held any more. A failure keeps them held; never throws for a fault.
    bool retry();

    /// The entries held, in order (what a daemon that must stop cannot write).
    std::vector<LogEntry> held_entries() const;

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
    /// on_air entry or was closed already, or when `outcome` has no status.
    std::int64_t finish_broadcast(std::int64_t on_air_seq, LogEntry outcome);

    /// Appends a broadcast entry for a scheduled firing that did not air (skipped, missed),
    /// claiming it (aired_ms 0 unless set); false, writing nothing, when it was claimed before.
    /// Throws std::invalid_argument without an announcement_id, a scheduled instant and a
    /// status.
    bool record_not_aired(LogEntry entry);

    /// Appends an operator entry (sets kind); returns its seq.
    std::int64_t record_operator(LogEntry entry);

    /// True when the scheduled firing (announcement, instant) was claimed already (held
    /// claims count).
    bool is_claimed(const std::string& announcement_id, Instant scheduled);

    /// The seq and hash of the last entry, if any: the digest an auditor can keep elsewhere.
    std::optional<std::pair<std::int64_t, std::string>> last_entry();

    /// The latest scheduled instant claimed (held claims count), if any.
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
    ///      schedule_sha256, on_air_seq, command, result, [aired_ms,] prev_hash] )
    /// with aired_ms there only when it is set (so rows written before schema 2, where it is
    /// NULL, keep their hash); kind, trigger and status as their names (common/names.hpp; "" for an
    /// absent trigger or status), instants as format_utc text, other absent optionals as null,
    /// zones and audio_sha256 as arrays of strings; dumped as nlohmann::json::dump() does (no
    /// spaces, non-ASCII unescaped, invalid UTF-8 replaced by U+FFFD). `entry.prev_hash` and
    /// `entry.hash` are not read. docs/log-format.md gives the recipe for other tools.
    static std::string entry_hash(const LogEntry& entry, const std::string& prev_hash);

  private:
    struct Close {
        void operator()(sqlite3* db) const noexcept;
    };
    struct Held {
        LogEntry entry;  // seq, recorded_at set; prev_hash and hash set when written
        bool claim = false;
    };
    struct HeldSchedule {
        std::string sha256, text, path;
        Instant first_loaded{};
    };

    void open();       // (re)opens db_; sets readonly_
    void configure();  // connection settings and the "is this our file" checks
    void migrate();
    // Appends `entry` inside the transaction the caller holds, chaining it to the last entry;
    // sets its seq, prev_hash and hash, and its recorded_at unless `keep_time`.
    std::int64_t append(LogEntry& entry, bool keep_time = false);
    // Writes `entry` in its own transaction, or holds it; when `claim`, also claims the firing,
    // or returns nullopt writing nothing when it was claimed before.
    std::optional<std::int64_t> append_claiming(LogEntry& entry, bool claim,
                                                const std::string& what);
    void insert_claim(const LogEntry& entry, const std::string& what, bool or_ignore = false);
    bool claimed_in_file(const std::string& announcement_id, Instant scheduled);
    std::int64_t hold(LogEntry entry, bool claim);
    void begin_fault(const std::string& reason);
    bool flush_held();  // retry() without the reopen
    void write_held_batch(std::size_t n);
    LogEntry recovery_entry() const;
    std::vector<LogEntry> select_entries(const std::string& where_order);
    std::string doing(const char* what) const;  // "broadcast log PATH: cannot WHAT"

    std::filesystem::path path_;
    std::unique_ptr<sqlite3, Close> db_;  // owned
    bool readonly_ = false;               // the connection cannot write (read-only file system)
    std::int64_t last_seq_ = 0;           // of the last entry written or held
    std::optional<LogFault> fault_;       // set while anything is held (held counted on demand)
    bool reopen_ = false;                 // reopen before the next write: the fault may be its
    std::deque<Held> held_;               // entries not written yet, in order
    std::vector<HeldSchedule> held_schedules_;
    std::set<std::pair<std::string, Instant>> held_claims_;  // (announcement, scheduled)
    std::map<std::int64_t, std::int64_t> renumbered_;  // held seq -> written seq, when they differ
    std::function<void(const std::optional<LogFault>&)> on_fault_;
};

/// "2026-12-01T00:00:00.000Z": how instants are stored (sortable, readable in sqlite3).
std::string format_utc(Instant i);
/// The inverse of format_utc: exactly that form, else nullopt.
std::optional<Instant> parse_utc(std::string_view text);

}  // namespace wardcast::log
