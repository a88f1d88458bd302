#pragma once
// Shipping a ward's log to the district's store (SPEC §9): entries, schedules and status, each
// batch in one statement. The store itself (its triggers, district/schema.cpp) checks the
// chain: these functions only carry rows, and turn a refusal into district::Refused.

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "district/pg.hpp"
#include "log/broadcast_log.hpp"
#include "log/log_reader.hpp"

namespace wardcast::district {

/// The SQLSTATEs the store raises when it refuses a row (class "WC", ours). Any other error
/// is PostgreSQL's own (a network failure has none: pg::Error::sqlstate() is "").
namespace refusal {
/// The ward does not exist, or the connected role may not write for it.
inline constexpr std::string_view not_your_ward = "WC001";
/// The entry's seq is not the ward's last seq + 1 (entries are missing before it).
inline constexpr std::string_view gap = "WC002";
/// Its prev_hash is not the hash of the ward's previous entry (64 '0's for entry 1).
inline constexpr std::string_view prev_hash = "WC003";
/// Its hash (a schedule's sha256) does not match its content.
inline constexpr std::string_view hash = "WC004";
/// The store holds a different row under the same key (ward and seq, or ward and sha256).
inline constexpr std::string_view differs = "WC005";
/// Its zones or audio_sha256 is not a JSON list of strings.
inline constexpr std::string_view malformed = "WC006";
}  // namespace refusal

/// True when `sqlstate` is one of the refusal codes above (class WC).
bool is_refusal(std::string_view sqlstate) noexcept;

/// The store refused a row: the ward's file and the district's copy part at `seq` (entries) or
/// the row is a schedule (`seq` empty). what() is the store's one line (with its detail), e.g.
/// "entry 5 of ward long-bien: its hash does not match its content (content hashes to …)";
/// sqlstate() one of the refusal codes.
class Refused : public pg::Error {
  public:
    explicit Refused(const pg::Error& error);
    const char* what() const noexcept override { return message().c_str(); }
    /// The entry refused, read from the store's message ("entry N of ward …"); nullopt for a
    /// schedule or status row.
    std::optional<std::int64_t> seq() const noexcept { return seq_; }

  private:
    std::optional<std::int64_t> seq_;
};

/// What a batch did.
struct BatchOutcome {
    std::int64_t inserted = 0;      ///< rows new to the store
    std::int64_t already_held = 0;  ///< rows it held already, identical (a resend): skipped
};

/// Inserts `entries` (a ward's log entries as read from its file, in seq order, consecutive)
/// for `ward` in one statement, so all or none: inside the caller's transaction if one is open.
/// Entries the store already holds identically are skipped. Throws Refused when the store
/// refuses one (nothing of the batch is stored then), std::invalid_argument when an entry holds
/// a NUL character (PostgreSQL text cannot), pg::Error for any other failure.
BatchOutcome insert_entries(pg::Connection& conn, const std::string& ward,
                            const std::vector<log::LogEntry>& entries);

/// Inserts the ward's recorded schedules (LogReader::schedule_versions) in one statement, the
/// same way: identical ones skipped, a sha256 that does not match its text refused (Refused).
/// Throws std::invalid_argument for a text that is not valid UTF-8 or holds a NUL.
BatchOutcome insert_schedules(pg::Connection& conn, const std::string& ward,
                              const std::vector<log::ScheduleVersion>& schedules);

/// Records the ward's status (a JSON object, the heartbeat of wardcast-sync) as reported at
/// `reported_at` by the ward's clock; the store adds its own received_at. Throws Refused when
/// the role may not write for `ward`, pg::Error otherwise.
void insert_status(pg::Connection& conn, const std::string& ward,
                   std::chrono::system_clock::time_point reported_at, const nlohmann::json& status);

/// The seq and hash of the last entry the store holds for `ward` (what to ship next is the
/// entry after it); nullopt when it holds none (or the role may not read them). Throws
/// pg::Error.
std::optional<std::pair<std::int64_t, std::string>> last_entry(pg::Connection& conn,
                                                               const std::string& ward);

}  // namespace wardcast::district
