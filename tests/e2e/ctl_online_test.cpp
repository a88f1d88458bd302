// wardcastctl's online commands, run as an operator runs them, against a control server with a
// fake Controller in this process: what they print, and their exit codes.

#include <catch2/catch.hpp>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/daemon/control_test_support.hpp"
#include "tests/e2e/ctl.hpp"

using namespace wardcast::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

ProcessResult ctl_at(const std::string& socket, std::vector<std::string> args) {
    return ctl(std::move(args), {{"WARDCAST_SOCKET", socket}, {"TZ", "UTC"}});
}

}  // namespace

TEST_CASE("status shows what is on air, next, schedule and uptime in the station's time",
          "[e2e][online]") {
    RunningServer server;
    auto r = ctl_at(server.path(), {"status"});
    CHECK(r.exit_code == 0);
    CHECK(r.err.empty());
    CHECK(r.out_lines() ==
          std::vector<std::string>{
              "Station: Phường Bồ Đề (Asia/Ho_Chi_Minh), wardcastd 0.1.0",
              "On air: Dịch vụ công trực tuyến (cchc-dvc) on to-dan-pho-1, to-dan-pho-2 — 00:42 of "
              "01:29, 00:47 left",
              "Next: Quy tắc ứng xử (van-hoa) at Mon 2026-12-07 17:30 on all",
              "Schedule: /etc/wardcast/schedule.yaml (sha256 3f2a9c1d…) since Mon 2026-12-07 05:59",
              "Up since Fri 2026-12-04 06:00 (3 days)"});

    server.controller().status_info.on_air.clear();
    server.controller().status_info.paused = true;
    server.controller().status_info.paused_until = hanoi(12, 0);
    r = ctl_at(server.path(), {"status"});
    CHECK_THAT(r.out, Catch::Contains("On air: nothing\n"));
    CHECK_THAT(r.out, Catch::Contains("Paused until Mon 2026-12-07 12:00"));

    r = ctl_at(server.path(), {"status", "--json"});
    CHECK(r.exit_code == 0);
    REQUIRE(r.out_lines().size() == 1);
    CHECK(json::parse(r.out)["paused_until"] == "2026-12-07T12:00:00+07:00");
}

TEST_CASE("next lists the coming firings as a table", "[e2e][online]") {
    RunningServer server;
    server.controller().firings = {{"van-hoa", "Quy tắc ứng xử", {"all"}, hanoi(17, 30)},
                                   {"cchc-dvc", "Dịch vụ công", {"cho", "to-1"}, hanoi(30, 0)}};
    auto r = ctl_at(server.path(), {"next", "5"});
    CHECK(r.exit_code == 0);
    REQUIRE(r.out_lines().size() == 3);
    CHECK_THAT(r.out_lines()[0], Catch::StartsWith("WHEN"));
    CHECK_THAT(r.out_lines()[1], Catch::StartsWith("Mon 2026-12-07 17:30  van-hoa"));
    CHECK_THAT(r.out_lines()[2], Catch::StartsWith("Tue 2026-12-08 06:00  cchc-dvc"));
    CHECK_THAT(r.out_lines()[2], Catch::EndsWith("cho, to-1"));
    CHECK(server.controller().calls().back().what == "next 5");

    server.controller().firings.clear();
    CHECK(ctl_at(server.path(), {"next"}).out == "Nothing scheduled.\n");
}

TEST_CASE("commands that change something say what they did", "[e2e][online]") {
    RunningServer server;
    struct Case {
        std::vector<std::string> args;
        std::string out;
        std::string call;
    };
    const Case cases[] = {
        {{"play", "cchc-dvc"}, "playing cchc-dvc now on its zones\n", "play cchc-dvc"},
        {{"play", "cchc-dvc", "--zone", "cho"},
         "playing cchc-dvc now on zone cho\n",
         "play cchc-dvc zone=cho"},
        {{"announce", "--tts", "Mất nước", "--priority", "emergency"},
         "announcing on every zone — emergency: interrupts what is on air\n",
         "announce emergency"},
        {{"stop"}, "stopped: cchc-dvc (logged cancelled)\n", "stop"},
        {{"pause"}, "scheduled broadcasts paused until you resume (wardcastctl resume)\n", "pause"},
        {{"resume"}, "scheduled broadcasts resumed\n", "resume"},
        {{"volume", "80%"}, "volume of every zone set to 80%\n", "volume * 0.800000"},
        {{"volume", "cho", "0.25"}, "volume of zone cho set to 25%\n", "volume cho 0.250000"},
        {{"reload"},
         "reloaded: 2 added (a, b), 1 removed (c), 1 changed (d); schedule sha256 abcdef01…\n",
         "reload"},
    };
    for (const auto& c : cases) {
        INFO(c.args[0]);
        auto before = server.controller().calls().size();
        auto r = ctl_at(server.path(), c.args);
        CHECK(r.exit_code == 0);
        CHECK(r.err.empty());
        CHECK(r.out == c.out);
        auto calls = server.controller().calls();
        REQUIRE(calls.size() == before + 1);
        CHECK(calls.back().what == c.call);
    }
}

