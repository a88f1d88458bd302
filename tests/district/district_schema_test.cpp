// The district's store (SPEC §9) on a real PostgreSQL 15: init and its migrations, add-ward
// and the connection string it prints, and the JSON escaping the chain's recipe relies on.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "district/commands.hpp"
#include "district/pg.hpp"
#include "district/schema.hpp"
#include "district/wards.hpp"
#include "tests/district/district_test_support.hpp"
#include "tests/skip.hpp"

using namespace wardcast;
using namespace wardcast::district;
using wardcast::test::PgServer;
using wardcast::test::TestDatabase;

namespace {

constexpr const char* kNoPostgres = "PostgreSQL 15 is not installed (apt install postgresql-15)";

// The line after the one beginning with `heading` in add-ward's output, without its indent.
std::string line_after(const std::string& text, const std::string& heading) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(heading, 0) == 0) break;
    }
    while (std::getline(in, line)) {
        if (line.rfind("  ", 0) == 0) return line.substr(2);
    }
    FAIL("no line after \"" << heading << "\" in:\n" << text);
    return "";
}

}  // namespace

TEST_CASE("init creates the schema once and a second run has nothing to do", "[district]") {
    if (!PgServer::installed()) WARDCAST_SKIP(kNoPostgres);
    TestDatabase db(test::shared_pg_server());

    std::ostringstream first, second;
    REQUIRE(run_init(db.local_conninfo(), first) == exit_ok);
    CHECK(first.str() == "district store in database " + db.name() +
                             ": schema created at version 3 (roles wardcast_ward, "
                             "wardcast_auditor, wardcast_operator)\n");
    REQUIRE(run_init(db.local_conninfo(), second) == exit_ok);
    CHECK(second.str() == "schema at version 3, nothing to do\n");

    pg::Connection conn(db.local_conninfo(), "test");
    CHECK(current_schema_version(conn) == schema_version);
    CHECK(test::value(conn,
                      "SELECT string_agg(version::text, ',' ORDER BY version) FROM "
                      "wardcast_schema") == "1,2,3");
    for (const char* table :
         {"wards", "entries", "schedules", "ward_status", "campaign_audio", "campaign_audio_chunks",
          "campaign_files", "campaign_file_audio", "campaign_assignments", "campaign_reports"}) {
        INFO(table);
        CHECK(test::value(conn,
                          "SELECT relrowsecurity AND relforcerowsecurity FROM pg_class WHERE "
                          "oid = to_regclass($1)",
                          {std::string("public.") + table}) == "t");
    }
    CHECK(test::value(conn,
                      "SELECT count(*) FROM pg_roles WHERE rolname IN ('wardcast_ward', "
                      "'wardcast_auditor', 'wardcast_operator') AND NOT rolcanlogin") == "3");

    // A store from a newer wardcast is left alone.
    conn.exec("INSERT INTO wardcast_schema (version) VALUES (99)", {}, "pretend");
    std::ostringstream third;
    CHECK_THROWS_WITH(run_init(db.local_conninfo(), third),
                      Catch::Contains("is at schema 99, newer than this wardcast-district (3)"));
}

