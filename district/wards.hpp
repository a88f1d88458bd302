#pragma once
// The district's wards (SPEC §9): each has a login role in the group wardcast_ward, made by
// `wardcast-district add-ward`, with which its wardcast-sync connects.

#include <string>
#include <string_view>

#include "district/pg.hpp"

namespace wardcast::district {

/// True for a ward name the store accepts: 1 to 48 lowercase ASCII letters, digits and '-',
/// beginning and ending with a letter or digit ("long-bien", "phuong-12").
bool valid_ward_name(std::string_view ward) noexcept;

/// The login role of a ward: "ward_" and the name with '-' as '_' ("ward_long_bien"), which
/// needs no quoting in SQL (ward names hold no '_', so no two wards share a role).
std::string ward_role(std::string_view ward);

/// How add_ward writes the ward's connection string.
struct AddWardOptions {
    /// The server's name as the ward reaches it; "" takes the current connection's host
    /// (refused when that is a local socket: a ward cannot use it).
    std::string host;
    /// libpq's sslmode for the ward (docs/district.md sets up TLS for verify-full).
    std::string sslmode = "verify-full";
};

/// A ward just added: what its wardcast-sync needs.
struct NewWard {
    std::string ward;
    std::string role;
    /// The libpq connection string, without the password: host, port, dbname, user, sslmode.
    std::string conninfo;
    std::string password;  ///< generated (128 random bits), stored in PostgreSQL only as SCRAM
    /// The password as a line of a libpq password file: "host:port:dbname:user:password".
    std::string passfile_line;
};

/// Adds `ward`: creates its LOGIN role (a generated password, sent as a SCRAM verifier) in
/// wardcast_ward and records it in `wards`, in one transaction. Throws std::invalid_argument
/// for a bad name or sslmode, std::runtime_error when the ward or its role exists already, the
/// schema is not current, or the host is a local socket and options.host is empty; pg::Error
/// when PostgreSQL refuses (the connected role needs CREATEROLE). Nothing is changed then.
NewWard add_ward(pg::Connection& conn, const std::string& ward, const AddWardOptions& options);

/// `value` as a libpq connection string value: as is when plain, else in single quotes with
/// `'` and `\` escaped.
std::string conninfo_value(std::string_view value);

/// `value` as a field of a libpq password file (':' and '\' escaped with '\').
std::string passfile_field(std::string_view value);

}  // namespace wardcast::district
