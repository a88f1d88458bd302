#include "district/wards.hpp"

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "district/schema.hpp"

namespace wardcast::district {

namespace {

constexpr std::array<std::string_view, 6> kSslModes = {"disable", "allow",     "prefer",
                                                       "require", "verify-ca", "verify-full"};

std::string random_password() {
    std::array<unsigned char, 16> bytes{};
    std::size_t got = 0;
    while (got < bytes.size()) {
        const ssize_t n = ::getrandom(bytes.data() + got, bytes.size() - got, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0)
            throw std::runtime_error(std::string("cannot make a password: ") +
                                     std::strerror(errno));
        got += static_cast<std::size_t>(n);
    }
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char b : bytes) {
        out += hex[b >> 4];
        out += hex[b & 0xf];
    }
    return out;
}

}  // namespace

bool valid_ward_name(std::string_view ward) noexcept {
    if (ward.empty() || ward.size() > 48 || ward.front() == '-' || ward.back() == '-') return false;
    for (char c : ward) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
    }
    return true;
}

std::string ward_role(std::string_view ward) {
    std::string role = "ward_";
    for (char c : ward) role += c == '-' ? '_' : c;
    return role;
}

std::string conninfo_value(std::string_view value) {
    bool plain = !value.empty();
    for (char c : value) {
        if (c == ' ' || c == '\'' || c == '\\' || c == '\t' || c == '\n' || c == '=') plain = false;
    }
    if (plain) return std::string(value);
    std::string out = "'";
    for (char c : value) {
        if (c == '\'' || c == '\\') out += '\\';
        out += c;
    }
    return out + "'";
}

std::string passfile_field(std::string_view value) {
    std::string out;
    for (char c : value) {
        if (c == ':' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}

NewWard add_ward(pg::Connection& conn, const std::string& ward, const AddWardOptions& options) {
    if (!valid_ward_name(ward)) {
        throw std::invalid_argument("invalid ward name \"" + ward +
                                    "\": use 1 to 48 lowercase letters, digits and '-', "
                                    "beginning and ending with a letter or digit (long-bien)");
    }
    bool known_mode = false;
    for (auto mode : kSslModes) known_mode = known_mode || mode == options.sslmode;
    if (!known_mode) {
        throw std::invalid_argument("unknown sslmode \"" + options.sslmode +
                                    "\" (disable, allow, prefer, require, verify-ca or "
                                    "verify-full)");
    }
    const std::string host = options.host.empty() ? conn.host() : options.host;
    if (host.empty() || host.front() == '/') {
        throw std::runtime_error("connected through the local socket " + host +
                                 ", which a ward cannot reach: give --host, the server's name "
                                 "as the wards reach it");
    }
    require_current_schema(conn);

    NewWard added;
    added.ward = ward;
    added.role = ward_role(ward);
    added.password = random_password();
    const std::string what = "cannot add ward " + ward;
    pg::Transaction tx(conn, what);
    const pg::Result held =
        conn.exec("SELECT login_role FROM public.wards WHERE name = $1", {ward}, what);
    if (held.rows() > 0) {
        throw std::runtime_error("ward " + ward + " exists already (its role is " +
                                 held.text(0, 0) + ")");
    }
    if (conn.exec("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1", {added.role}, what)
            .rows() > 0) {
        throw std::runtime_error(what + ": a role " + added.role +
                                 " exists already in this PostgreSQL cluster");
    }
    // CREATE ROLE takes no parameters: the name is checked above, the verifier quoted. Only the
    // SCRAM verifier travels, so the password is in no server log.
    conn.exec("CREATE ROLE " + conn.quote_identifier(added.role) + " LOGIN IN ROLE " +
                  std::string(ward_group) + " CONNECTION LIMIT 8 PASSWORD " +
                  conn.quote_literal(conn.scram_verifier(added.password, added.role)),
              {}, what);
    conn.exec("INSERT INTO public.wards (name, login_role) VALUES ($1, $2)", {ward, added.role},
              what);
    tx.commit();

    const std::string port = conn.port(), dbname = conn.dbname();
    added.conninfo = "host=" + conninfo_value(host) + " port=" + conninfo_value(port) +
                     " dbname=" + conninfo_value(dbname) + " user=" + added.role +
                     " sslmode=" + options.sslmode;
    added.passfile_line = passfile_field(host) + ':' + passfile_field(port) + ':' +
                          passfile_field(dbname) + ':' + passfile_field(added.role) + ':' +
                          passfile_field(added.password);
    return added;
}

}  // namespace wardcast::district
