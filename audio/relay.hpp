#pragma once
// One relay broadcast's source side (SPEC §8): connecting to the source during the preroll,
// reconnecting with back-off when it drops or stalls, the start timeout, and what the
// broadcast's row says about it (aired time, gaps). The outputs are the broadcast's own
// pipeline (pipeline_builder.hpp's relay pipeline), whose program this fills.

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>  // before Asio: Boost 1.74 with GCC 12 misses std::exchange (asio#944)
#include <vector>

#include "audio/gst_init.hpp"
#include "audio/player.hpp"
#include "audio/relay_buffer.hpp"
#include "schedules/relay_source.hpp"

namespace wardcast::audio {

/// The name of the application message the program posts on the broadcast's bus when the
/// relay's duration has gone out: the player then calls Relay::finish().
inline constexpr const char* relay_ended_message = "wardcast-relay-ended";

/// The source side of one relay broadcast. Threading: as GstPlayer (one io thread).
class Relay {
  public:
    /// Called (posted to `io`) when the relay fails: no sound by the instant + start_timeout.
    using FailHandler = std::function<void(const std::string& error)>;
    /// Called with what the relay met on the way (a drop, a reconnection), e.g. to log it.
    using NoteHandler = std::function<void(const std::string& note)>;

    /// Relays `source` into `program` (the relay pipeline's live source of silence; must
    /// outlive this) after `chime` (mix format). Starts connecting at once.
    /// Throws std::runtime_error "relay SOURCE: REASON" for a source of no known form or a
    /// missing GStreamer element.
    Relay(boost::asio::io_context& io, const RelaySource& source, GstElement* program,
          std::vector<float> chime, FailHandler on_fail, NoteHandler on_note);

    /// Tears the source's pipeline down; calls no handler.
    ~Relay();

    Relay(const Relay&) = delete;
    Relay& operator=(const Relay&) = delete;

    /// The outputs start (or started) at `instant`: the start timeout counts from it (after
    /// the chime). Later calls are ignored.
    void begin(std::chrono::steady_clock::time_point instant);

    /// The program has gone out in full: ends the stream so the outputs finish (EOS).
    void finish();

    /// How the relay ends once its outputs have finished: played with the gaps in `error`
    /// ("" when none), or failed when no sound of the source went out at all.
    std::pair<BroadcastOutcome::Status, std::string> result() const;

    /// How much sound reached the outputs: the chime and the source's samples (aired_ms).
    std::chrono::milliseconds aired() const;

  private:
    void connect();
    void disconnect();
    void watch_feed();
    void on_feed_bus();
    void drop(const std::string& reason);
    void tick();
    void find_connect_error();
    std::string reason() const;
    std::string gaps_text() const;

    boost::asio::io_context& io_;
    RelaySource source_;
    schedules::RelaySourceForm form_;
    GstElement* program_;  ///< not owned
    std::chrono::milliseconds chime_;
    FailHandler on_fail_;
    NoteHandler on_note_;
    std::shared_ptr<RelayBuffer> buffer_;

    PipelinePtr feed_;  ///< the current connection; null while waiting to reconnect
    BusPtr feed_bus_;
    /// Wraps feed_bus_'s fd, which the bus owns: released, never closed.
    std::optional<boost::asio::posix::stream_descriptor> feed_fd_;
    std::chrono::steady_clock::time_point connected_at_;
    std::optional<std::chrono::steady_clock::time_point> reconnect_at_;
    std::chrono::milliseconds backoff_;
    std::string last_error_;       ///< what GStreamer (or the stall check) last said
    std::shared_ptr<void> probe_;  ///< a connection attempt naming souphttpsrc's lost reason
    int lost_ = 0;                 ///< connections that gave sound, then dropped
    std::optional<std::chrono::steady_clock::time_point> deadline_;  ///< set by begin()
    bool failed_ = false;
    bool finished_ = false;
    boost::asio::steady_timer timer_;
    std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

/// "3s", "1.5s": a span as the relay's messages write it.
std::string relay_seconds_text(std::chrono::milliseconds span);

}  // namespace wardcast::audio
