// Instance as the Controller: what operators ask for over the control socket (SPEC §5).

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cassert>

#include "common/names.hpp"
#include "common/protocol.hpp"
#include "daemon/instance.hpp"
#include "schedules/duration.hpp"
#include "schedules/engine.hpp"
#include "schedules/relay_source.hpp"
#include "schedules/timefmt.hpp"
#include "wardcast/version.hpp"

namespace wardcast::daemon {

namespace sch = wardcast::schedules;

namespace err = protocol::err;

void Instance::record_operator(const Who& who, const std::string& command,
                               const std::string& result) {
    LogEntry e;
    e.kind = names::EntryKind::operator_command;
    e.station = schedule_->schedule.station_name;
    e.uid = who.uid;
    e.user = who.user;
    e.command = command;
    e.result = result;
    e.schedule_sha256 = schedule_->sha256;
    log_.record_operator(e);
    spdlog::info("operator {} (uid {}): {} — {}", who.user, who.uid, command, result);
    publish({{"event", protocol::event::operator_command},
             {"user", who.user},
             {"uid", who.uid},
             {"command", command},
             {"result", result},
             {"at", format_utc(wall_now())}});
}

StationClock Instance::clock() { return {wall_now(), schedule_->schedule.timezone_name}; }

void Instance::publish(const nlohmann::json& event) {
    // A sink may unsubscribe (its client went away) while we walk the map: copy first.
    auto sinks = subscribers_;
    for (auto& [token, sink] : sinks) sink(event);
}

int Instance::subscribe(EventSink sink) {
    subscribers_[++next_token_] = std::move(sink);
    return next_token_;
}

void Instance::unsubscribe(int token) { subscribers_.erase(token); }

const sch::Zone& Instance::zone_or_throw(const std::string& zone) const {
    if (const sch::Zone* z = schedule_->schedule.find_zone(zone)) return *z;
    std::vector<std::string> ids;
    for (const auto& z : schedule_->schedule.zones) ids.push_back(z.id);
    auto hint = sch::closest_match(zone, ids);
    throw ControlError(err::not_found, "no zone '" + zone + "' in the schedule" +
                                           (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
}

StatusInfo Instance::status() {
    StatusInfo s;
    const auto& sc = schedule_->schedule;
    s.station = sc.station_name;
    s.timezone = sc.timezone_name;
    s.version = wardcast::version;
    s.on_air = scheduler_->on_air();
    if (auto n = scheduler_->next_firing())
        s.next = NextInfo{n->announcement->id, n->announcement->title, n->announcement->zones,
                          n->scheduled};
    s.paused = scheduler_->paused();
    s.paused_until = scheduler_->paused_until();
    s.schedule_path = options_.schedule.string();
    s.schedule_sha256 = schedule_->sha256;
    s.schedule_since = schedule_since_;
    s.daemon_since = daemon_since_;
    s.now = wall_now();
    if (auto f = log_.fault()) s.faults.push_back({"log", f->reason, f->since, f->held});
    return s;
}

std::vector<NextInfo> Instance::next(std::size_t n) {
    std::vector<NextInfo> out;
    auto from = scheduler_->next_firing();
    if (!from) return out;
    for (const auto& f : sch::next_firings(schedule_->schedule, from->scheduled, n))
        out.push_back(
            {f.announcement->id, f.announcement->title, f.announcement->zones, f.scheduled});
    return out;
}

void Instance::play(const std::string& id, const std::optional<std::string>& zone, const Who& who) {
    const auto& sc = schedule_->schedule;
    const sch::Announcement* a = sc.find_announcement(id);
    if (!a) {
        std::vector<std::string> ids;
        for (const auto& x : sc.announcements) ids.push_back(x.id);
        auto hint = sch::closest_match(id, ids);
        throw ControlError(err::not_found,
                           "no announcement '" + id + "' in the schedule" +
                               (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
    }
    Scheduler::AdHoc b = Scheduler::describe(*schedule_, *a);
    if (zone) b.zones = {zone_or_throw(*zone).id};
    b.who = who;
    scheduler_->air_now(b);
}

void Instance::announce(const AnnounceRequest& r, const Who& who) {
    Scheduler::AdHoc b;
    b.priority = r.priority;
    b.who = who;
    for (const auto& z : r.zones) b.zones.push_back(zone_or_throw(z).id);
    if (b.zones.empty())
        for (const auto& z : schedule_->schedule.zones) b.zones.push_back(z.id);
    // An emergency cuts in at once, before its file is measured or its text spoken.
    if (b.priority == sch::Priority::emergency)
        scheduler_->preempt(b.zones, "interrupted by an emergency message from " + who.user);
    if (r.file) {
        auto measured = library_.file_length(*r.file);
        if (!measured.length)
            throw ControlError(err::failed, "cannot air " + *r.file + ": " + measured.error);
        b.audio.items = {*r.file};
        b.length = *measured.length;
        b.title = std::filesystem::path(*r.file).filename().string();
    } else {
        assert(r.tts);  // the command table lets through exactly one of file and tts
        sch::Tts tts{*r.tts, r.voice, {}};
        auto measured = library_.tts_length(tts);
        if (!measured.length)
            throw ControlError(err::failed, "cannot speak the message: " + measured.error);
        b.audio.items = {library_.tts_file(tts)};
        b.length = *measured.length;
        b.title = r.tts->size() > 80 ? r.tts->substr(0, 77) + "..." : *r.tts;
    }
    for (const auto& item : b.audio.items)
        b.audio.sha256.push_back(library_.content_hash(item).value_or(""));
    b.id = b.priority == sch::Priority::emergency ? "emergency" : "announce";
    scheduler_->air_now(b);
}

std::string Instance::live(const LiveRequest& r, const Who& who) {
    const auto& sc = schedule_->schedule;
    const std::string source =
        r.source ? *r.source : (sc.live_source ? sc.live_source->source : "alsa:default");
    if (auto form = schedules::parse_relay_source(source);
        std::holds_alternative<std::string>(form))
        throw ControlError(err::bad_argument, "live: " + std::get<std::string>(form));
    Scheduler::AdHoc b;
    b.id = "live";
    b.title = "Live: " + source;
    b.priority = r.priority;
    b.who = who;
    for (const auto& z : r.zones) b.zones.push_back(zone_or_throw(z).id);
    if (b.zones.empty())
        for (const auto& z : sc.zones) b.zones.push_back(z.id);
    b.relay = audio::RelaySource{source, r.max, live_start_timeout};
    b.length = r.max;
    // An emergency stops what is on air on its zones first (Scheduler::air_now).
    scheduler_->air_now(b);
    return source;
}

std::vector<std::string> Instance::stop(const Who& who) {
    return scheduler_->stop_all("stopped by " + who.user + " (operator)");
}

void Instance::pause(const std::optional<Instant>& until, const Who& who) {
    scheduler_->pause(until, who.user);
    update_status();
}

void Instance::resume(const Who&) {
    scheduler_->resume();
    update_status();
}

void Instance::volume(const std::optional<std::string>& zone, double level, const Who&) {
    if (zone) zone_or_throw(*zone);
    scheduler_->set_volume(zone, level);
}

}  // namespace wardcast::daemon
