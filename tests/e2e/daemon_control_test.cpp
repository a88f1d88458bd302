// Operators control the real daemon over its socket with the real wardcastctl (SPEC §5).

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "log/broadcast_log.hpp"
#include "tests/e2e/ctl.hpp"
#include "tests/e2e/daemon_process.hpp"
#include "tests/e2e/fixtures.hpp"

using namespace wardcast::test;
using namespace std::chrono_literals;

namespace {

/// `at:` every day at an hour from now: a firing no test here waits for (a fixed time of
/// day would fire during a test run just before it).
std::string daily_in_an_hour() {
    auto secs = std::chrono::floor<std::chrono::seconds>(Clock::now() + 1h);
    return "    at: \"" + date::format("%T", secs - std::chrono::floor<date::days>(secs)) + "\"\n";
}

struct Station {
    TempDir dir;
    std::filesystem::path db = dir.path() / "broadcasts.db";
    std::filesystem::path socket = dir.path() / "control.sock";
    std::filesystem::path schedule;
    std::unique_ptr<Daemon> daemon;

    explicit Station(const std::string& announcements) {
        write_tone_wav(dir.path() / "one.wav", 1000);
        write_tone_wav(dir.path() / "ten.wav", 10000);
        schedule = dir.write("schedule.yaml", head() + announcements);
        daemon = std::make_unique<Daemon>(
            std::vector<std::string>{"--schedule", schedule.string(), "--db", db.string(),
                                     "--socket", socket.string()},
            dir.path() / "wardcastd.log",
            std::map<std::string, std::string>{
                {"WARDCAST_CACHE", (dir.path() / "cache").string()}});
        REQUIRE(daemon->wait_for_output("listening on", startup_margin + 15s));
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
};

}  // namespace

TEST_CASE("an emergency message cuts in: what was on air is preempted", "[e2e][control]") {
    auto t0 = whole_second_after(startup_margin);
    Station st("  - id: long\n    zones: [a, b]\n    audio: ten.wav\n" + when(t0));
    REQUIRE(st.daemon->wait_for_output("on air: long", startup_margin + 15s));
    // What starting wardcastctl itself costs, so that the daemon's part can be measured.
    auto before = Clock::now();
    run_process({WARDCASTCTL, "--version"});
    auto spawn = Clock::now() - before;
    auto asked = Clock::now();
    auto r = st.ctl({"announce", (st.dir.path() / "one.wav").string(), "--priority", "emergency"});
    CHECK(r.exit_code == 0);
    REQUIRE(st.daemon->wait_for_output("played emergency", 15s));
    CHECK(st.daemon->stop() == 0);
    auto rows = outcomes(st.db);
    CHECK(rows["long"]["status"] == "preempted");
    CHECK(rows["long"]["error"].find("interrupted by an emergency message from") !=
          std::string::npos);
    CHECK(rows["emergency"]["status"] == "played");
    CHECK(rows["emergency"]["trigger"] == "emergency");
    CHECK(rows["emergency"]["uid"] == std::to_string(getuid()));
    // Cut off within 100 ms of the request (more under sanitizers).
    auto ended = wardcast::log::parse_utc(rows["long"]["ended"]);
    REQUIRE(ended);
    auto cut = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::time_point(*ended) -
                                                                     asked - spawn);
#ifndef WARDCAST_SANITIZED
    CHECK(cut < 100ms);
#endif
}

TEST_CASE("reload with an invalid file keeps the old schedule airing", "[e2e][control]") {
    auto t0 = whole_second_after(startup_margin + 3s);
    Station st("  - id: keep\n    zones: [a]\n    audio: one.wav\n" + when(t0));
    std::ofstream(st.schedule) << Station::head()
                               << "  - id: keep\n    zones: [nowhere]\n    audio: one.wav\n"
                               << when(t0);
    auto r = st.ctl({"reload"});
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("unknown zone 'nowhere'") != std::string::npos);
    REQUIRE(st.daemon->wait_for_output("played keep", startup_margin + 15s));
    CHECK(st.daemon->stop() == 0);
    auto ops = query(st.db, "SELECT * FROM entries WHERE kind = 'operator' AND command = 'reload'");
    REQUIRE(ops.size() == 1);
    CHECK(ops[0]["result"].find("the old schedule stays in force") != std::string::npos);
}

