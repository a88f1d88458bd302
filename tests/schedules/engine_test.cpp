// The firing rule (SPEC §1): dates, times, time-zone edges and the order of firings.

#include "schedules/engine.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <type_traits>
#include <vector>

#include "tests/schedules/test_schedules.hpp"

using namespace wardcast::schedules;
using namespace wardcast::schedules::testing;

namespace {

constexpr std::uint8_t kSunday = 1u << 0;
constexpr std::uint8_t kMonday = 1u << 1;
constexpr std::uint8_t kMondayToFriday = 0x3e;

std::uint32_t monthday_bits(std::initializer_list<unsigned> days) {
    std::uint32_t bits = 0;
    for (unsigned d : days) bits |= 1u << d;
    return bits;
}

std::vector<std::string> ids_of(const std::vector<Firing>& firings) {
    std::vector<std::string> ids;
    for (const Firing& f : firings) ids.push_back(f.announcement->id);
    return ids;
}

std::vector<std::string> instants_of(const std::vector<Firing>& firings) {
    std::vector<std::string> out;
    for (const Firing& f : firings) out.push_back(iso_utc(f.scheduled));
    return out;
}

}  // namespace

TEST_CASE("an announcement fires on a date only when every date rule allows it", "[engine]") {
    using Setup = void (*)(Schedule&, Announcement&);
    struct Case {
        const char* behaviour;
        Setup setup;
        const char* date;
        bool fires;
    };
    const Setup none = [](Schedule&, Announcement&) {};
    const Setup window_from = [](Schedule&, Announcement& a) { a.window_from = day("2026-12-01"); };
    const Setup window_until = [](Schedule&, Announcement& a) {
        a.window_until = day("2026-12-31");
    };
    const Setup weekdays = [](Schedule&, Announcement& a) { a.days = kMondayToFriday; };
    const Setup sundays = [](Schedule&, Announcement& a) { a.days = kSunday; };
    const Setup first_and_fifteenth = [](Schedule&, Announcement& a) {
        a.monthdays = monthday_bits({1, 15});
    };
    const Setup mondays_on_1st_or_15th = [](Schedule&, Announcement& a) {
        a.days = kMonday;
        a.monthdays = monthday_bits({1, 15});
    };
    const Setup christmas_eve = [](Schedule&, Announcement& a) { a.dates = {day("2026-12-24")}; };
    const Setup christmas_eve_before_window = [](Schedule&, Announcement& a) {
        a.dates = {day("2026-12-24")};
        a.window_until = day("2026-12-20");
    };
    const Setup christmas_eve_on_mondays = [](Schedule&, Announcement& a) {
        a.dates = {day("2026-12-24")};
        a.days = kMonday;
    };
    const Setup except_22nd = [](Schedule&, Announcement& a) {
        a.except = {day("2026-12-08"), day("2026-12-22")};
    };
    const Setup holiday_22nd = [](Schedule& s, Announcement&) {
        s.holidays = {day("2026-01-01"), day("2026-12-22")};
    };

    const Case cases[] = {
        {"no rules: every day", none, "2026-12-06", true},
        {"window from is inclusive", window_from, "2026-12-01", true},
        {"before window from", window_from, "2026-11-30", false},
        {"window without until is open-ended", window_from, "2030-05-01", true},
        {"window until is inclusive", window_until, "2026-12-31", true},
        {"after window until", window_until, "2027-01-01", false},
        {"window without from is open at the start", window_until, "2001-01-01", true},
        {"weekdays: Tuesday", weekdays, "2026-12-01", true},
        {"weekdays: Saturday", weekdays, "2026-12-05", false},
        {"weekdays: Sunday", weekdays, "2026-12-06", false},
        {"Sunday is bit 0", sundays, "2026-12-06", true},
        {"monthdays: the 1st", first_and_fifteenth, "2026-12-01", true},
        {"monthdays: the 15th", first_and_fifteenth, "2026-12-15", true},
        {"monthdays: the 14th", first_and_fifteenth, "2026-12-14", false},
        {"days and monthdays both match", mondays_on_1st_or_15th, "2026-06-01", true},
        {"monthday matches, day does not", mondays_on_1st_or_15th, "2026-12-01", false},
        {"day matches, monthday does not", mondays_on_1st_or_15th, "2026-12-14", false},
        {"listed date", christmas_eve, "2026-12-24", true},
        {"date not listed", christmas_eve, "2026-12-23", false},
        {"listed date outside the window", christmas_eve_before_window, "2026-12-24", false},
        {"listed date on the wrong weekday", christmas_eve_on_mondays, "2026-12-24", false},
        {"except date", except_22nd, "2026-12-22", false},
        {"day after an except date", except_22nd, "2026-12-23", true},
        {"holiday", holiday_22nd, "2026-12-22", false},
        {"day after a holiday", holiday_22nd, "2026-12-23", true},
    };
    for (const Case& c : cases) {
        Schedule s = make_schedule();
        Announcement a = announcement("a", {"06:00"});
        c.setup(s, a);
        INFO(c.behaviour << " (" << c.date << ")");
        CHECK(fires_on(s, a, day(c.date)) == c.fires);
    }
}

