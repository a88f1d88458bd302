#pragma once
// Conflict resolution (SPEC §2): one thing at a time per zone, max_delay, quiet hours. The one
// implementation of these rules: `simulate` and `validate` place a whole span of firings with
// it, the daemon places what waits to air against what has started (schedules/live.hpp).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
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
    std::string waited_for;  ///< id of the announcement it waited for or was skipped for, if any
};

/// "scheduled" or "skipped".
const char* to_string(PlannedFiring::Status s) noexcept;

/// How long one broadcast of `a` occupies its zones: chime + repeat x (sum of item lengths)
/// + (repeat - 1) x gap. `item_lengths` are the lengths of a.audio (or of the TTS file).
/// A relay occupies them for chime + relay.duration (SPEC §8); `item_lengths` are not used.
Duration occupancy(const Announcement& a, Duration chime_length,
                   const std::vector<Duration>& item_lengths);

/// Something that wants its zones: a firing of the schedule, or an operator's broadcast.
struct Request {
    std::string_view id;                              ///< the announcement's id
    const std::vector<std::string>* zones = nullptr;  ///< not owned
    Priority priority = Priority::normal;
    Instant scheduled{};      ///< the firing's instant, or when the operator asked
    Instant measured_from{};  ///< max_delay counts from here: `scheduled`, or when it was caught up
    Duration length{0};       ///< how long it occupies its zones
    std::optional<Duration> max_delay;  ///< none: waits as long as it takes (an operator's)
    bool quiet_hours = true;  ///< a start later than `scheduled` must not fall in quiet hours
};

/// Where a request goes: when it starts and ends, or why it does not air.
struct Placement {
    bool airs = true;
    Instant start{};         ///< when it airs
    Instant end{};           ///< start + length
    std::string reason;      ///< when it does not air, for an operator to read
    std::string waited_for;  ///< the id whose zones it waited for (or was skipped for), if any
};

/// Per zone, until when it is taken and by what.
struct ZoneBusy {
    Instant until;
    std::string by;
};
using ZoneBook = std::map<std::string, ZoneBusy>;

/// Places firings on the zones one after another, in firing_order. Keeps, per zone, the
/// instant it is free again. `simulate`, `validate` and the daemon all use it.
class ConflictPlanner {
  public:
    /// `durations[a.order]` is how long announcement `a` occupies its zones. `book`: what
    /// already holds zones.
    ConflictPlanner(const Schedule& schedule, std::vector<Duration> durations, ZoneBook book = {});

    /// Places the next firing (callers give firings in firing_order) as a Request with
    /// measured_from = scheduled and the announcement's max_delay.
    PlannedFiring place(const Firing& firing);

    /// Places `r`: it starts at the later of `measured_from` and the moment all its zones are
    /// free. It does not air when that is more than its max_delay after `measured_from`, or
    /// when that start is later than `scheduled` and falls in quiet hours (`quiet_hours`
    /// requests but emergencies). When it airs, its zones are taken until its end.
    Placement place(const Request& r);

    /// Marks `zones` busy with `by` until `until`, unless already busy longer.
    void occupy(const std::vector<std::string>& zones, Instant until, const std::string& by);

    /// Marks `zones` busy with `by` until exactly `until` (something started that ends then).
    void take(const std::vector<std::string>& zones, Instant until, const std::string& by);

    /// `by` left `zones` at `at` (stopped, preempted, failed): those of them it still holds
    /// are free from then.
    void release(const std::vector<std::string>& zones, Instant at, const std::string& by);

    /// How long announcement `a` occupies its zones.
    Duration duration_of(const Announcement& a) const { return durations_.at(a.order); }

    /// The schedule it plans for.
    const Schedule& schedule() const noexcept { return schedule_; }

    /// Who holds which zone until when.
    ZoneBook book() const;

  private:
    // A zone's place in slots_: the schedule's zones first, in their order, then any other
    // zone a book or a request named.
    using Slot = std::uint32_t;
    struct SlotBusy {
        bool held = false;  // in the book at all
        ZoneBusy busy;
    };

    Slot slot_of(const std::string& zone);
    const std::vector<Slot>& slots_of(const std::vector<std::string>& zones);
    Placement place_on(const Request& r, const std::vector<Slot>& slots);
    // The local time of day of `i`; the zone's offset is kept between its transitions.
    TimeOfDay local_time_of_day(Instant i);

    const Schedule& schedule_;         // not owned; outlives the planner
    std::vector<Duration> durations_;  // by Announcement::order
    std::vector<std::string> names_;   // by Slot: the zone's id
    std::vector<SlotBusy> busy_;       // by Slot: until when it is taken, and with what
    std::vector<std::vector<Slot>> announcement_slots_;          // by Announcement::order
    std::vector<Slot> request_slots_;                            // scratch for slots_of
    date::sys_seconds offset_begin_ = date::sys_seconds::max();  // offset_ holds in [begin, end)
    date::sys_seconds offset_end_ = date::sys_seconds::min();
    std::chrono::seconds offset_{0};
};

}  // namespace wardcast::schedules