TEST_CASE("pause holds scheduled broadcasts, resume lets them air again", "[e2e][control]") {
    auto t0 = whole_second_after(startup_margin + 2s);
    Station st("  - id: held\n    zones: [a]\n    audio: one.wav\n" + when(t0) +
               "  - id: after\n    zones: [a]\n    audio: one.wav\n" + when(t0 + 4s));
    CHECK(st.ctl({"pause"}).exit_code == 0);
    auto status = st.ctl({"status", "--json"});
    CHECK(status.out.find("\"paused\":true") != std::string::npos);
    REQUIRE(st.daemon->wait_for_output("skipped held", startup_margin + 15s));
    CHECK(st.ctl({"resume"}).exit_code == 0);
    REQUIRE(st.daemon->wait_for_output("played after", 15s));
    CHECK(st.daemon->stop() == 0);
    auto rows = outcomes(st.db);
    CHECK(rows["held"]["status"] == "skipped");
    CHECK(rows["held"]["error"].find("paused the schedule") != std::string::npos);
    auto ops = query(st.db,
                     "SELECT uid, user, command FROM entries WHERE kind = 'operator' AND command "
                     "IN ('pause', 'resume')");
    REQUIRE(ops.size() == 2);
    CHECK(ops[0]["uid"] == std::to_string(getuid()));
}

TEST_CASE("play, stop, volume, status and next answer an operator", "[e2e][control]") {
    Station st("  - id: dvc\n    title: \"Dịch vụ công\"\n    audio: ten.wav\n" +
               daily_in_an_hour());
    CHECK(st.ctl({"play", "dvc", "--zone", "a"}).exit_code == 0);
    REQUIRE(st.daemon->wait_for_output("on air: dvc", 10s));
    auto status = st.ctl({"status"});
    CHECK(status.out.find("On air: Dịch vụ công (dvc) on a") != std::string::npos);
    CHECK(st.ctl({"volume", "a", "0.5"}).exit_code == 0);
    CHECK(st.ctl({"volume", "a", "1.5"}).exit_code != 0);
    auto next = nlohmann::json::parse(st.ctl({"next", "2", "--json"}).out);
    CHECK(next["firings"].size() == 2);
    auto nope = st.ctl({"play", "dcv"});
    CHECK(nope.exit_code == 1);
    CHECK(nope.err.find("did you mean 'dvc'") != std::string::npos);
    CHECK(st.ctl({"stop"}).exit_code == 0);
    REQUIRE(st.daemon->wait_for_output("cancelled dvc", 10s));
    CHECK(st.daemon->stop() == 0);
    auto rows = outcomes(st.db);
    CHECK(rows["dvc"]["status"] == "cancelled");
    CHECK(rows["dvc"]["trigger"] == "operator");
    // Each command that changed something (or was refused by the daemon) once, as typed.
    auto ops = query(st.db,
                     "SELECT uid, command, result FROM entries WHERE kind = 'operator' AND command "
                     "NOT LIKE 'load-schedule%' ORDER BY seq");
    REQUIRE(ops.size() == 4);
    CHECK(ops[0]["command"] == "play dvc --zone a");
    CHECK(ops[0]["result"] == "ok");
    CHECK(ops[1]["command"] == "volume a 0.50");
    CHECK(ops[1]["result"] == "ok");
    CHECK(ops[2]["command"] == "play dcv");
    CHECK(ops[2]["result"].rfind("refused: no announcement 'dcv'", 0) == 0);
    CHECK(ops[3]["command"] == "stop");
    CHECK(ops[3]["result"] == "ok: stopped dvc");
    for (auto& op : ops) CHECK(op["uid"] == std::to_string(getuid()));
}

