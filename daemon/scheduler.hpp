#pragma once
// The scheduler service: airs each firing of the schedule on time (SPEC §2, §4).

#include <chrono>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "audio/player.hpp"
#include "common/names.hpp"
#include "daemon/log_names.hpp"
#include "daemon/controller.hpp"
#include "daemon/loaded_schedule.hpp"
#include "daemon/time_source.hpp"
#include "schedules/engine.hpp"
#include "schedules/planner.hpp"

namespace wardcast::daemon {

/// Arms one alarm for the next thing due (a preroll, a start, a decision) — an idle daemon
/// sleeps until then. What airs, waits or is skipped is decided by the schedule engine
/// (schedules/live.hpp, the planner `simulate` uses), fed with what has started, what waits
/// and the time; the scheduler carries it out: prerolls, starts and stops the player, records
/// every outcome in the log and tells watchers. The log's claims make sure no scheduled
/// firing airs twice, whatever restarts or clock steps happen.
class Scheduler {
  public:
    /// How long before its instant a broadcast is prepared.
    static constexpr std::chrono::milliseconds preroll{1500};
    /// How long before its instant a firing is started: the player then times the first
    /// sample itself (Player::start_at), so a busy event loop does not make it late.
    /// 50 ms leaves the loop room to be woken late on a loaded machine (or under ASan)
    /// without the first sample being late.
    static constexpr std::chrono::milliseconds start_lead{50};
    /// How far back start-up looks for firings missed while the daemon was down.
    static constexpr std::chrono::hours lookback{24 * 7};

    /// `output_for(zone)` gives each zone's output (the daemon may substitute a fallback for
    /// `auto`). None of the references are owned; they outlive the scheduler.
    Scheduler(TimeSource& time, audio::Player& player, BroadcastLog& log,
              std::function<std::string(const schedules::Zone&)> output_for);
    ~Scheduler();

    /// Starts airing `schedule` (not owned; replaced only through replace_schedule): firings
    /// missed since the log's last one air now when late by at most their catch_up, else are
    /// recorded missed; then the next firing is armed.
    void start(const LoadedSchedule& schedule);

    /// The wall clock was set, moving it by `moved`: firings it jumped over are caught up or
    /// missed, as at start-up; the alarms are set again for the new time.
    void clock_stepped(std::chrono::nanoseconds moved);

    /// Ends everything on air, recording it cancelled with `reason`, and arms nothing more.
    void shutdown(const std::string& reason);

    /// Airs from now on `schedule` (not owned; the old one may be released once this returns):
    /// what is on air goes on, prepared firings are dropped and planned again.
    void replace_schedule(const LoadedSchedule& schedule);

    /// An operator's broadcast, airing as soon as its zones are free (`trigger` operator), or,
    /// for priority emergency (`trigger` emergency), at once: what is on air on its zones is
    /// stopped and recorded preempted.
    struct AdHoc {
        std::string id;
        std::string title;
        std::vector<std::string> zones;
        schedules::Priority priority = schedules::Priority::normal;
        AnnouncementAudio audio;
        schedules::Duration length{0};
        int repeat = 1;
        schedules::Duration gap{0};
        double volume = 1.0;
        bool normalize = true;
        std::optional<audio::RelaySource> relay;  ///< set: a relay or live source, not audio
        Who who;
    };
    void air_now(const AdHoc& broadcast);

    /// An announcement of `schedule` as a broadcast to air.
    static AdHoc describe(const LoadedSchedule& schedule, const schedules::Announcement& a);

    /// Ends what is on air on any of `zones`, recorded preempted with `reason`.
    void preempt(const std::vector<std::string>& zones, const std::string& reason);

    /// Ends what is on air, recorded cancelled with `reason`; the announcement ids stopped.
    std::vector<std::string> stop_all(const std::string& reason);

    /// Holds scheduled firings (recorded skipped while held) until resume() or `until`.
    void pause(std::optional<Instant> until, const std::string& by);
    void resume();
    bool paused() const noexcept { return paused_; }
    std::optional<Instant> paused_until() const noexcept { return paused_until_; }

    /// A zone's level from now on (live on what is on air); nullopt zone: every zone.
    void set_volume(const std::optional<std::string>& zone, double level);

    /// What is on air now.
    std::vector<OnAirInfo> on_air() const;

    /// The next firing not yet handled, if any.
    std::optional<schedules::Firing> next_firing() const;

    /// Broadcast starts and ends, for `watch`.
    void on_event(std::function<void(const nlohmann::json&)> sink) { event_ = std::move(sink); }

  private:
    struct Broadcast;
    using BroadcastList = std::list<Broadcast>;

    void plan();
    void drop_prepared();
    void prepare(const schedules::Firing& firing, names::Trigger trigger, Instant measured_from);
    BroadcastList::iterator prepare(const AdHoc& what, Instant scheduled, names::Trigger trigger);
    BroadcastList::iterator prepare_request(Broadcast b, audio::BroadcastRequest request);
    void due(Instant scheduled);
    void catch_up(Instant since, Instant now, const char* why);
    void try_start();
    bool begin(BroadcastList::iterator b, const schedules::Placement& placement);
    void skip(BroadcastList::iterator b, names::Status status, const std::string& reason);
    void finish(BroadcastList::iterator b, names::Status status, const std::string& error,
                std::optional<Instant> ended = std::nullopt);
    double zone_level(const std::string& zone, double schedule_level) const;
    void emit(const char* event, const Broadcast& b,
              std::optional<names::Status> status = std::nullopt);
    void on_started(audio::Player::Id id, audio::WallTime started);
    void on_done(audio::Player::Id id, const audio::BroadcastOutcome& outcome);
    LogEntry entry_for(const Broadcast& b, names::EntryKind kind) const;
    BroadcastList::iterator find(audio::Player::Id id);

    TimeSource& time_;
    audio::Player& player_;
    BroadcastLog& log_;
    std::function<std::string(const schedules::Zone&)> output_for_;
    const LoadedSchedule* schedule_ = nullptr;  // not owned
    /// The zones taken by what has started, until its planned end: what the engine plans
    /// waiting firings against. Released early for what ends before it (stopped, failed).
    std::unique_ptr<schedules::ConflictPlanner> started_;

    std::unique_ptr<Alarm> timer_;     // the next preroll or start
    std::unique_ptr<Alarm> decision_;  // the next time a waiting broadcast is decided again
    std::unique_ptr<Alarm> pause_timer_;
    Instant cursor_{};          // firings before this were handled
    BroadcastList broadcasts_;  // preparing, waiting or on air
    std::uint64_t queued_ = 0;  // broadcasts queued so far: their order when all else ties
    bool stopped_ = false;
    bool paused_ = false;
    std::optional<Instant> paused_until_;
    std::string paused_by_;
    std::map<std::string, double> zone_volume_;  // operator's levels, over the schedule's
    std::function<void(const nlohmann::json&)> event_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // guards player callbacks
};

}  // namespace wardcast::daemon
