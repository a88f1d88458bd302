#pragma once
// The district's store (SPEC §9): its PostgreSQL schema, created and upgraded by versioned
// migrations recorded in the table wardcast_schema. docs/district.md describes it.

#include <string>
#include <string_view>

#include "district/pg.hpp"

namespace wardcast::district {

/// The schema version this code creates and reads.
/// 1: wards, entries (with the chain checked on insert), schedules, ward_status, the roles.
/// 2: ward_status keeps, for each ward, its latest heartbeat and those received in the hour
///    before it (a trigger deletes older ones on each insert).
/// 3: campaigns: their files, audio (by SHA-256, in chunks), assignments to wards, the wards'
///    reports of what they did with them; the operator group role.
inline constexpr int schema_version = 3;

/// The NOLOGIN group of every ward's login role: INSERT and SELECT of its own rows only.
inline constexpr std::string_view ward_group = "wardcast_ward";
/// The NOLOGIN group of the district's auditors: SELECT of everything.
inline constexpr std::string_view auditor_group = "wardcast_auditor";
/// The NOLOGIN group of the district's operators: publish and withdraw campaigns (INSERT into
/// the campaign tables), read everything else.
inline constexpr std::string_view operator_group = "wardcast_operator";

/// What init_schema did.
struct InitOutcome {
    int from = 0;  ///< the version found (0: an empty database)
    int to = 0;    ///< the version now (schema_version, or `up_to`)
};

/// Applies the migrations the database lacks, all in one transaction (with an advisory lock,
/// so two at once do not race), and the group roles when missing (roles belong to the whole
/// PostgreSQL cluster). Needs a role that may create tables and roles (CREATEROLE), e.g.
/// postgres. Throws std::runtime_error when the database is not UTF8 or its schema is newer
/// than this code, pg::Error when PostgreSQL refuses (nothing is changed then). `up_to` stops
/// at that version (1 to schema_version; tests make an older store with it); a database
/// already past it is left as it is.
InitOutcome init_schema(pg::Connection& conn, int up_to = schema_version);

/// The schema version of the database (0 when it has no wardcast schema). Throws pg::Error.
int current_schema_version(pg::Connection& conn);

/// Throws std::runtime_error unless the database is at schema_version: "the district store at
/// DB is not set up (run wardcast-district init)" or "... is at schema N; this wardcast reads
/// schema M".
void require_current_schema(pg::Connection& conn);

}  // namespace wardcast::district
