#include "daemon/instance.hpp"

#include <pwd.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cstdlib>

#include "audio/gst_player.hpp"
#include "audio/sound_device.hpp"
#include "audio/start_timing.hpp"
#include "daemon/command_table.hpp"
#include "schedules/engine.hpp"
#include "schedules/timefmt.hpp"

namespace wardcast::daemon {

Instant wall_now() {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now());
}

namespace {

namespace sch = wardcast::schedules;

std::unique_ptr<LoadedSchedule> load_or_throw(const Options& o, audio::AudioLibrary& library) {
    spdlog::info("reading the schedule {}", o.schedule.string());
    return load_for_air(o.schedule, library);
}
}  // namespace

namespace {
std::string status_body(const StatusInfo& s, const date::time_zone& zone);
}

std::string status_line(const StatusInfo& s, const date::time_zone& zone) {
    std::string faults;
    for (const auto& f : s.faults)
        if (f.what == protocol::fault::log)
            faults += "LOG NOT WRITTEN (" + f.reason + "), " + std::to_string(f.held) +
                      (f.held == 1 ? " entry" : " entries") + " held; ";
    std::string line = faults + status_body(s, zone);
    std::replace(line.begin(), line.end(), '\n', ' ');
    return line;
}

namespace {
std::string status_body(const StatusInfo& s, const date::time_zone& zone) {
    auto when = [&](Instant t) {
        return sch::format_date(sch::local_date_of(zone, t)) + ' ' +
               sch::format_local_time(t, zone) + " (station time)";
    };
    std::string paused;
    if (s.paused)
        paused = s.paused_until ? "Paused until " + when(*s.paused_until) : "Paused until resumed";
    std::string line;
    for (const auto& a : s.on_air) {
        line += line.empty() ? "On air: " : "; ";
        line += a.announcement + " (";
        for (std::size_t i = 0; i < a.zones.size(); ++i) line += (i ? ", " : "") + a.zones[i];
        line += ')';
        if (a.length.count() > 0) {
            const Instant end =
                std::chrono::round<std::chrono::seconds>(a.started.value_or(s.now) + a.length);
            line += " until " + sch::format_local(end, zone).substr(11);
        }
    }
    if (!line.empty()) return paused.empty() ? line : line + "; " + paused;
    if (!paused.empty()) return paused;
    if (s.next) return "Idle; next: " + s.next->announcement + " at " + when(s.next->scheduled);
    return "No broadcasts scheduled";
}
}  // namespace

Instance::Instance(Options options)
    : options_(std::move(options)),
      notify_(io_),
      signals_(io_, SIGTERM, SIGINT),
      reload_signal_(io_, SIGHUP),
      digest_timer_(io_),
      status_timer_(io_),
      log_retry_timer_(io_),
      library_(audio::default_cache_dir()),
      loudness_(audio::default_cache_dir()),
      schedule_(load_or_throw(options_, library_)),
      log_(options_.db) {
    log_.on_fault([this](const std::optional<LogFault>& fault) {
        // Inside a write, maybe halfway through the scheduler's work: act once it is done.
        boost::asio::post(io_, [this, fault] { on_log_fault(fault); });
    });
    if (log_.fault()) on_log_fault(log_.fault());  // opened read-only
    for (const auto& w : schedule_->warnings) spdlog::warn("{}", w.to_string());
    // Measure every file's loudness now, so that preparing a broadcast never waits for it.
    for (const auto& sounds : schedule_->audio) {
        if (sounds.chime) loudness_.gain_db(*sounds.chime);
        for (const auto& item : sounds.items) loudness_.gain_db(item);
    }
    record_interrupted();
    record_schedule_in_force(names::LoadReason::start);

    bool uses_auto = false;
    for (const auto& z : schedule_->schedule.zones) uses_auto |= z.output == "auto";
    const auto device = audio::find_sound_device(audio::this_process_search());
    have_sound_device_ = device.present();
    if (uses_auto && have_sound_device_) spdlog::info("output auto plays to {}", device.where);
    if (uses_auto && !have_sound_device_) {
        for (const auto& place : device.tried) spdlog::info("looked for a sound device: {}", place);
        if (options_.fallback_output.empty())
            spdlog::warn(
                "no sound device found: zones with output auto will fail until one appears");
        else
            spdlog::warn("no sound device found: zones with output auto play to {} instead",
                         options_.fallback_output);
    }

    // On-time starts: realtime output threads and locked memory, where permitted.
    const audio::StartTiming timing =
        audio::apply_start_timing(audio::plan_start_timing(audio::this_process_facts()));
    spdlog::info("{}", timing.summary);
    auto player = std::make_unique<audio::GstPlayer>(io_, &loudness_);
    player->set_output_priority(timing.output_priority);
    player->set_warning_handler([](audio::Player::Id, const std::string& warning) {
        spdlog::warn("GStreamer: {}", warning);
    });
    player_ = std::move(player);
    time_ = std::make_unique<AsioTime>(io_, wall_now);
    scheduler_ = std::make_unique<Scheduler>(
        *time_, *player_, log_, [this](const schedules::Zone& z) { return output_for(z); });
    scheduler_->on_event([this](const nlohmann::json& event) {
        publish(event);
        // A broadcast started or ended; the scheduler reports an end before it forgets the
        // broadcast, so look once it is done.
        boost::asio::post(io_, [this] { update_status(); });
    });
    daemon_since_ = schedule_since_ = wall_now();
    clock_watch_ = std::make_unique<ClockWatch>(io_, [this](std::chrono::nanoseconds moved) {
        scheduler_->clock_stepped(moved);
        update_status();
    });
    ControlServerOptions control;
    control.socket_path = options_.socket;
    control_ = std::make_unique<ControlServer>(io_, *this, control);
    spdlog::info("listening on {}{}", control_->path(),
                 control_->inherited() ? " (from systemd)" : "");
}

