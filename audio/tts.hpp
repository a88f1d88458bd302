#pragma once
// Text-to-speech with espeak, rendered once to a cached WAV file.

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "schedules/schedule.hpp"

namespace wardcast::audio {

/// Speaks `tts` into `out`, encoded by out's extension: .wav, .ogg (Vorbis), .mp3 (64 kbit/s
/// constant bit rate, so its length is exact without a Xing header), .flac.
/// Writes a temporary file beside `out` and renames it into place only when complete.
/// Throws std::runtime_error when the text is empty, the voice is unknown to espeak, the
/// espeak or encoder element is missing, the extension is not one of those, or rendering
/// fails or takes longer than `timeout`.
void render_speech(const schedules::Tts& tts, const std::filesystem::path& out,
                   std::chrono::seconds timeout = std::chrono::seconds(60));

/// Whether espeak has `voice`: a voice name ("Vietnamese (Northern)"), a language ("vi") or
/// a language with variant ("vi-vn-x-south"), case-insensitive, optionally followed by
/// "+variant" ("vi+f2"). Throws std::runtime_error when the espeak element is missing.
bool espeak_has_voice(const std::string& voice);

/// Speech rendered once per (voice, text) into `DIR/tts/<sha256 of voice + '\n' + text>.wav`
/// and reused after. Safe to use from several threads and processes: files appear atomically.
class TtsCache {
  public:
    /// A rendered file, or the reason there is none.
    struct Result {
        std::optional<std::filesystem::path> file;
        std::string error;
    };

    /// Caches under `dir`/tts; nothing is created until the first synthesis.
    explicit TtsCache(std::filesystem::path dir);

    /// Where the speech for `tts` is (or will be) cached.
    std::filesystem::path path_for(const schedules::Tts& tts) const;

    /// The cached file for `tts`, rendering it first when missing (espeak → 22050 Hz mono
    /// S16 WAV). Never throws for a bad message, voice or unwritable folder: see Result::error.
    Result synthesize(const schedules::Tts& tts);

    /// The cache folder given to the constructor.
    const std::filesystem::path& dir() const noexcept { return dir_; }

  private:
    std::filesystem::path dir_;
};

}  // namespace wardcast::audio