TEST_CASE("an invalid schedule on reload: every error on stderr, exit 1", "[e2e][online]") {
    RunningServer server;
    wardcast::daemon::ReloadResult invalid;
    invalid.errors = {"/etc/wardcast/schedule.yaml:3:5: error: unknown key 'tittle'"};
    invalid.failure = "1 error";
    server.controller().reload_result = invalid;
    auto r = ctl_at(server.path(), {"reload"});
    CHECK(r.exit_code == 1);
    CHECK(r.out.empty());
    CHECK(r.err_lines() ==
          std::vector<std::string>{
              "/etc/wardcast/schedule.yaml:3:5: error: unknown key 'tittle'",
              "wardcastctl: reload: the schedule has 1 error; the old schedule stays in force"});
}

TEST_CASE("a refused request is one line on stderr and exit 1", "[e2e][online]") {
    RunningServer server;
    auto r = ctl_at(server.path(), {"play", "khong-co"});
    CHECK(r.exit_code == 1);
    CHECK(r.err == "wardcastctl: play: no announcement \"khong-co\" in the schedule\n");
    r = ctl_at(server.path(), {"pause", "--until", "yesterday"});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err,
               Catch::StartsWith("wardcastctl: pause: \"until\" must be an ISO 8601 instant"));
    r = ctl_at(server.path(), {"play", "khong-co", "--json"});
    CHECK(json::parse(r.out)["error"]["code"] == "not_found");
}

TEST_CASE("without a daemon: one line naming the socket, exit 3", "[e2e][online]") {
    SocketDir dir;
    auto missing = (dir.path() / "control.sock").string();
    auto r = ctl_at(missing, {"status"});
    CHECK(r.exit_code == 3);
    CHECK(r.err == "wardcastctl: cannot reach wardcastd at " + missing +
                       ": no such file — is it running? try: systemctl status wardcastd\n");
    bind_and_abandon(missing);
    r = ctl_at(missing, {"stop"});
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, Catch::Contains(": connection refused — "));
}

TEST_CASE("usage errors exit 2", "[e2e][online]") {
    for (std::vector<std::string> args : {std::vector<std::string>{"volume", "loud"},
                                          {"announce"},
                                          {"pause", "--for", "soon"},
                                          {"next", "0"},
                                          {"play"}}) {
        INFO(args[0]);
        CHECK(ctl_at("/nonexistent.sock", args).exit_code == 2);
    }
}

TEST_CASE("watch prints events as they come and exits 3 when the daemon goes", "[e2e][online]") {
    std::future<ProcessResult> watch;
    {
        RunningServer server;
        watch = std::async(std::launch::async, [&] {
            return ctl_at(server.path(), {"watch", "--json"});
        });
        for (int i = 0; i < 500 && server.controller().subscribers() == 0; ++i)
            std::this_thread::sleep_for(10ms);
        REQUIRE(server.controller().subscribers() == 1);
        server.on_loop([&] {
            server.controller().emit(
                {{"event", "operator"}, {"user", "alice"}, {"command", "stop"}});
            return 0;
        });
        std::this_thread::sleep_for(200ms);
    }
    auto r = watch.get();
    CHECK(r.exit_code == 3);
    REQUIRE(r.out_lines().size() == 1);
    CHECK(json::parse(r.out) ==
          json{{"v", 1}, {"event", "operator"}, {"user", "alice"}, {"command", "stop"}});
}

TEST_CASE("watch prints one readable line per event in the station's time", "[e2e][online]") {
    std::future<ProcessResult> watch;
    {
        RunningServer server;
        watch = std::async(std::launch::async, [&] { return ctl_at(server.path(), {"watch"}); });
        for (int i = 0; i < 500 && server.controller().subscribers() == 0; ++i)
            std::this_thread::sleep_for(10ms);
        REQUIRE(server.controller().subscribers() == 1);
        server.on_loop([&] {
            json start = {{"event", "broadcast-start"},
                          {"announcement", "cchc-dvc"},
                          {"title", "Dịch vụ công"},
                          {"trigger", "schedule"},
                          {"zones", {"all"}},
                          {"scheduled", "2026-12-06T23:00:00.000Z"},
                          {"started", "2026-12-06T23:00:00.012Z"}};
            server.controller().emit(start);
            start["event"] = "broadcast-end";
            start["status"] = "played";
            server.controller().emit(start);
            server.controller().emit({{"event", "operator"},
                                      {"at", "2026-12-06T23:05:00.000Z"},
                                      {"user", "alice"},
                                      {"command", "stop"},
                                      {"result", "ok"}});
            return 0;
        });
        std::this_thread::sleep_for(200ms);
    }
    auto r = watch.get();
    CHECK(r.exit_code == 3);
    CHECK(r.out_lines() ==
          std::vector<std::string>{"06:00:00 on air   Dịch vụ công (cchc-dvc) on all (schedule)",
                                   "06:00:00 ended    Dịch vụ công (cchc-dvc): played",
                                   "06:05:00 operator alice: stop → ok"});
    CHECK_THAT(r.err, Catch::Contains("watching wardcastd at"));
}
