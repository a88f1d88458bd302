#pragma once
// `simulate`: every firing in a span with conflicts resolved, as the daemon would air them.

#include <functional>
#include <vector>

#include "schedules/planner.hpp"

namespace wardcast::schedules {

/// Every firing with from <= scheduled < to, conflicts resolved as in SPEC §2. Firings in
/// the day before `from` are planned too (not returned) so that something still on air
/// at `from` delays what follows, as it would on the station. Sorted by scheduled, then
/// start (skipped firings after aired ones at the same instant).
std::vector<PlannedFiring> simulate(const Schedule& schedule, const std::vector<Duration>& durations,
                                    Instant from, Instant to);

/// The same firings in the same order as simulate(), handed to `emit` one at a time so that
/// a year of a large schedule is never held in memory at once.
void simulate_each(const Schedule& schedule, const std::vector<Duration>& durations, Instant from,
                   Instant to, const std::function<void(PlannedFiring)>& emit);

}  // namespace wardcast::schedules
