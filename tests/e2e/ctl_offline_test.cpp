// wardcastctl validate and simulate, run as an operator runs them.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/e2e/fixtures.hpp"
#include "tests/e2e/ctl.hpp"

using namespace wardcast::test;
using nlohmann::json;

TEST_CASE("validate accepts a good schedule with a one-line summary", "[e2e][validate]") {
    Fixture fx("dst");
    auto r = ctl({"validate", fx.file()});
    CHECK(r.exit_code == 0);
    CHECK(r.err.empty());
    CHECK(r.out == fx.file() + ": valid: 2 announcements in 1 file, 1 zone, time zone America/New_York\n");
}

TEST_CASE("validate lists every error with its place, exit 1", "[e2e][validate]") {
    Fixture fx("invalid");
    auto r = ctl({"validate", fx.file()});
    CHECK(r.exit_code == 1);
    CHECK(r.out.empty());
    const std::string f = fx.file();
    std::vector<std::string> expected = {
        f + ":12:13: error: audio file 'audio/missing.mp3' not found (looked at " +
            (fx.path() / "audio/missing.mp3").string() + ")",
        f + ":13:5: error: unknown key 'prioirty' (did you mean 'priority'?)",
        f + ":14:10: error: time '24:61' is not HH:MM[:SS] (00:00 to 23:59:59)",
        f + ":15:9: error: duplicate announcement id 'dvc' (first at " + f + ":11)",
        f + ":17:13: error: unknown zone 'al' (did you mean 'all'?)",
        f + ":18:9: error: empty time list: 'at' must name at least one time HH:MM",
        f + ": invalid: 6 errors",
    };
    CHECK(r.err_lines() == expected);
}

TEST_CASE("validate reports undecodable audio and quiet hours", "[e2e][validate]") {
    Fixture fx("invalid");
    fx.path();
    // Fix the first announcement's other errors so the remaining checks show.
    std::ofstream(fx.file("second.yaml")) << R"(zones: [{id: all}]
quiet_hours: [{ from: "21:30", to: "05:30" }]
announcements:
  - { id: night, audio: audio/tone-10s.wav, at: "22:00" }
  - { id: broken, audio: audio/not-audio.mp3, at: "08:00" }
)";
    auto r = ctl({"validate", fx.file("second.yaml")});
    CHECK(r.exit_code == 1);
    auto lines = r.err_lines();
    REQUIRE(lines.size() == 3);
    CHECK(lines[0] == fx.file("second.yaml") +
                          ":4:49: error: announcement 'night' fires at 22:00, inside quiet hours "
                          "21:30-05:30 (only priority emergency may air then)");
    CHECK(contains(lines[1], "second.yaml:5:26: error: audio file 'audio/not-audio.mp3' cannot be played: "));
}

TEST_CASE("validate warns about collisions and still succeeds", "[e2e][validate]") {
    Fixture fx("conflicts");
    auto r = ctl({"validate", fx.file()});
    CHECK(r.exit_code == 0);
    auto lines = r.err_lines();
    REQUIRE(lines.size() == 2);
    CHECK(lines[0] == fx.file() +
                          ":23:9: warning: announcement 'dvc' collides with 'quy-tac-ung-xu' on "
                          "zone all: on 2026-12-01 07:01 it waits until 07:04:05; once between "
                          "2026-12-01 and 2027-12-01");
    CHECK(lines[1] == fx.file() +
                          ":35:9: warning: announcement 'bao-chay' collides with 'dvc' on zone "
                          "all: on 2026-12-01 07:03 it is skipped (zones busy with dvc until "
                          "07:04:17; waited longer than max_delay 1m); once between 2026-12-01 "
                          "and 2027-12-01");
    CHECK(contains(r.out, ": valid: 4 announcements in 1 file, 2 zones, time zone Asia/Ho_Chi_Minh; 2 warnings"));
}

