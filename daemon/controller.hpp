#pragma once
// What operators can ask of the running daemon (SPEC §5): the contract between the control
// server's command table and the daemon's components. Implemented by Instance; faked in tests.

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/names.hpp"
#include "daemon/log_names.hpp"

namespace wardcast::daemon {

/// Who asked: from SO_PEERCRED on the control socket.
struct Who {
    std::uint32_t uid = 0;
    std::string user;  ///< user name, or the uid as text when unknown
};

/// A request that cannot be done; `code` is a protocol error code (protocol::err: not_found,
/// bad_argument, failed, conflict).
class ControlError : public std::runtime_error {
  public:
    ControlError(std::string code, const std::string& message)
        : std::runtime_error(message), code(std::move(code)) {}
    std::string code;
};

/// Something on air now.
struct OnAirInfo {
    std::string announcement;
    std::string title;
    names::Trigger trigger = names::Trigger::schedule;
    std::vector<std::string> zones;
    Instant scheduled{};
    std::optional<Instant> started;
    std::chrono::milliseconds length{0};  ///< expected length; remaining = started + length - now
    std::string source;  ///< a relay's or a live broadcast's source; empty for files
};

/// A coming firing.
struct NextInfo {
    std::string announcement;
    std::string title;
    std::vector<std::string> zones;
    Instant scheduled{};
};

/// Something that keeps the daemon from doing all of its work while it still airs.
struct FaultInfo {
    std::string what;    ///< "log": the broadcast log cannot be written (SPEC §6)
    std::string reason;  ///< e.g. "database or disk is full"
    Instant since{};
    std::size_t held = 0;  ///< log: entries held in memory until the file takes writes
};

/// `status`.
struct StatusInfo {
    std::string station;
    std::string timezone;
    std::string version;  ///< wardcastd's
    std::vector<OnAirInfo> on_air;
    std::optional<NextInfo> next;
    bool paused = false;
    std::optional<Instant> paused_until;
    std::string schedule_path;
    std::string schedule_sha256;
    Instant schedule_since{};  ///< when this schedule was loaded
    Instant daemon_since{};    ///< when wardcastd started
    Instant now{};
    std::vector<FaultInfo> faults;  ///< none when all is well
};

/// `announce`: an ad-hoc message.
struct AnnounceRequest {
    std::optional<std::string> file;  ///< an audio file, or
    std::optional<std::string> tts;   ///< text to speak (voice `vi` unless `voice`)
    std::string voice = "vi";
    names::Priority priority = names::Priority::normal;  ///< emergency interrupts
    std::vector<std::string> zones;                      ///< empty: every zone
};

/// `live`: a live source (a microphone, a line input, a stream) aired until stopped (SPEC §8).
struct LiveRequest {
    std::optional<std::string> source;  ///< none: the schedule's station.live_source, else alsa:default
    names::Priority priority = names::Priority::normal;  ///< emergency interrupts
    std::vector<std::string> zones;                      ///< empty: every zone
    std::chrono::seconds max{30 * 60};                   ///< it ends by itself after this
};

/// `reload`.
struct ReloadResult {
    bool ok = false;
    std::vector<std::string>
        errors;  ///< FILE:LINE:COLUMN: error: … when not ok (old schedule kept)
    std::vector<std::string> added, removed, changed;  ///< announcement ids
    std::string sha256;                                ///< of the schedule now in force
    std::string failure;  ///< when not ok: why, in one line (recorded in the log)
};

/// The station's time, for checking an instant an operator gives (`pause`'s `until`).
struct StationClock {
    Instant now{};
    std::string timezone;  ///< IANA name: an instant without an offset is read in it
};

/// Receives a reload's outcome.
using ReloadDone = std::function<void(const ReloadResult&)>;

/// Operations the control server dispatches to. Every method runs on the daemon's event loop
/// thread. The arguments were checked by the dispatcher (types, ranges, an `until` in the
/// future: daemon/command_table.cpp); a method checks only what needs the state, e.g. that a
/// zone or announcement exists, and throws ControlError for a request that cannot be done.
/// The dispatcher then records each command that changes something with record_operator().
class Controller {
  public:
    virtual ~Controller() = default;
    /// Now, and the station's zone.
    virtual StationClock clock() = 0;
    /// Records an operator command in the broadcast log (and tells watchers): `command` as the
    /// operator would type it, `result` "ok…", "refused: WHY" or "failed: WHY". Throws what the
    /// log throws (LogOverflow: the daemon must stop).
    virtual void record_operator(const Who& who, const std::string& command,
                                 const std::string& result) = 0;
    virtual StatusInfo status() = 0;
    virtual std::vector<NextInfo> next(std::size_t n) = 0;
    /// Airs announcement `id` now (its zones, or only `zone`); trigger operator.
    virtual void play(const std::string& id, const std::optional<std::string>& zone,
                      const Who& who) = 0;
    /// Airs an ad-hoc message; an emergency interrupts what is on air on its zones (recorded
    /// preempted) within 100 ms.
    virtual void announce(const AnnounceRequest& request, const Who& who) = 0;
    /// Airs a live source until `stop` or request.max; an emergency interrupts what is on air
    /// on its zones. Returns the source it airs.
    virtual std::string live(const LiveRequest& request, const Who& who) = 0;
    /// Ends what is on air (recorded cancelled); the ids stopped.
    virtual std::vector<std::string> stop(const Who& who) = 0;
    /// Holds scheduled broadcasts (until `until`, when given): their firings are skipped.
    virtual void pause(const std::optional<Instant>& until, const Who& who) = 0;
    virtual void resume(const Who& who) = 0;
    /// Reads the schedule file again off the event loop (the schedule in force airs
    /// meanwhile), then puts it in force in one step; an invalid one leaves the old in force.
    /// `done` runs later, on the event loop, with the outcome. Reloads never interleave: one
    /// asked while another runs waits for it, then reads the file again.
    virtual void reload(const Who& who, ReloadDone done) = 0;
    /// Sets a zone's level (every zone when none), 0.0 .. 1.0, live and for what follows.
    virtual void volume(const std::optional<std::string>& zone, double level, const Who& who) = 0;

    /// Events for `watch`: {"event": "broadcast-start"|"broadcast-end"|"operator", ...}.
    using EventSink = std::function<void(const nlohmann::json& event)>;
    /// Subscribes; the returned token unsubscribes.
    virtual int subscribe(EventSink sink) = 0;
    virtual void unsubscribe(int token) = 0;
};

}  // namespace wardcast::daemon
