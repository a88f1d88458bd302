// The control command table: JSON arguments → Controller call → JSON reply, and every way a
// request can be wrong.

#include "daemon/command_table.hpp"

#include <catch2/catch.hpp>
#include <set>

#include "tests/daemon/fake_controller.hpp"
#include "wardcast/version.hpp"

using namespace wardcast;
using nlohmann::json;

namespace {

const daemon::Who alice{1000, "alice"};

/// Runs one request line through parse and dispatch, as the server does.
json run(test::FakeController& controller, const std::string& line, bool* watch = nullptr) {
    auto parsed = protocol::parse_request(line);
    if (auto* error = std::get_if<json>(&parsed)) return *error;
    bool start_watch = false;
    json reply =
        daemon::dispatch(controller, std::get<protocol::Request>(parsed), alice, start_watch);
    if (watch) *watch = start_watch;
    return reply;
}

json request(const std::string& cmd, const json& args = json::object()) {
    return protocol::make_request(7, cmd, args);
}

json run_json(test::FakeController& controller, const json& message) {
    return run(controller, message.dump());
}

std::string code_of(const json& reply) { return reply["error"]["code"].get<std::string>(); }
std::string message_of(const json& reply) { return reply["error"]["message"].get<std::string>(); }

}  // namespace

TEST_CASE("the command table is sorted and its names unique", "[control]") {
    auto table = daemon::command_table();
    REQUIRE(table.size() >= 12);
    for (std::size_t i = 1; i < table.size(); ++i) {
        INFO(table[i - 1].name << " then " << table[i].name);
        CHECK(table[i - 1].name < table[i].name);
    }
    for (const auto& c : table) {
        CHECK(daemon::find_command(c.name) == &c);
        CHECK(c.handler != nullptr);
    }
    CHECK(daemon::find_command("") == nullptr);
    CHECK(daemon::find_command("statu") == nullptr);
    CHECK(daemon::find_command("zzz") == nullptr);
}

TEST_CASE("commands that change something are marked so", "[control]") {
    std::set<std::string_view> changing;
    for (const auto& c : daemon::command_table())
        if (c.changes_state) changing.insert(c.name);
    CHECK(changing == std::set<std::string_view>{"announce", "live", "pause", "play", "reload",
                                                 "resume", "stop", "volume"});
}

TEST_CASE("status reports what is on air in the station's time", "[control]") {
    test::FakeController fake;
    json reply = run_json(fake, request("status"));
    REQUIRE(reply["ok"] == true);
    CHECK(reply["id"] == 7);
    CHECK(reply["v"] == 1);
    const json& r = reply["result"];
    CHECK(r["station"] == "Phường Bồ Đề");
    CHECK(r["timezone"] == "Asia/Ho_Chi_Minh");
    CHECK(r["now"] == "2026-12-07T06:00:42+07:00");
    REQUIRE(r["on_air"].size() == 1);
    CHECK(r["on_air"][0]["announcement"] == "cchc-dvc");
    CHECK(r["on_air"][0]["zones"] == json{"to-dan-pho-1", "to-dan-pho-2"});
    CHECK(r["on_air"][0]["started"] == "2026-12-07T06:00:00+07:00");
    CHECK(r["on_air"][0]["elapsed_ms"] == 42000);
    CHECK(r["on_air"][0]["length_ms"] == 89000);
    CHECK(r["next"]["scheduled"] == "2026-12-07T17:30:00+07:00");
    CHECK(r["paused"] == false);
    CHECK(r["paused_until"].is_null());
    CHECK(r["schedule_path"] == "/etc/wardcast/schedule.yaml");
    CHECK(r["daemon_since"] == "2026-12-04T06:00:00+07:00");
    // Vietnamese text survives the framing.
    CHECK(protocol::frame(reply).find("Phường Bồ Đề") != std::string::npos);
}