TEST_CASE("simulate --json resolves conflicts as SPEC 2 says", "[e2e][simulate]") {
    Fixture fx("conflicts");
    auto r = ctl({"simulate", fx.file(), "--from", "2026-12-01", "--to", "2026-12-02", "--json"});
    REQUIRE(r.exit_code == 0);
    auto lines = json_lines(r.out);
    std::vector<json> expected = {
        {{"announcement", "quy-tac-ung-xu"}, {"scheduled", "2026-12-01T07:00:00+07:00"},
         {"start", "2026-12-01T07:00:00+07:00"}, {"end", "2026-12-01T07:04:05+07:00"},
         {"status", "scheduled"}, {"zones", {"all"}}, {"reason", nullptr}},
        {{"announcement", "cho-chieu"}, {"scheduled", "2026-12-01T07:00:30+07:00"},
         {"start", "2026-12-01T07:00:30+07:00"}, {"end", "2026-12-01T07:00:42+07:00"},
         {"status", "scheduled"}, {"zones", {"cho"}}, {"reason", nullptr}},
        {{"announcement", "dvc"}, {"scheduled", "2026-12-01T07:01:00+07:00"},
         {"start", "2026-12-01T07:04:05+07:00"}, {"end", "2026-12-01T07:04:17+07:00"},
         {"status", "scheduled"}, {"zones", {"all", "cho"}}, {"reason", nullptr}},
        {{"announcement", "bao-chay"}, {"scheduled", "2026-12-01T07:03:00+07:00"},
         {"start", nullptr}, {"end", nullptr}, {"status", "skipped"}, {"zones", {"all"}},
         {"reason", "zones busy with dvc until 07:04:17; waited longer than max_delay 1m"}},
    };
    CHECK(lines == expected);
}

TEST_CASE("simulate takes --from inclusive and --to exclusive, dates or instants", "[e2e][simulate]") {
    Fixture fx("conflicts");
    auto ids = [&](const char* from, const char* to) {
        auto r = ctl({"simulate", fx.file(), "--from", from, "--to", to, "--json"});
        std::vector<std::string> out;
        for (const auto& j : json_lines(r.out)) out.push_back(j["announcement"]);
        return out;
    };
    CHECK(ids("2026-12-01T07:00:30+07:00", "2026-12-01T07:03:00+07:00") ==
          std::vector<std::string>{"cho-chieu", "dvc"});
    CHECK(ids("2026-12-01T00:00:30Z", "2026-12-01T00:01:00Z") == std::vector<std::string>{"cho-chieu"});
    CHECK(ids("2026-12-02", "2026-12-09").empty());
}

TEST_CASE("simulate shows the operator local times, titles and reasons", "[e2e][simulate]") {
    Fixture fx("conflicts");
    auto r = ctl({"simulate", fx.file(), "--from", "2026-12-01", "--to", "2026-12-02"});
    REQUIRE(r.exit_code == 0);
    auto lines = r.out_lines();
    REQUIRE(lines.size() == 7);
    CHECK(lines[0] == "Phường Thử — from 2026-12-01 00:00 to 2026-12-02 00:00 (Asia/Ho_Chi_Minh)");
    CHECK(lines[1].rfind("DATE", 0) == 0);
    CHECK(contains(lines[2], "Tue 2026-12-01  07:00     07:00     07:04:05  Quy tắc ứng xử"));
    CHECK(contains(lines[4], "waits 3m5s for quy-tac-ung-xu"));
    CHECK(contains(lines[5], "Báo cháy"));
    CHECK(contains(lines[5], "  skipped  "));
    CHECK(contains(lines[5], "  zones busy with dvc until 07:04:17; waited longer than max_delay 1m"));
    CHECK(lines[6] == "4 firings: 3 to air, 1 skipped");
}

TEST_CASE("simulate follows the DST gap and overlap rules", "[e2e][simulate]") {
    Fixture fx("dst");
    auto r = ctl({"simulate", fx.file(), "--from", "2026-01-01", "--to", "2027-01-01", "--json"});
    REQUIRE(r.exit_code == 0);
    auto lines = json_lines(r.out);
    REQUIRE(lines.size() == 2);
    CHECK(lines[0]["scheduled"] == "2026-03-08T03:00:00-04:00");
    CHECK(lines[1]["scheduled"] == "2026-11-01T01:30:00-04:00");
}

