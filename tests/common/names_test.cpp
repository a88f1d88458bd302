// The shared name tables (common/names.hpp): every value has one name and parses back, and
// the load-schedule entry that `report` reads is built and recognised in one place.

#include "common/names.hpp"

#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "tests/names_strings.hpp"

using namespace wardcast;

namespace {

// Every row's name gives its value back, names are unique and non-empty, and a name outside
// the table (a near miss, another case, empty) parses to nothing.
template <class E, std::size_t N, class Parse>
void check_table(const std::array<names::Named<E>, N>& table, Parse parse) {
    std::set<std::string_view> seen;
    for (const auto& row : table) {
        INFO(row.name);
        CHECK(!row.name.empty());
        CHECK(seen.insert(row.name).second);
        CHECK(names::name(row.value) == row.name);
        CHECK(parse(row.name) == row.value);
        CHECK(parse(std::string(row.name) + " ") == std::nullopt);
        std::string upper(row.name);
        for (char& c : upper) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
        CHECK(parse(upper) == std::nullopt);
    }
    CHECK(parse("") == std::nullopt);
    CHECK(parse("khong-co") == std::nullopt);
    CHECK(names::name(static_cast<E>(N)) == "");  // a value outside the enum
}

}  // namespace

TEST_CASE("each name table round-trips every value and knows no other name", "[names]") {
    SECTION("statuses") { check_table(names::statuses, names::parse_status); }
    SECTION("entry kinds") { check_table(names::entry_kinds, names::parse_entry_kind); }
    SECTION("triggers") { check_table(names::triggers, names::parse_trigger); }
    SECTION("priorities") { check_table(names::priorities, names::parse_priority); }
    SECTION("load reasons") { check_table(names::load_reasons, names::parse_load_reason); }
}

TEST_CASE("the names are those of the log format and the protocol", "[names]") {
    // Written into every log file and hashed: changing one breaks every existing chain.
    CHECK(names::listed(names::statuses) ==
          "played, failed, skipped, missed, preempted, cancelled, interrupted");
    CHECK(names::listed(names::entry_kinds) == "on_air, broadcast, operator");
    CHECK(names::listed(names::triggers) == "schedule, catch-up, operator, emergency");
    CHECK(names::listed(names::priorities, " or ") == "low, normal, high or emergency");
    CHECK(names::sql_listed(names::entry_kinds) == "'on_air', 'broadcast', 'operator'");
    CHECK(names::all_names(names::priorities) ==
          std::vector<std::string>{"low", "normal", "high", "emergency"});
    CHECK(names::name_or_empty(std::optional<names::Trigger>()) == "");
    CHECK(names::name_or_empty(std::optional(names::Trigger::catch_up)) == "catch-up");
}

TEST_CASE("priorities keep their order of precedence", "[names]") {
    CHECK(names::Priority::low < names::Priority::normal);
    CHECK(names::Priority::normal < names::Priority::high);
    CHECK(names::Priority::high < names::Priority::emergency);
}

TEST_CASE("a load-schedule entry is built and recognised as report reads it", "[names]") {
    CHECK(names::load_schedule_entry("/etc/wardcast/schedule.yaml", names::LoadReason::start) ==
          "load-schedule /etc/wardcast/schedule.yaml (start)");
    CHECK(names::load_schedule_entry("/srv/lịch phát (mới).yaml", names::LoadReason::reload) ==
          "load-schedule /srv/lịch phát (mới).yaml (reload)");
    struct Case {
        const char* command;
        bool is_load_schedule;
    };
    const Case cases[] = {
        {"load-schedule /etc/wardcast/schedule.yaml (start)", true},
        {"load-schedule /etc/wardcast/schedule.yaml (reload)", true},
        {"load-schedule (start)", true},  // as an early test log wrote it: still read
        {"load-schedule", false},
        {"load-schedules /x (start)", false},
        {"reload", false},
        {"announce --tts \"load-schedule x\"", false},
        {"", false},
    };
    for (const auto& c : cases) {
        INFO(c.command);
        CHECK(names::is_load_schedule(c.command) == c.is_load_schedule);
    }
}
