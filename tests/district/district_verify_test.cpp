// wardcast-district verify on a real PostgreSQL: every ward's chain as received, walked with
// the documented recipe; a change made later inside the database (by its owner, who is not
// held by the insert trigger) is named like `wardcastctl verify` names one in a ward's file.

#include <catch2/catch.hpp>
#include <sstream>
#include <string>

#include "district/store.hpp"
#include "district/verify.hpp"
#include "tests/district/district_test_support.hpp"
#include "tests/skip.hpp"

using namespace wardcast;
using wardcast::test::LogDir;

namespace {

// Two wards whose real logs are in the store; the owner's connection for the tests' tampering.
struct TwoWards {
    test::TestDatabase db{test::shared_pg_server()};
    LogDir dir;
    std::vector<log::LogEntry> bo_de, gia_thuy;

    TwoWards() {
        district::pg::Connection admin(db.local_conninfo(), "wardcast-test");
        district::init_schema(admin);
        district::AddWardOptions options;
        options.host = "127.0.0.1";
        for (const char* ward : {"bo-de", "gia-thuy"}) {
            district::add_ward(admin, ward, options);
            auto& entries = std::string(ward) == "bo-de" ? bo_de : gia_thuy;
            entries = test::write_tricky_log(dir.path / (std::string(ward) + ".db"),
                                             std::string("Phường ") + ward);
            district::insert_entries(admin, ward, entries);
        }
    }
    std::pair<int, std::string> verify(const std::optional<std::string>& ward = std::nullopt,
                                       bool json = false) {
        std::ostringstream out, err;
        const int code = district::run_verify(db.local_conninfo(), ward, json, out, err);
        return {code, out.str() + err.str()};
    }
    void sql(const std::string& statement) {
        district::pg::Connection admin(db.local_conninfo(), "wardcast-test");
        admin.exec(statement, {}, "tamper");
    }
};

}  // namespace

TEST_CASE("district verify: every ward's chain as received is intact, with its anchor",
          "[district][verify]") {
    if (!test::PgServer::installed()) WARDCAST_SKIP("PostgreSQL 15 is not installed");
    TwoWards d;
    const auto [code, text] = d.verify();
    INFO(text);
    CHECK(code == 0);
    CHECK_THAT(text, Catch::StartsWith("bo-de: intact: " + std::to_string(d.bo_de.size()) +
                                       " entries, last #" + std::to_string(d.bo_de.size()) +
                                       " recorded "));
    CHECK_THAT(text, Catch::Contains(", hash " + d.bo_de.back().hash + "\ngia-thuy: intact: "));
    CHECK_THAT(text, Catch::EndsWith(", hash " + d.gia_thuy.back().hash + "\n"));

    const auto [one, json] = d.verify(std::string("gia-thuy"), true);
    CHECK(one == 0);
    const auto parsed = nlohmann::json::parse(json);
    CHECK(parsed["ward"] == "gia-thuy");
    CHECK(parsed["intact"] == true);
    CHECK(parsed["entries"] == d.gia_thuy.size());
    CHECK(parsed["last_hash"] == d.gia_thuy.back().hash);
    CHECK(parsed["bad_seq"].is_null());
}

TEST_CASE("district verify names an entry changed or removed inside the database",
          "[district][verify]") {
    if (!test::PgServer::installed()) WARDCAST_SKIP("PostgreSQL 15 is not installed");
    TwoWards d;
    d.sql("UPDATE entries SET title = 'Thông báo đã sửa' WHERE ward = 'gia-thuy' AND seq = 5");
    auto [code, text] = d.verify();
    INFO(text);
    CHECK(code == 1);
    CHECK_THAT(text, Catch::StartsWith("bo-de: intact: "));
    CHECK_THAT(text,
               Catch::EndsWith("gia-thuy: broken: entry 5 was changed: its hash does not match its "
                               "content\n"));

    d.sql("DELETE FROM entries WHERE ward = 'bo-de' AND seq = 3");
    std::tie(code, text) = d.verify(std::string("bo-de"));
    CHECK(code == 1);
    CHECK(text == "bo-de: broken: entry 3 was removed: entries jump from 2 to 4\n");

    CHECK_THROWS_WITH(d.verify(std::string("no-such-ward")),
                      "no ward no-such-ward in the district's store");
}
