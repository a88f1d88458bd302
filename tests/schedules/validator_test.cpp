#include <catch2/catch.hpp>

#include <map>

#include "schedules/loader.hpp"
#include "schedules/validator.hpp"
#include "tests/schedules/schedule_files.hpp"

using namespace wardcast::schedules;
using wardcast::test::TempDir;
using namespace std::chrono_literals;

namespace {

/// Audio lengths by file name; a name not listed is "no such file".
class FakeAudio : public AudioLengths {
public:
    std::map<std::string, Result> files;
    Result tts{Duration{4000}, ""};
    int calls = 0;

    Result file_length(const std::filesystem::path& path) override {
        ++calls;
        auto it = files.find(path.filename().string());
        return it == files.end() ? Result{std::nullopt, "no such file"} : it->second;
    }
    Result tts_length(const Tts&) override { return tts; }
};

struct Checked {
    TempDir dir;
    LoadResult load;
    Validation validation;
    std::vector<std::string> messages;
};

std::unique_ptr<Checked> check(const std::string& yaml, FakeAudio& audio,
                               LocalDate today = LocalDate{date::year{2026} / 11 / 28}) {
    auto c = std::make_unique<Checked>();
    c->load = load_schedule(c->dir.write("s.yaml", yaml), "UTC");
    c->validation = validate(c->load.schedule, audio, today);
    auto all = c->load.diagnostics;
    all.insert(all.end(), c->validation.diagnostics.begin(), c->validation.diagnostics.end());
    tidy(all, c->load.schedule);
    for (const auto& d : all) {
        auto m = d.to_string();
        c->messages.push_back(m.substr(m.find("s.yaml")));
    }
    return c;
}

}  // namespace

TEST_CASE("durations are chime + repeat x items + gaps", "[validator]") {
    FakeAudio audio;
    audio.files = {{"chime.wav", {2500ms, ""}}, {"a.mp3", {10s, ""}}, {"b.mp3", {5s, ""}}};
    auto c = check(R"(zones: [{id: all}]
defaults: { chime: chime.wav }
announcements:
  - { id: a, audio: [a.mp3, b.mp3], repeat: 3, gap: 2s, at: "06:00" }
  - { id: t, tts: "Xin chào", chime: none, at: "07:00" }
)",
                   audio);
    CHECK(c->messages.empty());
    CHECK(c->validation.durations == std::vector<Duration>{2500ms + 3 * 15s + 2 * 2s, 4s});
    CHECK(audio.calls == 3);  // each file measured once
}

TEST_CASE("missing and undecodable audio are errors at the place they are named", "[validator]") {
    FakeAudio audio;
    audio.files = {{"bad.mp3", {std::nullopt, "not an audio file GStreamer can decode"}}};
    auto c = check(R"(zones: [{id: all}]
defaults: { chime: chime.wav }
announcements:
  - id: a
    audio: [missing.mp3, bad.mp3]
    at: "06:00"
  - { id: b, audio: bad.mp3, at: "07:00" }
)",
                   audio);
    auto missing = "s.yaml:5:13: error: audio file 'missing.mp3' not found (looked at " +
                   (c->dir.path() / "missing.mp3").string() + ")";
    CHECK(c->messages == std::vector<std::string>{
                             "s.yaml:2:20: error: chime file 'chime.wav' not found (looked at " +
                                 (c->dir.path() / "chime.wav").string() + ")",
                             missing,
                             "s.yaml:5:26: error: audio file 'bad.mp3' cannot be played: not an "
                             "audio file GStreamer can decode",
                             "s.yaml:7:21: error: audio file 'bad.mp3' cannot be played: not an "
                             "audio file GStreamer can decode"});
}