TEST_CASE("simulate refuses an invalid schedule as validate does", "[e2e][simulate]") {
    Fixture fx("invalid");
    auto r = ctl({"simulate", fx.file(), "--from", "2026-12-01", "--to", "2026-12-02"});
    CHECK(r.exit_code == 1);
    CHECK(r.out.empty());
    CHECK(contains(r.err, ":13:5: error: unknown key 'prioirty' (did you mean 'priority'?)"));
    CHECK(contains(r.err, ": invalid: 6 errors; nothing simulated"));
}

TEST_CASE("usage errors exit 2 with one line, and --help exits 0", "[e2e]") {
    Fixture fx("dst");
    struct Case {
        std::vector<std::string> args;
        int code;
        std::string err_part;
    };
    auto c = GENERATE_REF(values<Case>({
        {{}, 2, "wardcastctl: A subcommand is required"},
        {{"validate"}, 2, "FILE is required"},
        {{"frobnicate"}, 2, "wardcastctl: unknown command 'frobnicate' (commands: validate, simulate, "},
        {{"simualte"}, 2, "wardcastctl: unknown command 'simualte' (did you mean 'simulate'?)"},
        {{"simulate", "FILE", "--from", "yesterday"}, 2,
         "wardcastctl simulate: --from 'yesterday' is not a DATE (2026-12-01) or an INSTANT"},
        {{"simulate", "FILE", "--from", "2026-12-02", "--to", "2026-12-01"}, 2,
         "--to 2026-12-01T00:00:00-05:00 is not after --from 2026-12-02T00:00:00-05:00"},
        {{"--help"}, 0, ""},
        {{"validate", "--help"}, 0, ""},
        {{"simulate", "--help"}, 0, ""},
    }));
    for (auto& a : c.args)
        if (a == "FILE") a = fx.file();
    auto r = ctl(c.args);
    CHECK(r.exit_code == c.code);
    if (c.code == 2) {
        CHECK(r.err_lines().size() == 1);
        CHECK(contains(r.err, c.err_part));
    } else {
        CHECK(contains(r.out, "Usage"));
    }
}

TEST_CASE("a text-to-speech announcement is synthesized and measured", "[e2e][validate][tts]") {
    TempDir dir;
    auto file = dir.write("s.yaml", R"(zones: [{id: all}]
announcements:
  - id: loi-chao
    tts: { text: "Kính thưa bà con nhân dân", voice: vi }
    at: "06:00"
)");
    auto r = ctl({"simulate", file.string(), "--from", "2026-12-01", "--to", "2026-12-02", "--json"});
    REQUIRE(r.exit_code == 0);
    auto lines = json_lines(r.out);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0]["start"] != lines[0]["end"]);
}

TEST_CASE("the example schedule validates once its audio is made", "[e2e][example]") {
    TempDir dir;
    auto src = std::filesystem::path(WARDCAST_SOURCE_DIR) / "schedules/examples/phuong-bo-de";
    std::filesystem::copy(src, dir.path(), std::filesystem::copy_options::recursive);
    std::filesystem::remove_all(dir.path() / "audio");
    auto tool = (std::filesystem::path(WARDCASTCTL).parent_path() / "tools/wardcast-make-audio").string();
    auto made = run_process({"/bin/bash", WARDCAST_SOURCE_DIR "/scripts/make-example-audio.sh", tool,
                             (dir.path() / "audio").string()});
    REQUIRE(made.exit_code == 0);
    auto r = ctl({"validate", (dir.path() / "schedule.yaml").string()});
    CHECK(r.err.empty());
    CHECK(r.exit_code == 0);
    auto week = ctl({"simulate", (dir.path() / "schedule.yaml").string(), "--from", "2026-12-07",
                     "--to", "2026-12-14", "--json"});
    CHECK(week.exit_code == 0);
    CHECK(json_lines(week.out).size() > 40);
}

