// The scheduler with a stepped clock and a player that plays nothing: catch-up, missed
// firings, waits, max_delay, quiet hours, pause, preemption, reloads and clock steps, each in
// milliseconds of real time. Nothing airs twice.

#include "daemon/scheduler.hpp"

#include <time.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <vector>

// clang-format off
#include <utility>  // before Asio: asio#944 with GCC 12
// clang-format on
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "daemon/clock_watch.hpp"
#include "schedules/engine.hpp"
#include "tests/daemon/manual_time.hpp"
#include "tests/names_strings.hpp"
#include "tests/schedules/schedule_files.hpp"
#include "tests/skip.hpp"

using namespace wardcast;
using namespace std::chrono_literals;
using log::Instant;

namespace {

/// 2026-12-01 05:45:00 UTC, the day the tests run on.
const Instant t0 = Instant{date::sys_days{date::year{2026} / 12 / 1} + 5h + 45min};

/// A schedule made in code, in UTC, with zones "a", "b" and "all" (all null outputs).
struct ScheduleBuilder {
    daemon::LoadedSchedule l;
    ScheduleBuilder() {
        auto& s = l.schedule;
        s.station_name = "Phường Thử";
        s.timezone_name = "UTC";
        s.timezone = date::locate_zone("UTC");
        for (const char* z : {"a", "b", "all"}) s.zones.push_back({z, "null", 1.0, {}});
        l.sha256 = "test";
    }
    /// An announcement firing once, at `at`, for `length` on `zones`.
    schedules::Announcement& add(const std::string& id, Instant at,
                                 std::chrono::milliseconds length,
                                 std::vector<std::string> zones = {"all"}) {
        auto& s = l.schedule;
        schedules::Announcement a;
        a.id = a.title = id;
        a.zones = std::move(zones);
        a.order = s.announcements.size();
        const auto day = std::chrono::floor<date::days>(at);
        a.dates = {schedules::LocalDate{day.time_since_epoch()}};
        a.times = {{std::chrono::duration_cast<schedules::TimeOfDay>(at - day), {}}};
        s.announcements.push_back(a);
        l.durations.push_back(length);
        l.audio.push_back({std::nullopt, {"/dev/null"}, {"0"}});
        return s.announcements.back();
    }
    /// Announcements must not be added after this: the scheduler keeps pointers into them.
    const daemon::LoadedSchedule& get() const { return l; }
};

struct Rig {
    test::TempDir dir;
    test::ManualTime time{t0};
    test::SteppedPlayer player{time};
    std::unique_ptr<log::BroadcastLog> log =
        std::make_unique<log::BroadcastLog>(dir.path() / "b.db");
    std::unique_ptr<daemon::Scheduler> scheduler;
    std::map<std::string, std::chrono::milliseconds> lengths;

    Rig() {
        player.length_of = [this](const std::string& label) {
            auto it = lengths.find(label);
            return it == lengths.end() ? 200ms : it->second;
        };
    }
    void start(const daemon::LoadedSchedule& s) {
        for (std::size_t i = 0; i < s.schedule.announcements.size(); ++i)
            lengths[s.schedule.announcements[i].id] = s.durations[i];
        scheduler.reset();
        scheduler = std::make_unique<daemon::Scheduler>(
            time, player, *log, [](const schedules::Zone& z) { return z.output; });
        scheduler->start(s);
    }
    void run_until(Instant t) { time.run_until(t); }
    void run_for(std::chrono::milliseconds d) { time.run_until(time.now() + d); }

    /// The outcome rows of `id`, oldest first.
    std::vector<log::LogEntry> outcomes(const std::string& id) {
        std::vector<log::LogEntry> out;
        for (auto& e : log->entries())
            if (e.kind == names::EntryKind::broadcast && e.announcement_id == id) out.push_back(e);
        return out;
    }
    /// "played", "skipped: REASON", ... for the one outcome of `id`; "" when none.
    std::string outcome(const std::string& id) {
        auto rows = outcomes(id);
        if (rows.empty()) return "";
        REQUIRE(rows.size() == 1);
        const auto& e = rows.front();
        std::string out(names::name_or_empty(e.status));
        if (e.trigger == names::Trigger::catch_up) out += " (catch-up)";
        if (!e.error.empty()) out += ": " + e.error;
        return out;
    }
    /// When `id`'s first sample went out.
    std::optional<Instant> started(const std::string& id) {
        for (const auto& a : player.aired)
            if (a.label == id) return a.started;
        return std::nullopt;
    }
};

daemon::Who operator_who() {
    daemon::Who w;
    w.uid = 1000;
    w.user = "lan";
    return w;
}

}  // namespace

