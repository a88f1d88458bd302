// A year of `simulate` on the large bench schedule prints exactly what it always has: the
// fast writers (issue 15) against the SHA-256 of what the straightforward ones printed.

#include <catch2/catch.hpp>
#include <map>
#include <regex>
#include <set>

#include "common/sha256.hpp"
#include "tests/e2e/ctl.hpp"
#include "tests/schedules/big_schedule.hpp"
#include "tests/schedules/schedule_files.hpp"

using namespace wardcast::test;

namespace {

struct BigSchedule {
    TempDir dir;
    std::string file;
    BigSchedule() {
        write_big_schedule_audio(dir.path());
        file = dir.write("schedule.yaml", big_schedule(1000)).string();
    }
};

}  // namespace

TEST_CASE("simulate prints a year of the bench schedule as before, JSON and table",
          "[e2e][simulate][slow]") {
    BigSchedule big;
    // Printed by wardcastctl at bf5cdc8, before its output was rewritten for speed.
    const auto json =
        ctl({"simulate", big.file, "--from", "2027-01-01", "--to", "2028-01-01", "--json"});
    REQUIRE(json.exit_code == 0);
    CHECK(json.err.empty());
    CHECK(std::count(json.out.begin(), json.out.end(), '\n') == 552217);
    CHECK(json.out.substr(0, json.out.find('\n')) ==
          "{\"announcement\":\"a281\",\"scheduled\":\"2027-01-02T05:30:00+07:00\",\"start\":"
          "\"2027-01-02T05:30:00+07:00\",\"end\":\"2027-01-02T05:32:50+07:00\",\"status\":"
          "\"scheduled\",\"zones\":[\"z9\",\"z13\"],\"reason\":null}");
    CHECK(wardcast::sha256_hex(json.out) ==
          "3a9b993e9c0dee25bd68cb4fae8b4f96afd39e997009e9ea91c74958d2165cea");

    const auto table = ctl({"simulate", big.file, "--from", "2027-01-01", "--to", "2028-01-01"});
    REQUIRE(table.exit_code == 0);
    const auto lines = table.out_lines();
    REQUIRE(lines.size() == 552220);
    CHECK(lines[0] == "Quận bench — from 2027-01-01 00:00 to 2028-01-01 00:00 (Asia/Ho_Chi_Minh)");
    CHECK(lines[2] ==
          "Sat 2027-01-02  05:30     05:30     05:32:50  Thông báo số 281  z9,z13   scheduled");
    CHECK(wardcast::sha256_hex(table.out) ==
          "d99216726adca419ef24ed515e7e42591b143be1970f0563955d91240586fe71");
}

TEST_CASE("validate sums up the bench schedule's collisions, one line a pair",
          "[e2e][validate][slow]") {
    BigSchedule big;
    const auto r = ctl({"validate", big.file});
    REQUIRE(r.exit_code == 0);  // collisions are warnings
    const std::regex warning(
        R"(.*schedule\.yaml:\d+:\d+: warning: announcement '(a\d+)' collides with '(a\d+)' on zone )"
        R"(z\d+(, z\d+)*: on \d{4}-\d\d-\d\d \d\d:\d\d (it waits until \d\d:\d\d(:\d\d)?|it is skipped )"
        R"(\(.*\)); (once|(\d+) times) between \d{4}-\d\d-\d\d and \d{4}-\d\d-\d\d)");
    std::set<std::pair<std::string, std::string>> pairs;
    long collisions = 0;
    for (const auto& line : r.err_lines()) {
        std::smatch m;
        if (!std::regex_match(line, m, warning)) continue;
        CHECK(pairs.emplace(m[1], m[2]).second);  // each pair once
        collisions += m[7].matched ? std::stol(m[7]) : 1;
    }
    // A year of this schedule has about 1,200 colliding pairs and tens of thousands of
    // collisions: one line each would be unreadable.
    CHECK(pairs.size() > 500);
    CHECK(collisions > 10 * static_cast<long>(pairs.size()));
    CHECK(r.err_lines().size() == pairs.size());
    CHECK(r.out.find(": valid: 1000 announcements") != std::string::npos);
}
