#include "schedules/planner.hpp"

#include <algorithm>
#include <utility>

#include "schedules/timefmt.hpp"

namespace wardcast::schedules {

const char* to_string(PlannedFiring::Status s) noexcept {
    return s == PlannedFiring::Status::scheduled ? "scheduled" : "skipped";
}

Duration occupancy(const Announcement& a, Duration chime_length,
                   const std::vector<Duration>& item_lengths) {
    if (a.relay) return chime_length + a.relay->duration;  // a relay airs once, for its duration
    Duration message{0};
    for (Duration d : item_lengths) message += d;
    const int repeat = std::max(a.repeat, 1);
    return chime_length + repeat * message + (repeat - 1) * a.gap;
}

ConflictPlanner::ConflictPlanner(const Schedule& schedule, std::vector<Duration> durations,
                                 ZoneBook book)
    : schedule_(schedule), durations_(std::move(durations)), busy_(std::move(book)) {}

PlannedFiring ConflictPlanner::place(const Firing& firing) {
    const Announcement& a = *firing.announcement;
    Request r;
    r.id = a.id;
    r.zones = &a.zones;
    r.priority = a.priority;
    r.scheduled = r.measured_from = firing.scheduled;
    r.length = duration_of(a);
    r.max_delay = a.max_delay;
    Placement p = place(r);
    PlannedFiring out;
    out.firing = firing;
    out.waited_for = std::move(p.waited_for);
    if (!p.airs) {
        out.status = PlannedFiring::Status::skipped;
        out.reason = std::move(p.reason);
        return out;
    }
    out.start = p.start;
    out.end = p.end;
    return out;
}

Placement ConflictPlanner::place(const Request& r) {
    const date::time_zone& zone = *schedule_.timezone;
    Placement out;

    // The zone that frees last is the one this request waits for.
    Instant start = r.measured_from;
    const ZoneBusy* blocker = nullptr;
    for (const std::string& z : *r.zones) {
        const auto it = busy_.find(z);
        if (it != busy_.end() && it->second.until > start) {
            start = it->second.until;
            blocker = &it->second;
        }
    }
    if (blocker) out.waited_for = blocker->by;

    // Only a blocker can push the start past measured_from.
    if (blocker && r.max_delay && start - r.measured_from > *r.max_delay) {
        out.airs = false;
        out.reason.reserve(80 + blocker->by.size());
        out.reason.append("zones busy with ").append(blocker->by).append(" until ");
        out.reason.append(format_local_time(blocker->until, zone));
        out.reason.append("; waited longer than max_delay ").append(format_duration(*r.max_delay));
        return out;
    }

    // Quiet hours are checked by `validate` for the scheduled times themselves; only a start
    // pushed back (by a conflict, or a catch-up) can newly fall inside them.
    if (start > r.scheduled && r.quiet_hours && r.priority != Priority::emergency) {
        const date::local_seconds local = zone.to_local(date::floor<std::chrono::seconds>(start));
        const TimeOfDay time_of_day = local - date::floor<date::days>(local);
        for (const QuietHours& q : schedule_.quiet_hours) {
            if (q.contains(time_of_day)) {
                out.airs = false;
                out.reason = "would start at " + format_local_time(start, zone) +
                             ", inside quiet hours " + format_time_of_day(q.from) + "-" +
                             format_time_of_day(q.to);
                return out;
            }
        }
    }

    out.start = start;
    out.end = start + r.length;
    for (const std::string& z : *r.zones) {
        ZoneBusy& busy = busy_[z];  // assigned in place to reuse the string's buffer
        busy.until = out.end;
        busy.by = r.id;
    }
    return out;
}

void ConflictPlanner::occupy(const std::vector<std::string>& zones, Instant until,
                             const std::string& by) {
    for (const std::string& z : zones) {
        const auto it = busy_.find(z);
        if (it == busy_.end()) {
            busy_.emplace(z, ZoneBusy{until, by});
        } else if (until > it->second.until) {
            it->second = ZoneBusy{until, by};
        }
    }
}

void ConflictPlanner::take(const std::vector<std::string>& zones, Instant until,
                           const std::string& by) {
    for (const std::string& z : zones) busy_[z] = ZoneBusy{until, by};
}

void ConflictPlanner::release(const std::vector<std::string>& zones, Instant at,
                              const std::string& by) {
    for (const std::string& z : zones) {
        const auto it = busy_.find(z);
        if (it != busy_.end() && it->second.by == by && it->second.until > at) {
            it->second.until = at;
        }
    }
}

}  // namespace wardcast::schedules
