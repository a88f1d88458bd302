#include <catch2/catch.hpp>

#include "schedules/bundle.hpp"
#include "tests/schedules/schedule_files.hpp"

using namespace wardcast::schedules;

TEST_CASE("a one-file schedule is stored as the file itself", "[bundle]") {
    auto text = bundle({{"schedule.yaml", "version: 1\n"}});
    CHECK(text == "version: 1\n");
    CHECK(unbundle(text, "schedule.yaml") == std::vector<BundledFile>{{"schedule.yaml", "version: 1\n"}});
}

TEST_CASE("a schedule with includes round-trips through its bundle", "[bundle]") {
    wardcast::test::TempDir dir;
    auto main = dir.write("s.yaml", "include: [c/*.yaml]\n");
    auto a = dir.write("c/a.yaml", "announcements: []");  // no final newline
    auto text = bundle_from_disk({main, a});
    CHECK(text == "#@wardcast-file: s.yaml\ninclude: [c/*.yaml]\n#@wardcast-file: c/a.yaml\nannouncements: []\n");
    auto files = unbundle(text, "ignored.yaml");
    REQUIRE(files.size() == 2);
    CHECK(files[0] == BundledFile{"s.yaml", "include: [c/*.yaml]\n"});
    CHECK(files[1] == BundledFile{"c/a.yaml", "announcements: []\n"});
    CHECK_THROWS_WITH(bundle_from_disk({dir.path() / "missing.yaml"}), Catch::Contains("cannot read"));
}
