// What the operator previews is what airs: the real wardcastd airs a schedule full of exact
// ties (whole-second lengths, waits of exactly max_delay) through real GStreamer, and every
// firing's outcome, start and reason in its log equals `wardcastctl simulate --json`'s.

#include <date/date.h>

#include <catch2/catch.hpp>
#include <sstream>

#include "log/broadcast_log.hpp"
#include "tests/e2e/ctl.hpp"
#include "tests/e2e/daemon_process.hpp"
#include "tests/e2e/fixtures.hpp"

using namespace wardcast::test;
using namespace std::chrono_literals;

TEST_CASE("the daemon airs exact ties as simulate previews them", "[e2e][daemon][simulate]") {
    TempDir dir;
    write_tone_wav(dir.path() / "one.wav", 1000);
    write_tone_wav(dir.path() / "two.wav", 2000);
    const auto t0 = whole_second_after(startup_margin + 2s);
    auto announcement = [](const std::string& id, const std::string& zones,
                           const std::string& audio, const std::string& extra,
                           Clock::time_point at) {
        return "  - id: " + id + "\n    zones: [" + zones + "]\n    audio: " + audio + "\n" +
               extra + when(at);
    };
    const std::string schedule =
        "station: { name: \"Phường Thử\", timezone: UTC }\n"
        "zones:\n"
        "  - { id: a, output: \"null\" }\n"
        "  - { id: b, output: \"null\" }\n"
        "  - { id: c, output: \"null\" }\n"
        "announcements:\n" +
        announcement("first", "a, b", "two.wav", "", t0) +
        // Waits exactly its max_delay behind `first`, whose sound ends a few ms after 2 s.
        announcement("tie", "a", "one.wav", "    max_delay: 2s\n", t0) +
        // Due the instant `tie` is planned to end.
        announcement("right-after", "a", "one.wav", "    max_delay: 0s\n", t0 + 3s) +
        // Waits exactly its max_delay again, behind `right-after`.
        announcement("late", "a", "one.wav", "    max_delay: 1s\n    priority: low\n", t0 + 3s) +
        // `b` is busy until 2 s: skipped.
        announcement("no-room", "b, c", "one.wav", "    max_delay: 0s\n", t0 + 1s) +
        announcement("alone", "c", "one.wav", "", t0 + 1s);
    const auto file = dir.write("schedule.yaml", schedule);
    const auto db = dir.path() / "broadcasts.db";

    auto utc = [](Clock::time_point t) {
        return date::format("%FT%T+00:00", std::chrono::floor<std::chrono::seconds>(t));
    };
    const auto preview =
        ctl({"simulate", file.string(), "--from", utc(t0 - 1min), "--to", utc(t0 + 1min), "--json"},
            {{"WARDCAST_CACHE", (dir.path() / "cache").string()}});
    REQUIRE(preview.exit_code == 0);
    const auto planned = json_lines(preview.out);
    REQUIRE(planned.size() == 6);

    Daemon daemon({"--schedule", file.string(), "--db", db.string()}, dir.path() / "daemon.log",
                  {{"WARDCAST_CACHE", (dir.path() / "cache").string()}});
    REQUIRE(daemon.wait_for_output("played late", startup_margin + 30s));
    CHECK(daemon.stop() == 0);
    INFO(daemon.output());

    const auto rows = outcomes(db);
    int delayed = 0;
    for (const auto& p : planned) {
        const std::string id = p["announcement"];
        INFO(id << ": simulate said " << p.dump());
        REQUIRE(rows.count(id) == 1);
        const auto& row = rows.at(id);
        if (p["status"] == "scheduled") {
            CHECK(row.at("status") == "played");
            // simulate prints to the second; the first sample is within a few ms of it.
            const auto scheduled = wardcast::log::parse_utc(row.at("scheduled"));
            const auto started = wardcast::log::parse_utc(row.at("started"));
            REQUIRE(scheduled);
            REQUIRE(started);
            // Within 300 ms of simulate's start, which is to the second, rounded down.
            const std::string start = p["start"];
            CHECK((start == utc(*started - 300ms) || start == utc(*started + 300ms)));
            if (start != utc(*scheduled)) ++delayed;
        } else {
            CHECK(row.at("status") == "skipped");
            CHECK(row.at("error") == p["reason"].get<std::string>());
        }
    }
    CHECK(delayed == 2);  // `tie` and `late` waited exactly their max_delay, and aired
}