TEST_CASE("local wall-clock times map to instants across DST changes", "[engine][dst]") {
    struct Case {
        const char* zone;
        const char* date;
        const char* time;
        const char* instant;
    };
    const Case cases[] = {
        // New York springs forward 02:00 EST -> 03:00 EDT: 02:30 does not exist.
        {"America/New_York", "2026-03-08", "01:30", "2026-03-08T06:30:00Z"},
        {"America/New_York", "2026-03-08", "02:30", "2026-03-08T07:00:00Z"},
        {"America/New_York", "2026-03-08", "03:30", "2026-03-08T07:30:00Z"},
        // New York falls back 02:00 EDT -> 01:00 EST: 01:30 happens twice, the first counts.
        {"America/New_York", "2026-11-01", "01:30", "2026-11-01T05:30:00Z"},
        {"America/New_York", "2026-11-01", "02:30", "2026-11-01T07:30:00Z"},
        // Berlin springs forward 02:00 CET -> 03:00 CEST, falls back 03:00 CEST -> 02:00 CET.
        {"Europe/Berlin", "2026-03-29", "02:30", "2026-03-29T01:00:00Z"},
        {"Europe/Berlin", "2026-03-29", "03:00", "2026-03-29T01:00:00Z"},
        {"Europe/Berlin", "2026-10-25", "02:30", "2026-10-25T00:30:00Z"},
        {"Europe/Berlin", "2026-10-25", "03:00", "2026-10-25T02:00:00Z"},
        // No DST: the local date is ahead of UTC.
        {"Asia/Ho_Chi_Minh", "2026-12-01", "06:00", "2026-11-30T23:00:00Z"},
        {"UTC", "2026-12-01", "23:59:59", "2026-12-01T23:59:59Z"},
    };
    for (const Case& c : cases) {
        INFO(c.zone << ' ' << c.date << ' ' << c.time);
        const Instant i =
            local_to_instant(*date::locate_zone(c.zone), day(c.date), *parse_time_of_day(c.time));
        CHECK(iso_utc(i) == c.instant);
    }
}

TEST_CASE("local_date_of gives the date on the station's calendar", "[engine]") {
    const auto& hcm = *date::locate_zone("Asia/Ho_Chi_Minh");
    const auto& ny = *date::locate_zone("America/New_York");
    CHECK(local_date_of(hcm, utc(2026, 11, 30, 23)) == day("2026-12-01"));
    CHECK(local_date_of(hcm, utc(2026, 11, 30, 16, 59, 59)) == day("2026-11-30"));
    CHECK(local_date_of(ny, utc(2026, 11, 1, 3, 59)) == day("2026-10-31"));
    CHECK(local_date_of(ny, utc(2026, 11, 1, 4, 0)) == day("2026-11-01"));
}

TEST_CASE("firings_between lists every time of every firing day, from inclusive, to exclusive",
          "[engine]") {
    Schedule s = make_schedule("Asia/Ho_Chi_Minh");
    add(s, announcement("morning-evening", {"06:00", "17:30"}));
    const auto firings = firings_between(s, utc(2026, 11, 30, 23), utc(2026, 12, 2, 10, 30));
    CHECK(instants_of(firings) == std::vector<std::string>{
                                      "2026-11-30T23:00:00Z",  // 12-01 06:00, from is inclusive
                                      "2026-12-01T10:30:00Z",  // 12-01 17:30
                                      "2026-12-01T23:00:00Z",  // 12-02 06:00
                                      // 12-02 17:30 is `to`, which is exclusive
                                  });
}