TEST_CASE("each command calls the controller with its arguments and who asked", "[control]") {
    struct Case {
        json request;
        std::string call;
        json result;
    };
    const Case cases[] = {
        {request("play", {{"id", "cchc-dvc"}}),
         "play cchc-dvc",
         {{"announcement", "cchc-dvc"}, {"zone", nullptr}}},
        {request("play", {{"id", "van-hoa"}, {"zone", "cho"}}),
         "play van-hoa zone=cho",
         {{"announcement", "van-hoa"}, {"zone", "cho"}}},
        {request("announce", {{"tts", "Kính thưa bà con"}, {"priority", "emergency"}}),
         "announce emergency",
         {{"priority", "emergency"}, {"zones", json::array()}}},
        {request("live", {{"source", "pulse:mic"}, {"max_seconds", 600}}),
         "live pulse:mic",
         {{"source", "pulse:mic"},
          {"priority", "normal"},
          {"zones", json::array()},
          {"max_seconds", 600}}},
        {request("live"),
         "live alsa:default",
         {{"source", "alsa:default"},
          {"priority", "normal"},
          {"zones", json::array()},
          {"max_seconds", 1800}}},
        {request("stop"), "stop", {{"stopped", {"cchc-dvc"}}}},
        {request("pause"), "pause", {{"paused", true}, {"until", nullptr}}},
        {request("pause", {{"until", "2026-12-07T12:00:00+07:00"}}),
         "pause until=" + std::to_string(test::hanoi(12, 0).time_since_epoch().count()),
         {{"paused", true},
          {"until", "2026-12-07T12:00:00+07:00"},
          {"timezone", "Asia/Ho_Chi_Minh"}}},
        {request("pause", {{"until", "2026-12-07T12:00"}}),  // no offset: the station's time
         "pause until=" + std::to_string(test::hanoi(12, 0).time_since_epoch().count()),
         {{"paused", true},
          {"until", "2026-12-07T12:00:00+07:00"},
          {"timezone", "Asia/Ho_Chi_Minh"}}},
        {request("resume"), "resume", {{"paused", false}}},
        {request("volume", {{"level", 0.5}}),
         "volume * 0.500000",
         {{"zone", nullptr}, {"level", 0.5}}},
        {request("volume", {{"zone", "cho"}, {"level", 1}}),
         "volume cho 1.000000",
         {{"zone", "cho"}, {"level", 1.0}}},
        {request("next", {{"n", 3}}),
         "next 3",
         {{"timezone", "Asia/Ho_Chi_Minh"}, {"firings", json::array()}}},
        {request("next"),
         "next 10",
         {{"timezone", "Asia/Ho_Chi_Minh"}, {"firings", json::array()}}},
        {request("reload"),
         "reload",
         {{"added", {"a", "b"}}, {"removed", {"c"}}, {"changed", {"d"}}, {"sha256", "abcdef0123"}}},
    };
    for (const auto& c : cases) {
        test::FakeController fake;
        INFO(c.request.dump());
        json reply = run_json(fake, c.request);
        REQUIRE(reply["ok"] == true);
        CHECK(reply["result"] == c.result);
        auto calls = fake.calls();
        REQUIRE(calls.size() == 1);
        CHECK(calls[0].what == c.call);
        if (c.call.rfind("next", 0) != 0) {
            CHECK(calls[0].who.uid == 1000);
            CHECK(calls[0].who.user == "alice");
        }
    }
}

TEST_CASE("announce passes file, voice and zones through", "[control]") {
    test::FakeController fake;
    json reply = run_json(fake, request("announce", {{"file", "/srv/audio/mat-nuoc.wav"},
                                                     {"voice", "vi+f2"},
                                                     {"zones", {"cho", "to-dan-pho-1"}}}));
    REQUIRE(reply["ok"] == true);
    auto r = fake.last_announce();
    CHECK(r.file == "/srv/audio/mat-nuoc.wav");
    CHECK(!r.tts);
    CHECK(r.voice == "vi+f2");
    CHECK(r.priority == names::Priority::normal);
    CHECK(r.zones == std::vector<std::string>{"cho", "to-dan-pho-1"});
}

