// The broadcast log when its file cannot be written (SPEC §6): entries are held, in order, and
// written with an intact chain once it can; the station never stops for it.

#include <sqlite3.h>
#include <stdlib.h>
#include <sys/mount.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "log/broadcast_log.hpp"
#include "log/log_reader.hpp"
#include "tests/log/faulty_vfs.hpp"
#include "tests/log/log_test_support.hpp"
#include "tests/skip.hpp"

namespace fs = std::filesystem;
using namespace wardcast::log;

namespace {

using TempDir = wardcast::test::LogDir;

using wardcast::test::at;
using wardcast::test::Status;
using wardcast::test::Trigger;

LogEntry firing(const std::string& id, const std::string& scheduled) {
    LogEntry e;
    e.station = "Phường Bồ Đề";
    e.announcement_id = id;
    e.title = "Bản tin " + id;
    e.trigger = Trigger::schedule;
    e.zones = {"to-1"};
    e.scheduled = at(scheduled);
    return e;
}

LogEntry outcome(Status status) {
    LogEntry e;
    e.station = "Phường Bồ Đề";
    e.status = status;
    return e;
}

LogEntry command(const std::string& text) {
    LogEntry e;
    e.station = "Phường Bồ Đề";
    e.command = text;
    e.result = "ok";
    return e;
}

/// What an auditor's `verify` says of the file.
VerifyResult verify(const fs::path& path) {
    LogReader reader(path);
    return reader.verify();
}

}  // namespace

TEST_CASE("a full disk holds entries in order and writes them with an intact chain later",
          "[log][fault]") {
    const int code = GENERATE(SQLITE_FULL, SQLITE_IOERR_WRITE, SQLITE_IOERR_FSYNC);
    INFO("SQLite fails writes with " << sqlite3_errstr(code));
    TempDir dir;
    wardcast::test::FaultyVfs disk;
    const fs::path path = dir.path / "broadcasts.db";
    BroadcastLog log(path);
    std::vector<std::optional<LogFault>> told;
    log.on_fault([&](const std::optional<LogFault>& f) { told.push_back(f); });

    auto news = log.begin_broadcast(firing("news", "2026-12-01T00:00:00.000Z"), true);
    REQUIRE(news == 1);
    CHECK_FALSE(log.fault());

    disk.fail_writes(code);
    CHECK(log.finish_broadcast(*news, outcome(Status::played)) == 2);  // held, not thrown
    REQUIRE(log.fault());
    CHECK(log.fault()->held == 1);
    CHECK_FALSE(log.fault()->reason.empty());
    REQUIRE(told.size() == 1);
    CHECK(told[0].has_value());

    // Broadcasts go on: a start, its outcome, a skip and an operator's command, all held.
    auto cchc = log.begin_broadcast(firing("cchc", "2026-12-01T00:05:00.000Z"), true);
    CHECK(cchc == 3);
    CHECK(log.is_claimed("cchc", at("2026-12-01T00:05:00.000Z")));
    // A held claim still keeps a firing from airing twice.
    CHECK_FALSE(log.begin_broadcast(firing("cchc", "2026-12-01T00:05:00.000Z"), true));
    CHECK(log.finish_broadcast(*cchc, outcome(Status::played)) == 4);
    CHECK_THROWS_AS(log.finish_broadcast(*cchc, outcome(Status::played)), std::invalid_argument);
    LogEntry skipped = firing("motcua", "2026-12-01T00:06:00.000Z");
    skipped.status = Status::skipped;
    skipped.error = "zones busy with cchc";
    CHECK(log.record_not_aired(skipped));
    CHECK_FALSE(log.record_not_aired(skipped));
    CHECK(log.record_operator(command("pause")) == 6);
    log.remember_schedule(std::string(64, 'a'), "station: {}", "/etc/wardcast/schedule.yaml");
    CHECK(log.fault()->held == 5);
    CHECK_FALSE(log.retry());  // still failing: still held
    CHECK(log.entries().size() == 1);
    // What is recorded after a failed retry follows on, its outcome pointing at its start.
    auto late = log.begin_broadcast(firing("late", "2026-12-01T00:07:00.000Z"), true);
    CHECK(late == 7);
    CHECK(log.finish_broadcast(*late, outcome(Status::played)) == 8);

    disk.heal();
    CHECK(log.retry());
    CHECK_FALSE(log.fault());
    REQUIRE(told.size() == 2);
    CHECK_FALSE(told[1].has_value());

    const auto entries = log.entries();
    REQUIRE(entries.size() == 9);  // 8 recorded + the note of what was held
    CHECK(entries[1].status == Status::played);
    CHECK(entries[1].on_air_seq == 1);
    CHECK(entries[2].announcement_id == "cchc");
    CHECK(entries[3].on_air_seq == 3);
    CHECK(entries[4].status == Status::skipped);
    CHECK(entries[5].command == "pause");
    CHECK(entries[7].on_air_seq == 7);
    CHECK(entries[8].command == "log-recovered");
    CHECK_THAT(entries[8].result,
               Catch::Contains("7 entries (2 to 8)") && Catch::Contains("held in memory"));
    for (std::size_t i = 1; i < entries.size(); ++i)
        CHECK(entries[i].recorded_at >= entries[i - 1].recorded_at);
    CHECK(log.is_claimed("motcua", at("2026-12-01T00:06:00.000Z")));
    auto v = verify(path);
    CHECK(v.intact);
    CHECK(v.entries == 9);
    // The next entry follows directly.
    CHECK(log.record_operator(command("resume")) == 10);
    CHECK(verify(path).intact);
}

