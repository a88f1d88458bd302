#pragma once
// `wardcast-district status [--json]` (SPEC §9): per ward, when it was last heard from, the
// entries the district holds and those still waiting at the ward, what is on air and next,
// its faults and wardcast-sync's own state — from each ward's latest heartbeat.

#include <iosfwd>
#include <string>

#include "district/pg.hpp"

namespace wardcast::district {

/// The command: one table row per ward (or one JSON object per ward with `json`), times in
/// the time zone most wards' stations report (UTC when none says), with their offset. Exit 0;
/// throws pg::Error when the store cannot be read.
/// Sets the session's TimeZone to the one most wards' stations report in their heartbeats
/// (one district, one zone), else UTC: times are then shown as the wards see them.
void set_wards_time_zone(pg::Connection& conn);

int run_status(const std::string& conninfo, bool json, std::ostream& out);

}  // namespace wardcast::district