TEST_CASE("refused commands are recorded too: who asked, what, and why", "[e2e][control]") {
    Station st("  - id: dvc\n    audio: one.wav\n" + daily_in_an_hour());
    CHECK(st.ctl({"play", "dcv"}).exit_code == 1);
    auto zone = st.ctl({"announce", "--tts", "Xin chào", "--zone", "a", "--zone", "c"});
    CHECK(zone.exit_code == 1);
    CHECK(zone.err.find("no zone 'c'") != std::string::npos);
    // Arguments refused before they reach anything (here an instant in the past) are
    // answered, not recorded.
    CHECK(st.ctl({"pause", "--until", "2020-01-01T08:00"}).exit_code == 1);
    CHECK(st.ctl({"volume", "zz", "50%"}).exit_code == 1);
    CHECK(st.daemon->stop() == 0);
    auto ops = query(st.db,
                     "SELECT uid, command, result FROM entries WHERE kind = 'operator' AND command "
                     "NOT LIKE 'load-schedule%' ORDER BY seq");
    REQUIRE(ops.size() == 3);
    CHECK(ops[0]["command"] == "play dcv");
    CHECK(ops[0]["result"].rfind("refused: no announcement 'dcv'", 0) == 0);
    CHECK(ops[1]["command"] == "announce --tts \"Xin chào\" --priority normal --zone a --zone c");
    CHECK(ops[1]["result"].rfind("refused: no zone 'c'", 0) == 0);
    CHECK(ops[2]["command"] == "volume zz 0.50");
    CHECK(ops[2]["result"].rfind("refused: no zone 'zz'", 0) == 0);
    for (auto& op : ops) CHECK(op["uid"] == std::to_string(getuid()));
}

TEST_CASE("hundreds of malformed requests do not delay a broadcast", "[e2e][control]") {
    auto t0 = whole_second_after(startup_margin + 2s);
    Station st("  - id: due\n    zones: [a]\n    audio: one.wav\n" + when(t0));
    std::mt19937 rng(7);
    const std::vector<std::string> samples = {"{",
                                              "not json",
                                              "{\"v\":1,\"cmd\":42}",
                                              "{\"v\":9,\"cmd\":\"status\"}",
                                              "{\"v\":1,\"cmd\":\"play\",\"args\":{\"id\":[1,2]}}",
                                              "[]",
                                              "\xff\xfe",
                                              "{\"v\":1,\"id\":1e999,\"cmd\":\"status\"}",
                                              "{\"v\":1,\"cmd\":\"nope\"}"};
    for (int i = 0; i < 300 && Clock::now() < t0 + 500ms; ++i) {
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, st.socket.c_str(), sizeof addr.sun_path - 1);
        if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
            std::string line = samples[rng() % samples.size()];
            if (rng() % 3 == 0) line = line.substr(0, rng() % (line.size() + 1));
            line += "\n";
            (void)!write(fd, line.data(), line.size());
            if (rng() % 2) {
                char buf[512];
                (void)!read(fd, buf, sizeof buf);
            }
        }
        close(fd);
    }
    REQUIRE(st.daemon->wait_for_output("played due", startup_margin + 15s));
    CHECK(st.ctl({"status"}).exit_code == 0);
    CHECK(st.daemon->stop() == 0);
    auto rows = outcomes(st.db);
    CHECK(rows["due"]["status"] == "played");
    CHECK(std::stol(rows["due"]["lateness_ms"]) < 500);
}

TEST_CASE("wardcastctl says where it looked when the daemon is not there", "[e2e][control]") {
    TempDir dir;
    auto r = run_process({WARDCASTCTL, "status", "--socket", (dir.path() / "none.sock").string()});
    CHECK(r.exit_code == 3);
    CHECK(r.err == "wardcastctl: cannot reach wardcastd at " + (dir.path() / "none.sock").string() +
                       ": no such file — is it running? try: systemctl status wardcastd\n");
}

