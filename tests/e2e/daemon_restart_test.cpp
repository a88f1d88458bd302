// Crashes, restarts and downtime: the log stays complete and nothing airs twice (SPEC §4, §6).

#include <catch2/catch.hpp>

#include "log/log_reader.hpp"
#include "tests/e2e/daemon_process.hpp"
#include "tests/e2e/fixtures.hpp"

using namespace wardcast::test;
using namespace std::chrono_literals;

namespace {

struct Station {
    TempDir dir;
    std::filesystem::path db = dir.path() / "broadcasts.db";
    std::filesystem::path schedule;

    explicit Station(const std::string& announcements) {
        write_tone_wav(dir.path() / "one.wav", 1000);
        write_tone_wav(dir.path() / "ten.wav", 10000);
        schedule = dir.write("schedule.yaml",
                             "station: { name: \"Phường Thử\", timezone: UTC }\n"
                             "zones: [{ id: a, output: \"null\" }, { id: b, output: \"null\" }]\n"
                             "announcements:\n" +
                                 announcements);
    }
    std::unique_ptr<Daemon> start(const std::string& name) {
        return std::make_unique<Daemon>(
            std::vector<std::string>{"--schedule", schedule.string(), "--db", db.string()},
            dir.path() / (name + ".log"),
            std::map<std::string, std::string>{
                {"WARDCAST_CACHE", (dir.path() / "cache").string()}});
    }
    std::vector<Row> broadcasts() {
        return query(db, "SELECT * FROM entries WHERE kind = 'broadcast' ORDER BY seq");
    }
    int count(const std::string& sql) { return std::stoi(query(db, sql).at(0).begin()->second); }
};

}  // namespace

TEST_CASE("kill -9 on air: the next start records it interrupted, and the next firing airs",
          "[e2e][daemon][crash]") {
    auto t0 = whole_second_after(startup_margin + 1s);
    Station st("  - id: long\n    zones: [a]\n    audio: ten.wav\n" + when(t0) +
               "  - id: after\n    zones: [b]\n    audio: one.wav\n" + when(t0 + 8s));
    auto first = st.start("first");
    REQUIRE(first->wait_for_output("on air: long", startup_margin + 15s));
    CHECK(first->stop(SIGKILL) == -SIGKILL);

    auto second = st.start("second");
    REQUIRE(second->wait_for_output("played after", startup_margin + 20s));
    CHECK(second->stop() == 0);
    INFO(second->output());

    auto rows = st.broadcasts();
    REQUIRE(rows.size() == 2);
    CHECK(rows[0]["announcement_id"] == "long");
    CHECK(rows[0]["status"] == "interrupted");
    CHECK(rows[0]["error"].find("wardcastd stopped while this was on air") != std::string::npos);
    CHECK(rows[1]["announcement_id"] == "after");
    CHECK(rows[1]["status"] == "played");
    // `long` is claimed: the restart did not air it again, even within its catch_up.
    CHECK(st.count(
              "SELECT count(*) FROM entries WHERE kind = 'on_air' AND announcement_id = 'long'") ==
          1);
    auto verified = wardcast::log::LogReader(st.db).verify();
    CHECK(verified.intact);
}

TEST_CASE("a restart right after a firing aired does not air it again", "[e2e][daemon][crash]") {
    auto t0 = whole_second_after(startup_margin + 0s);
    Station st("  - id: once\n    zones: [a]\n    audio: one.wav\n" + when(t0));
    auto first = st.start("first");
    REQUIRE(first->wait_for_output("played once", startup_margin + 15s));
    CHECK(first->stop() == 0);
    auto second = st.start("second");
    REQUIRE(second->wait_for_output("nothing more to air", startup_margin + 15s));
    std::this_thread::sleep_for(1s);
    CHECK(second->stop() == 0);
    CHECK(second->output().find("on air: once") == std::string::npos);
    CHECK(st.count("SELECT count(*) FROM entries WHERE kind = 'on_air'") == 1);
}

