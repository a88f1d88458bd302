#pragma once
// Where a zone's sound goes (SPEC §3): parsing a zone's `output`, and the WAV files that
// `file:` outputs write.

#include <cstdint>
#include <filesystem>
#include <string>

#include "audio/player.hpp"

namespace wardcast::audio {

/// Where a zone's sound goes, parsed from its `output` text.
struct OutputSpec {
    enum class Kind { automatic, alsa, pulse, file, rtp, discard };
    Kind kind = Kind::automatic;
    std::string target;      ///< alsa device, pulse sink, file path or rtp host; else empty
    std::uint16_t port = 0;  ///< rtp only
};

/// Parses `auto`, `alsa:DEVICE`, `pulse:SINK`, `file:PATH` (normally PATH.wav),
/// `rtp://HOST:PORT` (HOST may be a bracketed IPv6 address) and `null`.
/// Throws std::invalid_argument naming the text when it is none of these.
OutputSpec parse_output(const std::string& output);

/// The file a `file:PATH.wav` output writes for one broadcast: PATH without `.wav`, then
/// `-LABEL-YYYYmmddTHHMMSS.wav` with the scheduled instant in UTC, e.g.
/// `/srv/archive/zone-a-cchc-1-20261130T230000.wav`. Characters of LABEL other than ASCII
/// letters, digits, `.`, `_` and `-` become `_` (each byte of a UTF-8 character).
std::filesystem::path broadcast_wav_path(const std::filesystem::path& base,
                                         const std::string& label, WallTime scheduled);

/// Makes a WAV file that was cut off (a broadcast stopped or failed mid-way) readable: sets
/// the RIFF and data chunk sizes to what the file holds. Returns whether the file holds any
/// audio; false too when it is missing or is not a WAV file. Never throws.
bool repair_wav_header(const std::filesystem::path& file) noexcept;

}  // namespace wardcast::audio
