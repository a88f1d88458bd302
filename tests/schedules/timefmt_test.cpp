// Reading and writing instants, dates and times of day as operators and scripts see them.

#include "schedules/timefmt.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "schedules/engine.hpp"
#include "tests/schedules/test_schedules.hpp"

using namespace wardcast::schedules;
using namespace wardcast::schedules::testing;
using std::chrono::milliseconds;

namespace {
const date::time_zone& zone(const char* name) { return *date::locate_zone(name); }
}  // namespace

TEST_CASE("instants are written in ISO 8601 with the zone's offset, to the second", "[timefmt]") {
    struct Case {
        const char* zone;
        Instant instant;
        const char* text;
    };
    const Case cases[] = {
        {"Asia/Ho_Chi_Minh", utc(2026, 11, 30, 23), "2026-12-01T06:00:00+07:00"},
        {"UTC", utc(2026, 12, 1, 6), "2026-12-01T06:00:00+00:00"},
        {"America/New_York", utc(2026, 12, 1, 11), "2026-12-01T06:00:00-05:00"},
        {"America/New_York", utc(2026, 7, 1, 10), "2026-07-01T06:00:00-04:00"},
        {"America/New_York", utc(2026, 11, 1, 5, 30), "2026-11-01T01:30:00-04:00"},
        {"America/New_York", utc(2026, 11, 1, 6, 30), "2026-11-01T01:30:00-05:00"},
        {"Asia/Kolkata", utc(2026, 12, 1), "2026-12-01T05:30:00+05:30"},
        {"UTC", utc(2026, 12, 1, 6) + milliseconds(999), "2026-12-01T06:00:00+00:00"},
        {"UTC", utc(1970, 1, 1) - milliseconds(500), "1969-12-31T23:59:59+00:00"},
    };
    for (const Case& c : cases) {
        INFO(c.zone << " " << c.text);
        CHECK(format_instant(c.instant, zone(c.zone)) == c.text);
    }
}

TEST_CASE("local times are written for operators", "[timefmt]") {
    const auto& hcm = zone("Asia/Ho_Chi_Minh");
    CHECK(format_local(utc(2026, 11, 30, 23, 5, 9), hcm) == "2026-12-01 06:05:09");
    CHECK(format_local_time(utc(2026, 11, 30, 23, 5), hcm) == "06:05");
    CHECK(format_local_time(utc(2026, 11, 30, 23, 5, 30), hcm) == "06:05:30");
    CHECK(format_local_time(utc(2026, 11, 30, 23, 5) + milliseconds(700), hcm) == "06:05");
    CHECK(format_time_of_day(TimeOfDay{0}) == "00:00");
    CHECK(format_time_of_day(TimeOfDay{21 * 3600 + 30 * 60}) == "21:30");
    CHECK(format_time_of_day(TimeOfDay{86399}) == "23:59:59");
    CHECK(format_date(day("2026-01-05")) == "2026-01-05");
}

TEST_CASE("times of day parse as HH:MM or HH:MM:SS only", "[timefmt]") {
    struct Case {
        const char* text;
        long expected_seconds;  // -1: rejected
    };
    const Case cases[] = {
        {"00:00", 0},        {"06:30", 6 * 3600 + 30 * 60},
        {"23:59:59", 86399}, {"17:30:05", 17 * 3600 + 30 * 60 + 5},
        {"24:00", -1},       {"24:61", -1},
        {"23:60", -1},       {"06:30:60", -1},
        {"6:30", -1},        {"06:3", -1},
        {"06:30:5", -1},     {"063000", -1},
        {"06-30", -1},       {"06:30 ", -1},
        {" 06:30", -1},      {"06:30:00:00", -1},
        {"ab:cd", -1},       {"", -1},
        {"-1:30", -1},       {"06:30:", -1},
    };
    for (const Case& c : cases) {
        INFO("\"" << c.text << "\"");
        const auto t = parse_time_of_day(c.text);
        if (c.expected_seconds < 0) {
            CHECK_FALSE(t.has_value());
        } else {
            REQUIRE(t.has_value());
            CHECK(t->count() == c.expected_seconds);
        }
    }
}

TEST_CASE("dates parse as YYYY-MM-DD only when the day exists", "[timefmt]") {
    struct Case {
        const char* text;
        bool valid;
    };
    const Case cases[] = {
        {"2026-12-01", true},   {"2026-02-28", true},        {"2028-02-29", true},
        {"2026-02-29", false},  {"2026-02-30", false},       {"2026-04-31", false},
        {"2026-13-01", false},  {"2026-00-10", false},       {"2026-01-00", false},
        {"2026-1-01", false},   {"26-01-01", false},         {"2026/01/01", false},
        {"2026-01-01x", false}, {"2026-01-01T00:00", false}, {"", false},
    };
    for (const Case& c : cases) {
        INFO("\"" << c.text << "\"");
        CHECK(parse_date(c.text).has_value() == c.valid);
    }
    CHECK(parse_date("2026-12-01") == LocalDate{date::year{2026} / 12 / 1});
}