Instance::~Instance() {
    if (control_) control_->stop();
    if (reload_thread_.joinable()) reload_thread_.join();  // it uses the library and analyzer
}

std::string Instance::output_for(const schedules::Zone& zone) const {
    if (zone.output == "auto" && !have_sound_device_ && !options_.fallback_output.empty())
        return options_.fallback_output;
    return zone.output;
}

void Instance::record_schedule_in_force(names::LoadReason why) {
    log_.remember_schedule(schedule_->sha256, schedule_->text, options_.schedule.string());
    // Auditors' reports plan from the schedule in force: this entry says from when.
    LogEntry e;
    e.kind = names::EntryKind::operator_command;
    e.station = schedule_->schedule.station_name;
    e.command = names::load_schedule_entry(options_.schedule.string(), why);
    e.result = "ok";
    e.uid = ::getuid();
    if (const passwd* pw = ::getpwuid(::getuid())) e.user = pw->pw_name;
    e.schedule_sha256 = schedule_->sha256;
    log_.record_operator(e);
}

void Instance::record_interrupted() {
    for (auto on_air : log_.open_broadcasts()) {
        LogEntry e = on_air;
        e.kind = names::EntryKind::broadcast;
        e.status = names::Status::interrupted;
        e.error = "wardcastd stopped while this was on air (found at start-up)";
        e.uid.reset();
        log_.finish_broadcast(on_air.seq, e);
        spdlog::warn("interrupted: {} (on air since the log's entry {} when wardcastd stopped)",
                     on_air.announcement_id, on_air.seq);
    }
}

void Instance::log_digest(const char* when) {
    // The last entry's hash, written where the log's owner cannot rewrite it (the journal, a
    // printout): an anchor that shows if the whole chain was recomputed after the fact.
    try {
        if (auto last = log_.last_entry())
            spdlog::info("log digest ({}): entry {} hash {}{}", when, last->first, last->second,
                         log_.fault() ? " (entries after it are held, not written yet)" : "");
    } catch (const std::exception& e) {
        spdlog::error("log digest ({}): {}", when, e.what());
    }
}

void Instance::write_held_or_tell() {
    // Stopping with entries held: one last try, else they go to the journal, which outlives
    // the process, rather than nowhere.
    for (;;) {  // batch after batch while they go in
        if (!log_.fault()) return;
        const std::size_t before = log_.fault()->held;
        if (log_.retry()) return;
        if (log_.fault()->held >= before) break;
    }
    const auto held = log_.held_entries();
    spdlog::critical(
        "broadcast log {} could not be written ({}): {} entries follow here, never "
        "written to it",
        log_.path().string(), log_.fault()->reason, held.size());
    for (const auto& e : held)
        spdlog::critical("unwritten log entry {} {} {} {} {} {} {}", e.seq, names::name(e.kind),
                         format_utc(e.recorded_at), e.announcement_id,
                         names::name_or_empty(e.status), e.command,
                         e.result.empty() ? e.error : e.result);
}

void Instance::arm_daily_digest() {
    const auto& tz = *schedule_->schedule.timezone;
    auto tomorrow = schedules::local_date_of(tz, wall_now()) + date::days(1);
    digest_timer_.expires_at(std::chrono::system_clock::time_point(
        schedules::local_to_instant(tz, tomorrow, schedules::TimeOfDay{0})));
    digest_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) return;
        log_digest("end of day");
        arm_daily_digest();
    });
}

