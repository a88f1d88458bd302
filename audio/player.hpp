#pragma once
// Playing one broadcast: chime, then the items x repeat with gap silence, on every zone's
// output at once. Behind this interface so the daemon can be tested with a fake player.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace date {
class time_zone;
}

namespace wardcast::audio {

/// Wall-clock instant, to the millisecond (same type as schedules::Instant).
using WallTime = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;

/// One zone's output (SPEC §3) and its level.
struct ZoneOutput {
    std::string zone;     ///< zone id, for messages and file names
    std::string output;   ///< auto | alsa:DEV | pulse:SINK | file:PATH.wav | rtp://HOST:PORT | null
    double volume = 1.0;  ///< 0.0 .. 1.0, the zone's level
};

/// A live source to relay (SPEC §8) instead of playing files.
struct RelaySource {
    /// `http(s)://…` (Icecast/Shoutcast; `.m3u8`: HLS), `rtsp://…`, `rtp://@:PORT` (or
    /// `rtp://@GROUP:PORT`, an L16 stream as §3's rtp output sends), `alsa:DEVICE`, `pulse:SOURCE`.
    std::string source;
    std::chrono::milliseconds duration{0};           ///< how long the relay airs, after the chime
    std::chrono::milliseconds start_timeout{15000};  ///< no sound by the instant + this: failed
    /// The station's time zone: the clock times of the gaps in the row's error are written
    /// in it (as everything else the operator reads). None: UTC.
    const date::time_zone* zone = nullptr;
};

/// Everything needed to play one broadcast.
struct BroadcastRequest {
    std::string label;   ///< announcement id (file names, messages)
    WallTime scheduled;  ///< for file names
    std::optional<std::filesystem::path> chime;
    std::vector<std::filesystem::path> items;  ///< played in order, `repeat` times
    int repeat = 1;
    std::chrono::milliseconds gap{0};  ///< silence between repeats
    double volume = 1.0;               ///< the announcement's level, times each zone's
    bool normalize = true;             ///< loudness-normalize each file
    std::vector<ZoneOutput> zones;     ///< at least one
    /// Set: after the chime, relay this for its duration instead of playing `items`.
    std::optional<RelaySource> relay;
};

/// How a broadcast ended.
struct BroadcastOutcome {
    enum class Status { played, failed, stopped };
    Status status = Status::played;
    std::string error;                ///< GStreamer's error text when failed
    std::optional<WallTime> started;  ///< when the first sample reached the outputs
    WallTime ended;
    std::vector<std::filesystem::path> files;  ///< WAV files written by file: outputs
    /// How much sound reached the outputs (the log's aired_ms): played through, the whole
    /// length (chime, repeats and gaps); stopped or failed, what went out until then; 0 when
    /// no sample went out. Measured by the player's stream position, not the wall clock.
    std::chrono::milliseconds aired{0};
};

/// Plays broadcasts. All callbacks run on the daemon's event loop thread, never inside the
/// call that caused them.
class Player {
  public:
    using Id = std::uint64_t;
    using StartedHandler = std::function<void(Id, WallTime started)>;
    using DoneHandler = std::function<void(Id, const BroadcastOutcome&)>;

    virtual ~Player() = default;

    /// Builds the pipeline and prerolls it (paused, files opened, decoders started) so that
    /// start() makes sound within milliseconds. Problems (missing file, bad device) are
    /// reported through `done` with status failed — prepare itself does not throw for them.
    virtual Id prepare(const BroadcastRequest& request, StartedHandler started,
                       DoneHandler done) = 0;

    /// Sets a prepared broadcast playing now.
    virtual void start(Id id) = 0;

    /// Sets a prepared broadcast playing so that its first sample leaves at `at` (a few
    /// milliseconds ahead), timed by the player's clock rather than by the caller's timer.
    /// A player that cannot (or a broadcast not ready in time) starts at once instead.
    virtual void start_at(Id id, std::chrono::system_clock::time_point at) {
        (void)at;
        start(id);
    }

    /// Ends a broadcast now (prepared or playing): `done` reports status stopped.
    virtual void stop(Id id) = 0;

    /// Sets the level of a playing broadcast's zone (0.0 .. 1.0), live.
    virtual void set_zone_volume(Id id, const std::string& zone, double volume) = 0;
};

}  // namespace wardcast::audio
