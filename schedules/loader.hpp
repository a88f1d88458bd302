#pragma once
// Reading schedule files (SPEC §1) into the model, keeping every value's place.

#include <filesystem>
#include <optional>
#include <string>

#include "schedules/schedule.hpp"

namespace wardcast::schedules {

/// A schedule and what was found wrong with its files.
struct LoadResult {
    Schedule schedule;
    Diagnostics diagnostics;  ///< errors and warnings, in file order
    bool ok() const noexcept { return !has_errors(diagnostics); }
};

/// Reads includes that lie under one folder from another instead: an `include` pattern that,
/// made absolute, names `from` or something under it is expanded under `to` (same relative
/// part). wardcast-sync checks a schedule as it would be with a new campaign this way, without
/// touching the folder wardcastd reads. Files are then named by their paths under `to`.
struct IncludeRedirect {
    std::filesystem::path from;
    std::filesystem::path to;
};

/// Reads `path` and its includes. Never throws for bad input: every problem found (bad
/// YAML, unknown keys, wrong types, bad values, unknown zones, duplicate ids, unknown time
/// zones) is a diagnostic. `system_timezone` is used when the file names none.
LoadResult load_schedule(const std::filesystem::path& path, const std::string& system_timezone,
                         const std::optional<IncludeRedirect>& redirect = std::nullopt);

/// Drops repeated diagnostics (a bad default reported for each announcement) and sorts
/// them by file (in `schedule.files` order), line and column.
void tidy(Diagnostics& diagnostics, const Schedule& schedule);

/// The name of the system's time zone (TZ, /etc/localtime), or "UTC" when unknown.
std::string system_timezone_name();

}  // namespace wardcast::schedules
