#include "schedules/loader.hpp"

#include <algorithm>
#include <catch2/catch.hpp>

#include "schedules/timefmt.hpp"
#include "tests/schedules/schedule_files.hpp"

using namespace wardcast::schedules;
using wardcast::test::TempDir;

namespace {

/// Loads `yaml` written as s.yaml in a temporary folder; messages without the folder.
struct Loaded {
    TempDir dir;
    LoadResult result;
    std::vector<std::string> messages;
};

std::unique_ptr<Loaded> load_text(const std::string& yaml,
                                  std::vector<std::pair<std::string, std::string>> extra = {}) {
    auto l = std::make_unique<Loaded>();
    auto main = l->dir.write("s.yaml", yaml);
    for (const auto& [name, text] : extra) l->dir.write(name, text);
    l->result = load_schedule(main, "UTC");
    tidy(l->result.diagnostics, l->result.schedule);
    std::string prefix = l->dir.path().string() + "/";
    for (const auto& d : l->result.diagnostics) {
        std::string m = d.to_string();
        if (m.rfind(prefix, 0) == 0) m = m.substr(prefix.size());
        l->messages.push_back(m);
    }
    return l;
}

const char* kHead = R"(version: 1
station: { name: "Phường Bồ Đề", timezone: Asia/Ho_Chi_Minh }
zones:
  - id: all
    output: auto
  - id: cho
    output: "null"
)";

}  // namespace

TEST_CASE("a complete schedule loads with every field and default applied", "[loader]") {
    auto l = load_text(std::string(kHead) + R"(defaults:
  zones: [all]
  volume: 0.8
  chime: audio/chime.wav
  max_delay: 4m
quiet_hours:
  - { from: "21:30", to: "05:30" }
holidays: [2026-01-01, 2026-02-16]
announcements:
  - id: cchc-dvc-truc-tuyen
    title: "Dịch vụ công trực tuyến mức độ 3, 4"
    audio: [audio/dvc-1.mp3, audio/dvc-2.mp3]
    repeat: 2
    gap: 3s
    priority: high
    window: { from: 2026-12-01, until: 2026-12-31 }
    days: [mon, tue, wed, thu, fri]
    monthdays: [1, 15]
    dates: [2026-12-24]
    except: [2026-12-22]
    at: ["17:30", "06:00"]
  - id: tts-one
    tts: { text: "Kính thưa bà con" }
    zones: [cho]
    chime: none
    every: 30m
    between: ["06:00", "08:00"]
)");
    REQUIRE(l->messages.empty());
    const auto& s = l->result.schedule;
    CHECK(s.station_name == "Phường Bồ Đề");
    CHECK(s.timezone->name() == "Asia/Ho_Chi_Minh");
    REQUIRE(s.announcements.size() == 2);
    const auto& a = s.announcements[0];
    CHECK(a.title == "Dịch vụ công trực tuyến mức độ 3, 4");
    REQUIRE(a.audio.size() == 2);
    CHECK(a.audio[0].path == l->dir.path() / "audio/dvc-1.mp3");
    CHECK(a.audio[0].mark.line == 19);
    REQUIRE(a.chime);
    CHECK(a.chime->path == l->dir.path() / "audio/chime.wav");
    CHECK(a.volume == 0.8);
    CHECK(a.repeat == 2);
    CHECK(a.gap == std::chrono::seconds(3));
    CHECK(a.priority == Priority::high);
    CHECK(a.max_delay == std::chrono::minutes(4));
    CHECK(a.catch_up == std::chrono::minutes(5));
    CHECK(a.zones == std::vector<std::string>{"all"});
    CHECK(format_date(*a.window_from) == "2026-12-01");
    CHECK(format_date(*a.window_until) == "2026-12-31");
    CHECK(a.days == 0b0111110);
    CHECK(a.monthdays == ((1u << 1) | (1u << 15)));
    REQUIRE(a.times.size() == 2);
    CHECK(format_time_of_day(a.times[0].time) == "06:00");  // sorted
    CHECK(a.times[0].mark.line == 28);
    const auto& b = s.announcements[1];
    CHECK(b.title == "tts-one");
    REQUIRE(b.tts);
    CHECK(b.tts->voice == "vi");
    CHECK_FALSE(b.chime);
    CHECK(b.volume == 0.8);
    CHECK(b.times.size() == 5);  // 06:00 through 08:00 inclusive
    CHECK(format_time_of_day(b.times.back().time) == "08:00");
    CHECK(s.holidays.size() == 2);
}