TEST_CASE("a firing airs at its instant, once, even across a restart", "[scheduler]") {
    Rig rig;
    ScheduleBuilder b;
    b.add("tick", t0 + 10s, 3s);
    rig.start(b.get());
    rig.run_until(t0 + 20s);
    CHECK(rig.player.labels() == std::vector<std::string>{"tick"});
    CHECK(rig.started("tick") == t0 + 10s);
    CHECK(rig.outcome("tick") == "played");

    // A restart in the same minute, with the clock a little behind: claimed, not aired again.
    rig.time.set(t0 + 8s);
    rig.start(b.get());
    rig.run_until(t0 + 30s);
    CHECK(rig.player.labels().size() == 1);
}

TEST_CASE("a restart just after a firing later than its max_delay but within its catch_up airs it",
          "[scheduler][catch-up]") {
    // The start-up crash of issue 11: max_delay 1s, catch_up 10m, two times 6 s apart, the
    // daemon down across the second and started again 4 s after it.
    Rig rig;
    ScheduleBuilder b;
    auto& a = b.add("tick", t0 + 10s, 2s);
    a.times.push_back({a.times.front().time + 6s, {}});
    a.max_delay = 1s;
    a.catch_up = 10min;
    rig.start(b.get());
    rig.run_until(t0 + 13s);  // the first has aired; the daemon stops
    rig.scheduler->shutdown("wardcastd was stopped");
    rig.time.set(t0 + 20s);
    rig.start(b.get());
    rig.run_until(t0 + 30s);
    auto rows = rig.outcomes("tick");
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].status == names::Status::played);
    CHECK(rows[1].status == names::Status::played);
    CHECK(rows[1].trigger == names::Trigger::catch_up);
    CHECK(rig.player.aired.at(1).started == t0 + 20s);
}

TEST_CASE("a caught-up firing's max_delay counts from when it was caught up",
          "[scheduler][catch-up]") {
    Rig rig;
    ScheduleBuilder b;
    b.add("long", t0 + 10s, 30s).catch_up = 10min;
    auto& waits = b.add("waits", t0 + 11s, 1s);
    waits.catch_up = 10min;
    waits.max_delay = 40s;  // 4 min late when caught up, then waits 30 s: airs
    auto& gives_up = b.add("gives-up", t0 + 12s, 1s);
    gives_up.catch_up = 10min;
    gives_up.max_delay = 20s;  // would wait 31 s behind the two: skipped
    b.add("earlier", t0 + 1s, 1s, {"b"});
    rig.start(b.get());  // an earlier life of the daemon: airs `earlier`, then stops
    rig.run_until(t0 + 5s);
    rig.scheduler->shutdown("wardcastd was stopped");
    rig.time.set(t0 + 4min);
    rig.start(b.get());
    rig.run_until(t0 + 6min);
    CHECK(rig.outcome("long") == "played (catch-up)");
    CHECK(rig.outcome("waits") == "played (catch-up)");
    CHECK(rig.started("waits") == t0 + 4min + 30s);
    CHECK(rig.outcome("gives-up") ==
          "skipped (catch-up): zones busy with waits until 05:49:31; waited longer than "
          "max_delay 20s");
}

