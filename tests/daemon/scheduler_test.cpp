// The scheduler service with a fake player and a clock the test can set: catch-up, missed
// firings, clock steps and restarts never make a firing air twice.

#include "daemon/scheduler.hpp"

#include <time.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <map>

#include <boost/asio/post.hpp>

#include "daemon/clock_watch.hpp"
#include "schedules/engine.hpp"
#include "tests/schedules/schedule_files.hpp"

using namespace wardcast;
using namespace std::chrono_literals;
using daemon::Instant;

namespace {

/// Plays nothing: each broadcast "starts" when asked and ends `length` later.
class FakePlayer : public audio::Player {
public:
    explicit FakePlayer(boost::asio::io_context& io) : io_(io) {}
    std::vector<std::string> started;  // labels, in order

    Id prepare(const audio::BroadcastRequest& r, StartedHandler s, DoneHandler d) override {
        auto id = ++next_;
        entries_[id] = {r.label, std::move(s), std::move(d), std::make_unique<boost::asio::steady_timer>(io_)};
        return id;
    }
    void start(Id id) override {
        auto& e = entries_.at(id);
        started.push_back(e.label);
        auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
        boost::asio::post(io_, [&e, id, now] { e.started(id, now); });
        e.timer->expires_after(200ms);
        e.timer->async_wait([this, id](const boost::system::error_code& ec) {
            if (ec) return;
            audio::BroadcastOutcome o;
            o.ended = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
            entries_.at(id).done(id, o);
        });
    }
    void stop(Id id) override {
        if (auto it = entries_.find(id); it != entries_.end()) it->second.timer->cancel();
    }
    void set_zone_volume(Id, const std::string&, double) override {}

private:
    struct Entry {
        std::string label;
        StartedHandler started;
        DoneHandler done;
        std::unique_ptr<boost::asio::steady_timer> timer;
    };
    boost::asio::io_context& io_;
    Id next_ = 0;
    std::map<Id, Entry> entries_;
};

Instant real_now() {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

/// A schedule made in code: announcements at given local (UTC) times of one day.
daemon::LoadedSchedule schedule_at(const std::vector<std::pair<std::string, Instant>>& firings) {
    daemon::LoadedSchedule l;
    auto& s = l.schedule;
    s.station_name = "Phường Thử";
    s.timezone_name = "UTC";
    s.timezone = date::locate_zone("UTC");
    s.zones.push_back({"all", "null", 1.0, {}});
    for (const auto& [id, at] : firings) {
        schedules::Announcement a;
        a.id = id;
        a.title = id;
        a.zones = {"all"};
        a.order = s.announcements.size();
        auto day = std::chrono::floor<date::days>(at);
        a.dates = {schedules::LocalDate{day.time_since_epoch()}};
        a.times = {{std::chrono::duration_cast<schedules::TimeOfDay>(at - day), {}}};
        s.announcements.push_back(a);
        l.durations.push_back(200ms);
        l.audio.push_back({std::nullopt, {"/dev/null"}, {"0"}});
    }
    l.sha256 = "test";
    return l;
}

struct Rig {
    test::TempDir dir;
    boost::asio::io_context io;
    FakePlayer player{io};
    std::chrono::milliseconds offset{0};  // the test's wall clock = real clock + offset
    std::unique_ptr<daemon::BroadcastLog> log = std::make_unique<daemon::BroadcastLog>(dir.path() / "b.db");
    std::unique_ptr<daemon::Scheduler> scheduler;

    void start(const daemon::LoadedSchedule& s) {
        scheduler = std::make_unique<daemon::Scheduler>(
            io, player, *log, [](const schedules::Zone& z) { return z.output; },
            [this] { return real_now() + offset; });
        scheduler->start(s);
    }
    void run_for(std::chrono::milliseconds d) {
        io.restart();
        io.run_for(d);
    }
    std::map<std::string, std::string> statuses() {
        std::map<std::string, std::string> out;
        for (const auto& e : log->entries())
            if (e.kind == names::EntryKind::broadcast) out[e.announcement_id] = std::string(names::name_or_empty(e.status)) + (e.trigger == names::Trigger::catch_up ? " (catch-up)" : "");
        return out;
    }
};

}  // namespace

TEST_CASE("a firing airs at its instant, once", "[scheduler]") {
    Rig rig;
    auto at = std::chrono::ceil<std::chrono::seconds>(real_now()) + 2s;
    auto s = schedule_at({{"a", at}});
    rig.start(s);
    rig.run_for(3500ms);
    CHECK(rig.player.started == std::vector<std::string>{"a"});
    CHECK(rig.statuses() == std::map<std::string, std::string>{{"a", "played"}});

    // A restart in the same minute: the firing is claimed in the log, it does not air again.
    rig.offset = -2000ms;  // even with the clock a little behind
    rig.start(s);
    rig.run_for(3000ms);
    CHECK(rig.player.started.size() == 1);
}

TEST_CASE("the clock jumping past firings: catch-up within catch_up, else missed", "[scheduler]") {
    Rig rig;
    auto now = std::chrono::ceil<std::chrono::seconds>(real_now());
    auto s = schedule_at({{"soon", now + 30s}, {"later", now + 20min}});
    rig.start(s);
    rig.run_for(300ms);
    CHECK(rig.player.started.empty());
    // The clock is set 24 minutes ahead: `soon` is 24 min late (more than catch_up 5m),
    // `later` 4 minutes late (within it).
    rig.offset = 24min;
    rig.scheduler->clock_stepped();
    rig.run_for(1500ms);
    auto st = rig.statuses();
    CHECK(st["soon"] == "missed");
    CHECK(st["later"] == "played (catch-up)");
    auto entries = rig.log->entries();
    auto missed = std::find_if(entries.begin(), entries.end(), [](auto& e) { return e.status == names::Status::missed; });
    REQUIRE(missed != entries.end());
    CHECK(missed->error.find("the clock jumped past it") != std::string::npos);
    CHECK(missed->error.find("more than catch_up 5m") != std::string::npos);

    // The clock is set back again: nothing airs twice.
    rig.offset = 0ms;
    rig.scheduler->clock_stepped();
    rig.run_for(1500ms);
    CHECK(rig.player.started == std::vector<std::string>{"later"});
}

TEST_CASE("a busy zone makes the next firing wait, or skips it past max_delay", "[scheduler]") {
    Rig rig;
    auto at = std::chrono::ceil<std::chrono::seconds>(real_now()) + 2s;
    auto s = schedule_at({{"first", at}, {"second", at}, {"third", at}});
    s.durations = {1500ms, 200ms, 200ms};
    s.schedule.announcements[1].max_delay = 2s;
    s.schedule.announcements[2].max_delay = 1s;
    rig.start(s);
    rig.run_for(4500ms);
    CHECK(rig.player.started == std::vector<std::string>{"first", "second"});
    auto st = rig.statuses();
    CHECK(st["second"] == "played");
    CHECK(st["third"] == "skipped");
}

TEST_CASE("setting the wall clock is noticed without polling", "[scheduler][clock]") {
    if (geteuid() != 0) return;  // only root may set the clock; it is set to what it already is
    boost::asio::io_context io;
    int steps = 0;
    daemon::ClockWatch watch(io, [&] {
        ++steps;
        io.stop();
    });
    boost::asio::steady_timer set(io);
    set.expires_after(100ms);
    set.async_wait([](const boost::system::error_code&) {
        timespec ts{};
        clock_gettime(CLOCK_REALTIME, &ts);
        clock_settime(CLOCK_REALTIME, &ts);
    });
    io.run_for(3s);
    CHECK(steps == 1);
}
