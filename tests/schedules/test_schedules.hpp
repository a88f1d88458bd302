#pragma once
// Schedules built in code for engine, planner and timefmt tests.

#include <catch2/catch.hpp>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <vector>

#include "schedules/schedule.hpp"
#include "schedules/timefmt.hpp"

namespace wardcast::schedules::testing {

/// An empty schedule in time zone `tz` with zones "all" (default), "north" and "south".
inline Schedule make_schedule(const std::string& tz = "UTC") {
    Schedule s;
    s.station_name = "Test";
    s.timezone_name = tz;
    s.timezone = date::locate_zone(tz);
    for (const char* id : {"all", "north", "south"}) {
        Zone z;
        z.id = id;
        s.zones.push_back(z);
    }
    return s;
}

/// "YYYY-MM-DD" as a local date; throws on bad text (a test bug).
inline LocalDate day(const std::string& text) {
    const auto d = parse_date(text);
    if (!d) throw std::invalid_argument("bad date in test: " + text);
    return *d;
}

/// A UTC instant from its parts.
inline Instant utc(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
    return Instant{date::sys_days{date::year{y} / date::month{mo} / date::day{d}} +
                   std::chrono::hours(h) + std::chrono::minutes(mi) + std::chrono::seconds(s)};
}

/// An instant as "YYYY-MM-DDTHH:MM:SSZ" (to the second, rounded down), for readable tables.
inline std::string iso_utc(Instant i) {
    return date::format("%FT%TZ", date::floor<std::chrono::seconds>(i));
}

/// An announcement firing at `times` ("HH:MM"), every day, on zone "all".
inline Announcement announcement(const std::string& id, std::initializer_list<const char*> times) {
    Announcement a;
    a.id = id;
    a.title = id;
    a.zones = {"all"};
    for (const char* t : times) {
        const auto parsed = parse_time_of_day(t);
        if (!parsed) throw std::invalid_argument(std::string("bad time in test: ") + t);
        a.times.push_back(FiringTime{*parsed, {}});
    }
    return a;
}

/// Appends `a` to `s`, numbering it in file order. Add every announcement before taking
/// pointers to them.
inline void add(Schedule& s, Announcement a) {
    a.order = s.announcements.size();
    s.announcements.push_back(std::move(a));
}

}  // namespace wardcast::schedules::testing

// Readable values in Catch2 failure messages.
namespace Catch {
template <>
struct StringMaker<wardcast::schedules::Instant> {
    static std::string convert(const wardcast::schedules::Instant& i) {
        return date::format("%FT%TZ", i);
    }
};
template <>
struct StringMaker<wardcast::schedules::LocalDate> {
    static std::string convert(const wardcast::schedules::LocalDate& d) {
        return wardcast::schedules::format_date(d);
    }
};
}  // namespace Catch
