#include "daemon/scheduler.hpp"

#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "schedules/duration.hpp"
#include "schedules/timefmt.hpp"

namespace wardcast::daemon {

namespace sch = wardcast::schedules;
using std::chrono::milliseconds;

struct Scheduler::Broadcast {
    enum class State { preparing, waiting, on_air };
    const sch::Announcement* announcement = nullptr;
    Instant scheduled{};
    std::string trigger;
    audio::Player::Id player_id = 0;
    State state = State::preparing;
    std::optional<std::string> failure;  // the player could not prepare it: fails at its turn
    std::optional<std::int64_t> on_air_seq;
    std::optional<Instant> started;  // first sample out
    Instant began{};                 // when it was set playing
};

Scheduler::Scheduler(boost::asio::io_context& io, audio::Player& player, BroadcastLog& log,
                     std::function<std::string(const sch::Zone&)> output_for, WallClock clock)
    : io_(io),
      player_(player),
      log_(log),
      output_for_(std::move(output_for)),
      clock_(std::move(clock)),
      timer_(io),
      deadline_timer_(io) {}

Scheduler::~Scheduler() { *alive_ = false; }

void Scheduler::start(const LoadedSchedule& schedule) {
    schedule_ = &schedule;
    const Instant now = clock_();
    Instant since = now;
    if (auto last = log_.last_claimed()) since = std::max(*last + milliseconds(1), now - lookback);
    catch_up(since, now, "wardcastd was not running");
    plan();
}

void Scheduler::clock_stepped() {
    if (stopped_ || !schedule_) return;
    const Instant now = clock_();
    spdlog::warn("the wall clock was set: it is now {}; re-planning",
                 sch::format_instant(now, *schedule_->schedule.timezone));
    timer_.cancel();
    // Prepared broadcasts were for the old idea of "soon": drop them and plan again.
    for (auto it = broadcasts_.begin(); it != broadcasts_.end();) {
        if (it->state == Broadcast::State::preparing) {
            player_.stop(it->player_id);
            it = broadcasts_.erase(it);
        } else {
            ++it;
        }
    }
    if (now > cursor_) catch_up(cursor_, now, "the clock jumped past it");
    plan();
    try_start();
}

void Scheduler::shutdown(const std::string& reason) {
    stopped_ = true;
    timer_.cancel();
    deadline_timer_.cancel();
    const Instant now = clock_();
    for (auto& b : broadcasts_) {
        if (b.state == Broadcast::State::on_air) {
            LogEntry e = entry_for(b, "broadcast");
            e.status = "cancelled";
            e.error = reason;
            e.started = b.started;
            e.ended = now;
            if (b.started) e.lateness_ms = (*b.started - b.scheduled).count();
            log_.finish_broadcast(*b.on_air_seq, e);
            spdlog::info("cancelled {}: {}", b.announcement->id, reason);
        }
        player_.stop(b.player_id);
    }
    broadcasts_.clear();
    on_air_by_zone_.clear();
}

std::vector<std::string> Scheduler::on_air() const {
    std::vector<std::string> ids;
    for (const auto& b : broadcasts_)
        if (b.state == Broadcast::State::on_air) ids.push_back(b.announcement->id);
    return ids;
}

std::optional<sch::Firing> Scheduler::next_firing() const {
    if (!schedule_) return std::nullopt;
    auto next = sch::next_firings(schedule_->schedule, cursor_, 1);
    if (next.empty()) return std::nullopt;
    return next.front();
}

void Scheduler::arm(Instant when, std::function<void()> what) {
    auto delay = std::max(milliseconds(0), when - clock_());
    timer_.expires_after(delay);
    timer_.async_wait([this, alive = alive_, when, what = std::move(what)](
                          const boost::system::error_code& ec) {
        if (ec || !*alive || stopped_) return;
        // The timer runs on the monotonic clock; if the wall clock is slewed, wait the rest.
        if (clock_() < when - milliseconds(1)) return arm(when, what);
        what();
    });
}

void Scheduler::plan() {
    if (stopped_ || !schedule_) return;
    auto next = next_firing();
    if (!next) {
        spdlog::info("nothing more to air in the next two years");
        return;
    }
    const Instant at = next->scheduled;
    arm(at - preroll, [this, at] {
        const auto group = sch::firings_between(schedule_->schedule, at, at + milliseconds(1));
        for (const auto& f : group) {
            bool known = std::any_of(broadcasts_.begin(), broadcasts_.end(), [&](const Broadcast& b) {
                return b.announcement == f.announcement && b.scheduled == f.scheduled;
            });
            if (!known && !log_.is_claimed(f.announcement->id, f.scheduled)) prepare(f, "schedule");
        }
        arm(at, [this, at] { due(at); });
    });
}

void Scheduler::prepare(const sch::Firing& firing, const std::string& trigger) {
    const auto& a = *firing.announcement;
    const auto& sounds = schedule_->audio.at(a.order);
    audio::BroadcastRequest request;
    request.label = a.id;
    request.scheduled = firing.scheduled;
    request.chime = sounds.chime;
    request.items = sounds.items;
    request.repeat = a.repeat;
    request.gap = a.gap;
    request.volume = a.volume;
    request.normalize = a.normalize;
    for (const auto& zone_id : a.zones) {
        const sch::Zone* zone = schedule_->schedule.find_zone(zone_id);
        request.zones.push_back({zone_id, output_for_(*zone), zone->volume});
    }
    Broadcast b;
    b.announcement = &a;
    b.scheduled = firing.scheduled;
    b.trigger = trigger;
    broadcasts_.push_back(std::move(b));
    auto alive = alive_;
    broadcasts_.back().player_id = player_.prepare(
        request,
        [this, alive](audio::Player::Id id, audio::WallTime t) {
            if (*alive) on_started(id, t);
        },
        [this, alive](audio::Player::Id id, const audio::BroadcastOutcome& o) {
            if (*alive) on_done(id, o);
        });
}

void Scheduler::due(Instant scheduled) {
    for (auto& b : broadcasts_)
        if (b.state == Broadcast::State::preparing && b.scheduled <= scheduled)
            b.state = Broadcast::State::waiting;
    cursor_ = std::max(cursor_, scheduled + milliseconds(1));
    try_start();
    plan();
}

void Scheduler::catch_up(Instant since, Instant now, const char* why) {
    const auto& tz = *schedule_->schedule.timezone;
    for (const auto& f : sch::firings_between(schedule_->schedule, since, now)) {
        const auto& a = *f.announcement;
        if (log_.is_claimed(a.id, f.scheduled)) continue;
        const auto late = now - f.scheduled;
        if (late <= a.catch_up) {
            spdlog::info("catching up {} of {} ({} late)", a.id, sch::format_local_time(f.scheduled, tz),
                         sch::format_duration(std::chrono::round<std::chrono::seconds>(late)));
            prepare(f, "catch-up");
            broadcasts_.back().state = Broadcast::State::waiting;
            continue;
        }
        LogEntry e;
        e.kind = "broadcast";
        e.station = schedule_->schedule.station_name;
        e.announcement_id = a.id;
        e.title = a.title;
        e.trigger = "schedule";
        e.zones = a.zones;
        e.scheduled = f.scheduled;
        e.status = "missed";
        e.error = std::string(why) + " at " + sch::format_local_time(f.scheduled, tz) + "; " +
                  sch::format_duration(std::chrono::floor<std::chrono::seconds>(late)) +
                  " late, more than catch_up " + sch::format_duration(a.catch_up);
        e.schedule_sha256 = schedule_->sha256;
        if (log_.record_not_aired(e)) spdlog::warn("missed {}: {}", a.id, e.error);
    }
    cursor_ = std::max(cursor_, now);
    try_start();
}

void Scheduler::try_start() {
    if (stopped_) return;
    const Instant now = clock_();
    const auto& tz = *schedule_->schedule.timezone;
    struct Busy {
        Instant until;
        std::string by;
    };
    std::map<std::string, Busy> busy;  // zone -> when it is expected to be free, and with what
    for (const auto& [zone, b] : on_air_by_zone_) {
        // Still on air past its expected end: count it busy a moment longer.
        Instant end = b->began + schedule_->durations.at(b->announcement->order);
        busy[zone] = {std::max(end, now + milliseconds(1)), b->announcement->id};
    }
    std::optional<Instant> next_deadline;
    for (auto it = broadcasts_.begin(); it != broadcasts_.end();) {
        auto current = it++;
        Broadcast& b = *current;
        if (b.state != Broadcast::State::waiting) continue;
        const auto& a = *b.announcement;
        Instant can_start = now;
        const Busy* blocker = nullptr;
        for (const auto& z : a.zones) {
            auto found = busy.find(z);
            if (found != busy.end() && found->second.until > can_start) {
                can_start = found->second.until;
                blocker = &found->second;
            }
        }
        const sch::Duration length = schedule_->durations.at(a.order);
        if (can_start > b.scheduled + a.max_delay) {
            skip(current, "skipped",
                 "zones busy with " + blocker->by + " until " + sch::format_local_time(blocker->until, tz) +
                     "; waited longer than max_delay " + sch::format_duration(a.max_delay));
            continue;
        }
        if (blocker) {  // waits in line: its zones are promised to it after the blocker
            for (const auto& z : a.zones) busy[z] = {can_start + length, a.id};
            Instant deadline = b.scheduled + a.max_delay + milliseconds(1);
            next_deadline = next_deadline ? std::min(*next_deadline, deadline) : deadline;
            continue;
        }
        if (now - b.scheduled > std::chrono::seconds(1) && a.priority != sch::Priority::emergency) {
            auto local = tz.to_local(std::chrono::floor<std::chrono::seconds>(now));
            sch::TimeOfDay time_of_day = local - std::chrono::floor<date::days>(local);
            auto quiet = std::find_if(schedule_->schedule.quiet_hours.begin(),
                                      schedule_->schedule.quiet_hours.end(),
                                      [&](const sch::QuietHours& q) { return q.contains(time_of_day); });
            if (quiet != schedule_->schedule.quiet_hours.end()) {
                skip(current, "skipped",
                     "would start at " + sch::format_local_time(now, tz) + ", inside quiet hours " +
                         sch::format_time_of_day(quiet->from) + "-" + sch::format_time_of_day(quiet->to));
                continue;
            }
        }
        for (const auto& z : a.zones) busy[z] = {now + length, a.id};
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
    e.kind = kind;
    e.station = schedule_->schedule.station_name;
    e.announcement_id = b.announcement->id;
    e.title = b.announcement->title;
    e.trigger = b.trigger;
    e.zones = b.announcement->zones;
    e.scheduled = b.scheduled;
    e.audio_sha256 = schedule_->audio.at(b.announcement->order).sha256;
    e.schedule_sha256 = schedule_->sha256;
    return e;
}

void Scheduler::begin(BroadcastList::iterator it) {
    Broadcast& b = *it;
    const bool claim = b.trigger == "schedule" || b.trigger == "catch-up";
    auto seq = log_.begin_broadcast(entry_for(b, "on_air"), claim);
    if (!seq) {  // aired (or was settled) before a restart or clock step: never twice
        player_.stop(b.player_id);
        broadcasts_.erase(it);
        return;
    }
    b.on_air_seq = *seq;
    b.began = clock_();
    if (b.failure) {
        LogEntry e = entry_for(b, "broadcast");
        e.status = "failed";
        e.error = *b.failure;
        e.ended = b.began;
        log_.finish_broadcast(*seq, e);
        spdlog::error("failed {}: {}", b.announcement->id, *b.failure);
        player_.stop(b.player_id);
        broadcasts_.erase(it);
        return;
    }
    b.state = Broadcast::State::on_air;
    for (const auto& z : b.announcement->zones) on_air_by_zone_[z] = it;
    player_.start(b.player_id);
}

void Scheduler::skip(BroadcastList::iterator it, const std::string& status, const std::string& reason) {
    Broadcast& b = *it;
    LogEntry e = entry_for(b, "broadcast");
    e.status = status;
    e.error = reason;
    if (log_.record_not_aired(e)) spdlog::warn("{} {}: {}", status, b.announcement->id, reason);
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
    spdlog::info("on air: {} on {} ({} ms late)", it->announcement->id, fmt::join(it->announcement->zones, ","),
                 (started - it->scheduled).count());
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
    LogEntry e = entry_for(b, "broadcast");
    using Status = audio::BroadcastOutcome::Status;
    e.status = outcome.status == Status::played   ? "played"
               : outcome.status == Status::failed ? "failed"
                                                  : "cancelled";
    e.error = outcome.error;
    e.started = outcome.started ? outcome.started : b.started;
    e.ended = outcome.ended;
    if (e.started) e.lateness_ms = (*e.started - b.scheduled).count();
    log_.finish_broadcast(*b.on_air_seq, e);
    if (e.status == "failed")
        spdlog::error("failed {}: {}", b.announcement->id, e.error);
    else
        spdlog::info("{} {}", e.status, b.announcement->id);
    for (auto z = on_air_by_zone_.begin(); z != on_air_by_zone_.end();)
        z = z->second == it ? on_air_by_zone_.erase(z) : std::next(z);
    broadcasts_.erase(it);
    try_start();
}

}  // namespace wardcast::daemon