TEST_CASE("downtime: late by more than catch_up is missed, within it airs as catch-up",
          "[e2e][daemon][crash]") {
    auto t0 = whole_second_after(startup_margin + 0s);
    Station st(
        "  - id: first\n    zones: [a]\n    audio: one.wav\n" + when(t0) +
        "  - id: gone\n    zones: [a]\n    audio: one.wav\n    catch_up: 1s\n" + when(t0 + 3s) +
        "  - id: within\n    zones: [b]\n    audio: one.wav\n    catch_up: 1m\n" + when(t0 + 4s));
    auto first = st.start("first");
    REQUIRE(first->wait_for_output("played first", startup_margin + 15s));
    CHECK(first->stop() == 0);
    std::this_thread::sleep_until(t0 + 7s);  // down while `gone` and `within` were due

    auto second = st.start("second");
    REQUIRE(second->wait_for_output("played within", startup_margin + 15s));
    CHECK(second->stop() == 0);
    auto rows = outcomes(st.db);
    CHECK(rows["first"]["status"] == "played");
    CHECK(rows["gone"]["status"] == "missed");
    CHECK(rows["gone"]["error"].find("wardcastd was not running at") != std::string::npos);
    CHECK(rows["gone"]["error"].find("more than catch_up 1s") != std::string::npos);
    CHECK(rows["within"]["status"] == "played");
    CHECK(rows["within"]["trigger"] == "catch-up");
    CHECK(std::stol(rows["within"]["lateness_ms"]) > 2000);
}

TEST_CASE("a restart after a firing later than its max_delay but within its catch_up airs it",
          "[e2e][daemon][crash]") {
    // Issue 11's start-up crash (SIGSEGV): max_delay 1s, catch_up 10m, the daemon down across
    // the second time and started again 4 s after it.
    const auto t0 = whole_second_after(startup_margin + 1s);
    const auto hms = [](Clock::time_point t) {
        const auto secs = std::chrono::floor<std::chrono::seconds>(t);
        return date::format("%T", secs - std::chrono::floor<date::days>(secs));
    };
    Station st(
        "  - id: tick\n    zones: [a]\n    audio: one.wav\n    max_delay: 1s\n"
        "    catch_up: 10m\n    at: [\"" +
        hms(t0) + "\", \"" + hms(t0 + 15s) + "\"]\n");
    auto first = st.start("first");
    REQUIRE(first->wait_for_output("played tick", startup_margin + 15s));
    CHECK(first->stop() == 0);
    REQUIRE(Clock::now() < t0 + 15s);  // stopped before the second time
    std::this_thread::sleep_until(t0 + 19s);

    auto second = st.start("second");
    REQUIRE(second->wait_for_output("played tick", startup_margin + 15s));
    CHECK(second->stop() == 0);
    INFO(second->output());
    CHECK(second->output().find("catching up tick of") != std::string::npos);
    const auto rows = st.broadcasts();
    REQUIRE(rows.size() == 2);
    CHECK(rows[1].at("status") == "played");
    CHECK(rows[1].at("trigger") == "catch-up");
    CHECK(std::stol(rows[1].at("lateness_ms")) >= 4000);
}

TEST_CASE("SIGTERM on air ends the broadcast and records it cancelled", "[e2e][daemon]") {
    auto t0 = whole_second_after(startup_margin + 0s);
    Station st("  - id: long\n    zones: [a]\n    audio: ten.wav\n" + when(t0));
    auto d = st.start("run");
    REQUIRE(d->wait_for_output("on air: long", startup_margin + 15s));
    CHECK(d->stop(SIGTERM) == 0);
    auto rows = st.broadcasts();
    REQUIRE(rows.size() == 1);
    CHECK(rows[0]["status"] == "cancelled");
    CHECK(rows[0]["error"] == "wardcastd was stopped (shutdown)");
    CHECK_FALSE(rows[0]["ended"].empty());
}