TEST_CASE("a firing in quiet hours is an error unless it is an emergency", "[validator]") {
    FakeAudio audio;
    audio.files = {{"a.wav", {10s, ""}}};
    auto c = check(R"(zones: [{id: all}]
quiet_hours: [{ from: "21:30", to: "05:30" }]
announcements:
  - { id: late, audio: a.wav, at: ["21:00", "22:15"] }
  - { id: early, audio: a.wav, at: "05:29:59" }
  - { id: edge, audio: a.wav, at: "05:30" }
  - { id: storm, audio: a.wav, priority: emergency, at: "23:00" }
  - { id: often, audio: a.wav, every: 15m, between: ["21:00", "22:00"] }
)",
                   audio);
    CHECK(c->messages ==
          std::vector<std::string>{
              "s.yaml:4:45: error: announcement 'late' fires at 22:15, inside quiet hours "
              "21:30-05:30 (only priority emergency may air then)",
              "s.yaml:5:36: error: announcement 'early' fires at 05:29:59, inside quiet hours "
              "21:30-05:30 (only priority emergency may air then)",
              "s.yaml:8:39: error: announcement 'often' fires at 21:30, inside quiet hours "
              "21:30-05:30 (only priority emergency may air then)"});
}

TEST_CASE("collisions are warnings, not errors", "[validator]") {
    FakeAudio audio;
    audio.files = {{"long.wav", {5min, ""}}, {"short.wav", {30s, ""}}};
    auto c = check(R"(zones: [{id: all}, {id: cho}]
announcements:
  - { id: quy-tac-ung-xu, audio: long.wav, zones: [all], window: {from: 2026-12-01, until: 2026-12-03}, at: "07:00" }
  - { id: dvc, audio: short.wav, zones: [all, cho], window: {from: 2026-12-01, until: 2026-12-03}, at: "07:02" }
  - { id: other-zone, audio: short.wav, zones: [cho], window: {from: 2026-12-01, until: 2026-12-03}, at: "07:01" }
)",
                   audio);
    REQUIRE(c->messages.size() == 1);
    CHECK(c->messages[0] ==
          "s.yaml:4:11: warning: announcement 'dvc' collides with 'quy-tac-ung-xu' on zone all: "
          "on 2026-12-01 07:02 it waits until 07:05; 3 times between 2026-12-01 and 2027-12-01");
    CHECK_FALSE(has_errors(c->validation.diagnostics));
}

TEST_CASE("a relay occupies its zones for chime + duration, and only the chime is measured",
          "[validator][relay]") {
    FakeAudio audio;
    audio.files = {{"chime.wav", {2500ms, ""}}, {"a.mp3", {10s, ""}}};
    auto c = check(R"(zones: [{id: all}]
defaults: { chime: chime.wav, repeat: 2 }
announcements:
  - { id: vov1, relay: { source: "http://radio.example.vn:8000/vov1.ogg", duration: 30m }, at: "06:00" }
  - { id: tuner, relay: { source: "alsa:hw:1,0", duration: 90s }, chime: none, at: "12:00" }
  - { id: a, audio: a.mp3, at: "07:00" }
)",
                   audio);
    CHECK(c->messages.empty());
    CHECK(c->validation.durations == std::vector<Duration>{2500ms + 30min, 90s, 2500ms + 2 * 10s});
    CHECK(audio.calls == 2);  // chime.wav and a.mp3: a relay's source is never opened
}

TEST_CASE("a relay that runs into a file announcement is warned about like any collision",
          "[validator][relay]") {
    FakeAudio audio;
    audio.files = {{"short.wav", {30s, ""}}};
    auto c = check(R"(zones: [{id: all}]
announcements:
  - { id: vov1, relay: { source: "http://radio.example.vn/vov1", duration: 30m }, window: {from: 2026-12-01, until: 2026-12-01}, at: "06:00" }
  - { id: dvc, audio: short.wav, window: {from: 2026-12-01, until: 2026-12-01}, at: "06:10", max_delay: 30m }
)",
                   audio);
    REQUIRE(c->messages.size() == 1);
    CHECK(c->messages[0] ==
          "s.yaml:4:11: warning: announcement 'dvc' collides with 'vov1' on zone all: on "
          "2026-12-01 06:10 it waits until 06:30; once between 2026-12-01 and 2027-12-01");
}