TEST_CASE("built-in defaults apply where neither the announcement nor defaults says", "[loader]") {
    auto l = load_text(std::string(kHead) + R"(announcements:
  - id: a
    audio: x.wav
    at: "06:00"
)");
    REQUIRE(l->messages.empty());
    const auto& a = l->result.schedule.announcements.at(0);
    CHECK(a.zones == std::vector<std::string>{"all", "cho"});
    CHECK(a.volume == 1.0);
    CHECK_FALSE(a.chime);
    CHECK(a.repeat == 1);
    CHECK(a.gap == Duration{0});
    CHECK(a.priority == Priority::normal);
    CHECK(a.max_delay == std::chrono::minutes(10));
    CHECK(a.catch_up == std::chrono::minutes(5));
    CHECK(a.days == 0x7f);
}

TEST_CASE("the system time zone is used when the station names none", "[loader]") {
    TempDir dir;
    auto p = dir.write("s.yaml", "zones: [{id: all}]\nannouncements: []\n");
    auto r = load_schedule(p, "Europe/Berlin");
    CHECK(r.ok());
    CHECK(r.schedule.timezone->name() == "Europe/Berlin");
}

TEST_CASE("each validation error names its place and what would be right", "[loader]") {
    struct Case {
        const char* name;
        std::string body;
        std::string expected;
    };
    // kHead has 7 lines; "announcements:" is line 8, the first entry's id line 9.
    std::string a = "announcements:\n  - id: a\n    audio: x.wav\n";
    auto c = GENERATE_REF(values<Case>({
        {"misspelt key", a + "    prioirty: high\n    at: [\"06:00\"]\n",
         "s.yaml:11:5: error: unknown key 'prioirty' (did you mean 'priority'?)"},
        {"unknown key", a + "    colour: red\n    at: [\"06:00\"]\n",
         "s.yaml:11:5: error: unknown key 'colour' in announcement"},
        {"bad time", a + "    at: [\"24:61\"]\n",
         "s.yaml:11:10: error: time '24:61' is not HH:MM[:SS] (00:00 to 23:59:59)"},
        {"bad date", a + "    dates: [2026-02-30]\n    at: [\"06:00\"]\n",
         "s.yaml:11:13: error: date '2026-02-30' is not a date YYYY-MM-DD"},
        {"empty time list", a + "    at: []\n",
         "s.yaml:11:9: error: empty time list: 'at' must name at least one time HH:MM"},
        {"unknown zone", a + "    zones: [cha]\n    at: [\"06:00\"]\n",
         "s.yaml:11:13: error: unknown zone 'cha' (did you mean 'cho'?)"},
        {"wrong type", a + "    repeat: [2]\n    at: [\"06:00\"]\n",
         "s.yaml:11:13: error: 'repeat' must be text, not a list"},
        {"volume out of range", a + "    volume: 1.5\n    at: [\"06:00\"]\n",
         "s.yaml:11:13: error: 'volume' must be from 0.0 to 1.0, not 1.5"},
        {"bad priority", a + "    priority: urgent\n    at: [\"06:00\"]\n",
         "s.yaml:11:15: error: priority 'urgent' is not one of low, normal, high, emergency"},
        {"bad duration", a + "    gap: 3 seconds\n    at: [\"06:00\"]\n",
         "s.yaml:11:10: error: 'gap' value '3 seconds' is not a duration like 90s, 10m, 1h or "
         "1h30m"},
        {"bad day", a + "    days: [mon, thurs]\n    at: [\"06:00\"]\n",
         "s.yaml:11:17: error: day 'thurs' is not one of mon, tue, wed, thu, fri, sat, sun (did "
         "you mean 'thu'?)"},
        {"monthday out of range", a + "    monthdays: [32]\n    at: [\"06:00\"]\n",
         "s.yaml:11:17: error: 'monthdays' must be from 1 to 31, not 32"},
        {"no time", a,
         "s.yaml:9:5: error: announcement 'a' has no time: write 'at: [\"06:00\"]' or 'every' with "
         "'between'"},
        {"at and every",
         a + "    at: [\"06:00\"]\n    every: 30m\n    between: [\"06:00\", \"07:00\"]\n",
         "s.yaml:9:5: error: announcement 'a' has both 'at' and 'every'/'between': use one"},
        {"every without between", a + "    every: 30m\n",
         "s.yaml:9:5: error: announcement 'a' has 'every' without 'between': write both, like "
         "every: 30m and between: [\"06:00\", \"08:00\"]"},
        {"audio and tts", a + "    tts: hello\n    at: [\"06:00\"]\n",
         "s.yaml:9:5: error: announcement 'a' has both 'audio' and 'tts': use one"},
        {"bad id", "announcements:\n  - id: Bad Id\n    audio: x.wav\n    at: [\"06:00\"]\n",
         "s.yaml:9:9: error: id 'Bad Id' may use only lower-case letters, digits, '.', '_' and "
         "'-'"},
        {"window backwards",
         a + "    window: { from: 2026-12-31, until: 2026-12-01 }\n    at: [\"06:00\"]\n",
         "s.yaml:11:40: error: window ends on 2026-12-01, before it starts on 2026-12-31"},
        {"between backwards", a + "    every: 1h\n    between: [\"08:00\", \"06:00\"]\n",
         "s.yaml:12:24: error: 'between' ends at 06:00, before it starts at 08:00 (it may not "
         "cross midnight)"},
        {"key twice", a + "    at: [\"06:00\"]\n    at: [\"07:00\"]\n",
         "s.yaml:12:5: error: key 'at' is written twice in this announcement"},
    }));
    SECTION(c.name) {
        auto l = load_text(std::string(kHead) + c.body);
        CHECK_FALSE(l->result.ok());
        CHECK_THAT(l->messages, Catch::Matchers::VectorContains(c.expected));
    }
}

