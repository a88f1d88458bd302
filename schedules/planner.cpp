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
    : schedule_(schedule), durations_(std::move(durations)) {
    names_.reserve(schedule.zones.size());
    for (const Zone& z : schedule.zones) names_.push_back(z.id);
    busy_.resize(names_.size());
    announcement_slots_.resize(schedule.announcements.size());
    for (const Announcement& a : schedule.announcements) {
        if (a.order >= announcement_slots_.size()) announcement_slots_.resize(a.order + 1);
        for (const std::string& z : a.zones) announcement_slots_[a.order].push_back(slot_of(z));
    }
    for (auto& [zone, busy] : book) busy_[slot_of(zone)] = SlotBusy{true, std::move(busy)};
}

ConflictPlanner::Slot ConflictPlanner::slot_of(const std::string& zone) {
    const auto it = std::find(names_.begin(), names_.end(), zone);
    if (it != names_.end()) return static_cast<Slot>(it - names_.begin());
    names_.push_back(zone);
    busy_.emplace_back();
    return static_cast<Slot>(names_.size() - 1);
}

const std::vector<ConflictPlanner::Slot>& ConflictPlanner::slots_of(
    const std::vector<std::string>& zones) {
    request_slots_.clear();
    for (const std::string& z : zones) request_slots_.push_back(slot_of(z));
    return request_slots_;
}

ZoneBook ConflictPlanner::book() const {
    ZoneBook out;
    for (std::size_t s = 0; s < busy_.size(); ++s)
        if (busy_[s].held) out.emplace(names_[s], busy_[s].busy);
    return out;
}

TimeOfDay ConflictPlanner::local_time_of_day(Instant i) {
    const auto s = date::floor<std::chrono::seconds>(i);
    if (s < offset_begin_ || s >= offset_end_) {
        const date::sys_info info = schedule_.timezone->get_info(s);
        offset_begin_ = info.begin;
        offset_end_ = info.end;
        offset_ = info.offset;
    }
    const date::local_seconds local{(s + offset_).time_since_epoch()};
    return local - date::floor<date::days>(local);
}

PlannedFiring ConflictPlanner::place(const Firing& firing) {
    const Announcement& a = *firing.announcement;
    Request r;
    r.id = a.id;
    r.zones = &a.zones;
    r.priority = a.priority;
    r.scheduled = r.measured_from = firing.scheduled;
    r.length = duration_of(a);
    r.max_delay = a.max_delay;
    // A firing of another schedule (one being replaced) has its zones looked up by name.
    const bool known =
        a.order < schedule_.announcements.size() && &schedule_.announcements[a.order] == &a;
    Placement p = place_on(r, known ? announcement_slots_[a.order] : slots_of(a.zones));
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

Placement ConflictPlanner::place(const Request& r) { return place_on(r, slots_of(*r.zones)); }

Placement ConflictPlanner::place_on(const Request& r, const std::vector<Slot>& slots) {
    const date::time_zone& zone = *schedule_.timezone;
    Placement out;

    // The zone that frees last is the one this request waits for.
    Instant start = r.measured_from;
    const ZoneBusy* blocker = nullptr;
    for (const Slot s : slots) {
        const SlotBusy& b = busy_[s];
        if (b.held && b.busy.until > start) {
            start = b.busy.until;
            blocker = &b.busy;
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
        const TimeOfDay time_of_day = local_time_of_day(start);
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
    for (const Slot s : slots) {
        SlotBusy& b = busy_[s];  // assigned in place to reuse the string's buffer
        b.held = true;
        b.busy.until = out.end;
        b.busy.by = r.id;
    }
    return out;
}

void ConflictPlanner::occupy(const std::vector<std::string>& zones, Instant until,
                             const std::string& by) {
    for (const std::string& z : zones) {
        SlotBusy& b = busy_[slot_of(z)];
        if (!b.held || until > b.busy.until) b = SlotBusy{true, ZoneBusy{until, by}};
    }
}

void ConflictPlanner::take(const std::vector<std::string>& zones, Instant until,
                           const std::string& by) {
    for (const std::string& z : zones) busy_[slot_of(z)] = SlotBusy{true, ZoneBusy{until, by}};
}

void ConflictPlanner::release(const std::vector<std::string>& zones, Instant at,
                              const std::string& by) {
    for (const std::string& z : zones) {
        SlotBusy& b = busy_[slot_of(z)];
        if (b.held && b.busy.by == by && b.busy.until > at) b.busy.until = at;
    }
}

}  // namespace wardcast::schedules