TEST_CASE("validate takes relays and warns where one holds up a recorded message",
          "[e2e][validate][relay]") {
    Fixture fx("relays");
    auto r = ctl({"validate", fx.file()});
    CHECK(r.exit_code == 0);
    CHECK(r.err_lines() ==
          std::vector<std::string>{fx.file() +
                                   ":19:9: warning: announcement 'dvc' collides with "
                                   "'tiep-song-vov1' on zone all: on 2026-12-01 06:15 it waits "
                                   "until 06:30:02; once between 2026-12-01 and 2027-12-01"});
    CHECK(r.out == fx.file() +
                       ": valid: 3 announcements in 1 file, 1 zone, time zone Asia/Ho_Chi_Minh; "
                       "1 warning\n");
}

TEST_CASE("simulate gives a relay chime + duration and plans it with the others",
          "[e2e][simulate][relay]") {
    Fixture fx("relays");
    auto r = ctl({"simulate", fx.file(), "--from", "2026-12-01", "--to", "2026-12-02", "--json"});
    REQUIRE(r.exit_code == 0);
    auto row = [](const char* id, const char* scheduled, const char* start, const char* end) {
        return json{{"announcement", id}, {"scheduled", scheduled}, {"start", start},
                    {"end", end},         {"status", "scheduled"},  {"zones", {"all"}},
                    {"reason", nullptr}};
    };
    const std::vector<json> expected = {
        // The relay: 2 s of chime, then 30 minutes of the stream (the defaults' repeat is not
        // for relays).
        row("tiep-song-vov1", "2026-12-01T06:00:00+07:00", "2026-12-01T06:00:00+07:00",
            "2026-12-01T06:30:02+07:00"),
        // The recorded message waits for the relay to end, then plays chime + 2 x 10 s.
        row("dvc", "2026-12-01T06:15:00+07:00", "2026-12-01T06:30:02+07:00",
            "2026-12-01T06:30:24+07:00"),
        row("tiep-song-vov1", "2026-12-01T18:00:00+07:00", "2026-12-01T18:00:00+07:00",
            "2026-12-01T18:30:02+07:00"),
        row("dai-huyen", "2026-12-01T19:00:00+07:00", "2026-12-01T19:00:00+07:00",
            "2026-12-01T19:15:00+07:00"),
    };
    CHECK(json_lines(r.out) == expected);

    auto table = ctl({"simulate", fx.file(), "--from", "2026-12-01", "--to", "2026-12-02"});
    REQUIRE(table.exit_code == 0);
    auto lines = table.out_lines();
    REQUIRE(lines.size() == 7);
    CHECK(contains(lines[2], "06:00     06:00     06:30:02  Tiếp sóng thời sự VOV1"));
    CHECK(contains(lines[3], "waits 15m2s for tiep-song-vov1"));
}

TEST_CASE("validate lists every relay error with its place", "[e2e][validate][relay]") {
    TempDir dir;
    auto file = dir.write("s.yaml", R"(station: { live_source: "pulse:" }
zones: [{id: all}]
announcements:
  - id: vov1
    relay: { source: "htp://radio.example.vn/vov1", duration: 30m }
    repeat: 2
    at: "06:00"
  - id: fm
    relay:
      source: "rtp://192.168.1.9:5004"
      start_timeout: 1h
    at: "07:00"
)");
    auto r = ctl({"validate", file.string()});
    CHECK(r.exit_code == 1);
    CHECK(r.out.empty());
    const std::string f = file.string();
    CHECK(r.err_lines() ==
          std::vector<std::string>{
              f + ":1:25: error: live source 'pulse:' names no source (like pulse:default or "
                  "pulse:line_in.monitor)",
              f + ":5:22: error: relay source 'htp://radio.example.vn/vov1' is not one wardcast "
                  "can air: use http://, https://, rtsp://, rtp://@:PORT, alsa:DEVICE or "
                  "pulse:SOURCE (did you mean 'http'?)",
              f + ":6:5: error: 'repeat' cannot be used with 'relay': a relay airs once, for its "
                  "'duration'",
              // A block mapping's place is its first key's.
              f + ":10:7: error: 'relay' needs 'duration', how long to relay, like 30m: it is how "
                  "long the relay holds its zones",
              f + ":10:15: error: relay source 'rtp://192.168.1.9:5004' must be rtp://@:PORT: a "
                  "relay listens on a port of this machine, and the sender sends its stream to "
                  "that port",
              f + ": invalid: 5 errors",
          });
}
