// wardcastd under systemd: the notify protocol (READY, STATUS, RELOADING, STOPPING, WATCHDOG)
// read from a fake NOTIFY_SOCKET, as systemd would, and SIGHUP as reload (PITFALLS: systemd).
// SIGTERM's `cancelled` row is checked in detail by daemon_restart_test.cpp ("SIGTERM on air
// ends the broadcast and records it cancelled"); here only that it still holds under systemd.

#include <date/date.h>
#include <date/tz.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <functional>

#include "daemon/instance.hpp"
#include "daemon/systemd_notify.hpp"
#include "tests/e2e/ctl.hpp"
#include "tests/e2e/daemon_process.hpp"
#include "tests/e2e/fixtures.hpp"
#include "tests/e2e/notify_socket.hpp"

using namespace wardcast::test;
using namespace std::chrono_literals;
using wardcast::names::Trigger;

namespace {

bool accepts_connection(const std::filesystem::path& socket_path) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket_path.c_str(), sizeof addr.sun_path - 1);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

/// A UTC station whose wardcastd runs as under systemd: NOTIFY_SOCKET set, and whatever
/// else `env` adds (WATCHDOG_USEC, ...).
struct Station {
    TempDir dir;
    std::filesystem::path db = dir.path() / "broadcasts.db";
    std::filesystem::path socket = dir.path() / "control.sock";
    std::filesystem::path schedule;
    NotifySocket notify{dir.path() / "notify.sock"};
    std::unique_ptr<Daemon> daemon;

    explicit Station(const std::string& announcements,
                     std::map<std::string, std::string> env = {}) {
        write_tone_wav(dir.path() / "one.wav", 1000);
        write_tone_wav(dir.path() / "ten.wav", 10000);
        schedule = dir.write("schedule.yaml", head() + announcements);
        env["WARDCAST_CACHE"] = (dir.path() / "cache").string();
        env["NOTIFY_SOCKET"] = notify.path().string();
        daemon = std::make_unique<Daemon>(
            std::vector<std::string>{"--schedule", schedule.string(), "--db", db.string(),
                                     "--socket", socket.string()},
            dir.path() / "wardcastd.log", env);
    }
    static std::string head() {
        return "station: { name: \"Phường Thử\", timezone: UTC }\n"
               "zones: [{ id: a, output: \"null\" }, { id: b, output: \"null\" "
               "}]\nannouncements:\n";
    }
    ProcessResult ctl(std::vector<std::string> args) {
        args.push_back("--socket");
        args.push_back(socket.string());
        return wardcast::test::ctl(args);
    }
    /// Waits for READY=1 (start-up); its message index.
    std::size_t ready() {
        auto at = notify.wait_for("READY=1", startup_margin + 15s);
        INFO(daemon->output());
        REQUIRE(at);
        return *at;
    }
};

/// How the daemon writes an instant in STATUS= for a UTC station: "YYYY-MM-DD HH:MM[:SS]".
std::string station_time(Clock::time_point t) {
    auto secs = std::chrono::floor<std::chrono::seconds>(t);
    return date::format(secs.time_since_epoch() % 60s == 0s ? "%F %H:%M" : "%F %T", secs);
}

/// `dates:` and `at:` an hour from now: a firing no test waits for.
std::string in_an_hour() { return when(whole_second_after(3600s)); }

}  // namespace

