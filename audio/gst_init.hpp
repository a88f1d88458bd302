#pragma once
// GStreamer set-up and the small owning pointers the audio layer shares.

#include <gst/gst.h>

#include <chrono>
#include <memory>
#include <string>

namespace wardcast::audio {

/// Initialises GStreamer once per process; thread-safe, later calls return at once.
/// Throws std::runtime_error when GStreamer cannot be initialised (a later call retries).
void ensure_gstreamer();

/// Drops one reference to any GstObject (elements, buses, pads, discoverers are all GObjects).
struct ObjectUnref {
    void operator()(gpointer object) const noexcept { g_object_unref(object); }
};
/// Frees a GError.
struct ErrorFree {
    void operator()(GError* error) const noexcept { g_error_free(error); }
};
/// Frees a string or block GLib allocated.
struct GFree {
    void operator()(gpointer memory) const noexcept { g_free(memory); }
};
/// Unrefs a GstMessage.
struct MessageUnref {
    void operator()(GstMessage* message) const noexcept { gst_message_unref(message); }
};
/// Sets a pipeline to NULL, then drops the reference: the teardown GStreamer requires.
struct PipelineStop {
    void operator()(GstElement* pipeline) const noexcept {
        gst_element_set_state(pipeline, GST_STATE_NULL);
        gst_object_unref(pipeline);
    }
};

using ElementPtr = std::unique_ptr<GstElement, ObjectUnref>;
using PipelinePtr = std::unique_ptr<GstElement, PipelineStop>;
using BusPtr = std::unique_ptr<GstBus, ObjectUnref>;
using MessagePtr = std::unique_ptr<GstMessage, MessageUnref>;
using ErrorPtr = std::unique_ptr<GError, ErrorFree>;
using CharPtr = std::unique_ptr<gchar, GFree>;

/// A new element from `factory`, owned (not floating). Throws std::runtime_error naming the
/// element, and `package` when given, when the factory is not installed.
ElementPtr make_element(const char* factory, const char* package = nullptr);

/// A new, empty pipeline, owned; stopped and released by its deleter.
PipelinePtr make_pipeline();

/// Takes ownership of a (possibly floating) pipeline, e.g. from gst_parse_launch.
PipelinePtr adopt_pipeline(GstElement* pipeline);

/// Plays `pipeline` until end of stream, then sets it to NULL. Throws std::runtime_error with
/// GStreamer's message on an error, or when `timeout` passes first.
void run_to_eos(GstElement* pipeline, std::chrono::milliseconds timeout);

/// GStreamer's text for an error (or, with `warning`, a warning) message, then the last line
/// of its debug text when that adds the system's reason: "Could not open resource for
/// writing. (Permission denied)".
std::string gst_error_text(GstMessage* message, bool warning = false);

/// A "pad-added" handler for decodebin and uridecodebin: links an audio pad to the sink pad of
/// `convert` (a GstElement* in the same pipeline, so it outlives the signal), once.
void link_decoded_audio_pad(GstElement* decoder, GstPad* pad, gpointer convert);

}  // namespace wardcast::audio
