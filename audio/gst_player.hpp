#pragma once
// The real Player: one GStreamer pipeline per broadcast (see pipeline_builder.hpp), its bus
// watched by the daemon's Asio event loop without polling.

#include <gst/gst.h>

#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>  // before Asio: Boost 1.74 with GCC 12 misses std::exchange (asio#944)

#include "audio/player.hpp"

namespace wardcast::audio {

class LoudnessAnalyzer;

/// Plays broadcasts with GStreamer. Several broadcasts (normally on different zones) may be
/// prepared or on air at once, each in its own pipeline.
///
/// Threading: call every method on the thread that runs `io`, and run `io` on that one thread
/// only; callbacks run there too, always from a handler posted to `io`. The player must be
/// destroyed before `io`.
///
/// What `started` and `done` report:
/// - started: the wall-clock instant the first sample reached the outputs after start() (the
///   earliest zone), once;
/// - done, played: the end of the stream reached every output; failed: a file is missing or
///   undecodable, an output cannot open (text from GStreamer, with the file or zone it
///   concerns), or `auto` found no sound device ("no sound device: autoaudiosink found
///   none" — GStreamer itself would quietly play into a fake sink); stopped: stop() was called.
/// - `files`: the WAV files file: outputs wrote (see broadcast_wav_path); a file cut off by
///   stop() or a failure gets a valid header, and one left without audio is removed.
class GstPlayer : public Player {
  public:
    /// Plays on `io`. `loudness` (not owned; must outlive the player) measures the files of a
    /// broadcast that asks for normalization; null: never normalize.
    /// Throws std::runtime_error when GStreamer cannot be initialised.
    explicit GstPlayer(boost::asio::io_context& io, LoudnessAnalyzer* loudness = nullptr);

    /// Stops every broadcast still prepared or on air, without calling its handlers.
    ~GstPlayer() override;

    GstPlayer(const GstPlayer&) = delete;
    GstPlayer& operator=(const GstPlayer&) = delete;

    /// Builds the pipeline and starts prerolling it (paused), without waiting. Measures the
    /// loudness of files new to the LoudnessAnalyzer first when `request.normalize` is set,
    /// which can take a moment. Problems are reported through `done` (status failed).
    Id prepare(const BroadcastRequest& request, StartedHandler started, DoneHandler done) override;

    /// Sets a prepared broadcast playing (at once if prerolled, else as soon as it is).
    /// An id that has ended, or is unknown, is ignored.
    void start(Id id) override;

    /// Sets a prerolled broadcast playing now with its pipeline's base time set so that
    /// running time 0 is `at` on the system clock: the sinks wait for the instant themselves,
    /// to within the clock's precision, whatever the event loop is busy with. Not prerolled
    /// yet, or `at` already past: start() (a fixed base time would make audio sinks skip the
    /// samples that are "late").
    void start_at(Id id, std::chrono::system_clock::time_point at) override;

    /// Ends a broadcast now: the pipeline is torn down before this returns, and `done`
    /// (status stopped) follows. An id that has ended, or is unknown, is ignored.
    void stop(Id id) override;

    /// Sets the level of `zone` (clamped to 0.0 .. 1.0) in broadcast `id`, live. An unknown id
    /// or zone is ignored.
    void set_zone_volume(Id id, const std::string& zone, double volume) override;

    /// How many broadcasts are prepared or on air.
    std::size_t active() const noexcept { return broadcasts_.size(); }

    /// Whether broadcast `id` has prerolled, so that start() makes sound within milliseconds;
    /// false for an id that has ended or is unknown.
    bool prerolled(Id id) const noexcept;

    /// Called with GStreamer's warnings during a broadcast, placed like errors ("FILE: …" or
    /// "zone ID (OUTPUT): …"), e.g. to log them; posted to `io` like the other callbacks.
    /// No handler: warnings are dropped.
    using WarningHandler = std::function<void(Id, const std::string& warning)>;
    void set_warning_handler(WarningHandler handler) { on_warning_ = std::move(handler); }

    /// The SCHED_FIFO priority of the threads that feed each zone's output (its queue's and
    /// an audio sink's own), from the next prepare() on: raised when they start, lowered when
    /// they leave the pipeline; 0 (the default): normal scheduling. Either way they get a 1 ns
    /// timer slack, so that the sinks' clock waits end on time (audio/start_timing.hpp).
    void set_output_priority(int priority) { output_priority_ = priority; }

  private:
    struct Broadcast;
    struct Ending;

    void watch_bus(Broadcast& broadcast);
    void on_bus(Id id);
    std::optional<Ending> handle(Broadcast& broadcast, GstMessage* message);
    std::optional<Ending> check_sound_devices(const Broadcast& broadcast) const;
    void end(Id id, const Ending& ending);
    void post_done(DoneHandler done, Id id, BroadcastOutcome outcome);

    boost::asio::io_context& io_;
    LoudnessAnalyzer* loudness_;  ///< not owned; may be null
    WarningHandler on_warning_;
    int output_priority_ = 0;
    Id next_id_ = 1;
    std::unordered_map<Id, std::unique_ptr<Broadcast>> broadcasts_;  ///< prepared or on air
    /// Handlers posted to io_ hold a weak_ptr to this: they do nothing once the player is gone.
    std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace wardcast::audio
