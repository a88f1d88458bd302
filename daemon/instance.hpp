#pragma once
// wardcastd's one owner of every component, built in dependency order (MPD's Instance).

#include <utility>  // before Asio: asio#944 with GCC 12
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "audio/audio_library.hpp"
#include "audio/loudness.hpp"
#include "audio/player.hpp"
#include "daemon/broadcast_log.hpp"
#include "daemon/clock_watch.hpp"
#include "daemon/loaded_schedule.hpp"
#include "daemon/scheduler.hpp"

namespace wardcast::daemon {

/// What wardcastd was asked to do (SPEC §7).
struct Options {
    std::filesystem::path schedule;
    std::filesystem::path db;
    std::filesystem::path socket;
    /// Where zones with output `auto` play when this machine has no sound device; empty: they
    /// fail at air time (and are logged failed, never played).
    std::string fallback_output;
};

/// Owns the event loop and every component. Construction loads the schedule (throws
/// InvalidSchedule) and opens the log (throws std::runtime_error); run() airs until a
/// SIGTERM or SIGINT.
class Instance {
public:
    explicit Instance(Options options);
    ~Instance();
    Instance(const Instance&) = delete;
    Instance& operator=(const Instance&) = delete;

    /// Runs the event loop until stopped; returns the process exit code.
    int run();

private:
    std::string output_for(const schedules::Zone& zone) const;
    void record_interrupted();
    void on_signal(int signal);

    Options options_;
    boost::asio::io_context io_;
    boost::asio::signal_set signals_;
    audio::AudioLibrary library_;
    audio::LoudnessAnalyzer loudness_;
    std::unique_ptr<LoadedSchedule> schedule_;  // replaced whole on reload
    BroadcastLog log_;
    std::unique_ptr<audio::Player> player_;
    std::unique_ptr<Scheduler> scheduler_;
    std::unique_ptr<ClockWatch> clock_watch_;
    bool have_sound_device_ = false;
};

/// True when this machine has a sound device `auto` can open: an ALSA playback device or a
/// PulseAudio/PipeWire server.
bool sound_device_present();

}  // namespace wardcast::daemon
