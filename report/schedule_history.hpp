#pragma once
// Which schedule was in force when, as the broadcast log records it: what `report` plans from.

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "log/log_reader.hpp"
#include "schedules/loader.hpp"
#include "schedules/schedule.hpp"

namespace wardcast::report {

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

/// One stretch of time with one schedule version in force (from <= t < to), or with none.
struct InForce {
    /// Owned by the ScheduleHistory; null before the first version was put in force.
    const StoredSchedule* version = nullptr;
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
/// `schedules` table. Before the first entry no schedule was in force: the log knows of none,
/// and the daemon aired nothing it planned. Versions are loaded on first use and kept.
class ScheduleHistory {
  public:
    /// Reads the timeline from `reader`. Throws NoSchedule when the log stores no schedule,
    /// and what LogReader throws when the file cannot be read.
    ScheduleHistory(log::EntrySource& reader, std::string system_timezone);

    /// The version in force at `at`, or null before the first was put in force.
    const StoredSchedule* at(schedules::Instant at);

    /// The first version put in force.
    const StoredSchedule& first();

    /// The last version put in force.
    const StoredSchedule& latest();

    /// When the last version was put in force.
    schedules::Instant latest_since() const noexcept { return changes_.back().at; }

    /// The stretches over [from, to), each clipped to it, in time order, covering it without
    /// gaps: one with a null version before the first version was put in force, then one per
    /// version.
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

}  // namespace wardcast::report
