#include "audio/gst_init.hpp"

#include <mutex>
#include <stdexcept>

namespace wardcast::audio {

void ensure_gstreamer() {
    static std::once_flag once;
    std::call_once(once, [] {
        GError* raw = nullptr;
        if (!gst_init_check(nullptr, nullptr, &raw)) {
            ErrorPtr error(raw);
            // std::call_once lets a later caller try again after this throw.
            throw std::runtime_error(std::string("cannot initialise GStreamer: ") +
                                     (error ? error->message : "unknown error"));
        }
    });
}

ElementPtr make_element(const char* factory, const char* package) {
    ensure_gstreamer();
    GstElement* element = gst_element_factory_make(factory, nullptr);
    if (!element) {
        std::string message = std::string("the ") + factory + " GStreamer element is missing";
        if (package) message += std::string(": install ") + package;
        throw std::runtime_error(message);
    }
    // Sink the floating reference so the unique_ptr owns a real one and a bin takes its own.
    return ElementPtr(GST_ELEMENT(gst_object_ref_sink(element)));
}

PipelinePtr make_pipeline() {
    ensure_gstreamer();
    return adopt_pipeline(gst_pipeline_new(nullptr));
}

PipelinePtr adopt_pipeline(GstElement* pipeline) {
    if (!pipeline) throw std::runtime_error("cannot create a GStreamer pipeline");
    return PipelinePtr(GST_ELEMENT(gst_object_ref_sink(pipeline)));
}

namespace {

std::string error_text(GstMessage* message) {
    GError* raw = nullptr;
    gchar* debug = nullptr;
    gst_message_parse_error(message, &raw, &debug);
    ErrorPtr error(raw);
    CharPtr debug_owner(debug);
    return error ? error->message : "unknown GStreamer error";
}

}  // namespace

std::string gst_error_text(GstMessage* message, bool warning) {
    GError* raw = nullptr;
    gchar* debug_raw = nullptr;
    if (warning) {
        gst_message_parse_warning(message, &raw, &debug_raw);
    } else {
        gst_message_parse_error(message, &raw, &debug_raw);
    }
    ErrorPtr error(raw);
    CharPtr debug(debug_raw);
    std::string text = error ? error->message : "unknown GStreamer error";
    const std::string detail = debug ? debug.get() : "";
    if (const auto at = detail.rfind(":\n"); at != std::string::npos) {
        const std::string reason = detail.substr(at + 2);
        if (!reason.empty() && text.find(reason) == std::string::npos) {
            text += " (" + reason + ")";
        }
    }
    return text;
}

// decodebin's pads appear once it knows the format, on a streaming thread: linking there is
// what GStreamer expects.
void link_decoded_audio_pad(GstElement*, GstPad* pad, gpointer convert) {
    GstCaps* caps = gst_pad_get_current_caps(pad);
    if (!caps) caps = gst_pad_query_caps(pad, nullptr);
    const bool audio =
        caps && gst_caps_get_size(caps) > 0 &&
        g_str_has_prefix(gst_structure_get_name(gst_caps_get_structure(caps, 0)), "audio/");
    if (caps) gst_caps_unref(caps);
    if (!audio) return;
    std::unique_ptr<GstPad, ObjectUnref> sink(
        gst_element_get_static_pad(GST_ELEMENT(convert), "sink"));
    if (!gst_pad_is_linked(sink.get())) gst_pad_link(pad, sink.get());
}

void run_to_eos(GstElement* pipeline, std::chrono::milliseconds timeout) {
    BusPtr bus(gst_element_get_bus(pipeline));
    const auto filter = static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    auto fail = [&](const std::string& why) {
        gst_element_set_state(pipeline, GST_STATE_NULL);
        throw std::runtime_error(why);
    };

    if (gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        // The element that refused usually posted the reason on the bus.
        MessagePtr message(gst_bus_pop_filtered(bus.get(), GST_MESSAGE_ERROR));
        fail(message ? error_text(message.get()) : "the pipeline refused to start");
    }
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count();
    MessagePtr message(
        gst_bus_timed_pop_filtered(bus.get(), static_cast<GstClockTime>(ns), filter));
    if (!message) {
        fail("timed out after " + std::to_string(timeout.count() / 1000) + " s");
    }
    if (GST_MESSAGE_TYPE(message.get()) == GST_MESSAGE_ERROR) fail(error_text(message.get()));
    gst_element_set_state(pipeline, GST_STATE_NULL);
}

}  // namespace wardcast::audio