TEST_CASE("top-level errors point at their place", "[loader]") {
    SECTION("bad YAML") {
        auto l = load_text("version: 1\nzones: [ {id: all}\n");
        REQUIRE(l->messages.size() == 1);
        CHECK(l->messages[0].rfind("s.yaml:3:1: error: bad YAML: ", 0) == 0);
    }
    SECTION("unknown time zone with a suggestion") {
        auto l = load_text("station: { timezone: Asia/Ho_Chi_Minn }\nzones: [{id: all}]\n");
        CHECK(l->messages ==
              std::vector<std::string>{
                  "s.yaml:1:22: error: unknown time zone 'Asia/Ho_Chi_Minn' (did you "
                  "mean 'Asia/Ho_Chi_Minh'?)"});
    }
    SECTION("no zones") {
        auto l = load_text("version: 1\nannouncements: []\n");
        CHECK(l->messages ==
              std::vector<std::string>{
                  "s.yaml:1:1: error: the schedule needs at least one zone under 'zones'"});
    }
    SECTION("unknown output") {
        auto l = load_text("zones: [{id: all, output: speaker}]\n");
        CHECK(l->messages == std::vector<std::string>{
                                 "s.yaml:1:27: error: unknown output 'speaker' (auto, null, "
                                 "alsa:DEVICE, pulse:SINK, file:PATH.wav or rtp://HOST:PORT)"});
    }
    SECTION("duplicate ids across files") {
        auto l = load_text(
            "zones: [{id: all}]\ninclude: [c/*.yaml]\nannouncements:\n  - {id: a, audio: x.wav, "
            "at: \"06:00\"}\n",
            {{"c/one.yaml", "announcements:\n  - {id: a, audio: y.wav, at: \"07:00\"}\n"}});
        REQUIRE(l->messages.size() == 1);
        CHECK(l->messages[0] == "c/one.yaml:2:10: error: duplicate announcement id 'a' (first at " +
                                    (l->dir.path() / "s.yaml").string() + ":4)");
    }
    SECTION("several errors are all reported in one run") {
        auto l =
            load_text(std::string(kHead) +
                      "announcements:\n  - id: a\n    audio: x.wav\n    at: [\"25:00\"]\n"
                      "  - id: b\n    audio: x.wav\n    at: [\"06:00\"]\n    zones: [nowhere]\n"
                      "    priorty: low\n");
        CHECK(l->messages.size() == 3);
    }
}

