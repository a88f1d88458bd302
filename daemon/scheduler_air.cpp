// The scheduler's air side: the queue per zone, starting, ending and recording broadcasts,
// and what operators ask for.

#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "common/protocol.hpp"
#include "daemon/scheduler_broadcast.hpp"
#include "schedules/duration.hpp"
#include "schedules/timefmt.hpp"

namespace wardcast::daemon {

namespace sch = wardcast::schedules;
using std::chrono::milliseconds;

void Scheduler::try_start() {
    if (stopped_ || !schedule_) return;
    const Instant now = time_.now();
    std::vector<BroadcastList::iterator> waiting;
    std::set<std::string> sounding;  // zones something is on air on, right now
    for (auto it = broadcasts_.begin(); it != broadcasts_.end(); ++it) {
        if (it->state == Broadcast::State::waiting)
            waiting.push_back(it);
        else if (it->state == Broadcast::State::on_air)
            sounding.insert(it->zones.begin(), it->zones.end());
    }
    std::sort(waiting.begin(), waiting.end(),
              [](BroadcastList::iterator a, BroadcastList::iterator b) {
                  return sch::queue_order(a->key, b->key);
              });
    std::vector<sch::Request> requests;
    requests.reserve(waiting.size());
    for (auto it : waiting) requests.push_back(it->request());

    // The engine decides; what follows only carries it out.
    const auto decisions = sch::decide(
        *started_, [&](const std::string& zone) { return sounding.count(zone) != 0; }, requests,
        now, start_lead);
    std::optional<Instant> recheck;
    bool replan = false;  // something did not go on air after all: its zones are free
    for (std::size_t i = 0; i < waiting.size(); ++i) {
        const sch::LiveDecision& d = decisions[i];
        switch (d.action) {
            case sch::LiveDecision::Action::skip:
                skip(waiting[i], names::Status::skipped, d.placement.reason);
                break;
            case sch::LiveDecision::Action::start:
                if (!begin(waiting[i], d.placement)) replan = true;
                break;
            case sch::LiveDecision::Action::wait:
                if (d.recheck) recheck = recheck ? std::min(*recheck, *d.recheck) : *d.recheck;
                break;
        }
    }
    if (replan) return try_start();
    if (recheck) {
        decision_->set(*recheck, [this] { try_start(); });
    } else {
        decision_->cancel();
    }
}

LogEntry Scheduler::entry_for(const Broadcast& b, names::EntryKind kind) const {
    LogEntry e;
    e.kind = kind;
    e.station = schedule_->schedule.station_name;
    e.announcement_id = b.id;
    e.title = b.title;
    e.trigger = b.trigger;
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

void Scheduler::emit(const char* event, const Broadcast& b, std::optional<names::Status> status) {
    if (!event_) return;
    nlohmann::json j = {{"event", event},   {"announcement", b.id},
                        {"title", b.title}, {"trigger", names::name(b.trigger)},
                        {"zones", b.zones}, {"scheduled", format_utc(b.scheduled)}};
    if (b.started) j["started"] = format_utc(*b.started);
    if (!b.source.empty()) j["source"] = b.source;
    if (status) j["status"] = names::name(*status);
    event_(j);
}

bool Scheduler::begin(BroadcastList::iterator it, const sch::Placement& placement) {
    Broadcast& b = *it;
    const Instant now = time_.now();
    // A firing is begun up to start_lead ahead of its planned start: the player holds the
    // first sample until then.
    const Instant began = std::max(now, placement.start);
    // Air first, then write the on-air row: its commit waits for the disk (synchronous=FULL),
    // which must not delay the first sample. A firing already claimed was not prepared (the
    // claim is checked before preroll), so starting before the claim below is decided never
    // airs anything twice in practice; if the claim is refused all the same, it stops at once.
    const bool airs = !b.failure && !(b.claims() && log_.is_claimed(b.id, b.scheduled));
    if (airs && placement.start > now)
        player_.start_at(b.player_id, placement.start);
    else if (airs)
        player_.start(b.player_id);
    auto seq = log_.begin_broadcast(entry_for(b, names::EntryKind::on_air), b.claims());
    if (!seq) {  // aired (or was settled) before a restart or clock step: never twice
        player_.stop(b.player_id);
        broadcasts_.erase(it);
        return false;
    }
    b.on_air_seq = *seq;
    b.began = began;
    if (b.failure) {
        spdlog::error("failed {}: {}", b.id, *b.failure);
        finish(it, names::Status::failed, *b.failure, b.began);
        return false;
    }
    b.state = Broadcast::State::on_air;
    b.planned_end = placement.end;
    started_->take(b.zones, placement.end, b.id);
    return true;
}

void Scheduler::finish(BroadcastList::iterator it, names::Status status, const std::string& error,
                       std::optional<Instant> ended) {
    Broadcast& b = *it;
    LogEntry e = entry_for(b, names::EntryKind::broadcast);
    e.status = status;
    e.error = error;
    e.started = b.started;
    e.ended = ended ? *ended : time_.now();
    if (b.started) e.lateness_ms = (*b.started - b.scheduled).count();
    // The player's measure when it ended the broadcast; ended here (stopped, preempted, the
    // daemon stopping), the time since its first sample, or nothing if none went out.
    if (b.aired)
        e.aired_ms = b.aired->count();
    else
        e.aired_ms = b.started ? std::max<std::int64_t>(0, (*e.ended - *b.started).count()) : 0;
    log_.finish_broadcast(*b.on_air_seq, e);
    // Played through, it keeps its zones until its planned end, as the plan has it: the next
    // firing is decided against that, not against milliseconds of playback. Anything else
    // (stopped, preempted, failed) has left them.
    if (status != names::Status::played) started_->release(b.zones, *e.ended, b.id);
    if (status != names::Status::failed)
        spdlog::info("{} {}{}{}", names::name(status), b.id, error.empty() ? "" : ": ", error);
    emit(protocol::event::broadcast_end, b, status);
    player_.stop(b.player_id);
    broadcasts_.erase(it);
}

void Scheduler::skip(BroadcastList::iterator it, names::Status status, const std::string& reason) {
    Broadcast& b = *it;
    LogEntry e = entry_for(b, names::EntryKind::broadcast);
    e.status = status;
    e.error = reason;
    if (log_.record_not_aired(e)) spdlog::warn("{} {}: {}", names::name(status), b.id, reason);
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
    emit(protocol::event::broadcast_start, *it);
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
    b.aired = outcome.aired;
    using Status = audio::BroadcastOutcome::Status;
    const names::Status status = outcome.status == Status::played   ? names::Status::played
                                 : outcome.status == Status::failed ? names::Status::failed
                                                                    : names::Status::cancelled;
    if (status == names::Status::failed) spdlog::error("failed {}: {}", b.id, outcome.error);
    finish(it, status, outcome.error, outcome.ended);
    try_start();
}

void Scheduler::air_now(const AdHoc& a) {
    const Instant now = time_.now();
    const bool emergency = a.priority == sch::Priority::emergency;
    if (emergency) preempt(a.zones, "interrupted by an emergency message from " + a.who.user);
    // An emergency stands first in line (schedules::queue_order), ahead of anything waiting
    // for the same zones.
    auto it =
        prepare(a, now, emergency ? names::Trigger::emergency : names::Trigger::operator_request);
    it->state = Broadcast::State::waiting;
    try_start();
}

void Scheduler::preempt(const std::vector<std::string>& zones, const std::string& reason) {
    for (auto it = broadcasts_.begin(); it != broadcasts_.end();) {
        auto current = it++;
        if (current->state != Broadcast::State::on_air) continue;
        bool shares =
            std::any_of(current->zones.begin(), current->zones.end(), [&](const std::string& z) {
                return std::find(zones.begin(), zones.end(), z) != zones.end();
            });
        if (shares) finish(current, names::Status::preempted, reason);
    }
}

void Scheduler::pause(std::optional<Instant> until, const std::string& by) {
    paused_ = true;
    paused_until_ = until;
    paused_by_ = by;
    pause_timer_->cancel();
    if (until) {
        pause_timer_->set(*until, [this] {
            spdlog::info("the pause has ended: scheduled broadcasts air again");
            resume();
        });
    }
}

void Scheduler::resume() {
    paused_ = false;
    paused_until_.reset();
    pause_timer_->cancel();
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
