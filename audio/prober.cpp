#include "audio/prober.hpp"

#include <algorithm>

#include <stdexcept>
#include <string>
#include <system_error>

namespace wardcast::audio {

namespace {

struct StreamListFree {
    void operator()(GList* list) const noexcept { gst_discoverer_stream_info_list_free(list); }
};
using StreamListPtr = std::unique_ptr<GList, StreamListFree>;
using InfoPtr = std::unique_ptr<GstDiscovererInfo, ObjectUnref>;

const std::string undecodable = "not an audio file GStreamer can decode";

std::string missing_plugins(GstDiscovererInfo* info) {
    std::string text = undecodable + ": a GStreamer plugin is missing";
    const gchar** details = gst_discoverer_info_get_missing_elements_installer_details(info);
    for (std::size_t i = 0; details && details[i]; ++i) {
        text += i == 0 ? " (" : ", ";
        text += details[i];
        if (!details[i + 1]) text += ")";
    }
    return text;
}

}  // namespace

Prober::Prober(std::chrono::seconds timeout) {
    ensure_gstreamer();
    GError* raw = nullptr;
    const auto ns = static_cast<GstClockTime>(timeout.count()) * GST_SECOND;
    discoverer_.reset(gst_discoverer_new(ns, &raw));
    ErrorPtr error(raw);
    if (!discoverer_) {
        throw std::runtime_error(std::string("cannot create a GStreamer discoverer: ") +
                                 (error ? error->message : "unknown error"));
    }
}

namespace {

GstPadProbeReturn note_end(GstPad*, GstPadProbeInfo* info, gpointer data) {
    GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
    if (GST_BUFFER_PTS_IS_VALID(buffer) && GST_BUFFER_DURATION_IS_VALID(buffer)) {
        auto* end = static_cast<GstClockTime*>(data);
        *end = std::max(*end, GST_BUFFER_PTS(buffer) + GST_BUFFER_DURATION(buffer));
    }
    return GST_PAD_PROBE_OK;
}

}  // namespace

GstClockTime Prober::decoded_length(const std::filesystem::path& path) {
    GError* raw = nullptr;
    PipelinePtr pipeline = adopt_pipeline(gst_parse_launch(
        "filesrc name=src ! decodebin ! audioconvert ! fakesink name=sink sync=false", &raw));
    ErrorPtr error(raw);
    if (!pipeline || error) return GST_CLOCK_TIME_NONE;
    ElementPtr src(gst_bin_get_by_name(GST_BIN(pipeline.get()), "src"));
    ElementPtr sink(gst_bin_get_by_name(GST_BIN(pipeline.get()), "sink"));
    g_object_set(src.get(), "location", path.c_str(), nullptr);
    GstClockTime end = 0;  // written by the streaming thread; read after it stopped
    std::unique_ptr<GstPad, ObjectUnref> pad(gst_element_get_static_pad(sink.get(), "sink"));
    gst_pad_add_probe(pad.get(), GST_PAD_PROBE_TYPE_BUFFER, note_end, &end, nullptr);
    try {
        run_to_eos(pipeline.get(), std::chrono::seconds(60));
    } catch (const std::exception&) {
        return GST_CLOCK_TIME_NONE;
    }
    return end;
}

Prober::Result Prober::probe(const std::filesystem::path& path) {
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (!std::filesystem::exists(status)) return {std::nullopt, "no such file"};
    if (std::filesystem::is_directory(status)) return {std::nullopt, "is a folder, not a file"};

    GError* raw = nullptr;
    CharPtr uri(gst_filename_to_uri(path.c_str(), &raw));
    ErrorPtr uri_error(raw);
    if (!uri) {
        return {std::nullopt, "cannot make a URI of the path: " +
                                  std::string(uri_error ? uri_error->message : "unknown error")};
    }

    raw = nullptr;
    InfoPtr info(gst_discoverer_discover_uri(discoverer_.get(), uri.get(), &raw));
    ErrorPtr error(raw);
    const GstDiscovererResult result =
        info ? gst_discoverer_info_get_result(info.get()) : GST_DISCOVERER_ERROR;
    switch (result) {
        case GST_DISCOVERER_OK:
            break;
        case GST_DISCOVERER_MISSING_PLUGINS:
            return {std::nullopt, missing_plugins(info.get())};
        case GST_DISCOVERER_TIMEOUT:
            return {std::nullopt, undecodable + ": timed out"};
        default:
            return {std::nullopt,
                    undecodable + ": " + (error ? error->message : std::string("unknown error"))};
    }

    StreamListPtr audio(gst_discoverer_info_get_audio_streams(info.get()));
    if (!audio) return {std::nullopt, "has no audio stream"};
    GstClockTime ns = gst_discoverer_info_get_duration(info.get());
    // A stream without a length in its headers (an MP3 with no Xing/VBRI frame, when the
    // parser has not estimated one yet) is decoded once to the end instead.
    if (!GST_CLOCK_TIME_IS_VALID(ns) || ns == 0) ns = decoded_length(path);
    if (!GST_CLOCK_TIME_IS_VALID(ns) || ns == 0) {
        return {std::nullopt, "has no audio stream (its length is zero or unknown)"};
    }
    return {schedules::Duration((ns + GST_MSECOND / 2) / GST_MSECOND), ""};
}

}  // namespace wardcast::audio
