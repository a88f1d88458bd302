#pragma once
// Conflict resolution (SPEC §2): one thing at a time per zone, max_delay, quiet hours.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "schedules/engine.hpp"

namespace wardcast::schedules {

/// What became of a firing once conflicts are resolved.
struct PlannedFiring {
    enum class Status { scheduled, skipped };
    Firing firing;
    Status status = Status::scheduled;
    std::optional<Instant> start;  ///< set when scheduled
    std::optional<Instant> end;    ///< set when scheduled
    std::string reason;            ///< set when skipped, for an operator to read
    std::string waited_for;        ///< id of the announcement it waited for or was skipped for, if any
};

/// "scheduled" or "skipped".
const char* to_string(PlannedFiring::Status s) noexcept;

/// How long one broadcast of `a` occupies its zones: chime + repeat x (sum of item lengths)
/// + (repeat - 1) x gap. `item_lengths` are the lengths of a.audio (or of the TTS file).
Duration occupancy(const Announcement& a, Duration chime_length,
                   const std::vector<Duration>& item_lengths);

/// Places firings on the zones one after another, in firing_order. Keeps, per zone, the
/// instant it is free again. The daemon and `simulate` both use it.
class ConflictPlanner {
public:
    /// `durations[a.order]` is how long announcement `a` occupies its zones.
    ConflictPlanner(const Schedule& schedule, std::vector<Duration> durations);

    /// Places the next firing (callers give firings in firing_order): it starts at the later
    /// of its instant and the moment all its zones are free, or is skipped when that is more
    /// than its max_delay late, or when a delayed start would fall in quiet hours (except
    /// emergencies).
    PlannedFiring place(const Firing& firing);

    /// Marks `zones` busy with `by` until `until` (something aired outside the plan).
    void occupy(const std::vector<std::string>& zones, Instant until, const std::string& by);

    /// How long announcement `a` occupies its zones.
    Duration duration_of(const Announcement& a) const { return durations_.at(a.order); }

private:
    struct Busy {
        Instant until;
        std::string by;
    };
    const Schedule& schedule_;        // not owned; outlives the planner
    std::vector<Duration> durations_;  // by Announcement::order
    std::map<std::string, Busy> busy_;  // zone id -> until when, and with what
};

}  // namespace wardcast::schedules