TEST_CASE("includes are read in order, with paths relative to each file", "[loader]") {
    auto l = load_text(
        "zones: [{id: all}]\ninclude: [campaigns/*.yaml]\nannouncements:\n"
        "  - {id: main, audio: a.wav, at: \"06:00\"}\n",
        {{"campaigns/b.yaml",
          "announcements:\n  - {id: from-b, audio: audio/b.wav, at: \"07:00\"}\n"},
         {"campaigns/a.yaml",
          "announcements:\n  - {id: from-a, audio: audio/a.wav, at: \"07:00\"}\n"}});
    REQUIRE(l->messages.empty());
    const auto& s = l->result.schedule;
    REQUIRE(s.announcements.size() == 3);
    CHECK(s.announcements[0].id == "main");
    CHECK(s.announcements[1].id == "from-a");
    CHECK(s.announcements[2].id == "from-b");
    CHECK(s.announcements[2].order == 2);
    CHECK(s.announcements[1].audio[0].path == l->dir.path() / "campaigns/audio/a.wav");
}

TEST_CASE("included files hold only announcements", "[loader]") {
    auto l = load_text("zones: [{id: all}]\ninclude: [c.yaml, missing.yaml, none/*.yaml]\n",
                       {{"c.yaml", "zones: [{id: x}]\nannouncements: []\n"}});
    CHECK_THAT(l->messages,
               Catch::Matchers::VectorContains(
                   std::string("c.yaml:1:1: error: key 'zones' is not allowed in an included file: "
                               "it may hold only 'announcements'")));
    CHECK_THAT(l->messages,
               Catch::Matchers::VectorContains(
                   "s.yaml:2:19: error: included file 'missing.yaml' not found (looked at " +
                   (l->dir.path() / "missing.yaml").string() + ")"));
    CHECK_THAT(l->messages, Catch::Matchers::VectorContains(std::string(
                                "s.yaml:2:33: warning: include 'none/*.yaml' matches no file")));
}

TEST_CASE("a pattern matching nothing in a folder that exists is no warning (campaigns to come)",
          "[loader]") {
    // campaigns/ holds a folder of another kind only: no campaign file in it yet.
    auto l = load_text("zones: [{id: all}]\ninclude: [campaigns/*/*.yaml]\nannouncements: []\n",
                       {{"campaigns/.staging/readme.txt", "not a campaign\n"}});
    CHECK(l->messages.empty());
    CHECK(l->result.ok());
}

TEST_CASE("a relay loads with its source, duration and start_timeout", "[loader][relay]") {
    auto l = load_text(R"(station: { name: "Bo De", live_source: "alsa:hw:1,0" }
zones: [{id: all}]
defaults: { repeat: 2, gap: 3s, chime: chime.wav }
announcements:
  - id: tiep-song-vov1
    title: "Tiếp sóng chương trình thời sự VOV1"
    relay: { source: "http://radio.example.vn:8000/vov1.ogg", duration: 30m }
    at: ["06:00", "18:00"]
  - id: dai-huyen
    relay:
      source: "rtp://@:5004"
      duration: 1h
      start_timeout: 45s
    at: "19:00"
  - id: thong-bao
    audio: x.wav
    at: "07:00"
)");
    REQUIRE(l->messages.empty());
    const auto& s = l->result.schedule;
    REQUIRE(s.live_source);
    CHECK(s.live_source->source == "alsa:hw:1,0");
    CHECK(s.live_source->mark.line == 1);
    CHECK(s.live_source->mark.column == 40);
    REQUIRE(s.announcements.size() == 3);
    const auto& vov = s.announcements[0];
    REQUIRE(vov.relay);
    CHECK(vov.relay->source == "http://radio.example.vn:8000/vov1.ogg");
    CHECK(vov.relay->duration == std::chrono::minutes(30));
    CHECK(vov.relay->start_timeout == std::chrono::seconds(15));
    CHECK(vov.relay->mark.line == 7);
    CHECK(vov.audio.empty());
    CHECK_FALSE(vov.tts);
    CHECK(vov.chime);  // a relay has the chime of the defaults like any announcement
    // A repeat or gap in `defaults` is for recorded messages: a relay airs once.
    CHECK(vov.repeat == 1);
    CHECK(vov.gap == Duration{0});
    const auto& district = s.announcements[1];
    REQUIRE(district.relay);
    CHECK(district.relay->duration == std::chrono::hours(1));
    CHECK(district.relay->start_timeout == std::chrono::seconds(45));
    const auto& file = s.announcements[2];
    CHECK_FALSE(file.relay);
    CHECK(file.repeat == 2);
    CHECK(file.gap == std::chrono::seconds(3));
}

