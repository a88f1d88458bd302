#include "schedules/simulation.hpp"

#include <algorithm>

namespace wardcast::schedules {

namespace {

// The day before `from` is planned too, so that what is still on air at `from` delays what
// follows, as it would on the station.
std::vector<Firing> firings_to_plan(const Schedule& schedule, Instant from, Instant to) {
    return firings_between(schedule, from - date::days(1), to);
}

// Places `firings` in order and hands those scheduled at or after `from` to `emit`, sorted
// by scheduled, then start (skipped last). Firings come in scheduled order already; only
// those sharing an instant may need reordering, so one such run is held back at a time.
template <class Emit>
void plan(const Schedule& schedule, const std::vector<Duration>& durations,
          const std::vector<Firing>& firings, Instant from, Emit&& emit) {
    ConflictPlanner planner(schedule, durations);
    std::vector<PlannedFiring> run;
    const auto earlier = [](const PlannedFiring& a, const PlannedFiring& b) {
        if (a.start.has_value() != b.start.has_value()) return a.start.has_value();
        return a.start.has_value() && *a.start < *b.start;
    };
    const auto flush = [&] {
        // Most runs are one firing, or already in order: stable_sort would still allocate.
        if (!std::is_sorted(run.begin(), run.end(), earlier))
            std::stable_sort(run.begin(), run.end(), earlier);
        for (PlannedFiring& p : run) emit(std::move(p));
        run.clear();
    };
    for (const Firing& f : firings) {
        PlannedFiring planned = planner.place(f);
        if (f.scheduled < from) continue;
        if (!run.empty() && run.front().firing.scheduled != f.scheduled) flush();
        run.push_back(std::move(planned));
    }
    flush();
}

}  // namespace

void simulate_each(const Schedule& schedule, const std::vector<Duration>& durations, Instant from,
                   Instant to, const std::function<void(PlannedFiring)>& emit) {
    if (!(from < to)) return;
    plan(schedule, durations, firings_to_plan(schedule, from, to), from, emit);
}

std::vector<PlannedFiring> simulate(const Schedule& schedule,
                                    const std::vector<Duration>& durations, Instant from,
                                    Instant to) {
    std::vector<PlannedFiring> out;
    if (!(from < to)) return out;
    const std::vector<Firing> firings = firings_to_plan(schedule, from, to);
    const auto returned =
        std::lower_bound(firings.begin(), firings.end(), from,
                         [](const Firing& f, Instant i) { return f.scheduled < i; });
    out.reserve(static_cast<std::size_t>(firings.end() - returned));
    plan(schedule, durations, firings, from,
         [&out](PlannedFiring p) { out.push_back(std::move(p)); });
    return out;
}

}  // namespace wardcast::schedules
