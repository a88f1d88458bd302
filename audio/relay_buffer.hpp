#pragma once
// The samples of one relay on their way from the source to the outputs: the chime, then the
// relayed source's samples as they arrive, read out at the outputs' real-time pace.
//
// The source's side (a streaming thread of the feed pipeline) pushes what it decodes; the
// outputs' side (the program's streaming thread) fills each 10 ms buffer from it. The delay
// between the two is kept small: at the relay's start and after a reconnection only the
// newest samples are kept, a standing backlog is dropped (oldest first), and the backlog never
// exceeds a hard cap. When the source has nothing, the outputs get silence and the gap is noted.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <vector>

#include "audio/player.hpp"

namespace wardcast::audio {

/// A stretch of a relay that went out as silence because the source had nothing.
struct RelayGap {
    WallTime from;
    WallTime to;
};

/// Thread-safe; see the file comment. Sample counts are frames of the mono mix format.
class RelayBuffer {
  public:
    /// Limits on the delay behind the source, in frames at `rate`.
    struct Limits {
        std::size_t start_keep;  ///< kept (newest) when the relay starts or a new feed resumes
        std::size_t resume;      ///< after running dry, wait for this much before resuming
        std::size_t cap;         ///< never more than this waits (oldest dropped)
        std::size_t standing;    ///< a backlog that never went below this over `window`...
        std::size_t trim_to;     ///< ...is cut down to this
        std::size_t window;      ///< frames of output over which the lowest backlog is taken
        std::chrono::milliseconds min_gap;  ///< shorter silence is not reported as a gap
    };
    /// The limits the player uses at `rate`: 300 ms kept at a start, resume at 60 ms, cap 1 s,
    /// a standing 150 ms backlog over 3 s cut to 60 ms, gaps from 500 ms.
    static Limits default_limits(int rate);

    /// The program: `chime` (already in the mix format), then `relay_frames` of the source.
    RelayBuffer(std::vector<float> chime, std::int64_t relay_frames, Limits limits);

    /// Source side: `count` new samples.
    void push(const float* samples, std::size_t count);

    /// A new connection to the source: what the old one left is dropped, and the new one's
    /// first samples are trimmed to the newest `start_keep`.
    void restart_feed();

    /// Outputs' side: fills `out` with the next `count` frames of the program (silence where
    /// the source has nothing, and after the program's end), `now` being when they air.
    /// Returns false once the program has ended (the whole of it has been handed out).
    bool fill(float* out, std::size_t count, WallTime now);

    /// Whether the source has given any sample since this buffer was made.
    bool received() const;
    /// When the source last gave samples (steady clock); nullopt if never.
    std::optional<std::chrono::steady_clock::time_point> last_push() const;
    /// How much of the program had sound: the chime handed out plus the source's samples.
    std::chrono::milliseconds aired(int rate) const;
    /// The source's samples handed out so far.
    std::int64_t relayed_frames() const;
    /// The gaps of at least `min_gap` so far, the one in progress (if any) ending at `now`.
    std::vector<RelayGap> gaps(WallTime now) const;

  private:
    void trim_to_newest(std::size_t keep);

    mutable std::mutex mutex_;
    const std::vector<float> chime_;
    const std::int64_t relay_frames_;
    const Limits limits_;
    std::deque<float> ring_;  ///< the source's samples not yet handed out, oldest first
    std::size_t chime_pos_ = 0;
    std::int64_t relay_pos_ = 0;  ///< program frames handed out after the chime
    std::int64_t relayed_ = 0;    ///< of those, frames with the source's samples
    bool waiting_ = true;         ///< ran dry (or not begun): silence until `resume` is there
    bool fresh_ = true;           ///< a new feed: trim to `start_keep` when resuming
    bool received_ = false;
    std::optional<std::chrono::steady_clock::time_point> last_push_;
    std::size_t window_min_ = SIZE_MAX;
    std::size_t window_frames_ = 0;
    std::optional<WallTime> gap_from_;  ///< silence since then
    std::vector<RelayGap> gaps_;
};

}  // namespace wardcast::audio
