#include "audio/relay_feed.hpp"

#include <gst/app/gstappsink.h>

#include <cstring>
#include <stdexcept>
#include <string>

#include "audio/pipeline_builder.hpp"

namespace wardcast::audio {

namespace {

using Kind = schedules::RelaySourceKind;
constexpr const char* base_package = "gstreamer1.0-plugins-base";
constexpr const char* good_package = "gstreamer1.0-plugins-good";
// What SPEC §3's rtp output sends: L16, 44.1 kHz, mono, RFC 3551's static payload type 11.
constexpr const char* l16_caps =
    "application/x-rtp,media=audio,clock-rate=44100,encoding-name=L16,channels=1,payload=11";

ElementPtr make(const char* factory, const char* name, const char* package) {
    ElementPtr element = make_element(factory, package);
    gst_object_set_name(GST_OBJECT(element.get()), name);
    return element;
}

void add_and_link(GstElement* pipeline, std::initializer_list<GstElement*> chain) {
    for (GstElement* element : chain) gst_bin_add(GST_BIN(pipeline), element);
    for (auto it = chain.begin(); it + 1 < chain.end(); ++it) {
        if (!gst_element_link(it[0], it[1]))
            throw std::runtime_error("cannot link the relay's source");
    }
}

void set_caps(GstElement* element, const char* text) {
    GstCaps* caps = gst_caps_from_string(text);
    g_object_set(element, "caps", caps, nullptr);
    gst_caps_unref(caps);
}

// On the feed's streaming thread: hand the samples over, nothing else.
GstFlowReturn on_sample(GstAppSink* sink, gpointer buffer_pointer) {
    GstSample* sample = gst_app_sink_pull_sample(sink);
    if (!sample) return GST_FLOW_EOS;
    GstBuffer* buffer = gst_sample_get_buffer(sample);
    GstMapInfo map;
    if (buffer && gst_buffer_map(buffer, &map, GST_MAP_READ)) {
        (*static_cast<std::shared_ptr<RelayBuffer>*>(buffer_pointer))
            ->push(reinterpret_cast<const float*>(map.data), map.size / sizeof(float));
        gst_buffer_unmap(buffer, &map);
    }
    gst_sample_unref(sample);
    return GST_FLOW_OK;
}

void drop_buffer(gpointer buffer_pointer) {
    delete static_cast<std::shared_ptr<RelayBuffer>*>(buffer_pointer);
}

// Network sources should give up rather than wait forever: the relay reconnects itself.
void on_source_setup(GstElement*, GstElement* source, gpointer) {
    GObjectClass* klass = G_OBJECT_GET_CLASS(source);
    const char* factory = GST_OBJECT_NAME(gst_element_get_factory(source));
    if (std::strcmp(factory, "souphttpsrc") == 0) {
        g_object_set(source, "timeout", 10u, "retries", 0, nullptr);
    } else if (std::strcmp(factory, "rtspsrc") == 0) {
        g_object_set(source, "latency", 200u, nullptr);
        if (g_object_class_find_property(klass, "tcp-timeout")) {
            g_object_set(source, "tcp-timeout", static_cast<guint64>(10'000'000), nullptr);
        }
    }
}

}  // namespace

PipelinePtr build_relay_feed(const schedules::RelaySourceForm& form,
                             std::shared_ptr<RelayBuffer> buffer) {
    PipelinePtr pipeline = make_pipeline();
    GstElement* bin = pipeline.get();
    ElementPtr convert = make("audioconvert", "relay-convert", base_package);
    ElementPtr resample = make("audioresample", "relay-resample", base_package);
    ElementPtr sink = make("appsink", "relay-sink", base_package);
    set_caps(sink.get(), relay_mix_caps);
    // As the samples arrive: the outputs' side keeps the delay small. HLS comes a segment
    // at a time (seconds at once), so it is played out by its timestamps instead.
    g_object_set(sink.get(), "sync", form.kind == Kind::hls ? TRUE : FALSE, nullptr);
    add_and_link(bin, {convert.get(), resample.get(), sink.get()});

    switch (form.kind) {
        case Kind::http:
        case Kind::hls: {
            // Not uridecodebin: its buffering queue holds an Icecast stream's first seconds.
            ElementPtr source = make("souphttpsrc", "relay-source", good_package);
            g_object_set(source.get(), "location", form.text.c_str(), nullptr);
            on_source_setup(nullptr, source.get(), nullptr);
            // decodebin finds the format, and for a playlist plugs hlsdemux (plugins-bad).
            ElementPtr decode = make("decodebin", "relay-decode", base_package);
            g_signal_connect(decode.get(), "pad-added", G_CALLBACK(link_decoded_audio_pad),
                             convert.get());
            add_and_link(bin, {source.get(), decode.get()});
            break;
        }
        case Kind::rtsp: {
            ElementPtr decode = make("uridecodebin", "relay-source", base_package);
            g_object_set(decode.get(), "uri", form.text.c_str(), nullptr);
            g_signal_connect(decode.get(), "source-setup", G_CALLBACK(on_source_setup), nullptr);
            g_signal_connect(decode.get(), "pad-added", G_CALLBACK(link_decoded_audio_pad),
                             convert.get());
            add_and_link(bin, {decode.get()});
            break;
        }
        case Kind::rtp: {
            ElementPtr source = make("udpsrc", "relay-source", good_package);
            g_object_set(source.get(), "port", form.port, nullptr);
            set_caps(source.get(), l16_caps);
            ElementPtr jitter = make("rtpjitterbuffer", "relay-jitter", good_package);
            g_object_set(jitter.get(), "latency", 100u, nullptr);
            ElementPtr depay = make("rtpL16depay", "relay-depay", good_package);
            add_and_link(bin, {source.get(), jitter.get(), depay.get(), convert.get()});
            break;
        }
        case Kind::alsa:
        case Kind::pulse: {
            const bool alsa = form.kind == Kind::alsa;
            ElementPtr source = make(alsa ? "alsasrc" : "pulsesrc", "relay-source",
                                     alsa ? "gstreamer1.0-alsa" : "gstreamer1.0-pulseaudio");
            g_object_set(source.get(), "device", form.device.c_str(), nullptr);
            add_and_link(bin, {source.get(), convert.get()});
            break;
        }
    }

    GstAppSinkCallbacks callbacks{};
    callbacks.new_sample = on_sample;
    auto* held = new std::shared_ptr<RelayBuffer>(std::move(buffer));
    gst_app_sink_set_callbacks(GST_APP_SINK(sink.get()), &callbacks, held, drop_buffer);
    return pipeline;
}

}  // namespace wardcast::audio