TEST_CASE("READY=1 comes once the control socket serves, STATUS= follows the schedule on air",
          "[e2e][daemon][systemd]") {
    auto t0 = whole_second_after(startup_margin + 3s);
    Station st("  - id: soon\n    zones: [a, b]\n    audio: one.wav\n" + when(t0) +
               "  - id: long\n    zones: [a]\n    audio: ten.wav\n" + when(t0 + 3s));
    const std::size_t ready = st.ready();
    // At that moment the socket already accepts, and wardcastctl gets its answer.
    CHECK(accepts_connection(st.socket));
    auto status = st.ctl({"status"});
    CHECK(status.exit_code == 0);
    CHECK(status.out.find("Next: soon") != std::string::npos);

    // The status at start names the next firing; it is sent before READY=1.
    auto idle = st.notify.wait_for("STATUS=", 0ms);
    REQUIRE(idle);
    CHECK(*idle < ready);
    CHECK(st.notify.messages()[*idle].status() ==
          "Idle; next: soon at " + station_time(t0) + " (station time)");

    // On air: the announcement, its zones and when it should end (1 s after it began).
    auto status_is = [&](const std::string& prefix) {
        return
            [prefix](const NotifySocket::Message& m) { return m.status().rfind(prefix, 0) == 0; };
    };
    auto on_air =
        st.notify.wait_until(status_is("On air: soon (a, b) until "), startup_margin + 15s, ready);
    INFO(st.daemon->output());
    REQUIRE(on_air);
    const std::string until = st.notify.messages()[*on_air].status().substr(26);
    auto hms = [](Clock::time_point t) {
        return date::format("%T", std::chrono::floor<std::chrono::seconds>(t));
    };
    // Rounded to the second: the first sample leaves a few ms before or after the instant (more
    // under sanitizers).
    CHECK((until == hms(t0 + 1s) || until == hms(t0 + 2s)));
    // When it ends, the next firing again; then that one on air.
    auto after = st.notify.wait_until(
        status_is("Idle; next: long at " + station_time(t0 + 3s) + " (station time)"), 15s,
        *on_air);
    REQUIRE(after);
    REQUIRE(st.notify.wait_until(status_is("On air: long (a) until "), 15s, *after));

    // SIGTERM mid-broadcast: STOPPING=1, exit 0, the broadcast recorded cancelled.
    const std::size_t before_stop = st.notify.messages().size();
    CHECK(st.daemon->stop(SIGTERM) == 0);
    auto stopping = st.notify.wait_for("STOPPING=1", 5s, before_stop);
    REQUIRE(stopping);
    st.notify.collect(200ms);
    for (std::size_t i = *stopping + 1; i < st.notify.messages().size(); ++i)
        CHECK(st.notify.messages()[i].status().empty());  // nothing claims to be on air any more
    auto rows = outcomes(st.db);
    CHECK(rows["soon"]["status"] == "played");
    CHECK(rows["long"]["status"] == "cancelled");

    // READY=1 once; no watchdog asked for, none sent; no line breaks in STATUS=.
    CHECK(st.notify.all("READY=1").size() == 1);
    CHECK(st.notify.all("WATCHDOG=1").empty());
    for (const auto& m : st.notify.messages())
        if (m.has("STATUS=")) CHECK(m.text.find('\n') == std::string::npos);
}

TEST_CASE("with WATCHDOG_USEC the event loop pings WATCHDOG=1 at half the interval",
          "[e2e][daemon][systemd]") {
    // WATCHDOG_PID is left unset: the daemon's pid is known only after fork, and
    // sd_watchdog_enabled() takes an unset WATCHDOG_PID as "for whoever reads it".
    Station st("  - id: later\n    zones: [a]\n    audio: one.wav\n" + in_an_hour(),
               {{"WATCHDOG_USEC", "1000000"}});
    const std::size_t ready = st.ready();
    st.notify.collect(3s);
    const auto pings = st.notify.all("WATCHDOG=1");
    const auto after_ready = st.notify.all("WATCHDOG=1", ready);
    CHECK(after_ready.size() >= 4);  // about 6 in 3 s
    std::chrono::nanoseconds closest = 1h;
    for (std::size_t i = 1; i < pings.size(); ++i)
        closest = std::min(
            closest, st.notify.messages()[pings[i]].at - st.notify.messages()[pings[i - 1]].at);
    CHECK(closest > 300ms);
    CHECK(st.daemon->stop() == 0);
}

