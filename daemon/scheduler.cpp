#include "daemon/scheduler.hpp"

#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "daemon/scheduler_broadcast.hpp"
#include "schedules/duration.hpp"
#include "schedules/timefmt.hpp"

namespace wardcast::daemon {

namespace sch = wardcast::schedules;
using std::chrono::milliseconds;

Scheduler::Scheduler(TimeSource& time, audio::Player& player, BroadcastLog& log,
                     std::function<std::string(const sch::Zone&)> output_for)
    : time_(time),
      player_(player),
      log_(log),
      output_for_(std::move(output_for)),
      timer_(time.alarm()),
      decision_(time.alarm()),
      pause_timer_(time.alarm()) {}

Scheduler::~Scheduler() { *alive_ = false; }

void Scheduler::start(const LoadedSchedule& schedule) {
    schedule_ = &schedule;
    started_ = std::make_unique<sch::ConflictPlanner>(schedule.schedule, schedule.durations);
    const Instant now = time_.now();
    Instant since = now;
    if (auto last = log_.last_claimed()) since = std::max(*last + milliseconds(1), now - lookback);
    catch_up(since, now, "wardcastd was not running");
    plan();
}

void Scheduler::drop_prepared() {
    timer_->cancel();
    for (auto it = broadcasts_.begin(); it != broadcasts_.end();) {
        if (it->state == Broadcast::State::preparing) {
            player_.stop(it->player_id);
            it = broadcasts_.erase(it);
        } else {
            ++it;
        }
    }
}

void Scheduler::clock_stepped(std::chrono::nanoseconds moved) {
    if (stopped_ || !schedule_) return;
    const Instant now = time_.now();
    spdlog::warn("the wall clock was set ({:+.3f} s): it is now {}; re-planning",
                 std::chrono::duration<double>(moved).count(),
                 sch::format_instant(now, *schedule_->schedule.timezone));
    // Prepared broadcasts were for the old idea of "soon": drop them and plan again.
    drop_prepared();
    if (now > cursor_) catch_up(cursor_, now, "the clock jumped past it");
    plan();
    try_start();
}

void Scheduler::replace_schedule(const LoadedSchedule& schedule) {
    drop_prepared();
    // Waiting firings of the old schedule give way to the new one's plan.
    for (auto it = broadcasts_.begin(); it != broadcasts_.end();) {
        auto current = it++;
        if (current->state == Broadcast::State::waiting && current->claims())
            skip(current, names::Status::skipped, "the schedule was reloaded before it could air");
    }
    schedule_ = &schedule;
    // What is on air keeps its zones until its planned end; the new schedule is planned
    // against that.
    started_ = std::make_unique<sch::ConflictPlanner>(
        schedule.schedule, schedule.durations, started_ ? started_->book() : sch::ZoneBook{});
    cursor_ = std::max(cursor_, time_.now());
    plan();
    try_start();
}

void Scheduler::shutdown(const std::string& reason) {
    stopped_ = true;
    timer_->cancel();
    decision_->cancel();
    pause_timer_->cancel();
    for (auto it = broadcasts_.begin(); it != broadcasts_.end();) {
        auto current = it++;
        if (current->state == Broadcast::State::on_air)
            finish(current, names::Status::cancelled, reason);
        else {
            player_.stop(current->player_id);
            broadcasts_.erase(current);
        }
    }
}

std::vector<std::string> Scheduler::stop_all(const std::string& reason) {
    std::vector<std::string> ids;
    for (auto it = broadcasts_.begin(); it != broadcasts_.end();) {
        auto current = it++;
        if (current->state != Broadcast::State::on_air) continue;
        ids.push_back(current->id);
        finish(current, names::Status::cancelled, reason);
    }
    try_start();
    return ids;
}

std::vector<OnAirInfo> Scheduler::on_air() const {
    std::vector<OnAirInfo> out;
    for (const auto& b : broadcasts_)
        if (b.state == Broadcast::State::on_air)
            out.push_back(
                {b.id, b.title, b.trigger, b.zones, b.scheduled, b.started, b.length, b.source});
    return out;
}

std::optional<sch::Firing> Scheduler::next_firing() const {
    if (!schedule_) return std::nullopt;
    auto next = sch::next_firings(schedule_->schedule, cursor_, 1);
    if (next.empty()) return std::nullopt;
    return next.front();
}

void Scheduler::plan() {
    if (stopped_ || !schedule_) return;
    auto next = next_firing();
    if (!next) {
        spdlog::info("nothing more to air in the next two years");
        return;
    }
    const Instant at = next->scheduled;
    timer_->set(at - preroll, [this, at] {
        if (stopped_) return;
        const auto group = sch::firings_between(schedule_->schedule, at, at + milliseconds(1));
        for (const auto& f : group) {
            bool known =
                std::any_of(broadcasts_.begin(), broadcasts_.end(), [&](const Broadcast& b) {
                    return b.claims() && b.id == f.announcement->id && b.scheduled == f.scheduled;
                });
            if (!known && !log_.is_claimed(f.announcement->id, f.scheduled))
                prepare(f, names::Trigger::schedule, f.scheduled);
        }
        timer_->set(at - start_lead, [this, at] {
            if (!stopped_) due(at);
        });
    });
}

double Scheduler::zone_level(const std::string& zone, double schedule_level) const {
    auto it = zone_volume_.find(zone);
    return it == zone_volume_.end() ? schedule_level : it->second;
}

Scheduler::BroadcastList::iterator Scheduler::prepare_request(Broadcast b,
                                                              audio::BroadcastRequest request) {
    broadcasts_.push_back(std::move(b));
    auto alive = alive_;
    auto it = std::prev(broadcasts_.end());
    it->player_id = player_.prepare(
        request,
        [this, alive](audio::Player::Id id, audio::WallTime t) {
            if (*alive) on_started(id, t);
        },
        [this, alive](audio::Player::Id id, const audio::BroadcastOutcome& o) {
            if (*alive) on_done(id, o);
        });
    return it;
}

Scheduler::AdHoc Scheduler::describe(const LoadedSchedule& schedule, const sch::Announcement& a) {
    AdHoc d;
    d.id = a.id;
    d.title = a.title;
    d.zones = a.zones;
    d.priority = a.priority;
    d.audio = schedule.audio.at(a.order);
    d.length = schedule.durations.at(a.order);
    d.repeat = a.repeat;
    d.gap = a.gap;
    d.volume = a.volume;
    d.normalize = a.normalize;
    if (a.relay)
        d.relay = audio::RelaySource{a.relay->source, a.relay->duration, a.relay->start_timeout};
    return d;
}

Scheduler::BroadcastList::iterator Scheduler::prepare(const AdHoc& what, Instant scheduled,
                                                      names::Trigger trigger) {
    audio::BroadcastRequest request;
    request.label = what.id;
    request.scheduled = scheduled;
    request.chime = what.audio.chime;
    request.items = what.audio.items;
    request.repeat = what.repeat;
    request.gap = what.gap;
    request.volume = what.volume;
    request.normalize = what.normalize;
    request.relay = what.relay;
    if (request.relay) request.relay->zone = schedule_->schedule.timezone;
    for (const auto& zone_id : what.zones) {
        const sch::Zone* zone = schedule_->schedule.find_zone(zone_id);
        request.zones.push_back({zone_id, output_for_(*zone), zone_level(zone_id, zone->volume)});
    }
    Broadcast b;
    b.id = what.id;
    b.title = what.title;
    b.zones = what.zones;
    b.priority = what.priority;
    b.length = what.length;
    b.audio_sha256 = what.audio.sha256;
    if (what.relay) b.source = what.relay->source;
    b.scheduled = b.measured_from = scheduled;
    b.trigger = trigger;
    b.key.operator_emergency = trigger == names::Trigger::emergency;
    b.key.scheduled = scheduled;
    b.key.priority = what.priority;
    b.key.order = sch::operator_order;
    b.key.seq = ++queued_;
    if (!b.claims()) b.who = what.who;
    return prepare_request(std::move(b), std::move(request));
}

void Scheduler::prepare(const sch::Firing& firing, names::Trigger trigger, Instant measured_from) {
    const auto& a = *firing.announcement;
    auto it = prepare(describe(*schedule_, a), firing.scheduled, trigger);
    it->max_delay = a.max_delay;
    it->measured_from = measured_from;
    it->key.order = a.order;
}

void Scheduler::due(Instant scheduled) {
    for (auto it = broadcasts_.begin(); it != broadcasts_.end();) {
        auto current = it++;
        if (current->state != Broadcast::State::preparing || current->scheduled > scheduled)
            continue;
        current->state = Broadcast::State::waiting;
        if (paused_)
            skip(current, names::Status::skipped,
                 "held by the operator (" + paused_by_ + " paused the schedule)");
    }
    cursor_ = std::max(cursor_, scheduled + milliseconds(1));
    try_start();
    plan();
}

void Scheduler::catch_up(Instant since, Instant now, const char* why) {
    const auto& tz = *schedule_->schedule.timezone;
    for (const auto& f : sch::firings_between(schedule_->schedule, since, now)) {
        const auto& a = *f.announcement;
        if (log_.is_claimed(a.id, f.scheduled)) continue;
        const sch::CatchUp decision = sch::catch_up(a, f.scheduled, now, why, tz);
        if (decision.airs && !paused_) {
            spdlog::info(
                "catching up {} of {} ({} late)", a.id, sch::format_local_time(f.scheduled, tz),
                sch::format_duration(std::chrono::round<std::chrono::seconds>(now - f.scheduled)));
            // Its max_delay counts from now, the moment it is caught up.
            prepare(f, names::Trigger::catch_up, now);
            broadcasts_.back().state = Broadcast::State::waiting;
            continue;
        }
        LogEntry e;
        e.kind = names::EntryKind::broadcast;
        e.station = schedule_->schedule.station_name;
        e.announcement_id = a.id;
        e.title = a.title;
        e.trigger = names::Trigger::schedule;
        e.zones = a.zones;
        e.scheduled = f.scheduled;
        e.schedule_sha256 = schedule_->sha256;
        if (paused_) {
            e.status = names::Status::skipped;
            e.error = "held by the operator (" + paused_by_ + " paused the schedule)";
        } else {
            e.status = names::Status::missed;
            e.error = decision.reason;
        }
        if (log_.record_not_aired(e))
            spdlog::warn("{} {}: {}", names::name(*e.status), a.id, e.error);
    }
    cursor_ = std::max(cursor_, now);
    try_start();
}

}  // namespace wardcast::daemon