TEST_CASE("the clock jumping past firings: catch-up within catch_up, else missed",
          "[scheduler][clock]") {
    Rig rig;
    ScheduleBuilder b;
    b.add("soon", t0 + 30s, 1s);
    b.add("later", t0 + 20min, 1s);
    rig.start(b.get());
    rig.run_until(t0 + 10s);
    CHECK(rig.player.aired.empty());
    // The clock is set 24 minutes ahead: `soon` is 23.5 min late (more than catch_up 5m),
    // `later` 4 minutes late (within it).
    rig.time.set(t0 + 24min);
    rig.scheduler->clock_stepped(24min - 10s);
    rig.run_for(5s);
    CHECK(rig.outcome("soon") ==
          "missed: the clock jumped past it at 05:45:30; 23m30s late, more than catch_up 5m");
    CHECK(rig.outcome("later") == "played (catch-up)");

    // The clock is set back again: nothing airs twice.
    rig.time.set(t0 + 10s);
    rig.scheduler->clock_stepped(10s - (24min + 5s));
    rig.run_until(t0 + 25min);
    CHECK(rig.player.labels() == std::vector<std::string>{"later"});
}

TEST_CASE("a busy zone makes the next firing wait up to its max_delay, else it is skipped",
          "[scheduler]") {
    Rig rig;
    ScheduleBuilder b;
    b.add("first", t0 + 10s, 2s);
    b.add("second", t0 + 10s, 1s).max_delay = 2s;  // waits exactly its max_delay: airs
    b.add("third", t0 + 10s, 1s).max_delay = 2s;   // would wait 3 s
    b.add("other-zone", t0 + 10s, 1s, {"b"}).max_delay = 0s;
    rig.start(b.get());
    rig.run_until(t0 + 20s);
    CHECK(rig.started("first") == t0 + 10s);
    CHECK(rig.started("second") == t0 + 12s);
    CHECK(rig.started("other-zone") == t0 + 10s);
    CHECK(rig.outcome("second") == "played");
    CHECK(rig.outcome("third") ==
          "skipped: zones busy with second until 05:45:13; waited longer than max_delay 2s");
}

TEST_CASE("milliseconds of playback overrun never turn a wait of exactly max_delay into a skip",
          "[scheduler]") {
    Rig rig;
    ScheduleBuilder b;
    b.add("first", t0 + 10s, 2s);
    b.add("second", t0 + 10s, 1s).max_delay = 2s;
    b.add("third", t0 + 13s, 1s).max_delay = 0s;  // right after second's planned end
    rig.player.overrun_of = [](const std::string&) { return 7ms; };
    rig.start(b.get());
    rig.run_until(t0 + 20s);
    CHECK(rig.outcome("second") == "played");
    CHECK(rig.outcome("third") == "played");
    CHECK(rig.started("second") == t0 + 12s + 7ms);  // when the zone was really free
    CHECK(rig.started("third") == t0 + 13s + 14ms);
}

TEST_CASE("an overrun longer than the allowance past max_delay skips the waiting firing",
          "[scheduler]") {
    Rig rig;
    ScheduleBuilder b;
    b.add("stuck", t0 + 10s, 2s);
    b.add("next", t0 + 11s, 1s).max_delay = 2s;
    rig.player.overrun_of = [](const std::string& l) { return l == "stuck" ? 10s : 0s; };
    rig.start(b.get());
    // Its deadline is 11 s + max_delay 2 s + the 1 s allowance: it waits until then.
    rig.run_until(t0 + 14s);
    CHECK(rig.outcome("next").empty());
    rig.run_until(t0 + 14s + 2ms);
    CHECK(rig.outcome("next") ==
          "skipped: zones busy with stuck past its planned end 05:45:12; waited longer than "
          "max_delay 2s");
    rig.run_until(t0 + 30s);
    CHECK(rig.player.labels() == std::vector<std::string>{"stuck"});
}

TEST_CASE("a start pushed into quiet hours is skipped, an emergency is not", "[scheduler]") {
    Rig rig;
    ScheduleBuilder b;
    b.l.schedule.quiet_hours.push_back({5h + 46min, 6h, {}});
    b.add("long", t0 + 50s, 20s, {"a"});
    b.add("pushed", t0 + 55s, 1s, {"a"});
    b.add("long-b", t0 + 50s, 20s, {"b"});
    b.add("urgent", t0 + 55s, 1s, {"b"}).priority = schedules::Priority::emergency;
    rig.start(b.get());
    rig.run_until(t0 + 2min);
    CHECK(rig.outcome("pushed") ==
          "skipped: would start at 05:46:10, inside quiet hours 05:46-06:00");
    CHECK(rig.outcome("urgent") == "played");
    CHECK(rig.started("urgent") == t0 + 70s);
}