TEST_CASE("firings_between leaves out holidays and except dates", "[engine]") {
    Schedule s = make_schedule();
    s.holidays = {day("2026-12-02")};
    Announcement a = announcement("daily", {"08:00"});
    a.except = {day("2026-12-03")};
    add(s, a);
    const auto firings = firings_between(s, utc(2026, 12, 1), utc(2026, 12, 5));
    CHECK(instants_of(firings) ==
          std::vector<std::string>{"2026-12-01T08:00:00Z", "2026-12-04T08:00:00Z"});
}

TEST_CASE("an empty or reversed span has no firings", "[engine]") {
    Schedule s = make_schedule();
    add(s, announcement("daily", {"08:00"}));
    CHECK(firings_between(s, utc(2026, 12, 1, 8), utc(2026, 12, 1, 8)).empty());
    CHECK(firings_between(s, utc(2026, 12, 2), utc(2026, 12, 1)).empty());
}

TEST_CASE("a time that happens twice fires once, at the first of the two", "[engine][dst]") {
    Schedule s = make_schedule("America/New_York");
    add(s, announcement("night", {"01:30"}));
    const auto firings = firings_between(s, utc(2026, 10, 31), utc(2026, 11, 3));
    CHECK(instants_of(firings) == std::vector<std::string>{
                                      "2026-10-31T05:30:00Z",  // EDT
                                      "2026-11-01T05:30:00Z",  // first 01:30, still EDT
                                      "2026-11-02T06:30:00Z",  // EST
                                  });
}

TEST_CASE("a time in a DST gap fires at the first instant after the gap", "[engine][dst]") {
    Schedule s = make_schedule("Europe/Berlin");
    add(s, announcement("night", {"02:30"}));
    const auto firings = firings_between(s, utc(2026, 3, 28), utc(2026, 3, 31));
    CHECK(instants_of(firings) == std::vector<std::string>{
                                      "2026-03-28T01:30:00Z",  // CET
                                      "2026-03-29T01:00:00Z",  // 03:00 CEST
                                      "2026-03-30T00:30:00Z",  // CEST
                                  });
}

TEST_CASE("two times folded onto one instant by a DST gap give one firing", "[engine][dst]") {
    Schedule s = make_schedule("America/New_York");
    add(s,
        announcement("every-15m", {"01:45", "02:00", "02:15", "02:30", "02:45", "03:00", "03:15"}));
    const auto firings = firings_between(s, utc(2026, 3, 8), utc(2026, 3, 9));
    CHECK(instants_of(firings) == std::vector<std::string>{
                                      "2026-03-08T06:45:00Z",  // 01:45 EST
                                      "2026-03-08T07:00:00Z",  // 02:00 .. 03:00 fold here
                                      "2026-03-08T07:15:00Z",  // 03:15 EDT
                                  });
}

TEST_CASE("firings_between agrees with local_to_instant on every date of a year", "[engine][dst]") {
    // Zones whose clocks change at 02:00, at midnight, by half an hour, or not at all.
    const char* zone_name = GENERATE("America/New_York", "Europe/Berlin", "America/Havana",
                                     "America/Santiago", "Australia/Lord_Howe", "Asia/Ho_Chi_Minh");
    INFO(zone_name);
    Schedule s = make_schedule(zone_name);
    add(s,
        announcement("round-the-clock", {"00:00", "00:15", "00:30", "01:00", "01:45", "02:00",
                                         "02:30", "03:00", "12:00", "23:00", "23:30", "23:59:59"}));
    const Announcement& a = s.announcements.front();
    const Instant from = utc(2026, 1, 1), to = utc(2027, 1, 1);

    std::vector<std::string> expected;
    Instant last = from - std::chrono::hours(1);
    for (LocalDate d = day("2025-12-30"); d <= day("2027-01-02"); d += date::days(1)) {
        for (const FiringTime& t : a.times) {
            const Instant i = local_to_instant(*s.timezone, d, t.time);
            if (i < from || i >= to || i == last) continue;
            last = i;
            expected.push_back(iso_utc(i));
        }
    }
    CHECK(instants_of(firings_between(s, from, to)) == expected);
}

