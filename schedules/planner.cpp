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
    Duration message{0};
    for (Duration d : item_lengths) message += d;
    const int repeat = std::max(a.repeat, 1);
    return chime_length + repeat * message + (repeat - 1) * a.gap;
}

ConflictPlanner::ConflictPlanner(const Schedule& schedule, std::vector<Duration> durations)
    : schedule_(schedule), durations_(std::move(durations)) {}

PlannedFiring ConflictPlanner::place(const Firing& firing) {
    const Announcement& a = *firing.announcement;
    const date::time_zone& zone = *schedule_.timezone;
    PlannedFiring out;
    out.firing = firing;

    // The zone that frees last is the one this firing waits for.
    Instant start = firing.scheduled;
    const Busy* blocker = nullptr;
    for (const std::string& z : a.zones) {
        const auto it = busy_.find(z);
        if (it != busy_.end() && it->second.until > start) {
            start = it->second.until;
            blocker = &it->second;
        }
    }
    if (blocker) out.waited_for = blocker->by;

    if (start - firing.scheduled > a.max_delay) {
        out.status = PlannedFiring::Status::skipped;
        out.reason.reserve(80 + blocker->by.size());
        out.reason.append("zones busy with ").append(blocker->by).append(" until ");
        out.reason.append(format_local_time(blocker->until, zone));
        out.reason.append("; waited longer than max_delay ").append(format_duration(a.max_delay));
        return out;
    }

    // Quiet hours are checked by `validate` for the scheduled times themselves; only a
    // start pushed back by a conflict can newly fall inside them.
    if (blocker && a.priority != Priority::emergency) {
        const date::local_seconds local = zone.to_local(date::floor<std::chrono::seconds>(start));
        const TimeOfDay time_of_day = local - date::floor<date::days>(local);
        for (const QuietHours& q : schedule_.quiet_hours) {
            if (q.contains(time_of_day)) {
                out.status = PlannedFiring::Status::skipped;
                out.reason = "would start at " + format_local_time(start, zone) +
                             ", inside quiet hours " + format_time_of_day(q.from) + "-" +
                             format_time_of_day(q.to);
                return out;
            }
        }
    }

    out.start = start;
    out.end = start + duration_of(a);
    for (const std::string& z : a.zones) {
        Busy& busy = busy_[z];  // assigned in place to reuse the string's buffer
        busy.until = *out.end;
        busy.by = a.id;
    }
    return out;
}

void ConflictPlanner::occupy(const std::vector<std::string>& zones, Instant until,
                             const std::string& by) {
    for (const std::string& z : zones) {
        const auto it = busy_.find(z);
        if (it == busy_.end()) {
            busy_.emplace(z, Busy{until, by});
        } else if (until > it->second.until) {
            it->second = Busy{until, by};
        }
    }
}

}  // namespace wardcast::schedules