namespace {

/// 40 announcements with texts no cache has spoken yet, airing tomorrow: a reload to them
/// synthesizes, measures and analyses each one.
std::string forty_new_texts(Clock::time_point t) {
    std::string out;
    const std::string salt = std::to_string(Clock::now().time_since_epoch().count());
    for (int i = 0; i < 40; ++i)
        out += "  - id: tts-" + std::to_string(i) + "\n    zones: [b]\n    tts: \"Thông báo số " +
               std::to_string(i) + " (" + salt +
               "): từ ngày mai, phường tiếp nhận hồ sơ dịch vụ công trực tuyến tại bộ phận một "
               "cửa, người dân mang theo căn cước công dân; cán bộ, công chức thực hiện đúng quy "
               "tắc ứng xử, tận tình hướng dẫn, không gây phiền hà cho người dân và doanh "
               "nghiệp khi giải quyết thủ tục hành chính.\"\n" +
               when(t + 24h + std::chrono::minutes(i));
    return out;
}

}  // namespace

TEST_CASE("a firing due while a reload speaks 40 new texts starts on time", "[e2e][control]") {
    auto t0 = whole_second_after(startup_margin + 4s);
    const std::string tick = "  - id: tick\n    zones: [a]\n    audio: one.wav\n" + when(t0);
    Station st(tick);
    std::ofstream(st.schedule) << Station::head() << tick << forty_new_texts(t0);
    // The reload begins just before the instant and, with 40 texts to speak, ends after it.
    std::this_thread::sleep_until(t0 - 500ms);
    const auto asked = Clock::now();
    auto r = st.ctl({"reload"});
    INFO(r.out << r.err << st.daemon->output());
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, "40 added"));
    REQUIRE(st.daemon->wait_for_output("played tick", 15s));
    CHECK(st.daemon->stop() == 0);

    auto rows = outcomes(st.db);
    REQUIRE(rows["tick"]["status"] == "played");
    const long lateness = std::stol(rows["tick"]["lateness_ms"]);
    CHECK(lateness >= 0);
    CHECK(lateness < 20);
    auto reloads = query(st.db, "SELECT recorded_at, result FROM entries WHERE command = 'reload'");
    REQUIRE(reloads.size() == 1);
    CHECK(contains(reloads[0]["result"], "ok: 40 added"));
    // It really was under way at the instant: asked before, finished after the start.
    CHECK(asked < t0);
    CHECK(reloads[0]["recorded_at"] > rows["tick"]["started"]);
}

TEST_CASE("two reloads at once are queued, never interleaved", "[e2e][control]") {
    auto t0 = whole_second_after(startup_margin + 3s);
    const std::string keep = "  - id: keep\n    zones: [a]\n    audio: one.wav\n" + when(t0 + 1h);
    Station st(keep);
    std::ofstream(st.schedule) << Station::head() << keep << forty_new_texts(t0);
    ProcessResult first, second;
    std::thread a([&] { first = st.ctl({"reload"}); });
    std::thread b([&] { second = st.ctl({"reload"}); });
    a.join();
    b.join();
    INFO(first.err << second.err << st.daemon->output());
    CHECK(first.exit_code == 0);
    CHECK(second.exit_code == 0);
    CHECK(st.daemon->stop() == 0);
    // Each reload puts its schedule in force, then answers: one after the other.
    auto ops = query(st.db,
                     "SELECT command, result FROM entries WHERE command = 'reload' OR "
                     "command LIKE 'load-schedule % (reload)' ORDER BY seq");
    REQUIRE(ops.size() == 4);
    for (std::size_t i = 0; i < 4; i += 2) {
        CHECK(contains(ops[i]["command"], "load-schedule"));
        CHECK(ops[i + 1]["command"] == "reload");
        CHECK(contains(ops[i + 1]["result"], "ok: "));
    }
    // Both results add up to the 40 new announcements, counted once.
    CHECK(
        (contains(ops[1]["result"], "ok: 40 added") && contains(ops[3]["result"], "ok: 0 added")));
}