TEST_CASE("the held claims survive into the file: a firing claimed while held is claimed after",
          "[log][fault]") {
    TempDir dir;
    wardcast::test::FaultyVfs disk;
    const fs::path path = dir.path / "broadcasts.db";
    {
        BroadcastLog log(path);
        disk.fail_writes(SQLITE_FULL);
        CHECK(log.begin_broadcast(firing("news", "2026-12-01T00:00:00.000Z"), true) == 1);
        CHECK(log.last_claimed() == at("2026-12-01T00:00:00.000Z"));
        disk.heal();
        CHECK(log.retry());
    }
    BroadcastLog reopened(path);
    CHECK(reopened.is_claimed("news", at("2026-12-01T00:00:00.000Z")));
    CHECK(reopened.open_broadcasts().size() == 1);
}

TEST_CASE("more than 10,000 held entries stop the daemon with the reason", "[log][fault]") {
    TempDir dir;
    wardcast::test::FaultyVfs disk;
    BroadcastLog log(dir.path / "broadcasts.db");
    disk.fail_writes(SQLITE_FULL);
    for (std::size_t i = 0; i < BroadcastLog::max_held; ++i) log.record_operator(command("status"));
    CHECK(log.fault()->held == BroadcastLog::max_held);
    CHECK_THROWS_AS(log.record_operator(command("status")), LogOverflow);
    CHECK_THROWS_WITH(
        log.record_operator(command("status")),
        Catch::Contains("10000 entries are held") && Catch::Contains("database or disk is full"));
    // Once the disk takes writes, everything held goes in, a batch at a time.
    disk.heal();
    int rounds = 0;
    while (!log.retry()) REQUIRE(++rounds < 20);
    CHECK(rounds == BroadcastLog::max_held / BroadcastLog::retry_batch - 1);
    CHECK(log.entries().size() == BroadcastLog::max_held + 1);
    CHECK(verify(log.path()).intact);
}

TEST_CASE("a log on a file system mounted read-only opens, holds, and writes after remount",
          "[log][fault][root]") {
    TempDir dir;
    const fs::path mnt = dir.path / "mnt";
    fs::create_directories(mnt);
    if (::mount("wardcast-test", mnt.c_str(), "tmpfs", 0, "size=4m") != 0) {
        WARDCAST_SKIP("cannot mount a tmpfs here (not root?): read-only file system not tested");
    }
    struct Unmount {
        fs::path at;
        ~Unmount() { ::umount2(at.c_str(), MNT_DETACH); }
    } unmount{mnt};
    const fs::path path = mnt / "broadcasts.db";
    { BroadcastLog(path).record_operator(command("load-schedule (start)")); }
    REQUIRE(::mount(nullptr, mnt.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr) == 0);

    BroadcastLog log(path);
    REQUIRE(log.fault());
    CHECK_THAT(log.fault()->reason, Catch::Contains("read-only"));
    CHECK(log.begin_broadcast(firing("news", "2026-12-01T00:00:00.000Z"), true) == 2);
    CHECK(log.finish_broadcast(2, outcome(Status::played)) == 3);
    CHECK_FALSE(log.retry());
    CHECK(log.fault()->held == 2);

    REQUIRE(::mount(nullptr, mnt.c_str(), nullptr, MS_REMOUNT, nullptr) == 0);
    CHECK(log.retry());
    const auto entries = log.entries();
    REQUIRE(entries.size() == 4);
    CHECK(entries[2].status == Status::played);
    CHECK(entries[3].command == "log-recovered");
    CHECK(verify(path).intact);
}