TEST_CASE("next lists firings in the station's time", "[control]") {
    test::FakeController fake;
    fake.firings = {{"a", "A", {"all"}, test::hanoi(17, 30)},
                    {"b", "B", {"cho"}, test::hanoi(18, 0)}};
    json reply = run_json(fake, request("next", {{"n", 1}}));
    REQUIRE(reply["result"]["firings"].size() == 1);
    CHECK(reply["result"]["firings"][0] == json{{"announcement", "a"},
                                                {"title", "A"},
                                                {"zones", {"all"}},
                                                {"scheduled", "2026-12-07T17:30:00+07:00"}});
}

TEST_CASE("arguments of a wrong type, range or name are refused before the controller is asked",
          "[control]") {
    struct Case {
        json request;
        std::string argument;  ///< the message names it
        std::string message_part;
    };
    const Case cases[] = {
        {request("play"), "id", "play: missing \"id\" (a string)"},
        {request("play", {{"id", 5}}), "id", "play: \"id\" must be a string, not number"},
        {request("play", {{"id", "a"}, {"zone", json::array()}}), "zone",
         "\"zone\" must be a string, not array"},
        {request("play", {{"id", "a"}, {"zones", "x"}}), "zones",
         "unknown argument \"zones\" (it takes id, zone)"},
        {request("next", {{"n", "3"}}), "n", "\"n\" must be an integer, not string"},
        {request("next", {{"n", 2.5}}), "n", "\"n\" must be an integer, not number"},
        {request("next", {{"n", 1e3}}), "n", "\"n\" must be an integer, not number"},
        {request("next", {{"n", 0}}), "n", "\"n\" must be from 1 to 1000, not 0"},
        {request("next", {{"n", 1001}}), "n", "\"n\" must be from 1 to 1000, not 1001"},
        {request("next", {{"n", -5}}), "n", "\"n\" must be from 1 to 1000"},
        {request("next", {{"n", 18446744073709551615ull}}), "n", "\"n\" must be from 1 to 1000"},
        {request("announce"), "file", "give exactly one of \"file\" (an audio file) and \"tts\""},
        {request("live", {{"source", ""}}), "source", "live: \"source\" is empty"},
        {request("live", {{"max_seconds", 0}}), "max_seconds",
         "\"max_seconds\" must be from 1 to 86400, not 0"},
        {request("live", {{"priority", "urgent"}}), "priority",
         "\"priority\" must be low, normal, high or emergency"},
        {request("announce", {{"file", "a.wav"}, {"tts", "x"}}), "tts", "give exactly one of"},
        {request("announce", {{"tts", ""}}), "tts", "\"tts\" is empty"},
        {request("announce", {{"file", ""}}), "file", "\"file\" is empty"},
        {request("announce", {{"tts", "x"}, {"voice", ""}}), "voice", "\"voice\" is empty"},
        {request("announce", {{"tts", "x"}, {"priority", "urgent"}}), "priority",
         "\"priority\" must be low, normal, high or emergency, not \"urgent\""},
        {request("announce", {{"tts", "x"}, {"priority", 3}}), "priority",
         "\"priority\" must be a string, not number"},
        {request("announce", {{"tts", "x"}, {"zones", "cho"}}), "zones",
         "\"zones\" must be an array of strings, not string"},
        {request("announce", {{"tts", "x"}, {"zones", {1, 2}}}), "zones",
         "must be an array of strings, not of number"},
        {request("pause", {{"until", 1234}}), "until", "\"until\" must be a string, not number"},
        {request("pause", {{"until", "tomorrow"}}), "until",
         "\"until\" must be an ISO 8601 instant such as 2026-12-07T12:00:00+07:00, or a date, "
         "not \"tomorrow\""},
        {request("pause", {{"until", "2026-12-07T06:00:00+07:00"}}), "until",
         "is not in the future"},
        {request("volume"), "level", "missing \"level\" (a number from 0.0 to 1.0)"},
        {request("volume", {{"level", "loud"}}), "level", "\"level\" must be a number, not string"},
        {request("volume", {{"level", 1.5}}), "level",
         "\"level\" must be from 0.0 to 1.0, not 1.5"},
        {request("volume", {{"level", -0.1}}), "level", "\"level\" must be from 0.0 to 1.0"},
        {request("volume", {{"level", 0.5}, {"zone", 7}}), "zone",
         "\"zone\" must be a string, not number"},
        {request("stop", {{"now", true}}), "now", "unknown argument \"now\" (it takes none)"},
        {request("status", {{"verbose", 1}}), "verbose", "unknown argument \"verbose\""},
        {request("reload", {{"file", "x.yaml"}}), "file", "unknown argument \"file\""},
    };
    for (const auto& c : cases) {
        test::FakeController fake;
        INFO(c.request.dump());
        json reply = run_json(fake, c.request);
        REQUIRE(reply["ok"] == false);
        CHECK(reply["id"] == 7);
        CHECK(code_of(reply) == "bad_argument");
        CHECK_THAT(message_of(reply),
                   Catch::StartsWith(c.request["cmd"].get<std::string>() + ": "));
        CHECK_THAT(message_of(reply), Catch::Contains("\"" + c.argument + "\""));
        CHECK_THAT(message_of(reply), Catch::Contains(c.message_part));
        // Refused at the door: the controller did nothing, and nothing is recorded.
        CHECK(fake.calls().empty());
        CHECK(fake.recorded().empty());
    }
}

