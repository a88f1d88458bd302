#include "audio/relay.hpp"

#include <date/tz.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <cstdio>
#include <stdexcept>

#include "audio/pipeline_builder.hpp"
#include "audio/relay_feed.hpp"

namespace wardcast::audio {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr milliseconds tick_every{200};
constexpr milliseconds stall_after{5000};  ///< no sample for this long: the source is lost
constexpr milliseconds first_backoff{250};
constexpr milliseconds max_backoff{500};  ///< a relay slot is short: retry often

// What the program's pad probe shares with its streaming thread.
struct ProgramFill {
    std::shared_ptr<RelayBuffer> buffer;
    std::atomic<bool> ended{false};
};

void drop_fill(gpointer fill) { delete static_cast<ProgramFill*>(fill); }

// On the program's streaming thread: write the next 10 ms of the program into the buffer of
// silence the live audiotestsrc made; post once when the program is over.
GstPadProbeReturn on_program_buffer(GstPad* pad, GstPadProbeInfo* info, gpointer fill_pointer) {
    auto* fill = static_cast<ProgramFill*>(fill_pointer);
    GstBuffer* buffer = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
    GST_PAD_PROBE_INFO_DATA(info) = buffer;
    // audiotestsrc marks its silence as a gap, which downstream elements skip: no longer one.
    GST_BUFFER_FLAG_UNSET(buffer, GST_BUFFER_FLAG_GAP);
    GstMapInfo map;
    bool more = true;
    if (gst_buffer_map(buffer, &map, GST_MAP_WRITE)) {
        const auto at =
            std::chrono::time_point_cast<milliseconds>(std::chrono::system_clock::now());
        more = fill->buffer->fill(reinterpret_cast<float*>(map.data), map.size / sizeof(float), at);
        gst_buffer_unmap(buffer, &map);
    }
    if (!more && !fill->ended.exchange(true)) {
        GstElement* program = GST_ELEMENT(GST_PAD_PARENT(pad));
        gst_element_post_message(
            program, gst_message_new_application(GST_OBJECT(program),
                                                 gst_structure_new_empty(relay_ended_message)));
    }
    return GST_PAD_PROBE_OK;
}

// HH:MM:SS of `at` in `zone` (UTC when none): the station's clock, not the machine's.
std::string station_clock(WallTime at, const date::time_zone* zone) {
    const auto seconds = std::chrono::floor<std::chrono::seconds>(at);
    if (!zone) return date::format("%H:%M:%S", seconds);
    return date::format("%H:%M:%S", date::zoned_time(zone, seconds));
}

}  // namespace

std::string relay_seconds_text(milliseconds span) {
    char text[32];
    if (span.count() % 1000 == 0) {
        std::snprintf(text, sizeof text, "%llds", static_cast<long long>(span.count() / 1000));
    } else {
        std::snprintf(text, sizeof text, "%.1fs", static_cast<double>(span.count()) / 1000);
    }
    return text;
}

Relay::Relay(asio::io_context& io, const RelaySource& source, GstElement* program,
             std::vector<float> chime, FailHandler on_fail, NoteHandler on_note)
    : io_(io),
      source_(source),
      program_(program),
      chime_(milliseconds(static_cast<long long>(chime.size()) * 1000 / relay_mix_rate)),
      on_fail_(std::move(on_fail)),
      on_note_(std::move(on_note)),
      backoff_(first_backoff),
      timer_(io) {
    auto parsed = schedules::parse_relay_source(source.source);
    if (auto* reason = std::get_if<std::string>(&parsed)) {
        throw std::runtime_error("relay " + source.source + ": " + *reason);
    }
    form_ = std::get<schedules::RelaySourceForm>(parsed);
    if (source.duration <= milliseconds(0)) {
        throw std::runtime_error("relay " + source.source + ": no duration");
    }
    buffer_ = std::make_shared<RelayBuffer>(std::move(chime),
                                            source.duration.count() * relay_mix_rate / 1000,
                                            RelayBuffer::default_limits(relay_mix_rate));
    std::unique_ptr<GstPad, ObjectUnref> pad(gst_element_get_static_pad(program_, "src"));
    gst_pad_add_probe(pad.get(), GST_PAD_PROBE_TYPE_BUFFER, on_program_buffer,
                      new ProgramFill{buffer_, {}}, drop_fill);
    try {
        connect();
    } catch (const std::exception& e) {
        disconnect();
        throw std::runtime_error("relay " + source.source + ": " + e.what());
    }
    tick();
}

