#pragma once
// Reading and writing instants and local times for operators and scripts.

#include <optional>
#include <string>

#include "schedules/schedule.hpp"

namespace wardcast::schedules {

/// ISO 8601 with the zone's offset, to the second rounded down: "2026-12-01T06:00:00+07:00".
std::string format_instant(Instant i, const date::time_zone& zone);

/// Local "YYYY-MM-DD HH:MM:SS" in `zone`.
std::string format_local(Instant i, const date::time_zone& zone);

/// Local "HH:MM", or "HH:MM:SS" when the seconds are not zero.
std::string format_local_time(Instant i, const date::time_zone& zone);

/// "HH:MM" or "HH:MM:SS" for a time of day.
std::string format_time_of_day(TimeOfDay t);

/// "YYYY-MM-DD".
std::string format_date(LocalDate d);

/// Parses "HH:MM" or "HH:MM:SS" (00:00 .. 23:59:59).
std::optional<TimeOfDay> parse_time_of_day(const std::string& text);

/// Parses a calendar date "YYYY-MM-DD" that exists.
std::optional<LocalDate> parse_date(const std::string& text);

/// Parses a DATE (that local date's midnight in `zone`) or an INSTANT: ISO 8601
/// "YYYY-MM-DDTHH:MM[:SS]" followed by "Z" or "+HH:MM"/"-HH:MM", or without an offset
/// (then local time in `zone`).
std::optional<Instant> parse_date_or_instant(const std::string& text, const date::time_zone& zone);

}  // namespace wardcast::schedules
