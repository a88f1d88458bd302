#include "district/commands.hpp"

#include <cstdlib>
#include <ostream>

#include "district/pg.hpp"
#include "district/schema.hpp"

namespace wardcast::district {

namespace {
constexpr const char* kApplicationName = "wardcast-district";
}

std::string district_conninfo(const std::optional<std::string>& flag) {
    if (flag) return *flag;
    const char* env = std::getenv("WARDCAST_DISTRICT_DB");
    return env ? env : "";
}

int run_init(const std::string& conninfo, std::ostream& out) {
    pg::Connection conn(conninfo, kApplicationName);
    const InitOutcome done = init_schema(conn);
    if (done.from == done.to) {
        out << "schema at version " << done.to << ", nothing to do\n";
    } else {
        out << "district store in database " << conn.dbname() << ": schema "
            << (done.from == 0 ? "created at version " + std::to_string(done.to)
                               : "migrated from version " + std::to_string(done.from) + " to " +
                                     std::to_string(done.to))
            << " (roles " << ward_group << ", " << auditor_group << ", " << operator_group << ")\n";
    }
    return exit_ok;
}

int run_add_ward(const std::string& conninfo, const std::string& ward,
                 const AddWardOptions& options, std::ostream& out) {
    pg::Connection conn(conninfo, kApplicationName);
    const NewWard added = add_ward(conn, ward, options);
    out << "ward " << added.ward << " added: login role " << added.role << " in " << ward_group
        << "\n\n"
        << "Connection string, for the ward's /etc/wardcast/district.conf:\n"
        << "  " << added.conninfo << "\n\n"
        << "Password, shown only now: this line goes into wardcast-sync's libpq password file\n"
        << "(mode 0600, owned by its user; never into the schedule or district.conf):\n"
        << "  " << added.passfile_line << '\n';
    return exit_ok;
}

}  // namespace wardcast::district