TEST_CASE("init upgrades a schema 1 store to the current one, pruning the heartbeats it piled up",
          "[district]") {
    if (!PgServer::installed()) WARDCAST_SKIP(kNoPostgres);
    TestDatabase db(test::shared_pg_server());
    pg::Connection conn(db.local_conninfo(), "test");
    const InitOutcome old = init_schema(conn, 1);  // as the first wardcast-district left it
    CHECK(old.from == 0);
    CHECK(old.to == 1);
    REQUIRE(current_schema_version(conn) == 1);
    CHECK_THROWS_WITH(require_current_schema(conn),
                      "the district store in database " + db.name() +
                          " is at schema 1; this wardcast reads schema 3 (run wardcast-district "
                          "init)");
    // Schema 1 kept every heartbeat: bo-de's of a day, gia-thuy's one, long ago.
    conn.exec(
        "INSERT INTO wards (name, login_role) VALUES ('bo-de', 'ward_bo_de'),"
        " ('gia-thuy', 'ward_gia_thuy')",
        {}, "add wards");
    conn.exec(
        "INSERT INTO ward_status (ward, reported_at, status)"
        " SELECT 'bo-de', now(), jsonb_build_object('n', n) FROM generate_series(0, 99) n",
        {}, "heartbeats");
    conn.exec(
        "INSERT INTO ward_status (ward, reported_at, status)"
        " VALUES ('gia-thuy', now(), '{\"n\": 0}')",
        {}, "heartbeat");
    conn.exec(
        "UPDATE ward_status SET received_at = now() - (99 - (status->>'n')::int) *"
        " interval '14 minutes' WHERE ward = 'bo-de'",
        {}, "spread bo-de's over a day");
    conn.exec(
        "UPDATE ward_status SET received_at = now() - interval '2 days'"
        " WHERE ward = 'gia-thuy'",
        {}, "gia-thuy silent for 2 days");

    std::ostringstream out;
    REQUIRE(run_init(db.local_conninfo(), out) == exit_ok);
    CHECK(out.str() == "district store in database " + db.name() +
                           ": schema migrated from version 1 to 3 (roles wardcast_ward, "
                           "wardcast_auditor, wardcast_operator)\n");
    CHECK(current_schema_version(conn) == 3);
    require_current_schema(conn);
    // bo-de keeps its latest and those of the hour before it (14 minutes apart); gia-thuy its
    // last, however old.
    CHECK(test::value(conn,
                      "SELECT string_agg(status->>'n', ',' ORDER BY id) FROM ward_status"
                      " WHERE ward = 'bo-de'") == "95,96,97,98,99");
    CHECK(test::value(conn, "SELECT count(*) FROM ward_status WHERE ward = 'gia-thuy'") == "1");
    // The pruning function runs as the tables' owner, with its search_path pinned.
    CHECK(test::value(conn,
                      "SELECT p.prosecdef AND p.proconfig = ARRAY['search_path=pg_catalog, "
                      "pg_temp'] AND pg_get_userbyid(p.proowner) = t.tableowner FROM pg_proc p,"
                      " pg_tables t WHERE p.proname = 'wardcast_status_after_insert' AND"
                      " t.tablename = 'ward_status'") == "t");
    std::ostringstream again;
    REQUIRE(run_init(db.local_conninfo(), again) == exit_ok);
    CHECK(again.str() == "schema at version 3, nothing to do\n");
}

TEST_CASE("init refuses a database that is not UTF8", "[district]") {
    if (!PgServer::installed()) WARDCAST_SKIP(kNoPostgres);
    auto& server = test::shared_pg_server();
    pg::Connection admin(server.local_conninfo("postgres"), "test");
    admin.exec("DROP DATABASE IF EXISTS wardcast_latin1", {}, "clean");
    admin.exec("CREATE DATABASE wardcast_latin1 ENCODING 'LATIN1' TEMPLATE template0", {}, "make");
    std::ostringstream out;
    CHECK_THROWS_WITH(run_init(server.local_conninfo("wardcast_latin1"), out),
                      Catch::Contains("its encoding is LATIN1, not UTF8"));
    admin.exec("DROP DATABASE wardcast_latin1", {}, "clean");
}

TEST_CASE("add-ward prints a connection string and password file line the ward connects with",
          "[district]") {
    if (!PgServer::installed()) WARDCAST_SKIP(kNoPostgres);
    auto& server = test::shared_pg_server();
    TestDatabase db(server);
    test::LogDir dir;
    std::ostringstream ignored;
    REQUIRE(run_init(db.tcp_conninfo(), ignored) == exit_ok);

    std::ostringstream out;
    REQUIRE(run_add_ward(db.tcp_conninfo(), "long-bien", {}, out) == exit_ok);
    const std::string text = out.str();
    INFO(text);
    CHECK(text.rfind("ward long-bien added: login role ward_long_bien in wardcast_ward\n", 0) == 0);
    const std::string conninfo = line_after(text, "Connection string");
    CHECK(conninfo == "host=127.0.0.1 port=" + std::to_string(server.port()) +
                          " dbname=" + db.name() + " user=ward_long_bien sslmode=verify-full");
    const std::string passline = line_after(text, "Password");
    const std::string prefix =
        "127.0.0.1:" + std::to_string(server.port()) + ":" + db.name() + ":ward_long_bien:";
    REQUIRE(passline.rfind(prefix, 0) == 0);
    const std::string password = passline.substr(prefix.size());
    CHECK(password.size() == 32);
    CHECK(text.find("mode 0600") != std::string::npos);

    // The test server has no TLS: the same string with sslmode=disable, the password from the
    // printed line in a 0600 password file, as wardcast-sync will use them.
    const auto passfile = test::write_passfile(dir.path, passline);
    pg::Connection ward(conninfo + " sslmode=disable passfile=" + passfile.string(), "test");
    CHECK(test::value(ward, "SELECT current_user") == "ward_long_bien");
    CHECK(test::value(ward, "SELECT name FROM wards") == "long-bien");
    CHECK(test::value(ward, "SELECT pg_has_role('wardcast_ward', 'MEMBER')") == "t");
    // The password was sent as a SCRAM verifier: the server holds no clear text.
    pg::Connection admin(db.local_conninfo(), "test");
    CHECK(test::value(admin,
                      "SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid WHERE rolname = "
                      "'ward_long_bien'") == "t");
    // A wrong password does not connect.
    CHECK_THROWS_WITH(
        pg::Connection(conninfo + " sslmode=disable password=wrong", "test"),
        Catch::Contains("password authentication failed for user \"ward_long_bien\""));

    SECTION("adding it again is refused, changing nothing") {
        std::ostringstream again;
        CHECK_THROWS_WITH(run_add_ward(db.tcp_conninfo(), "long-bien", {}, again),
                          "ward long-bien exists already (its role is ward_long_bien)");
        CHECK(again.str().empty());
        pg::Connection still(conninfo + " sslmode=disable passfile=" + passfile.string(), "test");
    }
    SECTION("a bad name is refused before anything is made") {
        for (const char* bad : {"Long-Bien", "long_bien", "-long", "long-", "", "phường", "a b",
                                "x'; DROP TABLE wards; --"}) {
            INFO(bad);
            std::ostringstream o;
            CHECK_THROWS_AS(run_add_ward(db.tcp_conninfo(), bad, {}, o), std::invalid_argument);
        }
        CHECK(test::value(admin, "SELECT count(*) FROM wards") == "1");
    }
    SECTION("through the local socket it needs --host, and prints that host") {
        std::ostringstream o;
        CHECK_THROWS_WITH(run_add_ward(db.local_conninfo(), "bo-de", {}, o),
                          Catch::Contains("connected through the local socket " +
                                          server.dir().string() + ", which a ward cannot reach"));
        AddWardOptions options;
        options.host = "db.quan-long-bien.example";
        options.sslmode = "require";
        REQUIRE(run_add_ward(db.local_conninfo(), "bo-de", options, o) == exit_ok);
        CHECK(line_after(o.str(), "Connection string") ==
              "host=db.quan-long-bien.example port=" + std::to_string(server.port()) +
                  " dbname=" + db.name() + " user=ward_bo_de sslmode=require");
    }
}

