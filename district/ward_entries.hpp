#pragma once
// One ward's log as the district holds it, read like the ward's own file (log::EntrySource),
// so that `wardcast-district report` plans and counts with the code of `wardcastctl report`.

#include <string>

#include "district/pg.hpp"
#include "log/log_reader.hpp"

namespace wardcast::district {

/// The entries and schedules of `ward` in the district's store, through `conn` (which must
/// outlive this). Rows are read in batches by seq, never all at once.
class WardEntries : public log::EntrySource {
  public:
    WardEntries(pg::Connection& conn, std::string ward) : conn_(conn), ward_(std::move(ward)) {}

    /// As LogReader::each: the filter's kinds, announcement, status, after_seq, limit, and the
    /// span on scheduled (recorded_at when there is none). Throws pg::Error, and
    /// std::runtime_error for a malformed row.
    void each(const log::LogFilter& filter,
              const std::function<void(const log::LogEntry&)>& visit) override;
    std::vector<log::ScheduleVersion> schedule_versions() override;
    std::optional<log::Instant> last_recorded_at() override;

    /// The last entry's seq held for the ward; 0 when none.
    std::int64_t last_seq();

  private:
    pg::Connection& conn_;
    std::string ward_;
};

}  // namespace wardcast::district