TEST_CASE("WATCHDOG_PID naming another process: no watchdog pings", "[e2e][daemon][systemd]") {
    Station st("  - id: later\n    zones: [a]\n    audio: one.wav\n" + in_an_hour(),
               {{"WATCHDOG_USEC", "1000000"}, {"WATCHDOG_PID", "1"}});
    st.ready();
    st.notify.collect(1500ms);
    CHECK(st.notify.all("WATCHDOG=1").empty());
    CHECK(st.daemon->stop() == 0);
}

TEST_CASE("SIGHUP reloads the schedule, an invalid file keeps the old one in force",
          "[e2e][daemon][systemd]") {
    const std::string first = "  - id: first\n    zones: [a]\n    audio: one.wav\n" + in_an_hour();
    Station st(first, {{"WATCHDOG_USEC", "20000000"}});
    const std::size_t ready = st.ready();
    CHECK(st.ctl({"next"}).out.find("first") != std::string::npos);

    std::ofstream(st.schedule) << Station::head()
                               << "  - id: second\n    zones: [b]\n    audio: one.wav\n"
                               << in_an_hour();
    ::kill(st.daemon->pid(), SIGHUP);
    auto reloading = st.notify.wait_for("RELOADING=1", 15s, ready + 1);
    REQUIRE(reloading);
    CHECK(st.notify.messages()[*reloading].has("MONOTONIC_USEC="));
    // The reload reads and measures off the event loop: the watchdog keeps its interval.
    auto reloaded = st.notify.wait_for("READY=1", 15s, *reloading + 1);
    REQUIRE(reloaded);
    for (std::size_t i = *reloading; i <= *reloaded; ++i)
        CHECK_FALSE(st.notify.messages()[i].has("WATCHDOG_USEC="));
    // STATUS= follows (it may come just after READY=1).
    auto status = st.notify.wait_until(
        [](const NotifySocket::Message& m) {
            return m.status().rfind("Idle; next: second at ", 0) == 0;
        },
        5s, *reloading);
    CHECK(status);
    auto next = st.ctl({"next"});
    CHECK(next.exit_code == 0);
    CHECK(next.out.find("second") != std::string::npos);
    CHECK(next.out.find("first") == std::string::npos);

    std::ofstream(st.schedule) << Station::head()
                               << "  - id: third\n    zones: [nowhere]\n    audio: one.wav\n"
                               << in_an_hour();
    ::kill(st.daemon->pid(), SIGHUP);
    auto reloading_again = st.notify.wait_for("RELOADING=1", 15s, *reloaded + 1);
    REQUIRE(reloading_again);
    // READY=1 even when the reload failed: the daemon serves on, with the old schedule.
    CHECK(st.notify.wait_for("READY=1", 15s, *reloading_again + 1));
    CHECK(st.daemon->wait_for_output("unknown zone 'nowhere'", 5s));
    CHECK_FALSE(st.daemon->exited());
    next = st.ctl({"next"});
    CHECK(next.exit_code == 0);
    CHECK(next.out.find("second") != std::string::npos);
    CHECK(next.out.find("third") == std::string::npos);

    CHECK(st.daemon->stop() == 0);
    auto ops =
        query(st.db,
              "SELECT user, result FROM entries WHERE kind = 'operator' AND command = 'reload' "
              "ORDER BY seq");
    REQUIRE(ops.size() == 2);
    CHECK(ops[0]["user"] == "SIGHUP");
    CHECK(ops[0]["result"].rfind("ok", 0) == 0);
    CHECK(ops[1]["result"].find("the old schedule stays in force") != std::string::npos);
}

// The pieces, in this process: the one STATUS= line, and the sd_notify wrapper.

