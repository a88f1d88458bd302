#pragma once
// wardcast-district's commands (SPEC §9), one function each, so that tests run exactly what
// the program prints. For now: init, add-ward.

#include <iosfwd>
#include <optional>
#include <string>

#include "district/wards.hpp"

namespace wardcast::district {

/// wardcast-district's exit codes (as wardcastctl's).
enum ExitCode { exit_ok = 0, exit_failed = 1, exit_usage = 2 };

/// The connection string to use: `flag` when given, else $WARDCAST_DISTRICT_DB, else "" (libpq
/// then reads the PG* variables: PGHOST, PGDATABASE, PGUSER…).
std::string district_conninfo(const std::optional<std::string>& flag);

/// `init`: applies the missing migrations; prints "schema at version N, nothing to do" or
/// what it applied. Throws (pg::Error, std::runtime_error) on failure: nothing changed then.
int run_init(const std::string& conninfo, std::ostream& out);

/// `add-ward WARD`: prints the connection string for the ward and, apart, its password as a
/// line of a libpq password file, with where each goes. Throws on failure (see add_ward).
int run_add_ward(const std::string& conninfo, const std::string& ward,
                 const AddWardOptions& options, std::ostream& out);

}  // namespace wardcast::district