TEST_CASE("a pause until an instant that is not in the future is refused, saying when it is",
          "[control]") {
    test::FakeController fake;  // its clock: 2026-12-07 06:00:42 in Hanoi
    struct Case {
        std::string until;
        std::string message;
    };
    const Case cases[] = {
        {"2026-12-07T06:00:00+07:00",
         "pause: \"until\" 2026-12-07T06:00:00+07:00 is not in the future (it is "
         "2026-12-07T06:00:42+07:00 now)"},
        {"2026-12-07T06:00:42+07:00",  // now itself
         "pause: \"until\" 2026-12-07T06:00:42+07:00 is not in the future (it is "
         "2026-12-07T06:00:42+07:00 now)"},
        {"2026-12-06T23:00:00Z",  // the same instant in UTC, before now
         "pause: \"until\" 2026-12-07T06:00:00+07:00 is not in the future"},
        {"2026-12-07",  // a date: its midnight, in the station's time
         "pause: \"until\" 2026-12-07T00:00:00+07:00 is not in the future"},
    };
    for (const auto& c : cases) {
        INFO(c.until);
        json reply = run_json(fake, request("pause", {{"until", c.until}}));
        CHECK(code_of(reply) == "bad_argument");
        CHECK_THAT(message_of(reply), Catch::StartsWith(c.message));
    }
    CHECK(fake.calls().empty());
    // The controller's clock decides: later in the day, 12:00 has passed too.
    CHECK(run_json(fake, request("pause", {{"until", "2026-12-07T12:00"}}))["ok"] == true);
    fake.status_info.now = test::hanoi(13, 0);
    json reply = run_json(fake, request("pause", {{"until", "2026-12-07T12:00"}}));
    CHECK(code_of(reply) == "bad_argument");
    CHECK(fake.calls().size() == 1);
}

