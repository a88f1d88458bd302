#pragma once
// wardcast-sync's round (SPEC §9): every log entry and recorded schedule of the ward that the
// district's store does not hold yet, in order, in batches of one transaction each; a row the
// store refuses stops the shipping and names the entry where the ward's file and the
// district's copy part.

#include <cstdint>
#include <filesystem>
#include <memory>
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
    /// The mismatch was found here, not by the district's store: the file ends before the
    /// district's copy, or its entry at the district's last seq has another hash (a rewrite of
    /// entries already shipped, found before anything new is sent).
    bool found_here = false;
    std::string error;  ///< why the round stopped early ("" when everything was shipped)
};

/// Reads the ward's log read-only (it never changes it; safe while wardcastd writes).
class Shipper {
  public:
    /// At most `batch` entries a transaction.
    Shipper(std::filesystem::path db, std::size_t batch = 500);
    ~Shipper();
    Shipper(const Shipper&) = delete;
    Shipper& operator=(const Shipper&) = delete;

    /// Ships everything the district lacks, batch after batch, until all is there, the
    /// district refuses an entry (Round::refused_seq; later rounds refuse again until someone
    /// looks) or cannot be reached (Round::error). Opens the ward's file afresh (it may have
    /// been restored or replaced) and keeps that connection for file_seq(). Throws
    /// std::runtime_error only when the ward's own file cannot be read.
    Round round(District& district);

    /// The last seq in the ward's file, read on the connection the last round opened (one is
    /// opened when there is none). Cheap enough to call every 100 ms: one indexed read, and no
    /// transaction is held between calls, so wardcastd's checkpoints are never held up. Throws
    /// std::runtime_error when the file cannot be read.
    std::int64_t file_seq();

  private:
    void open_reader();
    std::int64_t parting(log::LogReader& reader, District& district, std::int64_t refused);

    std::filesystem::path db_;
    std::size_t batch_;
    std::unique_ptr<log::LogReader> reader_;  // owned; the last round's, kept for file_seq()
    bool reader_saw_wal_ = false;             // whether the file had its -wal when reader_ opened
};

}  // namespace wardcast::sync
