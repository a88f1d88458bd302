#include "audio/gst_player.hpp"

#include <algorithm>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstring>
#include <optional>
#include <string>

#include "audio/gst_init.hpp"
#include "audio/loudness.hpp"
#include "audio/pipeline_builder.hpp"
#include "audio/relay.hpp"
#include "audio/start_timing.hpp"

namespace wardcast::audio {

namespace asio = boost::asio;
using Status = BroadcastOutcome::Status;

namespace {

constexpr const char* started_message = "wardcast-started";

WallTime now() {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now());
}

// Runs on a streaming thread, so it only notes the time and posts it to the bus. The first
// buffer a sink receives arrives while prerolling; the first one that arrives once the sink
// is headed for PLAYING comes right after the first sample was played (or EOS, if none).
GstPadProbeReturn on_sink_data(GstPad*, GstPadProbeInfo* info, gpointer sink_pointer) {
    if ((info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) &&
        GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) != GST_EVENT_EOS) {
        return GST_PAD_PROBE_OK;
    }
    GstElement* sink = GST_ELEMENT(sink_pointer);
    GST_OBJECT_LOCK(sink);
    const bool playing = GST_STATE_TARGET(sink) == GST_STATE_PLAYING;
    GST_OBJECT_UNLOCK(sink);
    if (!playing) return GST_PAD_PROBE_OK;
    const gint64 ms = now().time_since_epoch().count();
    gst_element_post_message(
        sink, gst_message_new_application(
                  GST_OBJECT(sink),
                  gst_structure_new(started_message, "wall-ms", G_TYPE_INT64, ms, nullptr)));
    return GST_PAD_PROBE_REMOVE;
}

// A sync handler: runs on the thread that posts. A thread that enters or leaves a zone's
// branch (its queue's task, an audio sink's ring buffer thread: the ones that wait for the
// clock and hand samples to the output) posts STREAM_STATUS from itself, so this is where it
// is raised to the output priority and lowered again before it returns to GStreamer's pool.
GstBusSyncReply on_sync_message(GstBus*, GstMessage* message, gpointer priority) {
    if (GST_MESSAGE_TYPE(message) != GST_MESSAGE_STREAM_STATUS) return GST_BUS_PASS;
    GstStreamStatusType type;
    GstElement* owner = nullptr;
    gst_message_parse_stream_status(message, &type, &owner);
    // Zone branches' elements are named "zoneN-…" (pipeline_builder.cpp).
    if (!owner || !GST_OBJECT_NAME(owner) || std::strncmp(GST_OBJECT_NAME(owner), "zone", 4) != 0)
        return GST_BUS_PASS;
    if (type == GST_STREAM_STATUS_TYPE_ENTER)
        raise_this_thread(GPOINTER_TO_INT(priority));
    else if (type == GST_STREAM_STATUS_TYPE_LEAVE)
        lower_this_thread();
    return GST_BUS_PASS;
}

// The text of an error or warning, after the file or zone it concerns.
std::string placed_text(const BroadcastPipeline& built, GstMessage* message) {
    const std::string where = built.describe(GST_MESSAGE_SRC(message));
    const std::string text =
        gst_error_text(message, GST_MESSAGE_TYPE(message) == GST_MESSAGE_WARNING);
    return where.empty() ? text : where + ": " + text;
}

// How far `sink` has played on the broadcast's own timeline (the running time, which concat
// keeps counting across items): its position, in the stream time of its current segment,
// converted by that segment. A segment in bytes (wavenc ! filesink) follows identity
// single-segment, whose stream time is the running time already.
std::optional<GstClockTime> played_until(GstElement* sink) {
    gint64 position = -1;
    if (!gst_element_query_position(sink, GST_FORMAT_TIME, &position) || position < 0)
        return std::nullopt;
    std::unique_ptr<GstPad, ObjectUnref> pad(gst_element_get_static_pad(sink, "sink"));
    GstEvent* event = pad ? gst_pad_get_sticky_event(pad.get(), GST_EVENT_SEGMENT, 0) : nullptr;
    if (!event) return static_cast<GstClockTime>(position);
    const GstSegment* segment = nullptr;
    gst_event_parse_segment(event, &segment);
    GstClockTime running = static_cast<GstClockTime>(position);
    if (segment->format == GST_FORMAT_TIME) {
        running = gst_segment_to_running_time(
            segment, GST_FORMAT_TIME,
            gst_segment_position_from_stream_time(segment, GST_FORMAT_TIME,
                                                  static_cast<guint64>(position)));
    }
    gst_event_unref(event);
    if (!GST_CLOCK_TIME_IS_VALID(running)) return std::nullopt;
    return running;
}

