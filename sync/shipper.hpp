#pragma once
// wardcast-sync's round (SPEC §9): every log entry and recorded schedule of the ward that the
// district's store does not hold yet, in order, in batches of one transaction each; a row the
// store refuses stops the shipping and names the entry where the ward's file and the
// district's copy part.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "log/log_reader.hpp"

namespace wardcast::sync {

/// The district's store refused an entry: it does not continue the ward's chain, or differs
/// from the copy the district already holds. Not a network fault: retrying will not help.
class Refused : public std::runtime_error {
  public:
    Refused(std::int64_t seq, const std::string& message)
        : std::runtime_error(message), seq_(seq) {}
    /// The entry refused.
    std::int64_t seq() const { return seq_; }

  private:
    std::int64_t seq_;
};

/// What a round needs of the district's store, for one ward's login. Every call throws
/// std::runtime_error (one line) when the store cannot be reached or fails, Refused when it
/// refuses a row.
class District {
  public:
    virtual ~District() = default;
    /// The seq of the last entry the store holds for this ward; 0 when none.
    virtual std::int64_t last_seq() = 0;
    /// The SHA-256 of every schedule the store holds for this ward.
    virtual std::vector<std::string> schedules() = 0;
    /// Stores `schedules` and `entries` (consecutive, in seq order) in one transaction: all or
    /// nothing. An entry the store holds identically already is accepted again.
    virtual void ship(const std::vector<log::ScheduleVersion>& schedules,
                      const std::vector<log::LogEntry>& entries) = 0;
    /// The hashes of this ward's entries after `after_seq`, at most `limit`, in seq order.
    virtual std::vector<std::pair<std::int64_t, std::string>> hashes(std::int64_t after_seq,
                                                                     std::size_t limit) = 0;
};

/// What one round did.
struct Round {
    std::int64_t shipped = 0;       ///< entries stored by this round
    std::int64_t waiting = 0;       ///< entries of the ward's file the district still lacks
    std::int64_t district_seq = 0;  ///< the last entry the district holds now
    std::optional<std::int64_t> refused_seq;  ///< the entry the district refused, if any
    /// After a refusal: the first entry where the ward's file and the district's copy differ
    /// (an entry the district holds with another hash, or the refused one).
    std::optional<std::int64_t> parted_at;
    std::string error;  ///< why the round stopped early ("" when everything was shipped)
};

/// Reads the ward's log read-only (it never changes it; safe while wardcastd writes).
class Shipper {
  public:
    /// At most `batch` entries a transaction.
    Shipper(std::filesystem::path db, std::size_t batch = 500);

    /// Ships everything the district lacks, batch after batch, until all is there, the
    /// district refuses an entry (Round::refused_seq; later rounds refuse again until someone
    /// looks) or cannot be reached (Round::error). Throws std::runtime_error only when the
    /// ward's own file cannot be read.
    Round round(District& district);

  private:
    std::int64_t parting(log::LogReader& reader, District& district, std::int64_t refused);

    std::filesystem::path db_;
    std::size_t batch_;
};

}  // namespace wardcast::sync
