#pragma once
// `simulate`'s two outputs, written line by line into a large buffer handed to the stream
// in big chunks: a year of a large district's schedule is over half a million lines.

#include <fmt/format.h>

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include "schedules/planner.hpp"
#include "schedules/timefmt.hpp"

namespace wardcast::ctl {

/// One JSON object a line, in the SPEC's key order (SPEC §5 `simulate --json`).
class SimulateJson {
  public:
    SimulateJson(const schedules::Schedule& schedule, std::ostream& out);
    ~SimulateJson();  ///< writes what is still held
    SimulateJson(const SimulateJson&) = delete;
    SimulateJson& operator=(const SimulateJson&) = delete;

    void add(const schedules::PlannedFiring& p);
    /// Writes what is held to the stream.
    void flush();

  private:
    std::ostream& out_;
    schedules::InstantWriter clock_;
    std::vector<std::string> heads_;  // by Announcement::order: {"announcement":ID,"scheduled":"
    std::vector<std::string> zones_;  // by Announcement::order: ,"zones":[...]
    fmt::memory_buffer buffer_;
};

/// The operator's table: a title line, the header before the first row, one row a firing,
/// padded to widths worked out from the schedule beforehand, and a closing count.
class SimulateTable {
  public:
    SimulateTable(const schedules::Schedule& schedule, std::ostream& out);
    ~SimulateTable();  ///< writes what is still held
    SimulateTable(const SimulateTable&) = delete;
    SimulateTable& operator=(const SimulateTable&) = delete;

    /// The line naming the station, the span and the time zone.
    void title(schedules::Instant from, schedules::Instant to);
    void add(const schedules::PlannedFiring& p);
    /// The closing count ("no firing in this span" first when there was none), then flush().
    void finish();
    /// Writes what is held to the stream.
    void flush();

  private:
    void append(const std::string& text) { buffer_.append(text.data(), text.data() + text.size()); }
    void pad(std::size_t column, std::size_t width);

    const schedules::Schedule& schedule_;
    std::ostream& out_;
    schedules::InstantWriter clock_;
    std::vector<std::size_t> widths_;
    std::vector<std::string> titles_;  // by Announcement::order: cell and padding
    std::vector<std::string> zones_;   // by Announcement::order: cell and padding
    schedules::LocalDate day_ = schedules::LocalDate::min();
    std::string day_cell_;  // day_'s DATE cell and padding
    std::size_t count_ = 0;
    std::size_t skipped_ = 0;
    fmt::memory_buffer buffer_;
};

}  // namespace wardcast::ctl
