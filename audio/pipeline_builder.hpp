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
//
// A relay's pipeline has the same announcement volume, tee and zones after a live
// audiotestsrc of silence (the "program"), paced by the system clock, whose buffers the
// relay (audio/relay.hpp) fills with the chime and then the relayed source's samples.

#include <gst/gst.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "audio/gst_init.hpp"
#include "audio/output_spec.hpp"
#include "audio/player.hpp"

namespace wardcast::audio {

/// The one format every source is brought to before the outputs: 32-bit float, 48 kHz, mono.
inline constexpr const char* relay_mix_caps =
    "audio/x-raw,format=F32LE,layout=interleaved,rate=48000,channels=1";
inline constexpr int relay_mix_rate = 48000;
/// A relay's program buffers: 10 ms.
inline constexpr int relay_buffer_frames = relay_mix_rate / 100;
/// A relay pipeline's latency, set on it: its program's 10 ms buffer plus the sinks' 20 ms
/// processing deadline (GstBaseSink's default).
inline constexpr std::uint64_t relay_output_latency_ns = 40'000'000;

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
    /// A relay's live source of silence (F32 mix format, relay_buffer_frames a buffer) that
    /// the relay writes into; null for files.
    ElementPtr program;
    std::vector<float> chime;  ///< a relay's chime in the mix format, gain applied

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

/// Builds a relay's pipeline for `request` (request.relay set): the program, then the
/// announcement volume and the zones as build_pipeline does; the chime, if any, decoded into
/// `chime` (its loudness gain from `gain_db`). Throws as build_pipeline does.
BroadcastPipeline build_relay_pipeline(const BroadcastRequest& request, const GainLookup& gain_db);

/// Decodes `file` to the mix format (relay_mix_caps), times `gain_db`. Blocks until done.
/// Throws std::runtime_error with GStreamer's reason, or when `timeout` passes first.
std::vector<float> decode_to_mix(const std::filesystem::path& file, std::optional<double> gain_db,
                                 std::chrono::milliseconds timeout);

/// Whether an autoaudiosink (in READY or later) settled for its fake sink because no real
/// sound device opened.
bool picked_fake_sink(GstElement* autoaudiosink);

}  // namespace wardcast::audio
