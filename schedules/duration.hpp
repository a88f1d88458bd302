#pragma once
// Durations as written in schedules: "90s", "10m", "1h", "1h30m".

#include <chrono>
#include <optional>
#include <string>

namespace wardcast::schedules {

using Duration = std::chrono::milliseconds;

/// Parses "1h30m", "90s", "10m", "0"; nullopt when the text is not such a duration.
std::optional<Duration> parse_duration(const std::string& text);

/// Writes a duration the way a schedule would: "4m", "1h30m", "1m30s", "0s";
/// milliseconds appear only when not whole seconds ("2.5s").
std::string format_duration(Duration d);

}  // namespace wardcast::schedules
