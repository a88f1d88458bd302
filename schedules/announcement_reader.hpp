#pragma once
// Reading one announcement, or the `defaults` it falls back on (SPEC §1).

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "schedules/yaml_reader.hpp"

namespace wardcast::schedules {

/// The fields of one announcement or of `defaults`, each set only where written (and valid).
/// The `*_written` flags say a group was written at all, even with a bad value, so that a
/// bad value is reported once and not again as missing.
struct AnnouncementFields {
    std::optional<std::string> id;
    std::optional<std::string> title;
    std::optional<std::vector<AudioRef>> audio;
    std::optional<Tts> tts;
    std::optional<Relay> relay;
    std::optional<std::optional<AudioRef>> chime;  ///< inner nullopt: "no chime" written
    std::optional<std::vector<std::pair<std::string, Mark>>> zones;
    std::optional<double> volume;
    std::optional<int> repeat;
    std::optional<Duration> gap;
    std::optional<Priority> priority;
    std::optional<Duration> max_delay;
    std::optional<Duration> catch_up;
    std::optional<bool> normalize;
    bool window_written = false;
    std::optional<LocalDate> window_from;
    std::optional<LocalDate> window_until;
    std::optional<std::uint8_t> days;
    std::optional<std::uint32_t> monthdays;
    std::optional<std::vector<LocalDate>> dates;
    std::optional<std::vector<LocalDate>> except;
    std::optional<std::vector<FiringTime>> at;
    std::optional<Duration> every;
    std::optional<std::pair<FiringTime, FiringTime>> between;
    bool audio_written = false, tts_written = false, relay_written = false;
    std::optional<Mark> repeat_key, gap_key;  ///< where `repeat`/`gap` were written, if they were
    bool at_written = false, every_written = false, between_written = false;
    Mark every_mark;
};

/// Keys an announcement may have.
const std::vector<std::string>& announcement_keys();

/// Reads the fields written in `node` (an announcement, or `defaults` when `is_defaults`),
/// resolving relative paths against `base_dir`. Every problem goes to `reader`.
AnnouncementFields read_announcement_fields(YamlReader& reader, const YAML::Node& node,
                                            const std::filesystem::path& base_dir,
                                            bool is_defaults);

/// Combines an announcement's own fields with `defaults` and the built-in defaults, and
/// checks what only the whole can show (one of audio, tts and relay; at or every+between;
/// known zones; no `repeat` or `gap` written on a relay: those in `defaults` do not apply to
/// relays).
/// Returns nullopt only when it has no usable id; otherwise the announcement, incomplete
/// where a value was bad (reported), so that later checks still find every other problem.
std::optional<Announcement> build_announcement(YamlReader& reader, const YAML::Node& node,
                                               const AnnouncementFields& own,
                                               const AnnouncementFields& defaults,
                                               const Schedule& schedule);

}  // namespace wardcast::schedules