TEST_CASE("simulate span values (--from, --to) parse as a local date's midnight or an instant",
          "[timefmt]") {
    struct Case {
        const char* zone;
        const char* text;
        const char* instant;  // nullptr: rejected
    };
    const Case cases[] = {
        {"Asia/Ho_Chi_Minh", "2026-12-01", "2026-11-30T17:00:00Z"},
        {"Asia/Ho_Chi_Minh", "2026-12-01T06:00", "2026-11-30T23:00:00Z"},
        {"Asia/Ho_Chi_Minh", "2026-12-01 06:00:30", "2026-11-30T23:00:30Z"},
        {"Asia/Ho_Chi_Minh", "2026-12-01T06:00:00Z", "2026-12-01T06:00:00Z"},
        {"Asia/Ho_Chi_Minh", "2026-12-01T06:00:00+07:00", "2026-11-30T23:00:00Z"},
        {"Asia/Ho_Chi_Minh", "2026-12-01T06:00+0700", "2026-11-30T23:00:00Z"},
        {"Asia/Ho_Chi_Minh", "2026-12-01T06:00:00-05:00", "2026-12-01T11:00:00Z"},
        {"Asia/Ho_Chi_Minh", "2026-12-01T06:00:00+05:30", "2026-12-01T00:30:00Z"},
        {"America/New_York", "2026-03-08", "2026-03-08T05:00:00Z"},
        {"America/New_York", "2026-03-08T02:30", "2026-03-08T07:00:00Z"},
        {"America/New_York", "2026-11-01T01:30", "2026-11-01T05:30:00Z"},
        {"UTC", "2026-12-01T", nullptr},
        {"UTC", "2026-12-01T25:00", nullptr},
        {"UTC", "2026-12-01T06", nullptr},
        {"UTC", "2026-12-01X06:00", nullptr},
        {"UTC", "2026-12-01T06:00+7", nullptr},
        {"UTC", "2026-12-01T06:00+07:60", nullptr},
        {"UTC", "2026-12-01T06:00:00+07:00junk", nullptr},
        {"UTC", "2026-12-01T06:00:00ZZ", nullptr},
        {"UTC", "2026-02-30", nullptr},
        {"UTC", "tomorrow", nullptr},
        {"UTC", "", nullptr},
    };
    for (const Case& c : cases) {
        INFO(c.zone << " \"" << c.text << "\"");
        const auto i = parse_date_or_instant(c.text, zone(c.zone));
        if (c.instant == nullptr) {
            CHECK_FALSE(i.has_value());
        } else {
            REQUIRE(i.has_value());
            CHECK(iso_utc(*i) == c.instant);
        }
    }
}

TEST_CASE("written instants, dates and times read back as the same values", "[timefmt]") {
    const char* zone_name =
        GENERATE("UTC", "Asia/Ho_Chi_Minh", "America/New_York", "Europe/Berlin", "Asia/Kolkata");
    const Instant instant =
        GENERATE(utc(2026, 12, 1, 6), utc(2026, 3, 8, 7), utc(2026, 11, 1, 6, 30),
                 utc(2026, 10, 25, 0, 30, 15), utc(2026, 12, 31, 23, 59, 59) + milliseconds(900));
    const auto& z = zone(zone_name);
    INFO(zone_name << " " << iso_utc(instant));
    const auto back = parse_date_or_instant(format_instant(instant, z), z);
    REQUIRE(back.has_value());
    CHECK(*back == date::floor<std::chrono::seconds>(instant));
    const LocalDate d = local_date_of(z, instant);
    CHECK(parse_date(format_date(d)) == d);
}

TEST_CASE("times of day read back as written", "[timefmt]") {
    const long seconds = GENERATE(0L, 59L, 60L, 3600L, 6 * 3600L + 30 * 60, 86399L);
    const auto back = parse_time_of_day(format_time_of_day(TimeOfDay{seconds}));
    REQUIRE(back.has_value());
    CHECK(back->count() == seconds);
}

TEST_CASE("the fast writer simulate uses writes what format_instant and format_local write",
          "[timefmt]") {
    // Zones with summer time, half-hour offsets and offsets in seconds (Monrovia's -0:44:30
    // before 1972); instants in order, backwards and jumping about, across their changes.
    const char* zones[] = {
        "Asia/Ho_Chi_Minh",    "America/New_York", "Europe/London",      "Asia/Kolkata",
        "Australia/Lord_Howe", "Africa/Monrovia",  "Pacific/Kiritimati", "UTC"};
    std::vector<Instant> instants;
    for (Instant i = utc(2026, 10, 31); i < utc(2026, 11, 3); i += std::chrono::minutes(7))
        instants.push_back(i + milliseconds(999));
    for (Instant i = utc(2027, 4, 5); i > utc(2027, 3, 10); i -= std::chrono::minutes(53))
        instants.push_back(i);
    std::uint64_t x = 20261203;  // a fixed walk: 1900 to 2300, to the millisecond
    for (int k = 0; k < 3000; ++k) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        const auto ms = static_cast<std::int64_t>(x >> 20) % 12'623'040'000'000 - 2'208'988'800'000;
        instants.push_back(Instant{milliseconds(ms)});
    }
    instants.push_back(utc(1971, 12, 31, 23, 59, 59));
    instants.push_back(utc(1972, 1, 1));
    instants.push_back(utc(1970, 1, 1) - milliseconds(1));
    for (const char* name : zones) {
        const auto& tz = zone(name);
        InstantWriter w(tz);
        char buf[InstantWriter::max_size];
        for (Instant i : instants) {
            INFO(name << " " << i.time_since_epoch().count() << " ms");
            REQUIRE(std::string(buf, w.instant(buf, i)) == format_instant(i, tz));
            REQUIRE(std::string(buf, w.local(buf, i)) == format_local(i, tz));
            REQUIRE(std::string(buf, w.local_time(buf, i)) == format_local_time(i, tz));
        }
    }
}
