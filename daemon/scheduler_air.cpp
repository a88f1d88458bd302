// The scheduler's air side: the queue per zone, starting, ending and recording broadcasts,
// and what operators ask for.

#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>

#include "daemon/scheduler_broadcast.hpp"
#include "schedules/duration.hpp"
#include "schedules/timefmt.hpp"

namespace wardcast::daemon {

namespace sch = wardcast::schedules;
using std::chrono::milliseconds;

void Scheduler::try_start() {
    if (stopped_ || !schedule_) return;
    const Instant now = clock_();
    const auto& tz = *schedule_->schedule.timezone;
    struct Busy {
        Instant until;
        std::string by;
    };
    std::map<std::string, Busy> busy;  // zone -> when it is expected to be free, and with what
    for (const auto& b : broadcasts_) {
        if (b.state != Broadcast::State::on_air) continue;
        // Still on air past its expected end: count it busy a moment longer.
        for (const auto& z : b.zones) busy[z] = {std::max(b.began + b.length, now + milliseconds(1)), b.id};
    }
    std::optional<Instant> next_deadline;
    for (auto it = broadcasts_.begin(); it != broadcasts_.end();) {
        auto current = it++;
        Broadcast& b = *current;
        if (b.state != Broadcast::State::waiting) continue;
        Instant can_start = now;
        const Busy* blocker = nullptr;
        for (const auto& z : b.zones) {
            auto found = busy.find(z);
            if (found != busy.end() && found->second.until > can_start) {
                can_start = found->second.until;
                blocker = &found->second;
            }
        }
        // Operators' broadcasts wait as long as it takes; scheduled ones up to max_delay.
        if (b.claims() && can_start > b.scheduled + b.max_delay) {
            skip(current, "skipped",
                 "zones busy with " + blocker->by + " until " + sch::format_local_time(blocker->until, tz) +
                     "; waited longer than max_delay " + sch::format_duration(b.max_delay));
            continue;
        }
        if (blocker) {  // waits in line: its zones are promised to it after the blocker
            for (const auto& z : b.zones) busy[z] = {can_start + b.length, b.id};
            if (b.claims()) {
                Instant deadline = b.scheduled + b.max_delay + milliseconds(1);
                next_deadline = next_deadline ? std::min(*next_deadline, deadline) : deadline;
            }
            continue;
        }
        if (b.claims() && now - b.scheduled > std::chrono::seconds(1) &&
            b.priority != sch::Priority::emergency) {
            auto local = tz.to_local(std::chrono::floor<std::chrono::seconds>(now));
            sch::TimeOfDay time_of_day = local - std::chrono::floor<date::days>(local);
            const auto& quiet = schedule_->schedule.quiet_hours;
            auto q = std::find_if(quiet.begin(), quiet.end(),
                                  [&](const sch::QuietHours& h) { return h.contains(time_of_day); });
            if (q != quiet.end()) {
                skip(current, "skipped",
                     "would start at " + sch::format_local_time(now, tz) + ", inside quiet hours " +
                         sch::format_time_of_day(q->from) + "-" + sch::format_time_of_day(q->to));
                continue;
            }
        }
        for (const auto& z : b.zones) busy[z] = {now + b.length, b.id};
        begin(current);
    }
    if (next_deadline) {
        deadline_timer_.expires_after(std::max(milliseconds(0), *next_deadline - now));
        deadline_timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
            if (!ec && *alive) try_start();
        });
    } else {
        deadline_timer_.cancel();
    }
}

LogEntry Scheduler::entry_for(const Broadcast& b, const std::string& kind) const {
    LogEntry e;
    e.kind = *names::parse_entry_kind(kind);
    e.station = schedule_->schedule.station_name;
    e.announcement_id = b.id;
    e.title = b.title;
    e.trigger = names::parse_trigger(b.trigger);
    if (b.who) {
        e.uid = b.who->uid;
        e.user = b.who->user;
    }
    e.zones = b.zones;
    e.scheduled = b.scheduled;
    e.audio_sha256 = b.audio_sha256;
    e.schedule_sha256 = schedule_->sha256;
    return e;
}

void Scheduler::emit(const char* event, const Broadcast& b, const std::string& status) {
    if (!event_) return;
    nlohmann::json j = {{"event", event},        {"announcement", b.id}, {"title", b.title},
                        {"trigger", b.trigger},  {"zones", b.zones},
                        {"scheduled", format_utc(b.scheduled)}};
    if (b.started) j["started"] = format_utc(*b.started);
    if (!status.empty()) j["status"] = status;
    event_(j);
}

void Scheduler::begin(BroadcastList::iterator it) {
    Broadcast& b = *it;
    // A firing is begun start_lead ahead of its instant: the player holds the first sample
    // until then.
    const Instant began = std::max(clock_(), b.scheduled);
    // Air first, then write the on-air row: its commit waits for the disk (synchronous=FULL),
    // which must not delay the first sample. A firing already claimed was not prepared (the
    // claim is checked before preroll), so starting before the claim below is decided never
    // airs anything twice in practice; if the claim is refused all the same, it stops at once.
    const bool airs = !b.failure && !(b.claims() && log_.is_claimed(b.id, b.scheduled));
    if (airs && b.scheduled > clock_())
        player_.start_at(b.player_id, b.scheduled);
    else if (airs)
        player_.start(b.player_id);
    auto seq = log_.begin_broadcast(entry_for(b, "on_air"), b.claims());
    if (!seq) {  // aired (or was settled) before a restart or clock step: never twice
        player_.stop(b.player_id);
        broadcasts_.erase(it);
        return;
    }
    b.on_air_seq = *seq;
    b.began = began;
    if (b.failure) {
        spdlog::error("failed {}: {}", b.id, *b.failure);
        finish(it, "failed", *b.failure, b.began);
        return;
    }
    b.state = Broadcast::State::on_air;
}

