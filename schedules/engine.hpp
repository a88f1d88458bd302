#pragma once
// The firing rule (SPEC §1): which announcement fires at which instant. Pure: time comes in.

#include <cstddef>
#include <vector>

#include "schedules/schedule.hpp"

namespace wardcast::schedules {

/// One firing: an announcement at its scheduled instant.
struct Firing {
    const Announcement* announcement = nullptr;
    Instant scheduled;
};

/// True when `a` comes before `b` in SPEC §2 order: scheduled instant, then priority
/// (emergency first), then the announcement's order across files.
bool firing_order(const Firing& a, const Firing& b) noexcept;

/// True when announcement `a` fires on local date `d`: inside its window, matching days,
/// monthdays and dates where given, not a holiday of `schedule`, not in its `except`.
bool fires_on(const Schedule& schedule, const Announcement& a, LocalDate d) noexcept;

/// The instant of local wall-clock time `t` on local date `d` in `zone`. A time inside a
/// DST gap maps to the first instant after the gap; a time that happens twice maps to
/// the first of the two.
Instant local_to_instant(const date::time_zone& zone, LocalDate d, TimeOfDay t);

/// The local date of an instant in `zone`.
LocalDate local_date_of(const date::time_zone& zone, Instant i);

/// Every firing with from <= scheduled < to, in firing_order. An announcement never fires
/// twice at the same instant (two local times folded onto one instant by DST give one).
std::vector<Firing> firings_between(const Schedule& schedule, Instant from, Instant to);

/// The first `n` firings with scheduled >= `from`, in firing_order, looking no further than
/// `horizon` (default: two years) ahead.
std::vector<Firing> next_firings(const Schedule& schedule, Instant from, std::size_t n,
                                 std::chrono::days horizon = std::chrono::days(731));

}  // namespace wardcast::schedules