TEST_CASE("add-ward needs an initialised store", "[district]") {
    if (!PgServer::installed()) WARDCAST_SKIP(kNoPostgres);
    TestDatabase db(test::shared_pg_server());
    std::ostringstream out;
    CHECK_THROWS_WITH(run_add_ward(db.tcp_conninfo(), "ngoc-thuy", {}, out),
                      "the district store in database " + db.name() +
                          " is not set up (run wardcast-district init)");
}

TEST_CASE("conninfo and password file values are quoted as libpq reads them", "[district]") {
    CHECK(conninfo_value("db.example") == "db.example");
    CHECK(conninfo_value("my db") == "'my db'");
    CHECK(conninfo_value("it's\\") == "'it\\'s\\\\'");
    CHECK(conninfo_value("") == "''");
    CHECK(passfile_field("a:b\\c") == "a\\:b\\\\c");
    CHECK(ward_role("phuong-12") == "ward_phuong_12");
    CHECK(valid_ward_name("phuong-12"));
    CHECK_FALSE(valid_ward_name(std::string(49, 'a')));
}

TEST_CASE("PostgreSQL's to_json escapes text as nlohmann::json::dump does", "[district]") {
    if (!PgServer::installed()) WARDCAST_SKIP(kNoPostgres);
    TestDatabase db(test::shared_pg_server());
    pg::Connection conn(db.local_conninfo(), "test");
    std::ostringstream ignored;
    run_init(db.local_conninfo(), ignored);

    std::vector<std::string> texts = {"",
                                      "plain",
                                      "\"quoted\"",
                                      "back\\slash",
                                      "/slash/",
                                      "Thông báo Ủy ban 🎙️",
                                      "\u2028\u2029",
                                      "DEL\x7f",
                                      "\xc2\x80\xc2\x9f (C1 controls)"};
    for (char c = 1; c < 0x20; ++c) texts.push_back(std::string("ctl ") + c + " end");
    for (const std::string& text : texts) {
        INFO(nlohmann::json(text).dump());
        CHECK(test::value(conn, "SELECT to_json($1::text)::text", {text}) ==
              nlohmann::json(text).dump());
    }
    // The lists (zones, audio_sha256) are parsed and written again compactly.
    const std::vector<std::string> zones(texts.begin() + 1, texts.end());
    const std::string spaced = nlohmann::json(zones).dump(2);  // not the compact form
    CHECK(test::value(conn, "SELECT wardcast_json_list($1)", {spaced}) ==
          nlohmann::json(zones).dump());
    CHECK(test::value(conn, "SELECT wardcast_json_list('[]')") == "[]");
    CHECK(test::value(conn, "SELECT wardcast_json_list('[\"a\", 1]') IS NULL") == "t");
    CHECK(test::value(conn, "SELECT wardcast_json_list('{\"a\": \"b\"}') IS NULL") == "t");
}