// How much sound reached the zones' outputs (before the pipeline is torn down): the furthest
// sink's played_until, 0 when no sample went out; the wall clock since the first sample only
// when no sink can say.
std::chrono::milliseconds aired_of(const BroadcastPipeline& built,
                                   const std::optional<WallTime>& started, WallTime ended) {
    using std::chrono::milliseconds;
    if (!started) return milliseconds(0);
    std::optional<GstClockTime> furthest;
    for (const auto& zone : built.zones) {
        if (!zone.sink) continue;
        if (const auto until = played_until(zone.sink.get()))
            furthest = std::max(furthest.value_or(0), *until);
    }
    if (furthest)
        return std::chrono::duration_cast<milliseconds>(std::chrono::nanoseconds(*furthest));
    return std::max(milliseconds(0), ended - *started);
}

}  // namespace

/// How a broadcast ends.
struct GstPlayer::Ending {
    Status status;
    std::string error;
};

/// One prepared or playing broadcast.
struct GstPlayer::Broadcast {
    Id id = 0;
    StartedHandler on_started;
    DoneHandler on_done;
    BroadcastPipeline built;       ///< the pipeline and its zones
    std::unique_ptr<Relay> relay;  ///< a relay's source side; null for files
    /// A relay's start_at(): the live program starts at the instant (a future base time would
    /// let it run ahead of the outputs, queueing delay).
    std::optional<asio::steady_timer> start_timer;
    BusPtr bus;
    /// Wraps the bus's file descriptor, which the bus owns: released, never closed.
    std::optional<asio::posix::stream_descriptor> bus_fd;
    std::optional<WallTime> started;
    /// Set by start_at(): the sinks render nothing before it, though buffers may reach their
    /// pads (where `started` is noticed) a few milliseconds sooner.
    std::optional<WallTime> held_until;
    bool prerolled = false;

    Broadcast() = default;
    Broadcast(const Broadcast&) = delete;
    Broadcast& operator=(const Broadcast&) = delete;
    ~Broadcast() {
        if (bus_fd) bus_fd->release();
    }
};

GstPlayer::GstPlayer(asio::io_context& io, LoudnessAnalyzer* loudness)
    : io_(io), loudness_(loudness) {
    ensure_gstreamer();
}

GstPlayer::~GstPlayer() = default;

Player::Id GstPlayer::prepare(const BroadcastRequest& request, StartedHandler started,
                              DoneHandler done) {
    const Id id = next_id_++;
    auto broadcast = std::make_unique<Broadcast>();
    broadcast->id = id;
    broadcast->on_started = std::move(started);
    broadcast->on_done = std::move(done);
    try {
        GainLookup gain;
        if (request.normalize && loudness_) {
            gain = [this](const std::filesystem::path& file) { return loudness_->gain_db(file); };
        }
        broadcast->built =
            request.relay ? build_relay_pipeline(request, gain) : build_pipeline(request, gain);
    } catch (const std::exception& e) {
        post_done(std::move(broadcast->on_done), id, {Status::failed, e.what(), {}, now(), {}, {}});
        return id;
    }

    Broadcast& b = *broadcast;
    broadcasts_.emplace(id, std::move(broadcast));
    if (request.relay) {
        // Connects now, during the preroll window; the outputs start at the instant.
        try {
            b.relay = std::make_unique<Relay>(
                io_, *request.relay, b.built.program.get(), std::move(b.built.chime),
                [this, id](const std::string& error) {
                    end(id, {Status::failed, error});
                },
                [this, id](const std::string& note) {
                    if (!on_warning_) return;
                    asio::post(io_,
                               [alive = std::weak_ptr(alive_), handler = on_warning_, id, note] {
                                   if (!alive.expired()) handler(id, note);
                               });
                });
        } catch (const std::exception& e) {
            end(id, {Status::failed, e.what()});
            return id;
        }
    }
    b.bus.reset(gst_element_get_bus(b.built.pipeline.get()));
    gst_bus_set_sync_handler(b.bus.get(), on_sync_message, GINT_TO_POINTER(output_priority_),
                             nullptr);
    GPollFD poll_fd{};
    gst_bus_get_pollfd(b.bus.get(), &poll_fd);
    try {
        b.bus_fd.emplace(io_, poll_fd.fd);
    } catch (const std::exception& e) {
        end(id, {Status::failed, std::string("cannot watch the GStreamer bus: ") + e.what()});
        return id;
    }
    for (const auto& zone : b.built.zones) {
        using Type = GstPadProbeType;
        const auto types =
            static_cast<Type>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST |
                              GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM);
        std::unique_ptr<GstPad, ObjectUnref> pad(
            gst_element_get_static_pad(zone.sink.get(), "sink"));
        if (pad) gst_pad_add_probe(pad.get(), types, on_sink_data, zone.sink.get(), nullptr);
    }
    watch_bus(b);

    // Opening files and devices (NULL to READY) happens inside this call; the rest of the
    // preroll is reported by ASYNC_DONE on the bus.
    if (gst_element_set_state(b.built.pipeline.get(), GST_STATE_PAUSED) ==
        GST_STATE_CHANGE_FAILURE) {
        // The element that refused posted the reason on the bus.
        MessagePtr error(gst_bus_pop_filtered(b.bus.get(), GST_MESSAGE_ERROR));
        end(id, {Status::failed, error ? placed_text(b.built, error.get())
                                       : "the pipeline cannot start (state change failed)"});
        return id;
    }
    if (auto no_device = check_sound_devices(b)) {
        end(id, *no_device);
    } else if (b.relay) {
        b.prerolled = true;  // a live pipeline has no preroll: the outputs are open
    }
    return id;
}

