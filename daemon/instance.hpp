#pragma once
// wardcastd's one owner of every component, built in dependency order (MPD's Instance).

// clang-format off
#include <utility>  // before Asio: asio#944 with GCC 12
// clang-format on
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/system_timer.hpp>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "audio/audio_library.hpp"
#include "audio/loudness.hpp"
#include "audio/player.hpp"
#include "audio/sound_device.hpp"
#include "daemon/log_names.hpp"
#include "daemon/clock_watch.hpp"
#include "daemon/control_server.hpp"
#include "daemon/controller.hpp"
#include "daemon/loaded_schedule.hpp"
#include "daemon/scheduler.hpp"
#include "daemon/systemd_notify.hpp"

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
/// SIGTERM or SIGINT. Under systemd (NOTIFY_SOCKET) it reports READY=1 once it serves,
/// RELOADING=1/READY=1 around each reload, STOPPING=1, a one-line STATUS= and watchdog pings.
class Instance : public Controller {
  public:
    /// How often a log that cannot be written is tried again.
    static constexpr std::chrono::seconds log_retry_interval{5};
    /// The nice value of the thread that reads a new schedule (and of the GStreamer threads
    /// it starts): below the event loop's, so that a reload cannot make a firing late.
    static constexpr int reload_nice = 10;

    explicit Instance(Options options);
    ~Instance();
    Instance(const Instance&) = delete;
    Instance& operator=(const Instance&) = delete;

    /// Runs the event loop until stopped; returns the process exit code.
    int run();

    // Controller: what operators ask for over the control socket (instance_control.cpp).
    StationClock clock() override;
    void record_operator(const Who& who, const std::string& command,
                         const std::string& result) override;
    StatusInfo status() override;
    std::vector<NextInfo> next(std::size_t n) override;
    void play(const std::string& id, const std::optional<std::string>& zone,
              const Who& who) override;
    void announce(const AnnounceRequest& request, const Who& who) override;
    std::string live(const LiveRequest& request, const Who& who) override;
    /// How long a live source may take to give sound before the broadcast fails.
    static constexpr std::chrono::seconds live_start_timeout{15};
    std::vector<std::string> stop(const Who& who) override;
    void pause(const std::optional<Instant>& until, const Who& who) override;
    void resume(const Who& who) override;
    void reload(const Who& who, ReloadDone done) override;
    void volume(const std::optional<std::string>& zone, double level, const Who& who) override;
    int subscribe(EventSink sink) override;
    void unsubscribe(int token) override;

  private:
    void publish(const nlohmann::json& event);
    const schedules::Zone& zone_or_throw(const std::string& zone) const;
    std::string output_for(const schedules::Zone& zone) const;
    void record_interrupted();
    void record_schedule_in_force(names::LoadReason why);
    void on_signal(int signal);
    void log_digest(const char* when);
    void arm_daily_digest();
    void wait_for_reload_signal();
    struct ReloadOutcome;
    struct ReloadCaller {
        Who who;
        ReloadDone done;
    };
    void start_reload();
    void finish_reload(ReloadOutcome& outcome);
    ReloadResult put_in_force(std::unique_ptr<LoadedSchedule> fresh);
    void update_status();
    void on_log_fault(const std::optional<LogFault>& fault);
    void arm_log_retry(std::chrono::milliseconds after);
    void write_held_or_tell();

    Options options_;
    boost::asio::io_context io_;
    SystemdNotify notify_;  // sd_notify; its watchdog timer runs on io_
    boost::asio::signal_set signals_;
    boost::asio::signal_set reload_signal_;      // SIGHUP: reload, as `wardcastctl reload`
    boost::asio::system_timer digest_timer_;     // local midnight: the log's digest to the journal
    boost::asio::steady_timer status_timer_;     // STATUS= again when a pause or a firing ends
    boost::asio::steady_timer log_retry_timer_;  // while the log cannot be written: try again
    std::chrono::steady_clock::time_point log_fault_told_{};  // last journal line about it
    audio::AudioLibrary library_;
    audio::LoudnessAnalyzer loudness_;
    std::unique_ptr<LoadedSchedule> schedule_;  // replaced whole on reload
    BroadcastLog log_;
    std::unique_ptr<AsioTime> time_;  // before the scheduler, which uses it
    std::unique_ptr<audio::Player> player_;
    std::unique_ptr<Scheduler> scheduler_;
    std::unique_ptr<ClockWatch> clock_watch_;
    std::unique_ptr<ControlServer> control_;  // last: it calls into everything above
    bool have_sound_device_ = false;
    Instant daemon_since_{};
    Instant schedule_since_{};
    std::thread reload_thread_;                 // reading a new schedule, while joinable
    std::vector<ReloadCaller> reload_running_;  // who asked for the reload reading now
    std::vector<ReloadCaller> reload_queued_;   // who asked meanwhile: the next one
    std::map<int, EventSink> subscribers_;
    int next_token_ = 0;
};

/// The one line `systemctl status` shows (STATUS=), times in `zone`: what is on air and until
/// when ("On air: id (zones) until HH:MM:SS"), else that the schedule is paused, else the next
/// firing ("Idle; next: id at YYYY-MM-DD HH:MM (station time)"), else "No broadcasts
/// scheduled"; led by each fault ("LOG NOT WRITTEN (reason), 3 entries held; "). Never
/// contains a line break.
std::string status_line(const StatusInfo& s, const date::time_zone& zone);

/// The wall clock, to the millisecond.
Instant wall_now();

/// True when this machine has a sound device `auto` can open (audio/sound_device.hpp).
using audio::sound_device_present;

}  // namespace wardcast::daemon
