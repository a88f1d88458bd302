#pragma once
// Building one broadcast's GStreamer pipeline:
//
//   [chime] [item…] [gap] [item…] …  each: filesrc ! decodebin ! audioconvert ! audioresample
//        \  \ …  /                         ! F32LE 48 kHz mono ! audioamplify (loudness gain)
//          concat ! volume (announcement) ! tee
//            per zone: queue ! volume (zone) ! audioconvert ! audioresample ! <output>
//
// where a gap is silence from audiotestsrc, and <output> (SPEC §3) is autoaudiosink, alsasink,
// pulsesink, identity single-segment ! wavenc ! filesink sync=true, rtpL16pay ! udpsink
// sync=true or fakesink sync=true: every output keeps the broadcast's real-time pace.

#include <gst/gst.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "audio/gst_init.hpp"
#include "audio/output_spec.hpp"
#include "audio/player.hpp"

namespace wardcast::audio {

/// One broadcast's pipeline, built and linked, still in state NULL.
struct BroadcastPipeline {
    /// One zone's branch after the tee.
    struct Zone {
        std::string id;      ///< the zone id
        std::string output;  ///< as the request wrote it
        OutputSpec spec;
        ElementPtr volume;  ///< the zone's level ("volume" 0.0 .. 1.0), may be changed live
        ElementPtr sink;    ///< the element the sound leaves by (autoaudiosink is a bin)
        std::optional<std::filesystem::path> file;  ///< the WAV file of a file: output
    };

    PipelinePtr pipeline;
    std::vector<Zone> zones;                     ///< in request order
    std::vector<std::filesystem::path> sources;  ///< what each concat input plays; empty: a gap

    /// Who an element (or one inside it, e.g. a decodebin's parser) of this pipeline works for,
    /// for error messages: the file it plays, "zone ID (OUTPUT)", or "" when neither.
    std::string describe(GstObject* element) const;
};

/// The loudness gain for a file in dB, or nullopt to play it unchanged.
using GainLookup = std::function<std::optional<double>(const std::filesystem::path&)>;

/// Builds the pipeline for `request` (the announcement level and each zone's level clamped to
/// 0..1). `gain_db`, when set, is asked once per distinct file. A `file:` output whose
/// name is taken gets `-2`, `-3`… before `.wav` rather than overwriting an earlier broadcast.
/// Throws std::runtime_error for a missing file ("no such file: PATH"), nothing to play, no
/// zone, a bad output ("zone ID: unknown output …"), a missing GStreamer element (naming the
/// package to install) or a failed link.
BroadcastPipeline build_pipeline(const BroadcastRequest& request, const GainLookup& gain_db);

/// Whether an autoaudiosink (in READY or later) settled for its fake sink because no real
/// sound device opened.
bool picked_fake_sink(GstElement* autoaudiosink);

}  // namespace wardcast::audio