TEST_CASE("firings at one instant are ordered by priority, then by file order", "[engine]") {
    Schedule s = make_schedule();
    Announcement low = announcement("low", {"06:00"});
    low.priority = Priority::low;
    Announcement emergency = announcement("emergency", {"06:00"});
    emergency.priority = Priority::emergency;
    Announcement early = announcement("early", {"05:59"});
    early.priority = Priority::low;
    add(s, low);
    add(s, announcement("normal-first", {"06:00"}));
    add(s, emergency);
    add(s, announcement("normal-second", {"06:00"}));
    add(s, early);
    const auto firings = firings_between(s, utc(2026, 12, 1), utc(2026, 12, 2));
    CHECK(ids_of(firings) ==
          std::vector<std::string>{"early", "emergency", "normal-first", "normal-second", "low"});
}

TEST_CASE("firing_order compares instant, then priority, then order", "[engine]") {
    Announcement high = announcement("high", {});
    high.priority = Priority::high;
    high.order = 5;
    Announcement normal = announcement("normal", {});
    normal.order = 1;
    const Instant t = utc(2026, 12, 1, 6);
    CHECK(firing_order({&normal, t}, {&high, t + std::chrono::seconds(1)}));
    CHECK(firing_order({&high, t}, {&normal, t}));
    CHECK_FALSE(firing_order({&normal, t}, {&high, t}));
    Announcement normal_later = normal;
    normal_later.order = 2;
    CHECK(firing_order({&normal, t}, {&normal_later, t}));
    CHECK_FALSE(firing_order({&normal, t}, {&normal, t}));
}

TEST_CASE("next_firings gives the first N from an instant on", "[engine]") {
    Schedule s = make_schedule();
    add(s, announcement("twice-daily", {"06:00", "18:00"}));
    SECTION("from between firings") {
        const auto firings = next_firings(s, utc(2026, 12, 1, 12), 3);
        CHECK(instants_of(firings) == std::vector<std::string>{"2026-12-01T18:00:00Z",
                                                               "2026-12-02T06:00:00Z",
                                                               "2026-12-02T18:00:00Z"});
    }
    SECTION("a firing at `from` counts") {
        const auto firings = next_firings(s, utc(2026, 12, 1, 18), 1);
        CHECK(instants_of(firings) == std::vector<std::string>{"2026-12-01T18:00:00Z"});
    }
    SECTION("none asked, none given") { CHECK(next_firings(s, utc(2026, 12, 1), 0).empty()); }
}

TEST_CASE("next_firings looks no further than the horizon", "[engine]") {
    Schedule s = make_schedule();
    Announcement a = announcement("once", {"09:00"});
    a.dates = {day("2027-06-01")};
    add(s, a);
    CHECK(next_firings(s, utc(2026, 12, 1), 5, std::chrono::days(30)).empty());
    const auto firings = next_firings(s, utc(2026, 12, 1), 5);
    CHECK(instants_of(firings) == std::vector<std::string>{"2027-06-01T09:00:00Z"});
}

TEST_CASE("schedule lookups find zones and announcements by id", "[engine]") {
    Schedule s = make_schedule();
    add(s, announcement("a", {"06:00"}));
    add(s, announcement("b", {"07:00"}));
    REQUIRE(s.find_zone("north") != nullptr);
    CHECK(s.find_zone("north")->id == "north");
    CHECK(s.find_zone("west") == nullptr);
    REQUIRE(s.find_announcement("b") != nullptr);
    CHECK(s.find_announcement("b")->order == 1);
    CHECK(s.find_announcement("c") == nullptr);
}

TEST_CASE("priorities have their schedule-file names", "[engine]") {
    // The schedule's priorities are the shared ones (common/names.hpp), names and all.
    STATIC_REQUIRE(std::is_same_v<Priority, wardcast::names::Priority>);
    CHECK(wardcast::names::name(Priority::low) == "low");
    CHECK(wardcast::names::name(Priority::normal) == "normal");
    CHECK(wardcast::names::name(Priority::high) == "high");
    CHECK(wardcast::names::name(Priority::emergency) == "emergency");
}
