// The control server on a real socket with a fake Controller: framing, limits, hostile input,
// peer identity, file mode, systemd's socket.

#include "daemon/control_server.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <future>
#include <random>
#include <thread>

#include "tests/daemon/control_test_support.hpp"
#include "tests/daemon/fake_controller.hpp"

using namespace wardcast;
using namespace std::chrono_literals;
using nlohmann::json;
using test::LineClient;
using test::options;
using test::RunningServer;
using test::status_line;
using test::still_serves;

namespace {

/// Lines that are not valid requests in every way we could think of, plus random mutations.
std::vector<std::string> hostile_lines(std::size_t random_count) {
    std::vector<std::string> lines = {
        "{",
        "}",
        "[",
        "]",
        "null",
        "true",
        "0",
        "-0",
        "1e400",
        "-1e400",
        "\"\"",
        "{}",
        "[]",
        R"({"v":1})",
        R"({"v":1,"cmd":null})",
        R"({"v":1,"cmd":"status","args":"x"})",
        R"({"v":1e400,"cmd":"status"})",
        R"({"v":99999999999999999999999,"cmd":"status"})",
        R"({"v":1,"id":99999999999999999999999,"cmd":"status"})",
        R"({"v":1,"id":-9223372036854775808,"cmd":"status"})",
        R"({"v":1,"id":1,"cmd":"next","args":{"n":1e308}})",
        R"({"v":1,"id":1,"cmd":"next","args":{"n":18446744073709551615}})",
        R"({"v":1,"id":1,"cmd":"volume","args":{"level":1e-400}})",
        R"({"v":1,"id":1,"cmd":"volume","args":{"level":NaN}})",
        R"({"v":1,"id":1,"cmd":"play","args":{"id":{"id":{"id":["x"]}}}})",
        R"({"v":1,"id":1,"cmd":"announce","args":{"tts":"\ud800"}})",
        R"({"v":1,"id":1,"cmd":"announce","args":{"zones":[[[[[]]]]]}})",
        R"({"v":1,"id":1,"cmd":"pause","args":{"until":"9999-99-99T99:99:99+99:99"}})",
        R"({"v":1,"id":1,"cmd":"pause","args":{"until":"2026-02-30T00:00"}})",
        "{\"v\":1,\"id\":1,\"cmd\":\"play\",\"args\":{\"id\":\"\xc3\x28\"}}",
        "{\"v\":1,\"id\":1,\"cmd\":\"\xed\xa0\x80\"}",
        "\xef\xbb\xbf{\"v\":1,\"id\":1,\"cmd\":\"status\"}",
        std::string(5000, '[') + std::string(5000, ']'),
        std::string(30000, '{'),
        "{\"v\":1,\"id\":1,\"cmd\":\"status\"" + std::string(1000, ' ') +
            ",\"x\":" + std::string(60000, '9') + "}",
        std::string("{\"v\":1,\0\"cmd\":\"status\"}", 24),
    };
    const std::string valid[] = {
        R"({"v":1,"id":1,"cmd":"status","args":{}})",
        R"({"v":1,"id":2,"cmd":"play","args":{"id":"cchc-dvc","zone":"all"}})",
        R"({"v":1,"id":3,"cmd":"announce","args":{"tts":"Kính thưa bà con","priority":"high","zones":["cho"]}})",
        R"({"v":1,"id":4,"cmd":"pause","args":{"until":"2026-12-08T06:00:00+07:00"}})",
        R"({"v":1,"id":5,"cmd":"volume","args":{"zone":"cho","level":0.5}})",
        R"({"v":1,"id":6,"cmd":"next","args":{"n":5}})",
    };
    std::mt19937 random(20261207);
    auto pick = [&](std::size_t n) {
        return std::uniform_int_distribution<std::size_t>(0, n - 1)(random);
    };
    for (std::size_t i = 0; i < random_count; ++i) {
        std::string line = valid[pick(std::size(valid))];
        switch (i % 5) {
            case 0:  // truncated
                line.resize(pick(line.size()));
                break;
            case 1:  // bytes flipped, invalid UTF-8 likely
                for (int k = 0; k < 3; ++k) line[pick(line.size())] = static_cast<char>(pick(256));
                break;
            case 2:  // random bytes only
                line.assign(1 + pick(200), ' ');
                for (auto& ch : line) ch = static_cast<char>(pick(256));
                break;
            case 3:  // a value swapped for a wrong type
                line.replace(line.find(':') + 1, 1, pick(2) ? "[{\"a\":[" : "-1e999,");
                break;
            default:  // a piece repeated
                line.insert(pick(line.size()), line.substr(0, pick(line.size())));
        }
        lines.push_back(line);
    }
    for (auto& line : lines) {
        for (auto& ch : line)
            if (ch == '\n') ch = ' ';
        if (line.find_first_not_of(" \t\r") == std::string::npos) line += "x";
        if (line.back() == '\r') line += "x";
    }
    return lines;
}

}  // namespace

