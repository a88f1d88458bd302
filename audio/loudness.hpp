#pragma once
// Loudness normalization: how much to raise or lower each file so that a quiet recording and a
// loud one air at the same level. Measured once per file content with GStreamer's rganalysis
// (ReplayGain), cached on disk.

#include <chrono>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace wardcast::audio {

/// What rganalysis measured for one file.
struct LoudnessMeasurement {
    double track_gain_db = 0;  ///< gain that brings the file to the ReplayGain reference (89 dB)
    double peak = 0;           ///< highest absolute sample, 1.0 = full scale
};

/// The gain to apply when playing a file with `measured` loudness, in dB: the track gain,
/// clamped to [-max_gain_db, +max_gain_db] and lowered so that the file's peak stays at or
/// below full scale (normalization never makes a file clip).
double playback_gain_db(const LoudnessMeasurement& measured) noexcept;

/// The largest boost or cut playback_gain_db gives, in dB.
inline constexpr double max_gain_db = 24.0;

/// Loudness-normalization gains by file content: a file is hashed (SHA-256) and its measurement
/// looked up in `<cache>/gains.tsv` ("sha256<TAB>track gain dB<TAB>peak" lines); a new file is
/// decoded once as fast as possible through rganalysis and its line appended. A cache folder
/// that cannot be written only costs speed: measurements are then kept in memory.
/// Thread-safe (one analysis at a time).
class LoudnessAnalyzer {
  public:
    /// Uses `cache_dir` (created when first needed). Does not touch the disk or GStreamer yet.
    /// An analysis that takes longer than `timeout` fails.
    explicit LoudnessAnalyzer(std::filesystem::path cache_dir,
                              std::chrono::seconds timeout = std::chrono::seconds(60));

    /// The gain to play `file` with, in dB (see playback_gain_db), measuring it first when its
    /// content is new — this decodes the whole file and can take a second or more for a long
    /// one. nullopt when the file cannot be read or decoded: play it unchanged. Never throws.
    std::optional<double> gain_db(const std::filesystem::path& file);

    /// What rganalysis measures for `file`, uncached; nullopt when it cannot be decoded.
    /// Never throws.
    std::optional<LoudnessMeasurement> measure(const std::filesystem::path& file) const;

    /// The cache folder given to the constructor.
    const std::filesystem::path& cache_dir() const noexcept { return cache_dir_; }

  private:
    void load();  // once, under mutex_
    void remember(const std::string& sha256, const LoudnessMeasurement& measured);  // mutex_

    std::filesystem::path cache_dir_;
    std::chrono::seconds timeout_;

    std::mutex analysis_mutex_;  ///< one analysis at a time; never held with mutex_ waited on
    std::mutex mutex_;           ///< guards everything below; never held while analysing
    std::unordered_map<std::string, LoudnessMeasurement> measured_;  ///< by content SHA-256
    bool loaded_ = false;
    bool tsv_writable_ = true;  ///< false after the first failed append: stop trying
};

}  // namespace wardcast::audio
