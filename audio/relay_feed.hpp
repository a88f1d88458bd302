#pragma once
// The pipeline that receives a relayed source (SPEC §8) and hands its sound, in the mix
// format, to a RelayBuffer. One pipeline per connection: a dropped source is reconnected by
// building a new one, while the broadcast's outputs (another pipeline) keep running.
//
//   http(s)://, .m3u8           souphttpsrc ! decodebin (decoders; hlsdemux for a playlist)
//   rtsp://                     uridecodebin (rtspsrc, depayloaders, decoders)
//   rtp://@:PORT                udpsrc (L16 caps) ! rtpjitterbuffer ! rtpL16depay
//   alsa:DEVICE, pulse:SOURCE   alsasrc, pulsesrc
//     then audioconvert ! audioresample ! F32LE 48 kHz mono ! appsink

#include <memory>

#include "audio/gst_init.hpp"
#include "audio/relay_buffer.hpp"
#include "schedules/relay_source.hpp"

namespace wardcast::audio {

/// Builds, in state NULL, the pipeline receiving `form` into `buffer` (which the pipeline keeps
/// alive). Samples go to the buffer as they arrive, except for HLS, whose segments come in
/// bursts and are paced by their timestamps instead. Throws std::runtime_error naming a missing
/// GStreamer element and its package.
PipelinePtr build_relay_feed(const schedules::RelaySourceForm& form,
                             std::shared_ptr<RelayBuffer> buffer);

}  // namespace wardcast::audio