void GstPlayer::start(Id id) {
    const auto it = broadcasts_.find(id);
    if (it == broadcasts_.end()) return;
    Broadcast& b = *it->second;
    if (b.relay) b.relay->begin(std::chrono::steady_clock::now());
    if (gst_element_set_state(b.built.pipeline.get(), GST_STATE_PLAYING) ==
        GST_STATE_CHANGE_FAILURE) {
        MessagePtr error(gst_bus_pop_filtered(b.bus.get(), GST_MESSAGE_ERROR));
        end(id, {Status::failed, error ? placed_text(b.built, error.get())
                                       : "the pipeline cannot play (state change failed)"});
    }
}

void GstPlayer::start_at(Id id, std::chrono::system_clock::time_point at) {
    const auto it = broadcasts_.find(id);
    if (it == broadcasts_.end()) return;
    GstElement* pipeline = it->second->built.pipeline.get();
    const auto ahead = at - std::chrono::system_clock::now();
    if (!it->second->prerolled || ahead < std::chrono::milliseconds(1)) return start(id);
    std::unique_ptr<GstClock, ObjectUnref> clock(gst_system_clock_obtain());
    gst_pipeline_use_clock(GST_PIPELINE(pipeline), clock.get());
    // With no start time the pipeline keeps the base time given here when it goes PLAYING.
    gst_element_set_start_time(pipeline, GST_CLOCK_TIME_NONE);
    if (it->second->relay) {
        // A live pipeline renders a buffer its latency after the buffer's time: fixed here
        // (the program's 10 ms buffer and the sinks' processing deadline), and taken off the
        // base time so that the first sample goes out at the instant. PLAYING comes at that base
        // time, not before: a live source started earlier stamps its first buffer ahead of it
        // (measured: 4 ms early for PLAYING 5 ms ahead), and the program never runs ahead.
        gst_pipeline_set_latency(GST_PIPELINE(pipeline), relay_output_latency_ns);
        const auto base_in = ahead - std::chrono::nanoseconds(relay_output_latency_ns);
        gst_element_set_base_time(
            pipeline,
            gst_clock_get_time(clock.get()) +
                static_cast<GstClockTime>(
                    std::chrono::duration_cast<std::chrono::nanoseconds>(base_in).count()));
        it->second->held_until = std::chrono::round<std::chrono::milliseconds>(at);
        it->second->relay->begin(std::chrono::steady_clock::now() + ahead);
        auto& timer = it->second->start_timer.emplace(io_);
        timer.expires_after(std::max(base_in, std::chrono::steady_clock::duration::zero()));
        timer.async_wait(
            [this, alive = std::weak_ptr(alive_), id](const boost::system::error_code& ec) {
                if (!ec && !alive.expired()) start(id);
            });
        return;
    }
    const auto ahead_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(ahead).count();
    gst_element_set_base_time(
        pipeline, gst_clock_get_time(clock.get()) + static_cast<GstClockTime>(ahead_ns));
    it->second->held_until = std::chrono::round<std::chrono::milliseconds>(at);
    start(id);
}

void GstPlayer::stop(Id id) { end(id, {Status::stopped, ""}); }

void GstPlayer::set_zone_volume(Id id, const std::string& zone, double volume) {
    const auto it = broadcasts_.find(id);
    if (it == broadcasts_.end()) return;
    for (const auto& z : it->second->built.zones) {
        if (z.id == zone) {
            g_object_set(z.volume.get(), "volume", std::clamp(volume, 0.0, 1.0), nullptr);
        }
    }
}

bool GstPlayer::prerolled(Id id) const noexcept {
    const auto it = broadcasts_.find(id);
    return it != broadcasts_.end() && it->second->prerolled;
}

