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

/// Formats many instants of one zone, in any order, without a time-zone look-up or a heap
/// allocation for each: the zone's offset is kept for the span between two of its
/// transitions, and a date's text for the day. The text is exactly that of the functions
/// above. `simulate` writes half a million lines with it.
class InstantWriter {
  public:
    /// Room enough for any text one call writes.
    static constexpr std::size_t max_size = 48;

    explicit InstantWriter(const date::time_zone& zone) : zone_(zone) {}

    /// Writes format_instant(i, zone) at `out`; returns the end of what it wrote.
    char* instant(char* out, Instant i);
    /// Writes format_local(i, zone).
    char* local(char* out, Instant i);
    /// Writes format_local_time(i, zone).
    char* local_time(char* out, Instant i);
    /// The local date and time of `i`, to the second rounded down.
    date::local_seconds local_seconds(Instant i) {
        return to_local(date::floor<std::chrono::seconds>(i));
    }

  private:
    // The local time of `s`, with the offset span and the day's text brought up to date.
    date::local_seconds to_local(date::sys_seconds s);
    char* date_and_time(char* out, date::local_seconds local, char separator);

    const date::time_zone& zone_;
    date::sys_seconds span_begin_ = date::sys_seconds::max();  // offset_ holds in [begin, end)
    date::sys_seconds span_end_ = date::sys_seconds::min();
    std::chrono::seconds offset_{0};
    char offset_text_[12] = {};
    std::size_t offset_size_ = 0;
    LocalDate day_ = LocalDate::min();
    char day_text_[16] = {};
    std::size_t day_size_ = 0;
};

/// Parses "HH:MM" or "HH:MM:SS" (00:00 .. 23:59:59).
std::optional<TimeOfDay> parse_time_of_day(const std::string& text);

/// Parses a calendar date "YYYY-MM-DD" that exists.
std::optional<LocalDate> parse_date(const std::string& text);

/// Parses a DATE (that local date's midnight in `zone`) or an INSTANT: ISO 8601
/// "YYYY-MM-DDTHH:MM[:SS]" followed by "Z" or "+HH:MM"/"-HH:MM", or without an offset
/// (then local time in `zone`).
std::optional<Instant> parse_date_or_instant(const std::string& text, const date::time_zone& zone);

}  // namespace wardcast::schedules