TEST_CASE("an operator's emergency preempts what is on air, what waits goes after it",
          "[scheduler][operator]") {
    Rig rig;
    ScheduleBuilder b;
    b.add("bulletin", t0 + 10s, 20s);
    b.add("after", t0 + 15s, 1s).max_delay = 1min;
    rig.start(b.get());
    rig.run_until(t0 + 12s);
    daemon::Scheduler::AdHoc alert;
    alert.id = "canh-bao-bao";
    alert.title = "Cảnh báo bão";
    alert.zones = {"all"};
    alert.priority = schedules::Priority::emergency;
    alert.audio = {std::nullopt, {"/dev/null"}, {"0"}};
    alert.length = 5s;
    alert.who = operator_who();
    rig.lengths["canh-bao-bao"] = 5s;
    rig.scheduler->air_now(alert);
    rig.run_until(t0 + 1min);
    CHECK(rig.outcome("bulletin") == "preempted: interrupted by an emergency message from lan");
    CHECK(rig.started("canh-bao-bao") == t0 + 12s);
    // `after` was due at 15 s, behind the emergency (until 17 s).
    CHECK(rig.started("after") == t0 + 17s);
    CHECK(rig.outcome("after") == "played");
    auto rows = rig.outcomes("canh-bao-bao");
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].trigger == names::Trigger::emergency);
    CHECK(rows[0].user == "lan");
    // aired_ms: what went out, the player's measure or, when cut off, until then.
    CHECK(rows[0].aired_ms == 5000);
    CHECK(rig.outcomes("bulletin").at(0).aired_ms == 2000);  // 10 s to 12 s
    CHECK(rig.outcomes("after").at(0).aired_ms == 1000);
}

TEST_CASE("stopping what is on air frees its zones for what waits at once",
          "[scheduler][operator]") {
    Rig rig;
    ScheduleBuilder b;
    b.add("long", t0 + 10s, 1min);
    b.add("waiting", t0 + 12s, 1s);
    rig.start(b.get());
    rig.run_until(t0 + 20s);
    CHECK(rig.scheduler->stop_all("stopped by lan (operator)") == std::vector<std::string>{"long"});
    rig.run_until(t0 + 30s);
    CHECK(rig.outcome("long") == "cancelled: stopped by lan (operator)");
    CHECK(rig.outcomes("long").at(0).aired_ms == 10000);  // 10 s to the stop at 20 s
    CHECK(rig.started("waiting") == t0 + 20s);
}

TEST_CASE("pause holds scheduled firings until resumed or until its end", "[scheduler][pause]") {
    Rig rig;
    ScheduleBuilder b;
    b.add("held", t0 + 10s, 1s);
    b.add("after-pause", t0 + 40s, 1s);
    rig.start(b.get());
    rig.scheduler->pause(t0 + 30s, "lan");
    CHECK(rig.scheduler->paused());
    rig.run_until(t0 + 35s);
    CHECK_FALSE(rig.scheduler->paused());
    rig.run_until(t0 + 50s);
    CHECK(rig.outcome("held") == "skipped: held by the operator (lan paused the schedule)");
    CHECK(rig.outcomes("held").at(0).aired_ms == 0);
    CHECK(rig.outcome("after-pause") == "played");
    CHECK(rig.player.labels() == std::vector<std::string>{"after-pause"});
}

TEST_CASE("a reload keeps what is on air and plans the new schedule after it",
          "[scheduler][reload]") {
    Rig rig;
    ScheduleBuilder old_schedule;
    old_schedule.add("on-air", t0 + 10s, 20s);
    old_schedule.add("waiting", t0 + 12s, 1s);
    rig.start(old_schedule.get());
    rig.run_until(t0 + 15s);

    ScheduleBuilder fresh;
    fresh.add("new-one", t0 + 25s, 1s).max_delay = 10s;  // waits for on-air until 30 s
    fresh.add("new-two", t0 + 26s, 1s).max_delay = 2s;   // would wait 5 s: skipped
    rig.lengths["new-one"] = rig.lengths["new-two"] = 1s;
    rig.scheduler->replace_schedule(fresh.get());
    rig.run_until(t0 + 1min);
    CHECK(rig.outcome("on-air") == "played");
    CHECK(rig.outcome("waiting") == "skipped: the schedule was reloaded before it could air");
    CHECK(rig.started("new-one") == t0 + 30s);
    CHECK(rig.outcome("new-two") ==
          "skipped: zones busy with new-one until 05:45:31; waited longer than max_delay 2s");
}