Relay::~Relay() { disconnect(); }

void Relay::begin(SteadyClock::time_point instant) {
    if (!deadline_) deadline_ = instant + chime_ + source_.start_timeout;
}

void Relay::finish() {
    if (finished_) return;
    finished_ = true;
    gst_element_send_event(program_, gst_event_new_eos());
}

std::pair<BroadcastOutcome::Status, std::string> Relay::result() const {
    if (buffer_->relayed_frames() == 0) {
        return {BroadcastOutcome::Status::failed, "relay " + source_.source + ": no sound in " +
                                                      relay_seconds_text(source_.duration) + " (" +
                                                      reason() + ")"};
    }
    return {BroadcastOutcome::Status::played, gaps_text()};
}

milliseconds Relay::aired() const { return buffer_->aired(relay_mix_rate); }

void Relay::connect() {
    buffer_->restart_feed();
    feed_ = build_relay_feed(form_, buffer_);
    connected_at_ = SteadyClock::now();
    feed_bus_.reset(gst_element_get_bus(feed_.get()));
    GPollFD poll_fd{};
    gst_bus_get_pollfd(feed_bus_.get(), &poll_fd);
    feed_fd_.emplace(io_, poll_fd.fd);
    watch_feed();
    if (gst_element_set_state(feed_.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        MessagePtr error(gst_bus_pop_filtered(feed_bus_.get(), GST_MESSAGE_ERROR));
        drop(error ? gst_error_text(error.get()) : "the source cannot start");
    }
}

void Relay::disconnect() {
    if (feed_fd_) feed_fd_->release();  // cancels the wait; the bus owns the fd
    feed_fd_.reset();
    feed_bus_.reset();
    feed_.reset();  // NULL first: the source's threads stop before the buffer is let go
}

void Relay::watch_feed() {
    feed_fd_->async_wait(
        asio::posix::descriptor_base::wait_read,
        [this, alive = std::weak_ptr(alive_)](const boost::system::error_code& ec) {
            if (ec || alive.expired()) return;
            on_feed_bus();
        });
}

void Relay::on_feed_bus() {
    if (!feed_bus_) return;
    while (MessagePtr message{gst_bus_pop(feed_bus_.get())}) {
        switch (GST_MESSAGE_TYPE(message.get())) {
            case GST_MESSAGE_ERROR:
                return drop(gst_error_text(message.get()));
            case GST_MESSAGE_EOS:
                return drop("the stream ended");
            default:
                break;
        }
    }
    watch_feed();
}

void Relay::drop(const std::string& reason) {
    const auto last = buffer_->last_push();
    const bool gave_sound = last && *last >= connected_at_;
    if (gave_sound) {
        ++lost_;
        backoff_ = first_backoff;
    }
    last_error_ = reason;
    disconnect();
    find_connect_error();
    buffer_->restart_feed();
    reconnect_at_ = SteadyClock::now() + backoff_;
    if (on_note_) {
        on_note_("relay " + source_.source + ": " + reason + "; reconnecting in " +
                 relay_seconds_text(backoff_));
    }
    backoff_ = std::min(backoff_ * 2, max_backoff);
}

void Relay::tick() {
    const auto now = SteadyClock::now();
    if (!failed_ && deadline_ && now >= *deadline_ && buffer_->relayed_frames() == 0) {
        failed_ = true;  // the player ends the broadcast, which destroys this
        asio::post(io_,
                   [alive = std::weak_ptr(alive_), on_fail = on_fail_,
                    error = "relay " + source_.source + ": no sound after " +
                            relay_seconds_text(source_.start_timeout) + " (" + reason() + ")"] {
                       if (!alive.expired() && on_fail) on_fail(error);
                   });
        return;
    }
    if (feed_) {
        const auto last = buffer_->last_push();
        const auto since = last && *last > connected_at_ ? *last : connected_at_;
        if (now - since >= stall_after) {
            drop(std::string(last && *last > connected_at_ ? "no sound" : "nothing") +
                 " from the source for " + relay_seconds_text(stall_after));
        }
    } else if (reconnect_at_ && now >= *reconnect_at_) {
        reconnect_at_.reset();
        try {
            connect();
        } catch (const std::exception& e) {
            drop(e.what());
        }
    }
    // Every tick_every for the checks, and a reconnection exactly when its back-off is over
    // (the back-off is longer than a tick, so the tick before it sets this).
    auto next = SteadyClock::now() + tick_every;
    if (reconnect_at_) next = std::min(next, *reconnect_at_);
    timer_.expires_at(next);
    timer_.async_wait([this, alive = std::weak_ptr(alive_)](const boost::system::error_code& ec) {
        if (!ec && !alive.expired()) tick();
    });
}

// souphttpsrc in GStreamer 1.22 reports a refused or unreachable server only as "Internal
// data stream error" (the reason goes to its debug log): try the connection once to name it.
void Relay::find_connect_error() {
    using schedules::RelaySourceKind;
    if ((form_.kind != RelaySourceKind::http && form_.kind != RelaySourceKind::hls) ||
        last_error_.rfind("Internal data stream error", 0) != 0) {
        return;
    }
    using asio::ip::tcp;
    struct Probe {
        tcp::resolver resolver;
        tcp::socket socket;
    };
    auto probe = std::make_shared<Probe>(Probe{tcp::resolver(io_), tcp::socket(io_)});
    probe_ = probe;
    const std::string where = form_.host + ":" + std::to_string(form_.port);
    const std::string said = last_error_;
    auto done = [this, alive = std::weak_ptr(alive_), where,
                 said](const boost::system::error_code& ec) {
        if (alive.expired() || !ec || last_error_ != said) return;
        last_error_ = "cannot connect to " + where + ": " + ec.message();
    };
    probe->resolver.async_resolve(
        form_.host, std::to_string(form_.port),
        [probe, done](const boost::system::error_code& ec, tcp::resolver::results_type found) {
            if (ec) return done(ec);
            asio::async_connect(probe->socket, found,
                                [probe, done](const boost::system::error_code& ec2,
                                              const tcp::endpoint&) { done(ec2); });
        });
}

std::string Relay::reason() const {
    if (!last_error_.empty()) return last_error_;
    return "nothing came from the source";
}

std::string Relay::gaps_text() const {
    const auto now = std::chrono::time_point_cast<milliseconds>(std::chrono::system_clock::now());
    const std::vector<RelayGap> gaps = buffer_->gaps(now);
    std::string text;
    if (lost_ > 0) {
        text = "source lost " + std::to_string(lost_) + (lost_ == 1 ? " time" : " times");
    }
    if (gaps.empty()) return text;
    milliseconds silent{0};
    std::string list;
    for (const auto& gap : gaps) {
        silent += gap.to - gap.from;
        list += (list.empty() ? "" : ", ") + station_clock(gap.from, source_.zone) + "-" +
                station_clock(gap.to, source_.zone);
    }
    char total[32];
    std::snprintf(total, sizeof total, "%.1f s", static_cast<double>(silent.count()) / 1000);
    return text + (text.empty() ? "" : ", ") + total + " without sound: " + list;
}

}  // namespace wardcast::audio