TEST_CASE("a command that changes something is recorded once, as typed, with who asked",
          "[control]") {
    struct Case {
        json request;
        std::string command;
        std::string result;
    };
    const std::string long_text(100, 'a');
    const Case cases[] = {
        {request("play", {{"id", "cchc-dvc"}}), "play cchc-dvc", "ok"},
        {request("play", {{"id", "van-hoa"}, {"zone", "cho"}}), "play van-hoa --zone cho", "ok"},
        {request("announce",
                 {{"tts", "Kính thưa bà con"}, {"priority", "emergency"}, {"zones", {"cho", "a"}}}),
         "announce --tts \"Kính thưa bà con\" --priority emergency --zone cho --zone a", "ok"},
        {request("announce", {{"file", "/srv/audio/mat-nuoc.wav"}}),
         "announce /srv/audio/mat-nuoc.wav --priority normal", "ok"},
        {request("announce", {{"tts", long_text}}),
         "announce --tts \"" + std::string(77, 'a') + "...\" --priority normal", "ok"},
        {request("live", {{"source", "alsa:hw:1,0"}, {"zones", {"cho"}}, {"priority", "emergency"}}),
         "live --source alsa:hw:1,0 --priority emergency --zone cho --max 30m", "ok"},
        {request("stop"), "stop", "ok: stopped cchc-dvc"},
        {request("pause"), "pause", "ok"},
        {request("pause", {{"until", "2026-12-07T12:00"}}),
         "pause --until 2026-12-07T12:00:00+07:00", "ok"},
        {request("resume"), "resume", "ok"},
        {request("volume", {{"zone", "cho"}, {"level", 0.5}}), "volume cho 0.50", "ok"},
        {request("volume", {{"level", 1}}), "volume 1.00", "ok"},
        {request("reload"), "reload", "ok: 2 added, 1 removed, 1 changed"},
        // Refused or failed by the controller: recorded with the reason.
        {request("play", {{"id", "khong-co"}}), "play khong-co",
         "refused: no announcement \"khong-co\" in the schedule"},
        {request("volume", {{"zone", "nowhere"}, {"level", 0.25}}), "volume nowhere 0.25",
         "failed: the output is gone"},
    };
    for (const auto& c : cases) {
        test::FakeController fake;
        INFO(c.request.dump());
        run_json(fake, c.request);
        auto recorded = fake.recorded();
        REQUIRE(recorded.size() == 1);
        CHECK(recorded[0].command == c.command);
        CHECK(recorded[0].result == c.result);
        CHECK(recorded[0].who.uid == 1000);
        CHECK(recorded[0].who.user == "alice");
    }
}

TEST_CASE("commands that change nothing are not recorded", "[control]") {
    test::FakeController fake;
    for (const char* name : {"status", "next", "watch", "hello", "version"})
        CHECK(run_json(fake, request(name))["ok"] == true);
    CHECK(fake.recorded().empty());
}

TEST_CASE("a reload is recorded when its answer comes, with the outcome", "[control]") {
    test::FakeController fake;
    fake.reload_later = true;
    std::vector<json> answers;
    bool watch = false;
    auto reply = daemon::dispatch_in_pieces(
        fake, protocol::Request{3, "reload", json::object()}, alice, watch,
        [&](json answer) { answers.push_back(std::move(answer)); });
    CHECK(std::holds_alternative<daemon::AnsweredLater>(reply));
    CHECK(fake.recorded().empty());  // still reading
    fake.reload_result = {false, {"s.yaml:1:1: error: x"}, {}, {}, {}, "", "s.yaml: 1 error"};
    REQUIRE(fake.finish_reload());
    REQUIRE(answers.size() == 1);
    CHECK(answers[0]["id"] == 3);
    CHECK(code_of(answers[0]) == "failed");
    auto recorded = fake.recorded();
    REQUIRE(recorded.size() == 1);
    CHECK(recorded[0].command == "reload");
    CHECK(recorded[0].result == "failed: s.yaml: 1 error; the old schedule stays in force");
    CHECK(recorded[0].who.user == "alice");
}

TEST_CASE("a ControlError keeps its code, other exceptions are 'failed'", "[control]") {
    test::FakeController fake;
    json reply = run_json(fake, request("play", {{"id", "khong-co"}}));
    CHECK(code_of(reply) == "not_found");
    CHECK(message_of(reply) == "no announcement \"khong-co\" in the schedule");
    reply = run_json(fake, request("volume", {{"zone", "nowhere"}, {"level", 0.3}}));
    CHECK(code_of(reply) == "failed");
    CHECK(message_of(reply) == "the output is gone");
}