TEST_CASE("the control server answers status over a 0660 socket and records who asked",
          "[control][socket]") {
    RunningServer server;
    struct stat st {};
    REQUIRE(::stat(server.path().c_str(), &st) == 0);
    CHECK(S_ISSOCK(st.st_mode));
    CHECK((st.st_mode & 07777) == 0660);
    struct stat dir {};
    REQUIRE(::stat(server.dir().c_str(), &dir) == 0);
    CHECK((dir.st_mode & 07777) == 0755);

    LineClient c(server.path());
    c.send(status_line(5));
    json reply = c.read_json();
    CHECK(reply["id"] == 5);
    CHECK(reply["result"]["on_air"][0]["title"] == "Dịch vụ công trực tuyến");

    c.send(protocol::frame(protocol::make_request(6, "play", {{"id", "cchc-dvc"}})));
    CHECK(c.read_json()["ok"] == true);
    auto calls = server.controller().calls();
    REQUIRE(calls.size() == 1);
    CHECK(calls[0].who.uid == ::getuid());
    passwd* pw = ::getpwuid(::getuid());
    CHECK(calls[0].who.user == (pw ? std::string(pw->pw_name) : std::to_string(::getuid())));
}

TEST_CASE("pipelined requests are answered in order, CRLF and blank lines are fine",
          "[control][socket]") {
    RunningServer server;
    LineClient c(server.path());
    std::string batch;
    for (int id = 1; id <= 50; ++id) batch += status_line(id);
    std::string stop = protocol::frame(protocol::make_request(51, "stop"));
    stop.insert(stop.size() - 1, "\r");
    batch += "\r\n   \n" + stop;
    c.send(batch);
    for (int id = 1; id <= 51; ++id) CHECK(c.read_json()["id"] == id);
}

TEST_CASE("hundreds of malformed requests each get one error reply, the server keeps serving",
          "[control][socket]") {
    RunningServer server;
    auto lines = hostile_lines(400);
    LineClient c(server.path());
    std::size_t errors = 0;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        INFO("line "
             << i << ": "
             << json(lines[i]).dump(-1, ' ', true, json::error_handler_t::replace).substr(0, 200));
        c.send(lines[i] + "\n");
        json reply = c.read_json();
        REQUIRE(reply.is_object());
        CHECK(reply["v"] == 1);
        REQUIRE(reply["ok"].is_boolean());
        if (!reply["ok"].get<bool>()) {
            ++errors;
            CHECK(reply["error"]["code"].is_string());
            CHECK(reply["error"]["message"].is_string());
        }
    }
    CHECK(errors > lines.size() * 3 / 4);
    // The same connection is still usable after all of that.
    c.send(status_line(1000));
    CHECK(c.read_json()["id"] == 1000);
    CHECK(still_serves(server.path()));
}

TEST_CASE("a 10 MB line gets too_large and is closed, others are served meanwhile",
          "[control][socket]") {
    RunningServer server;
    LineClient big(server.path());
    LineClient other(server.path());
    std::string line(10 * 1024 * 1024, 'x');
    line[0] = '{';
    auto writer = std::async(std::launch::async, [&] { return big.send_all_you_can(line + "\n"); });
    json reply = big.read_json();
    CHECK(reply["ok"] == false);
    CHECK(reply["error"]["code"] == "too_large");
    CHECK(big.at_eof());
    writer.get();
    other.send(status_line(2));
    CHECK(other.read_json()["id"] == 2);
    CHECK(still_serves(server.path()));
}

TEST_CASE("a client that connects and never sends is closed after the idle timeout",
          "[control][socket]") {
    RunningServer server(options([](auto& o) { o.idle_timeout = 1s; }));
    LineClient quiet(server.path());
    LineClient half(server.path());
    half.send("{\"v\":1,\"cmd\":");  // a line never finished counts as silence too
    auto start = std::chrono::steady_clock::now();
    CHECK(quiet.at_eof(5s));
    CHECK(half.at_eof(5s));
    auto waited = std::chrono::steady_clock::now() - start;
    CHECK(waited >= 800ms);
    CHECK(waited < 4s);
    CHECK(server.on_loop([&] { return server.server().connection_count(); }) == 0);
    CHECK(still_serves(server.path()));
}