void Instance::on_signal(int signal) {
    spdlog::info("{} received: stopping", signal == SIGTERM ? "SIGTERM" : "SIGINT");
    notify_.stopping();  // what follows (cancelled broadcasts) no longer changes STATUS=
    control_->stop();
    scheduler_->shutdown("wardcastd was stopped (shutdown)");
    write_held_or_tell();
    log_digest("stop");
    digest_timer_.cancel();
    status_timer_.cancel();
    reload_signal_.cancel();
    clock_watch_.reset();
    io_.stop();
}

void Instance::update_status() {
    if (!notify_.enabled()) return;
    const StatusInfo s = status();
    notify_.status(status_line(s, *schedule_->schedule.timezone));
    // Nothing reports a pause running out or a firing skipped unaired: look again then. At
    // least a second apart, so that a firing being handled late cannot make this spin.
    std::optional<Instant> again;
    if (s.paused_until)
        again = *s.paused_until;
    else if (s.next && !s.paused)
        again = s.next->scheduled + std::chrono::seconds(1);
    status_timer_.cancel();
    if (!again) return;
    status_timer_.expires_after(
        std::max<std::chrono::milliseconds>(std::chrono::seconds(1), *again - s.now));
    status_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) update_status();
    });
}

void Instance::on_log_fault(const std::optional<LogFault>& fault) {
    nlohmann::json event = {{"event", protocol::event::fault},
                            {"what", protocol::fault::log},
                            {"at", format_utc(wall_now())}};
    if (fault) {
        spdlog::error(
            "broadcast log {} cannot be written ({}): broadcasts go on, their entries are held "
            "in memory and written once it can (wardcastd stops above {} held)",
            log_.path().string(), fault->reason, BroadcastLog::max_held);
        log_fault_told_ = std::chrono::steady_clock::now();
        event.update({{"state", protocol::fault::begun},
                      {"reason", fault->reason},
                      {"since", format_utc(fault->since)},
                      {"held", log_.fault() ? log_.fault()->held : fault->held}});
        arm_log_retry(log_retry_interval);
    } else {
        spdlog::info("broadcast log {} is written again: every held entry is in it",
                     log_.path().string());
        event["state"] = protocol::fault::cleared;
        log_retry_timer_.cancel();
    }
    publish(event);
    update_status();
}

void Instance::arm_log_retry(std::chrono::milliseconds after) {
    log_retry_timer_.expires_after(after);
    log_retry_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) return;
        const std::size_t held_before = log_.fault() ? log_.fault()->held : 0;
        const bool done = log_.retry();  // a cleared fault is reported through on_fault
        auto fault = log_.fault();
        if (done || !fault) return;
        const auto now = std::chrono::steady_clock::now();
        if (now - log_fault_told_ >= std::chrono::minutes(1)) {
            log_fault_told_ = now;
            spdlog::error("broadcast log {} still cannot be written ({}) since {}: {} entries held",
                          log_.path().string(), fault->reason, format_utc(fault->since),
                          fault->held);
        }
        update_status();
        // A batch went in but more are held: go on at once; else wait for the medium.
        arm_log_retry(fault->held < held_before ? std::chrono::milliseconds(0)
                                                : log_retry_interval);
    });
}

void Instance::wait_for_reload_signal() {
    reload_signal_.async_wait([this](const boost::system::error_code& ec, int) {
        if (ec) return;
        // The same command as `wardcastctl reload`, dispatched (and recorded) the same way.
        Who who{static_cast<std::uint32_t>(::getuid()), "SIGHUP"};
        auto log_errors = [](const nlohmann::json& reply) {
            auto error = reply.value("error", nlohmann::json::object());
            for (const auto& e : error.value("errors", nlohmann::json::array()))
                spdlog::error("{}", e.get<std::string>());
        };
        bool watch = false;
        auto reply =
            dispatch_in_pieces(*this, {nullptr, protocol::cmd::reload}, who, watch, log_errors);
        if (auto* now = std::get_if<nlohmann::json>(&reply)) log_errors(*now);
        wait_for_reload_signal();
    });
}

int Instance::run() {
    signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
        if (!ec) on_signal(signal);
    });
    wait_for_reload_signal();
    scheduler_->start(*schedule_);
    log_digest("start");
    arm_daily_digest();
    const auto& s = schedule_->schedule;
    if (auto next = scheduler_->next_firing())
        spdlog::info("{}: {} announcements; next: {} at {}", s.station_name, s.announcements.size(),
                     next->announcement->id, schedules::format_local(next->scheduled, *s.timezone));
    // The schedule is loaded, the log open and the socket listening (the constructor did
    // those, throwing on failure; clients connecting now wait in the backlog until the loop
    // runs, a moment later): ready, as MPD does.
    update_status();
    notify_.start_watchdog();
    notify_.ready();
    try {
        io_.run();
    } catch (const LogOverflow&) {
        write_held_or_tell();  // what memory held goes to the journal before the exit
        throw;
    }
    return 0;
}

}  // namespace wardcast::daemon
