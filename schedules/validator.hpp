#pragma once
// Checks of a loaded schedule that need audio lengths and the engine (SPEC §1 `validate`).

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "schedules/loader.hpp"
#include "schedules/schedule.hpp"

namespace wardcast::schedules {

/// Lengths of audio as the audio layer measures them; implemented with GStreamer in
/// audio/, faked in tests.
class AudioLengths {
public:
    /// A length, or the reason there is none ("no such file", the decoder's error).
    struct Result {
        std::optional<Duration> length;
        std::string error;
    };
    virtual ~AudioLengths() = default;
    /// The playing time of an audio file.
    virtual Result file_length(const std::filesystem::path& path) = 0;
    /// The playing time of a text-to-speech message once synthesized.
    virtual Result tts_length(const Tts& tts) = 0;
};

/// What validation found, and how long each announcement occupies its zones.
struct Validation {
    Diagnostics diagnostics;
    std::vector<Duration> durations;  ///< by Announcement::order; complete only without errors
};

/// Checks every audio file, chime and TTS message (missing, undecodable), firings in quiet
/// hours (unless emergency), and, when asked and there is no error, warns where two
/// announcements collide on a zone within the year from `today` (or within the year the
/// schedule's dates cover, when they all lie elsewhere).
Validation validate(const Schedule& schedule, AudioLengths& audio, LocalDate today,
                    bool warn_about_collisions = true);

/// A schedule file read and checked as `wardcastctl validate` does.
struct CheckedSchedule {
    LoadResult load;
    Validation validation;
    Diagnostics diagnostics;  ///< the loader's and the validator's, deduplicated, in file order
    bool ok() const noexcept { return !has_errors(diagnostics); }
};

/// Loads `path` (with the system's time zone as default) and validates it; when `now` is
/// given and the schedule has no error, collisions are looked for from its local date.
CheckedSchedule check_schedule(const std::filesystem::path& path, AudioLengths& audio,
                               std::optional<Instant> now);

/// The same, with the includes under `redirect.from` read from `redirect.to` (see
/// IncludeRedirect): diagnostics then name the files under `redirect.to`.
CheckedSchedule check_schedule(const std::filesystem::path& path, AudioLengths& audio,
                               std::optional<Instant> now, const IncludeRedirect& redirect);

}  // namespace wardcast::schedules