TEST_CASE("watchers are not timed out, receive events, and unsubscribe when they leave",
          "[control][socket]") {
    RunningServer server(options([](auto& o) { o.idle_timeout = 1s; }));
    {
        LineClient watcher(server.path());
        watcher.send(protocol::frame(protocol::make_request(1, "watch")));
        CHECK(watcher.read_json()["result"]["watching"] == true);
        std::this_thread::sleep_for(1500ms);
        CHECK(server.controller().subscribers() == 1);
        server.on_loop([&] {
            server.controller().emit({{"event", "broadcast-start"}, {"announcement", "cchc-dvc"}});
            return 0;
        });
        json event = watcher.read_json();
        CHECK(event["v"] == 1);
        CHECK(event["event"] == "broadcast-start");
        CHECK(event["announcement"] == "cchc-dvc");
    }
    for (int i = 0; i < 100 && server.controller().subscribers() != 0; ++i)
        std::this_thread::sleep_for(10ms);
    CHECK(server.controller().subscribers() == 0);
}

TEST_CASE("a client that leaves mid-reply does not disturb the server", "[control][socket]") {
    RunningServer server;
    server.controller().firings.assign(
        1000, {"cchc-dvc", std::string(200, 'T'), {"all"}, test::hanoi(7, 0)});
    for (int round = 0; round < 20; ++round) {
        LineClient c(server.path());
        std::string batch;
        for (int id = 0; id < 40; ++id)
            batch += protocol::frame(protocol::make_request(id, "next", {{"n", 1000}}));
        c.send(batch);
        if (round % 2) c.read_some();  // some read a little first
    }                                  // closed with megabytes of replies unread
    CHECK(still_serves(server.path()));
    for (int i = 0; i < 100 && server.on_loop([&] { return server.server().connection_count(); });
         ++i)
        std::this_thread::sleep_for(10ms);
    CHECK(server.on_loop([&] { return server.server().connection_count(); }) == 0);
}

TEST_CASE("connections beyond the limit get a busy line and are closed", "[control][socket]") {
    RunningServer server(options([](auto& o) { o.max_connections = 3; }));
    std::vector<std::unique_ptr<LineClient>> clients;
    for (int i = 0; i < 3; ++i) {
        clients.push_back(std::make_unique<LineClient>(server.path()));
        clients.back()->send(status_line(i));
        CHECK(clients.back()->read_json()["ok"] == true);
    }
    LineClient extra(server.path());
    json reply = extra.read_json();
    CHECK(reply["error"]["code"] == "busy");
    CHECK(extra.at_eof());
    clients.pop_back();
    for (int i = 0;
         i < 100 && server.on_loop([&] { return server.server().connection_count(); }) > 2; ++i)
        std::this_thread::sleep_for(10ms);
    CHECK(still_serves(server.path()));
}

TEST_CASE("a last request without a newline is answered before closing", "[control][socket]") {
    RunningServer server;
    LineClient c(server.path());
    std::string line = status_line(8);
    line.pop_back();
    c.send(line);
    c.shut_write();
    CHECK(c.read_json()["id"] == 8);
    CHECK(c.at_eof());
}

TEST_CASE("a stale socket file is replaced, a live one or a regular file is refused",
          "[control][socket]") {
    test::SocketDir dir;
    auto path = (dir.path() / "control.sock").string();
    test::bind_and_abandon(path);
    test::FakeController controller;
    boost::asio::io_context io;
    {
        daemon::ControlServer server(io, controller,
                                     options([&](auto& o) { o.socket_path = path; }));
        CHECK_THROWS_WITH(
            daemon::ControlServer(io, controller, options([&](auto& o) { o.socket_path = path; })),
            Catch::Contains("another wardcastd is listening there"));
        server.stop();
        CHECK(!std::filesystem::exists(path));  // removed on stop: it was ours
    }
    std::ofstream(path) << "not a socket";
    CHECK_THROWS_WITH(
        daemon::ControlServer(io, controller, options([&](auto& o) { o.socket_path = path; })),
        Catch::Contains("exists and is not a socket"));
    CHECK(std::filesystem::exists(path));
}

TEST_CASE("a socket passed by systemd is used and not removed on exit", "[control][socket]") {
    test::SocketDir dir;
    auto path = (dir.path() / "activated.sock").string();
    test::ListenFdsScope passed(path);  // fd 3 + LISTEN_FDS/LISTEN_PID, restored after
    {
        RunningServer server(options([&](auto& o) { o.socket_path = dir.path() / "unused.sock"; }));
        CHECK(server.on_loop([&] { return server.server().inherited(); }));
        CHECK(server.on_loop([&] { return server.server().path(); }) == path);
        CHECK(!std::filesystem::exists(dir.path() / "unused.sock"));
        CHECK(still_serves(path));
    }
    CHECK(std::filesystem::exists(path));
}
