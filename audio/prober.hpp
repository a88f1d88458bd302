#pragma once
// Measuring how long an audio file plays, with GStreamer's discoverer.

#include <gst/pbutils/pbutils.h>

#include <chrono>
#include <filesystem>
#include <memory>

#include "audio/gst_init.hpp"
#include "schedules/validator.hpp"

namespace wardcast::audio {

/// Probes audio files one at a time (wav, mp3, ogg/vorbis, flac, anything GStreamer decodes).
/// Not thread-safe: use one Prober per thread.
class Prober {
  public:
    using Result = schedules::AudioLengths::Result;

    /// Initialises GStreamer if needed. Throws std::runtime_error when GStreamer cannot start.
    explicit Prober(std::chrono::seconds timeout = std::chrono::seconds(10));

    /// The playing time of `path`, rounded to the millisecond, or why there is none:
    /// "no such file", "not an audio file GStreamer can decode: …", "has no audio stream".
    /// Never throws for a bad file.
    Result probe(const std::filesystem::path& path);

  private:
    /// The length found by decoding the whole file; GST_CLOCK_TIME_NONE when it cannot be.
    static GstClockTime decoded_length(const std::filesystem::path& path);

    std::unique_ptr<GstDiscoverer, ObjectUnref> discoverer_;  ///< owned, reused for every probe
};

}  // namespace wardcast::audio