void GstPlayer::watch_bus(Broadcast& b) {
    b.bus_fd->async_wait(
        asio::posix::descriptor_base::wait_read,
        [this, alive = std::weak_ptr(alive_), id = b.id](const boost::system::error_code& ec) {
            // operation_aborted: the broadcast ended and released the fd.
            if (ec || alive.expired()) return;
            on_bus(id);
        });
}

void GstPlayer::on_bus(Id id) {
    const auto it = broadcasts_.find(id);
    if (it == broadcasts_.end()) return;
    Broadcast& b = *it->second;
    // Popping every message empties the bus's fd, so the next wait sees only new ones.
    while (MessagePtr message{gst_bus_pop(b.bus.get())}) {
        if (auto ending = handle(b, message.get())) {
            end(id, *ending);
            return;
        }
    }
    watch_bus(b);
}

std::optional<GstPlayer::Ending> GstPlayer::handle(Broadcast& b, GstMessage* message) {
    switch (GST_MESSAGE_TYPE(message)) {
        case GST_MESSAGE_ERROR:
            return Ending{Status::failed, placed_text(b.built, message)};
        case GST_MESSAGE_WARNING:
            if (on_warning_) {
                asio::post(io_, [alive = std::weak_ptr(alive_), handler = on_warning_, id = b.id,
                                 text = placed_text(b.built, message)] {
                    if (!alive.expired()) handler(id, text);
                });
            }
            break;
        case GST_MESSAGE_EOS:
            if (auto no_device = check_sound_devices(b)) return no_device;
            if (b.relay) {
                auto [status, error] = b.relay->result();
                return Ending{status, error};
            }
            return Ending{Status::played, ""};
        case GST_MESSAGE_ASYNC_DONE:
            b.prerolled = true;
            return check_sound_devices(b);
        case GST_MESSAGE_APPLICATION: {
            const GstStructure* s = gst_message_get_structure(message);
            if (b.relay && gst_structure_has_name(s, relay_ended_message)) b.relay->finish();
            gint64 ms = 0;
            if (b.started || !gst_structure_has_name(s, started_message) ||
                !gst_structure_get_int64(s, "wall-ms", &ms)) {
                break;
            }
            b.started = WallTime(std::chrono::milliseconds(ms));
            if (b.held_until) b.started = std::max(*b.started, *b.held_until);
            if (b.on_started) {
                asio::post(io_, [alive = std::weak_ptr(alive_), handler = b.on_started, id = b.id,
                                 at = *b.started] {
                    if (!alive.expired()) handler(id, at);
                });
            }
            break;
        }
        default:
            break;
    }
    return std::nullopt;
}

std::optional<GstPlayer::Ending> GstPlayer::check_sound_devices(const Broadcast& b) const {
    for (const auto& zone : b.built.zones) {
        if (zone.spec.kind == OutputSpec::Kind::automatic && picked_fake_sink(zone.sink.get())) {
            return Ending{Status::failed,
                          "zone " + zone.id + " (auto): no sound device: autoaudiosink found none"};
        }
    }
    return std::nullopt;
}

void GstPlayer::end(Id id, const Ending& ending) {
    const auto it = broadcasts_.find(id);
    if (it == broadcasts_.end()) return;
    std::unique_ptr<Broadcast> b = std::move(it->second);
    broadcasts_.erase(it);

    const WallTime ended = now();
    BroadcastOutcome outcome{ending.status, ending.error, b->started, ended, {}, {}};
    outcome.aired = aired_of(b->built, b->started, ended);
    if (b->relay) outcome.aired = b->relay->aired();  // the source's sound, not the silence
    if (b->bus_fd) b->bus_fd->release();              // cancels the wait; the bus owns the fd
    b->bus_fd.reset();
    // NULL stops the streaming threads and closes the outputs before `done` is reported.
    b->built.pipeline.reset();
    for (const auto& zone : b->built.zones) {
        if (!zone.file) continue;
        std::error_code ec;
        if (ending.status == Status::played) {
            if (std::filesystem::exists(*zone.file, ec)) outcome.files.push_back(*zone.file);
        } else if (repair_wav_header(*zone.file)) {
            outcome.files.push_back(*zone.file);
        } else {
            std::filesystem::remove(*zone.file, ec);  // ours, and without a sample in it
        }
    }
    post_done(std::move(b->on_done), id, std::move(outcome));
}

void GstPlayer::post_done(DoneHandler done, Id id, BroadcastOutcome outcome) {
    if (!done) return;
    asio::post(io_, [alive = std::weak_ptr(alive_), done = std::move(done), id,
                     outcome = std::move(outcome)] {
        if (!alive.expired()) done(id, outcome);
    });
}

}  // namespace wardcast::audio
