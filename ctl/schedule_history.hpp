#pragma once
// Which schedule was in force when, as the broadcast log records it: what `report` plans from.

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "daemon/log_reader.hpp"
#include "schedules/loader.hpp"
#include "schedules/schedule.hpp"

namespace wardcast::ctl {

/// Thrown when the log stores no schedule at all: there is nothing to plan from.
class NoSchedule : public std::runtime_error {
  public:
    NoSchedule() : std::runtime_error("the log holds no schedule: nothing to compare with") {}
};

/// A stored schedule version, loaded from its text as the daemon stored it.
struct StoredSchedule {
    std::string sha256;
    /// Null when the stored text cannot be loaded (then `problem` says why).
    std::unique_ptr<schedules::Schedule> schedule;
    std::string problem;
};

/// One stretch of time with one schedule version in force: from <= t < to.
struct InForce {
    const StoredSchedule* version = nullptr;  ///< owned by the ScheduleHistory
    schedules::Instant from;
    schedules::Instant to;
};

/// Loads a schedule stored as a bundle (schedules::bundle): writes its files into a private
/// temporary folder (removed before returning) and loads the main file there. Audio files are
/// not needed. Throws std::runtime_error when a bundled path would leave that folder.
schedules::LoadResult load_bundled_schedule(const std::string& text,
                                            const std::string& system_timezone);

/// The timeline of schedule versions, read from the log's "load-schedule …" operator entries
/// (each version in force from its entry's recorded_at until the next such entry) and its
/// `schedules` table. Before the first entry, the first version is taken to be in force: a
/// station's log starts when its daemon first started, and no earlier schedule is known.
/// Versions are loaded on first use and kept.
class ScheduleHistory {
  public:
    /// Reads the timeline from `reader`. Throws NoSchedule when the log stores no schedule,
    /// and what LogReader throws when the file cannot be read.
    ScheduleHistory(daemon::LogReader& reader, std::string system_timezone);

    /// The version in force at `at`.
    const StoredSchedule& at(schedules::Instant at);

    /// The last version put in force.
    const StoredSchedule& latest();

    /// The versions in force over [from, to), each clipped to it, in time order.
    std::vector<InForce> over(schedules::Instant from, schedules::Instant to);

  private:
    struct Change {
        schedules::Instant at;
        std::string sha256;
    };

    const StoredSchedule& load(const std::string& sha256);

    std::string system_timezone_;
    std::vector<Change> changes_;                   // by time; never empty
    std::map<std::string, std::string> texts_;      // sha256 -> stored text
    std::map<std::string, StoredSchedule> loaded_;  // sha256 -> loaded version
};

}  // namespace wardcast::ctl
