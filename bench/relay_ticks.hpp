#pragma once
// Ticks whose instants are known (bench_relay): a source client in this process feeding an
// Icecast mount with a tick every 2 s, the onsets of those ticks found in received sound, and a
// direct listener of the mount (what the source chain costs before any relay).

#include <gst/app/gstappsink.h>
#include <time.h>

#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "audio/gst_init.hpp"

namespace wardcast::bench {

/// The sample rate of the sound the ticks are looked for in (the rtp:// output's).
inline constexpr int tick_rate = 44100;
/// The time between two ticks: the delays measured must stay under it.
inline constexpr std::int64_t tick_interval_ns = 2'000'000'000;
/// A tick's onset: a sample at this level (of 32767; the ticks are sent at 0.8)...
inline constexpr int onset_level = 6000;
/// ...after this many samples under it.
inline constexpr int quiet_before_onset = tick_rate / 2;

/// CLOCK_MONOTONIC in ns.
inline std::int64_t monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

/// The ticking source client, in this process: its ticks' instants are known on our clock.
class TickSource {
  public:
    /// Starts feeding 127.0.0.1:`port` `mount` (source password "wardcast") and waits until it
    /// plays. Throws std::runtime_error with GStreamer's reason when it does not.
    TickSource(int port, const std::string& mount) {
        wardcast::audio::ensure_gstreamer();
        const std::string launch =
            "audiotestsrc is-live=true wave=ticks freq=1000 sine-periods-per-tick=50 "
            "tick-interval=" +
            std::to_string(tick_interval_ns) +
            " volume=0.8 ! audio/x-raw,rate=44100,channels=1 ! audioconvert ! vorbisenc ! "
            "oggmux max-delay=100000000 max-page-delay=100000000 ! shout2send ip=127.0.0.1 "
            "port=" +
            std::to_string(port) + " mount=" + mount + " password=wardcast";
        GError* error = nullptr;
        pipeline_ = wardcast::audio::adopt_pipeline(gst_parse_launch(launch.c_str(), &error));
        if (error) throw std::runtime_error(std::string("tick source: ") + error->message);
        if (gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE ||
            gst_element_get_state(pipeline_.get(), nullptr, nullptr, 10 * GST_SECOND) !=
                GST_STATE_CHANGE_SUCCESS)
            throw std::runtime_error("tick source: does not play (" + failure() + ")");
        GstClock* clock = gst_element_get_clock(pipeline_.get());
        if (!clock) throw std::runtime_error("tick source: no clock");
        // The clock is CLOCK_MONOTONIC by default; measure the offset rather than assume it.
        const std::int64_t before = monotonic_ns();
        const auto gst_now = static_cast<std::int64_t>(gst_clock_get_time(clock));
        offset_ns_ = (before + monotonic_ns()) / 2 - gst_now;
        gst_object_unref(clock);
        base_ns_ = static_cast<std::int64_t>(gst_element_get_base_time(pipeline_.get()));
    }
    /// When tick 0 sounded, on CLOCK_MONOTONIC (tick n: this + n x tick_interval_ns).
    std::int64_t zero_ns() const { return base_ns_ + offset_ns_; }
    /// The offset of the pipeline's clock from CLOCK_MONOTONIC.
    std::int64_t clock_offset_ns() const { return offset_ns_; }
    /// Whether the base time is still the one the ticks are counted from.
    bool base_unchanged() const {
        return static_cast<std::int64_t>(gst_element_get_base_time(pipeline_.get())) == base_ns_;
    }
    /// GStreamer's error, if the pipeline posted one ("" if none).
    std::string failure() const {
        wardcast::audio::BusPtr bus(gst_element_get_bus(pipeline_.get()));
        wardcast::audio::MessagePtr m(gst_bus_pop_filtered(bus.get(), GST_MESSAGE_ERROR));
        return m ? wardcast::audio::gst_error_text(m.get()) : "";
    }

