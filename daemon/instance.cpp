#include "daemon/instance.hpp"

#include <glob.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <cstdlib>

#include "audio/gst_player.hpp"
#include "schedules/timefmt.hpp"

namespace wardcast::daemon {

namespace {
Instant wall_now() {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

std::unique_ptr<LoadedSchedule> load_or_throw(const Options& o, audio::AudioLibrary& library) {
    spdlog::info("reading the schedule {}", o.schedule.string());
    return load_for_air(o.schedule, library);
}
}  // namespace

bool sound_device_present() {
    glob_t g{};
    bool alsa = ::glob("/dev/snd/pcmC*D*p", 0, nullptr, &g) == 0 && g.gl_pathc > 0;
    ::globfree(&g);
    if (alsa) return true;
    if (std::getenv("PULSE_SERVER")) return true;
    if (const char* runtime = std::getenv("XDG_RUNTIME_DIR")) {
        std::error_code ec;
        if (std::filesystem::exists(std::filesystem::path(runtime) / "pulse/native", ec)) return true;
    }
    return false;
}

Instance::Instance(Options options)
    : options_(std::move(options)),
      signals_(io_, SIGTERM, SIGINT),
      library_(audio::default_cache_dir()),
      loudness_(audio::default_cache_dir()),
      schedule_(load_or_throw(options_, library_)),
      log_(options_.db) {
    for (const auto& w : schedule_->warnings) spdlog::warn("{}", w.to_string());
    // Measure every file's loudness now, so that preparing a broadcast never waits for it.
    for (const auto& sounds : schedule_->audio) {
        if (sounds.chime) loudness_.gain_db(*sounds.chime);
        for (const auto& item : sounds.items) loudness_.gain_db(item);
    }
    log_.remember_schedule(schedule_->sha256, schedule_->text, options_.schedule.string());
    record_interrupted();

    have_sound_device_ = sound_device_present();
    bool uses_auto = false;
    for (const auto& z : schedule_->schedule.zones) uses_auto |= z.output == "auto";
    if (uses_auto && !have_sound_device_) {
        if (options_.fallback_output.empty())
            spdlog::warn("no sound device found: zones with output auto will fail until one appears");
        else
            spdlog::warn("no sound device found: zones with output auto play to {} instead",
                         options_.fallback_output);
    }

    auto player = std::make_unique<audio::GstPlayer>(io_, &loudness_);
    player->set_warning_handler(
        [](audio::Player::Id, const std::string& warning) { spdlog::warn("GStreamer: {}", warning); });
    player_ = std::move(player);
    scheduler_ = std::make_unique<Scheduler>(
        io_, *player_, log_, [this](const schedules::Zone& z) { return output_for(z); }, wall_now);
    clock_watch_ = std::make_unique<ClockWatch>(io_, [this] { scheduler_->clock_stepped(); });
}

Instance::~Instance() = default;

std::string Instance::output_for(const schedules::Zone& zone) const {
    if (zone.output == "auto" && !have_sound_device_ && !options_.fallback_output.empty())
        return options_.fallback_output;
    return zone.output;
}

void Instance::record_interrupted() {
    for (auto on_air : log_.open_broadcasts()) {
        LogEntry e = on_air;
        e.kind = "broadcast";
        e.status = "interrupted";
        e.error = "wardcastd stopped while this was on air (found at start-up)";
        e.uid.reset();
        log_.finish_broadcast(on_air.seq, e);
        spdlog::warn("interrupted: {} (on air since the log's entry {} when wardcastd stopped)",
                     on_air.announcement_id, on_air.seq);
    }
}

void Instance::on_signal(int signal) {
    spdlog::info("{} received: stopping", signal == SIGTERM ? "SIGTERM" : "SIGINT");
    scheduler_->shutdown("wardcastd was stopped (shutdown)");
    clock_watch_.reset();
    io_.stop();
}

int Instance::run() {
    signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
        if (!ec) on_signal(signal);
    });
    scheduler_->start(*schedule_);
    const auto& s = schedule_->schedule;
    if (auto next = scheduler_->next_firing())
        spdlog::info("{}: {} announcements; next: {} at {}", s.station_name, s.announcements.size(),
                     next->announcement->id, schedules::format_local(next->scheduled, *s.timezone));
    io_.run();
    return 0;
}

}  // namespace wardcast::daemon
