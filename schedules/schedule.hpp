#pragma once
// The schedule model: what a loaded, checked schedule file says (SPEC §1).

#include <date/date.h>
#include <date/tz.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/names.hpp"
#include "schedules/diagnostic.hpp"
#include "schedules/duration.hpp"

namespace wardcast::schedules {

/// An instant on the UTC time line, to the millisecond.
using Instant = date::sys_time<std::chrono::milliseconds>;
/// A local calendar date in the station's time zone.
using LocalDate = date::local_days;
/// Wall-clock time of day, seconds since local midnight (0 .. 86399).
using TimeOfDay = std::chrono::seconds;

/// Priorities, lowest first; the numeric order is the order of precedence. Their names
/// ("low" … "emergency") are names::priorities.
using Priority = names::Priority;

/// An audio file named by a schedule: as written, resolved, and where it was written.
struct AudioRef {
    std::string written;         ///< the path as written in the YAML
    std::filesystem::path path;  ///< resolved against the folder of the file that names it
    Mark mark;
};

/// A text-to-speech message (`tts: {text, voice}`).
struct Tts {
    std::string text;
    std::string voice = "vi";
    Mark mark;
};

/// A relay of another station or of a sound card input (`relay: {source, duration,
/// start_timeout}`, SPEC §8). The source's form is checked when it is read
/// (schedules/relay_source.hpp); the network never is.
struct Relay {
    std::string source;    ///< as written: http(s)://, rtsp://, rtp://@:PORT, alsa:DEV, pulse:SRC
    Duration duration{0};  ///< how long it airs and holds its zones (after the chime); > 0
    Duration start_timeout = std::chrono::seconds(15);  ///< no sound by instant + this: failed
    Mark mark;                                          ///< the `relay` mapping
};

/// What `wardcastctl live` airs when it names no source (`station.live_source`, SPEC §8).
struct LiveSource {
    std::string source;  ///< a relay source form (schedules/relay_source.hpp)
    Mark mark;           ///< the value as written
};

/// A loudspeaker zone and where its sound goes (SPEC §3).
struct Zone {
    std::string id;
    std::string output =
        "auto";           ///< auto | alsa:DEV | pulse:SINK | file:PATH.wav | rtp://HOST:PORT | null
    double volume = 1.0;  ///< 0.0 .. 1.0, multiplied with the announcement's
    Mark mark;
};

/// Quiet hours: from <= t < to in local time; wraps midnight when from > to.
struct QuietHours {
    TimeOfDay from{0};
    TimeOfDay to{0};
    Mark mark;

    bool contains(TimeOfDay t) const noexcept {
        return from <= to ? (from <= t && t < to) : (t >= from || t < to);
    }
};

/// One time of day an announcement fires at, with the place it was written.
struct FiringTime {
    TimeOfDay time;
    Mark mark;
};

/// One announcement, with every default applied.
struct Announcement {
    std::string id;
    Mark mark;                    ///< the `id` value, or the entry when it has none
    std::string title;            ///< defaults to the id
    std::vector<AudioRef> audio;  ///< empty when `tts` or `relay` is set
    std::optional<Tts> tts;       ///< exactly one of audio, tts and relay is set
    std::optional<Relay> relay;   ///< a relay airs once: repeat is 1 and gap 0
    std::optional<AudioRef> chime;
    std::vector<std::string> zones;  ///< zone ids; never empty after loading
    double volume = 1.0;
    int repeat = 1;
    Duration gap{0};
    Priority priority = Priority::normal;
    Duration max_delay = std::chrono::minutes(10);
    Duration catch_up = std::chrono::minutes(5);
    bool normalize = true;  ///< bring each file to the same loudness before airing

    std::optional<LocalDate> window_from;   ///< inclusive
    std::optional<LocalDate> window_until;  ///< inclusive
    std::uint8_t days = 0x7f;               ///< bit w set: fires on weekday w (0 = Sunday)
    std::uint32_t monthdays = 0;            ///< bit d set: fires on day d of the month; 0 = any day
    std::vector<LocalDate> dates;           ///< sorted; empty = any date
    std::vector<LocalDate> except;          ///< sorted
    std::vector<FiringTime> times;  ///< sorted by time, unique; from `at` or `every`+`between`

    std::string file;       ///< the schedule file this announcement was written in
    std::size_t order = 0;  ///< position across all files (main file first, then includes)
};

/// A whole schedule: the main file and its includes.
struct Schedule {
    int version = 1;
    std::string station_name;
    std::string timezone_name;
    const date::time_zone* timezone = nullptr;  ///< never null after a successful load
    std::optional<LiveSource> live_source;      ///< `station.live_source`, when written and valid
    std::vector<Zone> zones;
    std::vector<QuietHours> quiet_hours;
    std::vector<LocalDate> holidays;          ///< sorted
    std::vector<Announcement> announcements;  ///< in SPEC order: main file, then includes
    std::filesystem::path main_file;
    std::vector<std::filesystem::path> files;  ///< main file first, then each include read

    /// The zone with this id, or nullptr.
    const Zone* find_zone(const std::string& id) const noexcept;
    /// The announcement with this id, or nullptr.
    const Announcement* find_announcement(const std::string& id) const noexcept;
};

}  // namespace wardcast::schedules
