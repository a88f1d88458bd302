#pragma once
// What the district's tests share: one PostgreSQL server per test process (started on first
// use), a fresh database per test, ward logs written by the real log::BroadcastLog, and raw
// SQL as a ward (or an attacker) would send it.

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/sha256.hpp"
#include "district/pg.hpp"
#include "district/schema.hpp"
#include "district/wards.hpp"
#include "log/broadcast_log.hpp"
#include "tests/district/pg_server.hpp"
#include "tests/log/log_test_support.hpp"

namespace wardcast::test {

/// The bytes of `path` ("" when it cannot be read).
inline std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Writes `text` to `path`, folders created.
inline void write_file(const std::filesystem::path& path, const std::string& text) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

/// The server of this test process; throws when it cannot start (the test fails).
inline PgServer& shared_pg_server() {
    static PgServer server;
    return server;
}

/// A fresh, empty database; dropped at the end of the test with the ward roles it made (roles
/// belong to the whole cluster).
class TestDatabase {
  public:
    explicit TestDatabase(PgServer& server) : server_(server) {
        static int count = 0;
        name_ = "wardcast_test_" + std::to_string(::getpid()) + "_" + std::to_string(++count);
        district::pg::Connection admin(server_.local_conninfo("postgres"), "wardcast-test");
        admin.exec("CREATE DATABASE " + name_ + " ENCODING 'UTF8' TEMPLATE template0", {},
                   "create the test database");
    }
    ~TestDatabase() {
        try {
            std::vector<std::string> roles;
            {
                district::pg::Connection db(local_conninfo(), "wardcast-test");
                if (district::current_schema_version(db) > 0) {
                    auto r = db.exec("SELECT login_role FROM wards", {}, "list the ward roles");
                    for (int i = 0; i < r.rows(); ++i) roles.push_back(r.text(i, 0));
                }
            }
            district::pg::Connection admin(server_.local_conninfo("postgres"), "wardcast-test");
            admin.exec("DROP DATABASE " + name_ + " WITH (FORCE)", {}, "drop the test database");
            for (const auto& role : extra_roles_) roles.push_back(role);
            for (const auto& role : roles) {
                admin.exec("DROP ROLE IF EXISTS " + admin.quote_identifier(role), {},
                           "drop a role");
            }
        } catch (const std::exception& e) {
            WARN("cleaning up " << name_ << ": " << e.what());
        }
    }
    TestDatabase(const TestDatabase&) = delete;
    TestDatabase& operator=(const TestDatabase&) = delete;

    const std::string& name() const { return name_; }
    /// The superuser through the local socket.
    std::string local_conninfo() const { return server_.local_conninfo(name_); }
    /// The superuser over TCP (password).
    std::string tcp_conninfo() const { return server_.tcp_conninfo(name_); }
    /// A role made by the test itself (an auditor), dropped with the database.
    void drop_later(const std::string& role) { extra_roles_.push_back(role); }

  private:
    PgServer& server_;
    std::string name_;
    std::vector<std::string> extra_roles_;
};

/// A libpq password file `name` holding `line`, mode 0600, in `dir`; its path.
inline std::filesystem::path write_passfile(const std::filesystem::path& dir,
                                            const std::string& line,
                                            const std::string& name = "pgpass") {
    const auto path = dir / name;
    {
        std::ofstream out(path);
        out << line << '\n';
    }
    ::chmod(path.c_str(), 0600);
    return path;
}

/// A connection as the ward just added: its printed conninfo (sslmode overridden, since the
/// test server has no TLS) and its password file.
inline std::unique_ptr<district::pg::Connection> connect_as(const district::NewWard& ward,
                                                            const std::filesystem::path& dir) {
    const auto passfile = write_passfile(dir, ward.passfile_line, "pgpass-" + ward.ward);
    return std::make_unique<district::pg::Connection>(
        ward.conninfo + " sslmode=disable passfile=" + passfile.string(), "wardcast-sync-test");
}

/// Runs `sql` and returns the SQLSTATE of its failure ("" when it succeeded) and the message.
inline std::pair<std::string, std::string> attempt(district::pg::Connection& conn,
                                                   const std::string& sql) {
    try {
        conn.exec(sql, {}, "attack");
        return {"", ""};
    } catch (const district::pg::Error& e) {
        return {e.sqlstate(), e.message()};
    }
}

/// The first value of `sql`'s first row, as text.
inline std::string value(district::pg::Connection& conn, const std::string& sql,
                         const std::vector<district::pg::Param>& params = {}) {
    auto r = conn.exec(sql, params, "query");
    REQUIRE(r.rows() > 0);
    return r.text(0, 0);
}

/// A district with its schema and `wards` added; each ward's conninfo with its passfile.
struct District {
    TestDatabase db;
    LogDir dir;
    std::map<std::string, std::string> conninfo;

