#pragma once
// A schedule file read, validated and made ready to air: what the daemon runs on.

#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "audio/audio_library.hpp"
#include "schedules/schedule.hpp"

namespace wardcast::daemon {

/// The sounds of one announcement, resolved to files (speech rendered into the cache).
struct AnnouncementAudio {
    std::optional<std::filesystem::path> chime;
    std::vector<std::filesystem::path> items;
    std::vector<std::string> sha256;  ///< of the chime (first, if any) and of each item
};

/// A valid schedule with everything the daemon needs to air it.
struct LoadedSchedule {
    schedules::Schedule schedule;
    std::vector<schedules::Duration> durations;  ///< by Announcement::order
    std::vector<AnnouncementAudio> audio;        ///< by Announcement::order
    std::string text;    ///< the schedule's files as one text (schedules::bundle)
    std::string sha256;  ///< of `text`: the schedule version in force
    schedules::Diagnostics warnings;
};

/// Thrown when a schedule cannot be aired; `diagnostics` has every error, in file order.
class InvalidSchedule : public std::runtime_error {
public:
    InvalidSchedule(const std::string& what, schedules::Diagnostics diagnostics)
        : std::runtime_error(what), diagnostics(std::move(diagnostics)) {}
    schedules::Diagnostics diagnostics;
};

/// Reads and validates `path` as `wardcastctl validate` does (collisions are not looked for),
/// measures every file, renders speech. Throws InvalidSchedule listing every error.
std::unique_ptr<LoadedSchedule> load_for_air(const std::filesystem::path& path,
                                             audio::AudioLibrary& library);

}  // namespace wardcast::daemon