TEST_CASE("an invalid schedule on reload returns every error line", "[control]") {
    test::FakeController fake;
    fake.reload_result = {false,
                          {"s.yaml:3:5: error: unknown key 'tittle'", "s.yaml:9:1: error: x"},
                          {},
                          {},
                          {},
                          "old",
                          "s.yaml: 2 errors"};
    json reply = run_json(fake, request("reload"));
    CHECK(code_of(reply) == "failed");
    CHECK(message_of(reply) == "the schedule has 2 errors; the old schedule stays in force");
    CHECK(reply["error"]["errors"] ==
          json{"s.yaml:3:5: error: unknown key 'tittle'", "s.yaml:9:1: error: x"});
}

TEST_CASE("watch asks the connection to subscribe", "[control]") {
    test::FakeController fake;
    bool watch = false;
    json reply = run(fake, request("watch").dump(), &watch);
    CHECK(reply["ok"] == true);
    CHECK(watch);
    run(fake, request("status").dump(), &watch);
    CHECK(!watch);
}

TEST_CASE("hello and version give the protocol and daemon versions", "[control]") {
    test::FakeController fake;
    for (const char* name : {"hello", "version"}) {
        json r = run_json(fake, request(name))["result"];
        CHECK(r["protocol"] == 1);
        CHECK(r["daemon"] == "wardcastd");
        CHECK(r["version"] == wardcast::version);
        CHECK(r["commands"].size() == daemon::command_table().size());
    }
}

TEST_CASE("malformed requests get the matching error code", "[control]") {
    struct Case {
        std::string line;
        std::string code;
        json id;
    };
    const Case cases[] = {
        {"", "bad_json", nullptr},
        {"{", "bad_json", nullptr},
        {"status", "bad_json", nullptr},
        {"\"status\"", "bad_request", nullptr},
        {"[1,2]", "bad_request", nullptr},
        {R"({"id":1,"cmd":"status"})", "bad_request", 1},
        {R"({"v":2,"id":1,"cmd":"status"})", "unsupported_version", 1},
        {R"({"v":"1","id":1,"cmd":"status"})", "unsupported_version", 1},
        {R"({"v":1,"id":"x","cmd":"status"})", "bad_request", nullptr},
        {R"({"v":1,"id":1.5,"cmd":"status"})", "bad_request", nullptr},
        {R"({"v":1,"id":2})", "bad_request", 2},
        {R"({"v":1,"id":2,"cmd":7})", "bad_request", 2},
        {R"({"v":1,"id":2,"cmd":"status","args":[1]})", "bad_request", 2},
        {R"({"v":1,"id":3,"cmd":"sing"})", "unknown_command", 3},
        {"{\"v\":1,\"id\":4,\"cmd\":\"st\xff\xfe\"}", "bad_json", nullptr},
        {std::string(20, '[') + std::string(20, ']'), "bad_request", nullptr},
        {R"({"v":1,"cmd":"status","args":{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":{"j":{"k":{"l":{"m":{"n":{"o":{"p":{}}}}}}}}}}}}}}}}}})",
         "bad_request", nullptr},
    };
    for (const auto& c : cases) {
        test::FakeController fake;
        INFO(c.line);
        json reply = run(fake, c.line);
        REQUIRE(reply["ok"] == false);
        CHECK(code_of(reply) == c.code);
        CHECK(reply["id"] == c.id);
        CHECK_NOTHROW(protocol::frame(reply));
    }
    // Without an id the reply carries id null; args may be left out or null.
    test::FakeController fake;
    json reply = run(fake, std::string(R"({"v":1,"cmd":"status","args":null})"));
    CHECK(reply["ok"] == true);
    CHECK(reply["id"].is_null());
}

TEST_CASE("frame never throws on invalid UTF-8 and ends with one newline", "[control]") {
    json j = {{"message", std::string("Ph\xc6\xb0\xe1\xbb", 5)}};  // cut inside "ờ"
    std::string line;
    REQUIRE_NOTHROW(line = protocol::frame(j));
    CHECK(line.back() == '\n');
    CHECK(line.find('\n') == line.size() - 1);
    CHECK(line.find("\xef\xbf\xbd") != std::string::npos);  // U+FFFD
}
