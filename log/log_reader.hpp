#pragma once
// Reading the broadcast log read-only, as auditors do: `wardcastctl log`, `report`, `verify`.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "log/broadcast_log.hpp"

struct sqlite3;

namespace wardcast::log {

/// Which entries to read; every field is optional.
struct LogFilter {
    std::optional<Instant> from;              ///< scheduled (or recorded, when none) >= from
    std::optional<Instant> to;                ///< ... < to
    std::optional<std::string> announcement;  ///< announcement id
    std::optional<names::Status> status;      ///< broadcast status
    std::optional<std::int64_t> after_seq;    ///< seq > after_seq (what is not yet shipped)
    std::optional<std::size_t> limit;         ///< at most this many, the first by seq
    /// Entry kinds to read, all when empty; by default the outcomes and commands (an on_air
    /// entry only marks a start, its outcome repeats it).
    std::vector<names::EntryKind> kinds = {names::EntryKind::broadcast,
                                           names::EntryKind::operator_command};
};

/// A stored schedule version.
struct ScheduleVersion {
    std::string sha256;
    std::string text;  ///< the bundle the daemon stored (see LoadedSchedule::text)
    std::string path;
    Instant first_loaded{};
};

/// What `verify` found.
struct VerifyResult {
    bool intact = true;
    std::int64_t entries = 0;  ///< entries checked
    std::int64_t last_seq = 0;
    std::string last_hash;                ///< the last entry's hash: the anchor to write down
    Instant last_recorded_at{};           ///< when the last entry was recorded
    std::optional<std::int64_t> bad_seq;  ///< the first entry changed, removed or inserted
    std::string problem;                  ///< one line for an auditor, when not intact
    /// Entries the quick check could not settle (unusual text), hashed again by
    /// BroadcastLog::entry_hash; 0 for a log written by wardcastd and left alone.
    std::int64_t rechecked = 0;
};

/// Where entries and schedule versions are read from: a ward's file (LogReader), or the
/// district's copy of one ward's log (district::WardEntries). `report` plans from either.
class EntrySource {
  public:
    virtual ~EntrySource() = default;

    /// Entries matching `filter`, in append order, one at a time (the entry passed to `visit`
    /// is reused). Throws std::runtime_error when the store fails or an entry is malformed.
    virtual void each(const LogFilter& filter,
                      const std::function<void(const LogEntry&)>& visit) = 0;

    /// Every stored schedule version, oldest first. Throws std::runtime_error on failure.
    virtual std::vector<ScheduleVersion> schedule_versions() = 0;

    /// When the last entry (by seq) was recorded; nullopt when there is none.
    virtual std::optional<Instant> last_recorded_at() = 0;
};

/// The log opened read-only (`file:PATH?mode=ro`), safe while wardcastd writes it (WAL);
/// never modifies the file. Not thread-safe.
class LogReader : public EntrySource {
  public:
    /// Throws std::runtime_error "cannot open the broadcast log PATH: REASON" when the file is
    /// missing or unreadable, is not a wardcast log, or was written by a newer schema.
    explicit LogReader(const std::filesystem::path& path);
    ~LogReader() override;
    LogReader(const LogReader&) = delete;
    LogReader& operator=(const LogReader&) = delete;

    /// Entries matching `filter`, in append order, one at a time (no result held in memory;
    /// the entry passed to `visit` is reused). Throws std::runtime_error when SQLite fails or
    /// an entry is malformed (verify says more).
    void each(const LogFilter& filter, const std::function<void(const LogEntry&)>& visit) override;

    /// Appends one entry's text to `out`.
    using Format = std::function<void(const LogEntry&, std::string& out)>;

    /// The text of the entries `filter` selects, formatted on several threads at once for
    /// long output that is the same line by line (`log --json`, `--csv`): the entries are
    /// read in chunks, each thread on a connection of its own formatting with its own
    /// `make_format()`, and `write` gets the text in seq order, on the calling thread: the
    /// text each() and one formatter would give. `threads` 0: one per core (up to 4). A
    /// malformed entry: what comes before it is written, then it throws as each() does.
    void each_formatted(const LogFilter& filter, const std::function<Format()>& make_format,
                        const std::function<void(std::string_view)>& write, unsigned threads = 0);

    /// Every stored schedule version, oldest first. Throws std::runtime_error when SQLite fails.
    std::vector<ScheduleVersion> schedule_versions() override;

    /// When the last entry (by seq) was recorded; nullopt when there is none. Throws
    /// std::runtime_error when SQLite fails.
    std::optional<Instant> last_recorded_at() override;

    /// The last entry's seq; 0 when there is none. Throws std::runtime_error when SQLite fails.
    std::int64_t last_seq();

    /// Walks the whole hash chain and stops at the first entry changed, removed, inserted or
    /// reordered: seq counts from 1 without gaps, each prev_hash is the hash of the entry
    /// before, each hash is BroadcastLog::entry_hash of the entry's content, each outcome closes
    /// an earlier on_air entry nothing else closed; then no claim may point past the last
    /// entry (entries cut off the end). Throws std::runtime_error when SQLite fails.
    ///
    /// The chain is walked in `pieces` of about equal seq spans at once, each by its own
    /// thread and connection, then put together: the same result as one walk. 0 picks one
    /// per core (up to 4) for a long log, one for a short one.
    VerifyResult verify(unsigned pieces = 0);

  private:
    std::filesystem::path path_;
    sqlite3* db_ = nullptr;  // owned
    std::string uri_;        // how db_ was opened: verify's threads open it again so
    std::string columns_;    // what to SELECT: the recipe's columns, prev_hash, hash, aired_ms
};

/// Appends `text` as a JSON string exactly as nlohmann::json::dump() writes it with
/// error_handler_t::replace: `"` and `\` escaped, \b \f \n \r \t short, other control
/// characters as \u00xx, non-ASCII as UTF-8, invalid UTF-8 replaced by U+FFFD. The form the
/// chain hash is computed over (docs/log-format.md), written without building a json value.
void append_json_string(std::string& out, std::string_view text);

}  // namespace wardcast::log