TEST_CASE("a relay announcement's own choice of sound overrides a relay in defaults",
          "[loader][relay]") {
    auto l = load_text(R"(zones: [{id: all}]
defaults: { relay: { source: "pulse:tuner", duration: 10m } }
announcements:
  - { id: relayed, at: "06:00" }
  - { id: spoken, tts: "Kính thưa bà con", at: "07:00" }
)");
    REQUIRE(l->messages.empty());
    const auto& s = l->result.schedule;
    REQUIRE(s.announcements.at(0).relay);
    CHECK(s.announcements.at(0).relay->source == "pulse:tuner");
    CHECK_FALSE(s.announcements.at(1).relay);
    CHECK(s.announcements.at(1).tts);
}

TEST_CASE("each relay error names its place", "[loader][relay]") {
    struct Case {
        const char* name;
        std::string body;
        std::string expected;
    };
    // kHead has 7 lines; "announcements:" is line 8, the entry's id line 9, `relay` line 10.
    const std::string head = "announcements:\n  - id: r\n";
    const std::string at = "    at: [\"06:00\"]\n";
    const std::string good = "    relay: { source: \"alsa:hw:1,0\", duration: 30m }\n";
    const std::string block = "    relay:\n      source: \"alsa:hw:1,0\"\n";  // lines 10, 11
    const std::string forms =
        "http://, https://, rtsp://, rtp://@:PORT, alsa:DEVICE or pulse:SOURCE";
    auto c = GENERATE_REF(values<Case>({
        {"misspelt scheme",
         head + "    relay: { source: \"htp://radio.example.vn/vov1\", duration: 30m }\n" + at,
         "s.yaml:10:22: error: relay source 'htp://radio.example.vn/vov1' is not one wardcast can "
         "air: use " +
             forms + " (did you mean 'http'?)"},
        {"rtp with an address",
         head + "    relay: { source: \"rtp://10.0.0.5:5004\", duration: 30m }\n" + at,
         "s.yaml:10:22: error: relay source 'rtp://10.0.0.5:5004' must be rtp://@:PORT: a relay "
         "listens on a port of this machine, and the sender sends its stream to that port"},
        {"rtp port out of range",
         head + "    relay: { source: \"rtp://@:70000\", duration: 30m }\n" + at,
         "s.yaml:10:22: error: relay source 'rtp://@:70000' has port '70000': a port is a number "
         "from 1 to 65535"},
        {"no host", head + "    relay: { source: \"http:///vov1.ogg\", duration: 30m }\n" + at,
         "s.yaml:10:22: error: relay source 'http:///vov1.ogg' names no host (like "
         "http://radio.example.vn:8000/vov1.ogg)"},
        {"source not text", head + "    relay: { source: [a, b], duration: 30m }\n" + at,
         "s.yaml:10:22: error: 'source' must be text, not a list"},
        {"no source", head + "    relay: { duration: 30m }\n" + at,
         "s.yaml:10:12: error: 'relay' needs 'source', the stream or input to relay (" + forms +
             ")"},
        {"no duration", head + "    relay: { source: \"alsa:hw:1,0\" }\n" + at,
         "s.yaml:10:12: error: 'relay' needs 'duration', how long to relay, like 30m: it is how "
         "long the relay holds its zones"},
        {"zero duration", head + "    relay: { source: \"alsa:hw:1,0\", duration: 0s }\n" + at,
         "s.yaml:10:47: error: a relay's 'duration' must be more than 0s, like 30m"},
        {"bad duration",
         head + "    relay: { source: \"alsa:hw:1,0\", duration: half an hour }\n" + at,
         "s.yaml:10:47: error: 'duration' value 'half an hour' is not a duration like 90s, 10m, 1h "
         "or 1h30m"},
        {"bad start_timeout",
         head + block + "      duration: 30m\n      start_timeout: soon\n" + at,
         "s.yaml:13:22: error: 'start_timeout' value 'soon' is not a duration like 90s, 10m, 1h or "
         "1h30m"},
        {"zero start_timeout", head + block + "      duration: 30m\n      start_timeout: 0s\n" + at,
         "s.yaml:13:22: error: 'start_timeout' must be at least 1s"},
        {"start_timeout past the slot",
         head + block + "      duration: 10m\n      start_timeout: 20m\n" + at,
         "s.yaml:13:22: error: 'start_timeout' 20m is longer than the relay's duration 10m: the "
         "slot would end before the relay gave up waiting"},
        {"unknown key in relay", head + block + "      duration: 30m\n      timeout: 20s\n" + at,
         "s.yaml:13:7: error: unknown key 'timeout' in relay"},
        {"misspelt key in relay", head + block + "      duraton: 30m\n" + at,
         "s.yaml:12:7: error: unknown key 'duraton' (did you mean 'duration'?)"},
        {"relay not a mapping", head + "    relay: \"http://radio.example.vn/vov1\"\n" + at,
         "s.yaml:10:12: error: 'relay' must be a mapping like { source: "
         "\"http://radio.example.vn/vov1\", duration: 30m }, not 'http://radio.example.vn/vov1'"},
        {"relay and audio", head + "    audio: x.wav\n" + good + at,
         "s.yaml:9:5: error: announcement 'r' has both 'audio' and 'relay': use one"},
        {"relay and tts", head + good + "    tts: hello\n" + at,
         "s.yaml:9:5: error: announcement 'r' has both 'tts' and 'relay': use one"},
        {"audio, tts and relay", head + "    audio: x.wav\n    tts: hello\n" + good + at,
         "s.yaml:9:5: error: announcement 'r' has 'audio', 'tts' and 'relay': use one"},
        {"repeat with relay", head + good + "    repeat: 2\n" + at,
         "s.yaml:11:5: error: 'repeat' cannot be used with 'relay': a relay airs once, for its "
         "'duration'"},
        {"gap with relay", head + good + at + "    gap: 3s\n",
         "s.yaml:12:5: error: 'gap' cannot be used with 'relay': a relay airs once, for its "
         "'duration'"},
        {"nothing to play", head + at,
         "s.yaml:9:5: error: announcement 'r' has nothing to play: add 'audio', 'tts' or 'relay'"},
    }));
    SECTION(c.name) {
        auto l = load_text(std::string(kHead) + c.body);
        CHECK_FALSE(l->result.ok());
        CHECK_THAT(l->messages, Catch::Matchers::VectorContains(c.expected));
    }
}

