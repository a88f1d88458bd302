#include "schedules/live.hpp"

#include <algorithm>
#include <set>

#include "schedules/timefmt.hpp"

namespace wardcast::schedules {

std::vector<LiveDecision> decide(const ConflictPlanner& started,
                                 const std::function<bool(const std::string&)>& sounding,
                                 const std::vector<Request>& waiting, Instant now, Duration lead) {
    // Each request is placed after what has started and after the requests before it, as
    // `simulate` places firings one after another.
    ConflictPlanner plan = started;
    std::set<std::string> starting;  // zones of requests started in this round
    std::vector<LiveDecision> out(waiting.size());
    for (std::size_t i = 0; i < waiting.size(); ++i) {
        const Request& r = waiting[i];
        LiveDecision& d = out[i];
        d.placement = plan.place(r);
        if (!d.placement.airs) {
            d.action = LiveDecision::Action::skip;
            continue;
        }
        if (d.placement.start > now + lead) {
            d.action = LiveDecision::Action::wait;
            d.recheck = d.placement.start - lead;
            continue;
        }
        const auto still_sounding = std::find_if(
            r.zones->begin(), r.zones->end(),
            [&](const std::string& z) { return starting.count(z) != 0 || sounding(z); });
        if (still_sounding == r.zones->end()) {
            d.action = LiveDecision::Action::start;
            starting.insert(r.zones->begin(), r.zones->end());
            continue;
        }
        // Its planned start has come but what is on its zones overran: it waits for the end.
        if (!r.max_delay) {
            d.action = LiveDecision::Action::wait;  // an operator's: as long as it takes
            continue;
        }
        const Instant last_chance = r.measured_from + *r.max_delay + overrun_allowance;
        if (now <= last_chance) {
            d.action = LiveDecision::Action::wait;
            d.recheck = last_chance + std::chrono::milliseconds(1);
            continue;
        }
        const auto& book = started.book();
        const auto holder = book.find(*still_sounding);
        d.action = LiveDecision::Action::skip;
        d.placement.airs = false;
        d.placement.reason = "zones busy with ";
        if (holder != book.end()) {
            d.placement.waited_for = holder->second.by;
            d.placement.reason +=
                holder->second.by + " past its planned end " +
                format_local_time(holder->second.until, *started.schedule().timezone);
        } else {
            d.placement.reason += "another broadcast";
        }
        d.placement.reason += "; waited longer than max_delay " + format_duration(*r.max_delay);
    }
    return out;
}

bool queue_order(const QueueKey& a, const QueueKey& b) noexcept {
    if (a.operator_emergency != b.operator_emergency) return a.operator_emergency;
    if (a.operator_emergency) return a.seq < b.seq;
    if (a.scheduled != b.scheduled) return a.scheduled < b.scheduled;
    if (a.priority != b.priority) return a.priority > b.priority;
    if (a.order != b.order) return a.order < b.order;
    return a.seq < b.seq;
}

CatchUp catch_up(const Announcement& a, Instant scheduled, Instant now, std::string_view why,
                 const date::time_zone& zone) {
    CatchUp out;
    const Duration late = now - scheduled;
    if (late <= a.catch_up) {
        out.airs = true;
        return out;
    }
    out.reason = std::string(why) + " at " + format_local_time(scheduled, zone) + "; " +
                 format_duration(std::chrono::floor<std::chrono::seconds>(late)) +
                 " late, more than catch_up " + format_duration(a.catch_up);
    return out;
}

}  // namespace wardcast::schedules
