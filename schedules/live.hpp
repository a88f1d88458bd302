#pragma once
// The daemon's live decisions (SPEC §2, §4), made with the same planner as `simulate`: what
// airs now, what waits and what is skipped, given what has started, what waits and the time.
// The daemon (daemon/scheduler*.cpp) only carries them out: timers, player, log, events.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "schedules/planner.hpp"

namespace wardcast::schedules {

/// How long past its deadline (measured_from + max_delay) a firing that the plan lets air
/// still waits for zones that are still sounding because what is on them overran its planned
/// end. Plans are made against planned ends (start + length), so milliseconds of playback
/// overrun never turn a wait of exactly max_delay into a skip; this bounds how long a real
/// overrun can hold a firing back.
inline constexpr Duration overrun_allowance = std::chrono::seconds(1);

/// What to do with one waiting request, now.
struct LiveDecision {
    enum class Action { start, wait, skip };
    Action action = Action::wait;
    /// start: its planned start and end (the start may be up to `lead` ahead of now: start it
    /// then; or behind now, when an overrun held it back). skip: the reason.
    Placement placement;
    /// wait: decide again at this instant if nothing (an end) happens before.
    std::optional<Instant> recheck;
};

/// Decides each of `waiting` (in queue_order) at `now`. `started` holds the zones taken by
/// what has started (on air, or played through: their planned ends). `sounding(zone)` says
/// whether something is on air on that zone right now. A request starts when its planned
/// start is within `lead` of now and its zones are silent; waits while its planned start is
/// later, or while its zones still sound (an overrun), up to its deadline plus
/// overrun_allowance; is skipped when the plan says so, or when the overrun lasts longer.
std::vector<LiveDecision> decide(const ConflictPlanner& started,
                                 const std::function<bool(const std::string&)>& sounding,
                                 const std::vector<Request>& waiting, Instant now, Duration lead);

/// Where a request stands in the live queue.
struct QueueKey {
    bool operator_emergency = false;  ///< an operator's emergency message: ahead of all
    Instant scheduled{};              ///< the firing's instant, or when the operator asked
    Priority priority = Priority::normal;
    std::size_t order = 0;  ///< Announcement::order; operators' broadcasts come after all
    std::uint64_t seq = 0;  ///< when it was queued, for requests equal in all the rest
};

/// The live queue's order: operators' emergency messages first (in the order asked), then
/// SPEC §2's firing order (scheduled instant, priority, announcement order); an operator's
/// other broadcast stands at the instant it was asked, after announcements of that instant.
bool queue_order(const QueueKey& a, const QueueKey& b) noexcept;

/// Order of an operator's broadcast that is not an announcement of the schedule.
inline constexpr std::size_t operator_order = static_cast<std::size_t>(-1);

/// SPEC §4: a firing found unaired at `now` (the daemon was down, or the clock jumped over
/// it) airs now when late by at most its catch_up; otherwise it is missed, with the reason.
struct CatchUp {
    bool airs = false;
    std::string reason;  ///< when missed: "WHY at HH:MM:SS; 24m late, more than catch_up 5m"
};
CatchUp catch_up(const Announcement& a, Instant scheduled, Instant now, std::string_view why,
                 const date::time_zone& zone);

}  // namespace wardcast::schedules