void Scheduler::finish(BroadcastList::iterator it, const std::string& status, const std::string& error,
                       std::optional<Instant> ended) {
    Broadcast& b = *it;
    LogEntry e = entry_for(b, "broadcast");
    e.status = names::parse_status(status);
    e.error = error;
    e.started = b.started;
    e.ended = ended ? *ended : clock_();
    if (b.started) e.lateness_ms = (*b.started - b.scheduled).count();
    log_.finish_broadcast(*b.on_air_seq, e);
    if (status != "failed") spdlog::info("{} {}{}{}", status, b.id, error.empty() ? "" : ": ", error);
    emit("broadcast-end", b, status);
    player_.stop(b.player_id);
    broadcasts_.erase(it);
}

void Scheduler::skip(BroadcastList::iterator it, const std::string& status, const std::string& reason) {
    Broadcast& b = *it;
    LogEntry e = entry_for(b, "broadcast");
    e.status = names::parse_status(status);
    e.error = reason;
    if (log_.record_not_aired(e)) spdlog::warn("{} {}: {}", status, b.id, reason);
    player_.stop(b.player_id);
    broadcasts_.erase(it);
}

Scheduler::BroadcastList::iterator Scheduler::find(audio::Player::Id id) {
    return std::find_if(broadcasts_.begin(), broadcasts_.end(),
                        [&](const Broadcast& b) { return b.player_id == id; });
}

void Scheduler::on_started(audio::Player::Id id, audio::WallTime started) {
    auto it = find(id);
    if (it == broadcasts_.end()) return;
    it->started = started;
    spdlog::info("on air: {} on {} ({} ms late)", it->id, fmt::join(it->zones, ","),
                 (started - it->scheduled).count());
    emit("broadcast-start", *it);
}

void Scheduler::on_done(audio::Player::Id id, const audio::BroadcastOutcome& outcome) {
    auto it = find(id);
    if (it == broadcasts_.end() || stopped_) return;
    Broadcast& b = *it;
    if (b.state != Broadcast::State::on_air) {
        if (outcome.status == audio::BroadcastOutcome::Status::failed) {
            b.failure = outcome.error;  // recorded when its turn comes, as at air time
            if (b.state == Broadcast::State::waiting) try_start();
        }
        return;
    }
    if (outcome.started && !b.started) b.started = outcome.started;
    using Status = audio::BroadcastOutcome::Status;
    const std::string status = outcome.status == Status::played   ? "played"
                               : outcome.status == Status::failed ? "failed"
                                                                  : "cancelled";
    if (status == "failed") spdlog::error("failed {}: {}", b.id, outcome.error);
    finish(it, status, outcome.error, outcome.ended);
    try_start();
}

void Scheduler::air_now(const AdHoc& a) {
    const Instant now = clock_();
    const bool emergency = a.priority == sch::Priority::emergency;
    if (emergency) preempt(a.zones, "interrupted by an emergency message from " + a.who.user);
    auto it = prepare(a, now, emergency ? "emergency" : "operator", sch::Duration{0});
    it->state = Broadcast::State::waiting;
    if (emergency) {
        // First in line, ahead of anything waiting for the same zones.
        broadcasts_.splice(broadcasts_.begin(), broadcasts_, it);
    }
    try_start();
}

void Scheduler::preempt(const std::vector<std::string>& zones, const std::string& reason) {
    for (auto it = broadcasts_.begin(); it != broadcasts_.end();) {
        auto current = it++;
        if (current->state != Broadcast::State::on_air) continue;
        bool shares = std::any_of(current->zones.begin(), current->zones.end(), [&](const std::string& z) {
            return std::find(zones.begin(), zones.end(), z) != zones.end();
        });
        if (shares) finish(current, "preempted", reason);
    }
}

void Scheduler::pause(std::optional<Instant> until, const std::string& by) {
    paused_ = true;
    paused_until_ = until;
    paused_by_ = by;
    pause_timer_.cancel();
    if (until) {
        pause_timer_.expires_after(std::max(milliseconds(0), *until - clock_()));
        pause_timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
            if (!ec && *alive) {
                spdlog::info("the pause has ended: scheduled broadcasts air again");
                resume();
            }
        });
    }
}

void Scheduler::resume() {
    paused_ = false;
    paused_until_.reset();
    pause_timer_.cancel();
}

void Scheduler::set_volume(const std::optional<std::string>& zone, double level) {
    std::vector<std::string> zones;
    if (zone)
        zones.push_back(*zone);
    else
        for (const auto& z : schedule_->schedule.zones) zones.push_back(z.id);
    for (const auto& z : zones) {
        zone_volume_[z] = level;
        for (const auto& b : broadcasts_)
            if (std::find(b.zones.begin(), b.zones.end(), z) != b.zones.end())
                player_.set_zone_volume(b.player_id, z, level);
    }
}

}  // namespace wardcast::daemon