TEST_CASE("the STATUS= line says what is on air, paused or next", "[daemon][systemd]") {
    using wardcast::log::Instant;
    using wardcast::daemon::StatusInfo;
    const auto& hanoi = *date::locate_zone("Asia/Ho_Chi_Minh");
    // UTC instants on the evening of 2026-11-30, the station's (UTC+7) morning of 12-01.
    auto at = [](std::chrono::milliseconds utc_time_of_day) {
        return Instant(date::sys_days(date::year{2026} / 11 / 30) + utc_time_of_day);
    };
    StatusInfo nothing;
    nothing.now = at(22h + 59min);
    StatusInfo next = nothing;
    next.next = wardcast::daemon::NextInfo{"sang", "Buổi sáng", {"a"}, at(23h)};
    StatusInfo next_seconds = nothing;
    next_seconds.next = wardcast::daemon::NextInfo{"sang", "", {"a"}, at(23h + 30s)};
    StatusInfo on_air = next;
    on_air.on_air.push_back(
        {"sang", "Buổi sáng", Trigger::schedule, {"a", "b"}, at(23h), at(23h), 90s, ""});
    on_air.on_air.push_back(
        {"emergency", "", Trigger::emergency, {"c"}, at(23h + 10s), at(23h + 10s), 5s, ""});
    StatusInfo early = nothing;
    early.on_air.push_back(
        {"sang", "", Trigger::schedule, {"a"}, at(23h), at(22h + 59min + 59s + 984ms), 1s, ""});
    StatusInfo paused = next;
    paused.paused = true;
    StatusInfo paused_until = paused;
    paused_until.paused_until = at(29h);
    StatusInfo on_air_paused = on_air;
    on_air_paused.on_air.pop_back();
    on_air_paused.paused = true;

    struct Case {
        const char* what;
        StatusInfo status;
        std::string line;
    };
    const std::vector<Case> cases = {
        {"nothing", nothing, "No broadcasts scheduled"},
        {"idle", next, "Idle; next: sang at 2026-12-01 06:00 (station time)"},
        {"idle, seconds", next_seconds, "Idle; next: sang at 2026-12-01 06:00:30 (station time)"},
        {"on air", on_air, "On air: sang (a, b) until 06:01:30; emergency (c) until 06:00:15"},
        {"on air, end rounded to the second", early, "On air: sang (a) until 06:00:01"},
        {"paused", paused, "Paused until resumed"},
        {"paused until", paused_until, "Paused until 2026-12-01 12:00 (station time)"},
        {"on air while paused", on_air_paused,
         "On air: sang (a, b) until 06:01:30; Paused until resumed"},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        CHECK(wardcast::daemon::status_line(c.status, hanoi) == c.line);
    }
}

TEST_CASE("SystemdNotify: one line per STATUS=, cut on a UTF-8 boundary, sent only when it changed",
          "[daemon][systemd]") {
    TempDir dir;
    NotifySocket notify(dir.path() / "notify.sock");
    ::setenv("NOTIFY_SOCKET", notify.path().c_str(), 1);
    boost::asio::io_context io;
    wardcast::daemon::SystemdNotify n(io);
    CHECK(n.enabled());
    n.status("On air: a\nb");
    n.status("On air: a\nb");  // the same: not sent again
    std::string long_text(wardcast::daemon::SystemdNotify::max_status - 1, 'x');
    n.status(long_text + "ầ tail");  // 'ầ' is 3 bytes: it would be cut, so it goes whole
    n.ready();
    n.stopping();
    n.status("after stopping");   // ignored
    ::unsetenv("NOTIFY_SOCKET");  // other tests' daemons must not inherit it
    notify.collect(200ms);
    std::vector<std::string> texts;
    for (const auto& m : notify.messages()) texts.push_back(m.text);
    REQUIRE(texts.size() == 4);
    CHECK(texts[0] == "STATUS=On air: a b");
    CHECK(texts[1] == "STATUS=" + long_text);
    CHECK(texts[2] == "READY=1");
    CHECK(texts[3] == "STOPPING=1");
}

TEST_CASE("SystemdNotify without NOTIFY_SOCKET does nothing", "[daemon][systemd]") {
    ::unsetenv("NOTIFY_SOCKET");
    boost::asio::io_context io;
    wardcast::daemon::SystemdNotify n(io);
    CHECK_FALSE(n.enabled());
    n.status("idle");
    n.reloading();
    n.ready();
    n.start_watchdog();
    CHECK(n.watchdog_interval() == 0us);
    n.stopping();
    CHECK(io.poll() == 0);  // no timer armed
}
