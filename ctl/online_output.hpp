#pragma once
// What the daemon answered, written for an operator: times in the station's zone, durations
// as mm:ss. docs/protocol.md describes the JSON these read.

#include <date/tz.h>

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

namespace wardcast::ctl {

/// Instants from the daemon shown in the station's zone.
class StationTime {
  public:
    /// `timezone`: an IANA name; the machine's zone when empty or unknown.
    explicit StationTime(const std::string& timezone);

    /// "Mon 2026-12-07 06:00" (seconds shown when not zero) for an ISO 8601 instant; the text
    /// itself when it does not parse; "—" for null.
    std::string when(const nlohmann::json& instant) const;

    /// "06:00:12" for an ISO 8601 instant; the text itself when it does not parse.
    std::string clock(const nlohmann::json& instant) const;

    const date::time_zone& zone() const noexcept { return *zone_; }

  private:
    const date::time_zone* zone_;
};

/// "01:29", or "1:02:03" from an hour on, for a duration in milliseconds (rounded down).
std::string format_position(long long ms);

/// "5 min", "3 h", "3 days" for a duration in milliseconds.
std::string format_age(long long ms);

/// `status` result: on air (with position), next firing, paused, schedule, uptime.
void print_status(const nlohmann::json& result, std::ostream& out);

/// `next` result: a table of firings, or a line saying there are none.
void print_next(const nlohmann::json& result, std::ostream& out);

/// `reload` result: "reloaded: 2 added (a, b), 1 removed (c), 1 changed (d)".
void print_reload(const nlohmann::json& result, std::ostream& out);

/// One watch event as a line: "06:00:00 on air cchc-dvc “Title” on all (schedule)".
void print_event(const nlohmann::json& event, const StationTime& time, std::ostream& out);

}  // namespace wardcast::ctl