  private:
    wardcast::audio::PipelinePtr pipeline_;
    std::int64_t base_ns_ = 0;
    std::int64_t offset_ns_ = 0;
};

/// A tick onset found in the sound.
struct Onset {
    std::int64_t at_ns;  ///< CLOCK_MONOTONIC
    double delay_ms;     ///< behind the tick's instant at the source client
    std::int64_t tick;
};

/// Finds tick onsets in a run of samples: a sample at onset_level after half a second under it.
class OnsetFinder {
  public:
    explicit OnsetFinder(const TickSource& ticks) : ticks_(ticks) {}
    /// Feeds `count` samples, the first of which is heard at `first_ns` (CLOCK_MONOTONIC).
    void feed(const std::int16_t* samples, std::size_t count, std::int64_t first_ns) {
        for (std::size_t i = 0; i < count; ++i) {
            if (std::abs(int{samples[i]}) < onset_level) {
                ++quiet_;
                continue;
            }
            if (quiet_ >= quiet_before_onset) {
                const std::int64_t at =
                    first_ns + static_cast<std::int64_t>(i) * 1'000'000'000 / tick_rate;
                const std::int64_t since = at - ticks_.zero_ns();
                const std::int64_t n = since >= 0 ? since / tick_interval_ns : -1;
                onsets.push_back({at, static_cast<double>(since - n * tick_interval_ns) / 1e6, n});
            }
            quiet_ = 0;
        }
    }
    std::vector<Onset> onsets;

  private:
    const TickSource& ticks_;
    long quiet_ = 0;
};

/// A listener of the same mount in this process, decoding as fast as the sound comes: the
/// best any relay could do, i.e. what the source client, Icecast and decoding cost.
class DirectListener {
  public:
    DirectListener(const std::string& url, const TickSource& ticks) : finder_(ticks) {
        const std::string launch = "souphttpsrc is-live=true location=" + url +
                                   " ! oggdemux ! vorbisdec ! audioconvert ! audioresample ! "
                                   "audio/x-raw,format=S16LE,rate=44100,channels=1 ! appsink "
                                   "name=sink sync=false";
        GError* error = nullptr;
        pipeline_ = wardcast::audio::adopt_pipeline(gst_parse_launch(launch.c_str(), &error));
        if (error) throw std::runtime_error(std::string("direct listener: ") + error->message);
        wardcast::audio::ElementPtr sink(gst_bin_get_by_name(GST_BIN(pipeline_.get()), "sink"));
        GstAppSinkCallbacks callbacks{};
        callbacks.new_sample = [](GstAppSink* sink, gpointer self) {
            static_cast<DirectListener*>(self)->take(sink);
            return GST_FLOW_OK;
        };
        gst_app_sink_set_callbacks(GST_APP_SINK(sink.get()), &callbacks, this, nullptr);
        gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING);
    }
    ~DirectListener() { pipeline_.reset(); }  // stops the streaming thread before the members go
    /// The onsets so far, leaving out Icecast's burst (older sound sent at once on connecting).
    std::vector<Onset> onsets(std::int64_t after_ns) {
        std::lock_guard lock(mutex_);
        std::vector<Onset> live;
        for (const auto& o : finder_.onsets)
            if (o.at_ns >= after_ns) live.push_back(o);
        return live;
    }

  private:
    void take(GstAppSink* sink) {
        const std::int64_t now = monotonic_ns();
        GstSample* sample = gst_app_sink_pull_sample(sink);
        GstMapInfo map;
        if (sample && gst_buffer_map(gst_sample_get_buffer(sample), &map, GST_MAP_READ)) {
            // The buffer's last sample is the newest sound there is: it is heard "now".
            const std::size_t count = map.size / 2;
            const auto first = now - static_cast<std::int64_t>(count) * 1'000'000'000 / tick_rate;
            std::lock_guard lock(mutex_);
            finder_.feed(reinterpret_cast<const std::int16_t*>(map.data), count, first);
            gst_buffer_unmap(gst_sample_get_buffer(sample), &map);
        }
        if (sample) gst_sample_unref(sample);
    }

    std::mutex mutex_;
    OnsetFinder finder_;
    wardcast::audio::PipelinePtr pipeline_;
};

}  // namespace wardcast::bench
