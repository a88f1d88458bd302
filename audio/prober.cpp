#include "audio/prober.hpp"

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
    const GstClockTime ns = gst_discoverer_info_get_duration(info.get());
    if (!GST_CLOCK_TIME_IS_VALID(ns) || ns == 0) {
        return {std::nullopt, "has no audio stream (its length is zero or unknown)"};
    }
    return {schedules::Duration((ns + GST_MSECOND / 2) / GST_MSECOND), ""};
}

}  // namespace wardcast::audio
