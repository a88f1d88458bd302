// Instance's reload: the schedule file read, validated, spoken and measured on a thread of its
// own while the schedule in force airs, then put in force at once on the event loop.

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <boost/asio/post.hpp>

#include "common/names.hpp"
#include "daemon/instance.hpp"
#include "schedules/timefmt.hpp"

namespace wardcast::daemon {

namespace sch = wardcast::schedules;

namespace {

/// Everything about an announcement that changes what or when it airs, as one text.
std::string fingerprint(const sch::Announcement& a, const AnnouncementAudio& audio) {
    std::string f = a.title + '\n' + std::to_string(a.volume) + '\n' + std::to_string(a.repeat) +
                    '\n' + std::to_string(a.gap.count()) + '\n' +
                    std::string(names::name(a.priority)) + '\n' +
                    std::to_string(a.max_delay.count()) + '\n' +
                    std::to_string(a.catch_up.count()) + '\n' + (a.normalize ? "n" : "-") +
                    std::to_string(a.days) + ',' + std::to_string(a.monthdays) + '\n';
    for (const auto& z : a.zones) f += z + ',';
    for (const auto& h : audio.sha256) f += h + ',';
    if (a.tts) f += a.tts->voice + ':' + a.tts->text;
    if (a.relay)
        f += a.relay->source + ' ' + std::to_string(a.relay->duration.count()) + ' ' +
             std::to_string(a.relay->start_timeout.count());
    if (a.window_from) f += sch::format_date(*a.window_from);
    f += '-';
    if (a.window_until) f += sch::format_date(*a.window_until);
    for (const auto& d : a.dates) f += sch::format_date(d) + ',';
    f += '|';
    for (const auto& d : a.except) f += sch::format_date(d) + ',';
    for (const auto& t : a.times) f += sch::format_time_of_day(t.time) + ',';
    return f;
}

}  // namespace

/// What the reload thread hands back to the loop: the schedule ready to air, or why not.
struct Instance::ReloadOutcome {
    std::unique_ptr<LoadedSchedule> fresh;
    std::vector<std::string> errors;  // FILE:LINE:COLUMN: error: ... when fresh is null
    std::string failure;              // the one-line reason when fresh is null
};

void Instance::reload(const Who& who, ReloadDone done) {
    // Never two at once: a reload asked meanwhile waits, then reads the file again (it may
    // have been saved after the running one read it). Every caller waiting gets that result.
    auto& line = reload_thread_.joinable() ? reload_queued_ : reload_running_;
    line.push_back({who, std::move(done)});
    if (!reload_thread_.joinable()) start_reload();
}

void Instance::start_reload() {
    // systemd shows the unit "reloading" until READY=1, which comes whatever the outcome: a
    // failed reload leaves the old schedule in force, still serving.
    notify_.reloading();
    spdlog::info("reloading the schedule {}", options_.schedule.string());
    reload_thread_ = std::thread([this] {
        // Speech, probes and loudness analysis take the CPU in bursts (with GStreamer threads
        // of their own, which inherit this): on a 2-core machine the event loop that starts
        // broadcasts must win it. Per thread on Linux; failure only costs that margin.
        ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), reload_nice);
        auto outcome = std::make_shared<ReloadOutcome>();
        try {
            outcome->fresh = load_for_air(options_.schedule, library_);
            // Measured now, so that preparing a broadcast never waits for it.
            for (const auto& sounds : outcome->fresh->audio) {
                if (sounds.chime) loudness_.gain_db(*sounds.chime);
                for (const auto& item : sounds.items) loudness_.gain_db(item);
            }
        } catch (const InvalidSchedule& e) {
            outcome->fresh.reset();
            outcome->failure = e.what();
            for (const auto& d : e.diagnostics)
                if (d.severity == sch::Diagnostic::Severity::error)
                    outcome->errors.push_back(d.to_string());
        } catch (const std::exception& e) {
            outcome->fresh.reset();
            outcome->failure = e.what();
            outcome->errors.push_back(options_.schedule.string() + ": error: " + e.what());
        }
        boost::asio::post(io_, [this, outcome] { finish_reload(*outcome); });
    });
}

void Instance::finish_reload(ReloadOutcome& outcome) {
    reload_thread_.join();
    ReloadResult r;
    if (!outcome.fresh) {
        r.errors = outcome.errors;
        r.sha256 = schedule_->sha256;
        r.failure = outcome.failure;
    } else {
        r = put_in_force(std::move(outcome.fresh));
    }
    auto callers = std::move(reload_running_);
    reload_running_ = std::move(reload_queued_);
    reload_queued_.clear();
    for (auto& caller : callers) caller.done(r);  // each is recorded by the command table
    notify_.ready();
    update_status();
    if (!reload_running_.empty()) start_reload();
}

ReloadResult Instance::put_in_force(std::unique_ptr<LoadedSchedule> fresh) {
    ReloadResult r;
    const auto& old_s = schedule_->schedule;
    for (const auto& a : fresh->schedule.announcements) {
        const sch::Announcement* before = old_s.find_announcement(a.id);
        if (!before)
            r.added.push_back(a.id);
        else if (fingerprint(*before, schedule_->audio.at(before->order)) !=
                 fingerprint(a, fresh->audio.at(a.order)))
            r.changed.push_back(a.id);
    }
    for (const auto& a : old_s.announcements)
        if (!fresh->schedule.find_announcement(a.id)) r.removed.push_back(a.id);
    r.ok = true;
    r.sha256 = fresh->sha256;
    for (const auto& w : fresh->warnings) spdlog::warn("{}", w.to_string());
    // One step on the loop: from here on the new schedule airs, nothing of the old is planned.
    scheduler_->replace_schedule(*fresh);
    schedule_ = std::move(fresh);  // the scheduler holds copies of what is on air: safe to drop
    schedule_since_ = wall_now();
    record_schedule_in_force(names::LoadReason::reload);
    return r;
}

}  // namespace wardcast::daemon
