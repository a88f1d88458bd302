#pragma once
// The audio lengths the CLI and the daemon use: probed with GStreamer, cached on disk.

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "audio/prober.hpp"
#include "audio/tts.hpp"
#include "schedules/validator.hpp"

namespace wardcast::audio {

/// The cache folder: $WARDCAST_CACHE; else $CACHE_DIRECTORY (systemd's CacheDirectory=);
/// else /var/cache/wardcast for root; else $XDG_CACHE_HOME/wardcast or ~/.cache/wardcast.
std::filesystem::path default_cache_dir();

/// Audio lengths by file content: a file is hashed (SHA-256) and its length looked up in
/// `<cache>/lengths.tsv` ("sha256<TAB>milliseconds" lines), probed and appended when new.
/// Text-to-speech is rendered into `<cache>/tts/`. A cache folder that cannot be written only
/// costs speed: lengths are then kept in memory and speech goes to a private temporary folder.
/// Thread-safe.
class AudioLibrary : public schedules::AudioLengths {
  public:
    /// Uses `cache_dir` (created when first needed). Does not touch the disk or GStreamer yet.
    explicit AudioLibrary(std::filesystem::path cache_dir = default_cache_dir());
    /// Removes the private temporary speech folder, if one was needed.
    ~AudioLibrary() override;
    AudioLibrary(const AudioLibrary&) = delete;
    AudioLibrary& operator=(const AudioLibrary&) = delete;

    /// The playing time of the file, or "no such file", "cannot read the file: …", the
    /// decoder's error. Never throws for a bad file or cache.
    Result file_length(const std::filesystem::path& path) override;

    /// The playing time of the message once spoken (rendered and cached on first use), or
    /// why it cannot be spoken. Never throws for a bad message or cache.
    Result tts_length(const schedules::Tts& tts) override;

    /// The WAV file holding the spoken message, rendering it first when needed.
    /// Throws std::runtime_error with the reason when it cannot be rendered.
    std::filesystem::path tts_file(const schedules::Tts& tts);

    /// The SHA-256 (hex) of the file's content, or nullopt when it cannot be read. Remembered
    /// in `<cache>/hashes.tsv` by the file's device, inode, size and modification time (to the
    /// nanosecond), so an unchanged file is not read again.
    std::optional<std::string> content_hash(const std::filesystem::path& path);

    /// The cache folder given to the constructor.
    const std::filesystem::path& cache_dir() const noexcept { return cache_dir_; }

  private:
    void load_lengths();                                                   // once, under mutex_
    void load_hashes();                                                    // once, under mutex_
    void remember(const std::string& sha256, schedules::Duration length);  // under mutex_
    TtsCache::Result synthesize(const schedules::Tts& tts);

    std::filesystem::path cache_dir_;
    TtsCache tts_;

    std::mutex probe_mutex_;        ///< guards prober_: one probe at a time, without mutex_
    std::optional<Prober> prober_;  ///< created on the first probe
    std::mutex mutex_;              ///< guards everything below; never held while probing
    std::unordered_map<std::string, schedules::Duration> lengths_;  ///< by content SHA-256
    bool loaded_ = false;
    std::unordered_map<std::string, std::string> hashes_;  ///< file identity -> content SHA-256
    bool hashes_loaded_ = false;
    bool hashes_writable_ = true;
    bool tsv_writable_ = true;              ///< false after the first failed append: stop trying
    std::optional<TtsCache> fallback_tts_;  ///< in a private temporary folder, when needed
    std::filesystem::path fallback_dir_;    ///< owned: removed by the destructor
};

}  // namespace wardcast::audio