TEST_CASE("a repeat written on a relay is refused even when the relay comes from defaults",
          "[loader][relay]") {
    auto l = load_text(R"(zones: [{id: all}]
defaults: { relay: { source: "pulse:tuner", duration: 10m } }
announcements:
  - { id: relayed, repeat: 2, at: "06:00" }
)");
    CHECK(l->messages ==
          std::vector<std::string>{"s.yaml:4:20: error: 'repeat' cannot be used with 'relay': a "
                                   "relay airs once, for its 'duration'"});
}

TEST_CASE("station.live_source takes the relay source forms", "[loader][relay]") {
    SECTION("a bad form is an error at its value") {
        auto l = load_text("station: { name: X, live_source: \"alsa:\" }\nzones: [{id: all}]\n");
        CHECK(l->messages == std::vector<std::string>{
                                 "s.yaml:1:34: error: live source 'alsa:' names no device (like "
                                 "alsa:default or alsa:hw:1,0)"});
        CHECK_FALSE(l->result.schedule.live_source);
    }
    SECTION("a misspelt key is caught") {
        auto l =
            load_text("station: { name: X, live_sorce: \"alsa:default\" }\nzones: [{id: all}]\n");
        CHECK(l->messages ==
              std::vector<std::string>{"s.yaml:1:21: error: unknown key 'live_sorce' (did you mean "
                                       "'live_source'?)"});
    }
    SECTION("none written: none in the model (the daemon falls back on alsa:default)") {
        auto l = load_text("station: { name: X }\nzones: [{id: all}]\n");
        CHECK(l->messages.empty());
        CHECK_FALSE(l->result.schedule.live_source);
    }
}