    explicit District(const std::vector<std::string>& wards)
        : District(shared_pg_server(), wards) {}
    District(PgServer& server, const std::vector<std::string>& wards) : db(server) {
        district::pg::Connection admin(db.local_conninfo(), "wardcast-test");
        district::init_schema(admin);
        for (const auto& ward : wards) {
            district::AddWardOptions options;
            options.host = "127.0.0.1";
            const auto added = district::add_ward(admin, ward, options);
            const auto passfile = write_passfile(dir.path, added.passfile_line, "pgpass-" + ward);
            conninfo[ward] = added.conninfo + " sslmode=disable passfile=" + passfile.string();
        }
    }
    std::int64_t count(const std::string& sql) {
        district::pg::Connection admin(db.local_conninfo(), "wardcast-test");
        return std::stoll(value(admin, sql));
    }
};

/// A schedule text (Vietnamese, as the daemon stores it) and its SHA-256.
inline std::string schedule_text() {
    return "station:\n  name: \"Phường Bồ Đề\"\nannouncements: []\n# \\ \"quoted\"\n";
}
inline std::string sha256_of_schedule_text() { return sha256_hex(schedule_text()); }

/// A ward's log with texts that test the JSON escaping: quotes, backslashes, control
/// characters, DEL, '/', Vietnamese, an emoji, invalid UTF-8 (stored as U+FFFD); broadcasts
/// with and without aired_ms, operator commands. Returns its entries as stored.
inline std::vector<log::LogEntry> write_tricky_log(const std::filesystem::path& path,
                                                   const std::string& station) {
    log::BroadcastLog ward_log(path);
    ward_log.remember_schedule(sha256_of_schedule_text(), schedule_text(),
                               "/etc/wardcast/schedule.yaml");
    log::LogEntry load;
    load.station = station;
    load.command =
        names::load_schedule_entry("/etc/wardcast/lịch \"phát\".yaml", names::LoadReason::start);
    load.result = "ok";
    load.user = "wardcast";
    load.uid = 998;
    load.schedule_sha256 = sha256_of_schedule_text();
    ward_log.record_operator(load);

    const std::vector<std::string> titles = {
        "Thông báo \"mất điện\" khu phố 3",
        "back\\slash C:\\loa\\ and /slash/",
        std::string("tab\there, newline\nthere, cr\r, bell\x07, \x01\x1f, DEL\x7f, nul-less"),
        "Tiếng Việt: Ủy ban nhân dân phường 🎙️ \u2028 end",
        "bad UTF-8 \xff\xfe here",
    };
    for (std::size_t i = 0; i < titles.size(); ++i) {
        log::LogEntry on_air;
        on_air.station = station;
        on_air.announcement_id = "tb-" + std::to_string(i);
        on_air.title = titles[i];
        on_air.trigger = i % 2 ? names::Trigger::operator_request : names::Trigger::schedule;
        on_air.zones = {"chợ", "trường \"A\"", "z\\1"};
        on_air.scheduled = at("2026-12-01T06:00:00.000Z");
        on_air.started = at("2026-12-01T06:00:00.120Z");
        on_air.lateness_ms = 120;
        on_air.audio_sha256 = {std::string(64, 'a'), std::string(64, 'b')};
        on_air.schedule_sha256 = sha256_of_schedule_text();
        if (i % 2) {
            on_air.user = "nguyễn văn \"an\"";
            on_air.uid = 1000;
        }
        const auto seq = ward_log.begin_broadcast(on_air, i % 2 == 0);
        REQUIRE(seq);
        log::LogEntry done;
        done.status = i == 2 ? names::Status::failed : names::Status::played;
        done.error = i == 2 ? "gst: \"alsasink\" could not open \\dev\\snd\n\tdetails" : "";
        done.ended = at("2026-12-01T06:03:00.000Z");
        if (i != 4) done.aired_ms = 180000 - static_cast<std::int64_t>(i);  // NULL once
        ward_log.finish_broadcast(*seq, done);
    }
    return ward_log.entries();
}

}  // namespace wardcast::test