TEST_CASE("a broadcast whose audio fails frees its zones for the next", "[scheduler]") {
    Rig rig;
    ScheduleBuilder b;
    b.add("broken", t0 + 10s, 30s);
    b.add("next", t0 + 11s, 1s).max_delay = 5s;
    rig.player.failing.insert("broken");
    rig.start(b.get());
    rig.run_until(t0 + 1min);
    CHECK(rig.outcome("broken") == "failed: could not open the file (test)");
    CHECK(rig.outcomes("broken").at(0).aired_ms == 0);
    CHECK(rig.started("next") == t0 + 11s);
}

namespace {

/// Sets the wall clock `by` from where it is, the way `date -s` does; how far it really moved
/// (the thread can be held up between reading the clock and setting it).
std::chrono::nanoseconds set_wall_clock(std::chrono::nanoseconds by) {
    const auto before = daemon::ClockWatch::wall_minus_monotonic();
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    const auto target = std::chrono::nanoseconds(ts.tv_sec * 1'000'000'000LL + ts.tv_nsec) + by;
    ts.tv_sec = static_cast<time_t>(target.count() / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(target.count() % 1'000'000'000);
    REQUIRE(clock_settime(CLOCK_REALTIME, &ts) == 0);
    return daemon::ClockWatch::wall_minus_monotonic() - before;
}

/// A ClockWatch on its own event loop, keeping the steps it reports.
struct WatchedClock {
    boost::asio::io_context io;
    std::vector<std::chrono::nanoseconds> steps;
    daemon::ClockWatch watch{io,
                             [this](std::chrono::nanoseconds moved) { steps.push_back(moved); }};

    /// Runs the loop until the watch has seen `sets` sets of the clock (fails after 5 s).
    void run_until_seen(std::uint64_t sets) {
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        while (watch.sets_seen() < sets) {
            REQUIRE(std::chrono::steady_clock::now() < deadline);
            io.run_for(10ms);
        }
    }
};

}  // namespace

// These set the machine's real wall clock: CTest runs them alone (tests/CMakeLists.txt).
TEST_CASE("setting the wall clock is noticed without polling, with how far it moved",
          "[scheduler][clock]") {
    if (geteuid() != 0) WARDCAST_SKIP("only root may set the wall clock");
    WatchedClock clock;
    const auto forward = set_wall_clock(250ms);
    clock.run_until_seen(1);
    const auto back = set_wall_clock(-250ms);  // and the machine's clock is where it was
    clock.run_until_seen(2);
    REQUIRE(clock.steps.size() == 2);
    CHECK(std::chrono::abs(clock.steps[0] - forward) < 100us);
    CHECK(std::chrono::abs(clock.steps[1] - back) < 100us);
    CHECK(clock.steps[0] > 240ms);
    CHECK(clock.steps[1] < -240ms);
}

TEST_CASE("a set of the wall clock that leaves it where it was re-plans nothing",
          "[scheduler][clock]") {
    if (geteuid() != 0) WARDCAST_SKIP("only root may set the wall clock");
    WatchedClock clock;
    // Set to what it already is: the kernel reports a set. The thread may be held up between
    // reading and setting, which moves the clock back; such a try says nothing, so try again.
    int quiet_sets = 0;
    for (std::uint64_t attempt = 1; attempt <= 10 && quiet_sets == 0; ++attempt) {
        const auto moved = set_wall_clock(0ns);
        clock.run_until_seen(attempt);
        if (std::chrono::abs(moved) <
            std::chrono::microseconds(daemon::ClockWatch::negligible_step) / 2) {
            ++quiet_sets;
            CHECK(clock.steps.empty());
        } else {
            clock.steps.clear();
        }
    }
    CHECK(quiet_sets == 1);
}
