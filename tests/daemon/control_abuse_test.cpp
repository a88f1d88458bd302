// The control server under clients that abuse it: pipelining big requests and not reading,
// leaving mid-reply, watching without reading. What one connection may cost is bounded, and
// nothing is built for a client that has gone.

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "daemon/command_table.hpp"
#include "tests/daemon/control_test_support.hpp"
#include "tests/daemon/fake_controller.hpp"

using namespace wardcast;
using namespace std::chrono_literals;
using nlohmann::json;
using test::LineClient;
using test::next_calls;
using test::options;
using test::RunningServer;
using test::still_serves;

namespace {

/// Waits (20 s at most) until the controller was asked for `next` at least once.
void wait_for_next_call(const test::FakeController& controller) {
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (next_calls(controller) == 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(1ms);
    REQUIRE(next_calls(controller) >= 1);
}

}  // namespace

TEST_CASE("a client that does not read is not read from, and gets every reply once it reads",
          "[control][socket]") {
    RunningServer server;
    // Each reply (400 KB) is more than the socket buffer holds.
    server.controller().firings.assign(
        100, {"cchc-dvc", std::string(4000, 'T'), {"all"}, test::hanoi(7, 0)});
    LineClient slow(server.path());
    slow.send(test::pipelined_next(10, 100));  // 4 MB of replies
    wait_for_next_call(server.controller());
    // Many turns of the loop later, others are still served and it is still waiting.
    for (int i = 0; i < 20; ++i) REQUIRE(still_serves(server.path()));
    CHECK(next_calls(server.controller()) == 1);
    for (int id = 0; id < 10; ++id) {
        json reply = slow.read_json(20s);
        REQUIRE(reply["id"] == id);
        CHECK(reply["result"]["firings"].size() == 100);
    }
    CHECK(next_calls(server.controller()) == 10);
}

TEST_CASE("no reply is built for a client that has left", "[control][socket]") {
    RunningServer server;
    // 1.1 MB replies: none can be all in the socket when its client leaves.
    server.controller().firings.assign(
        1000, {"cchc-dvc", std::string(1000, 'T'), {"all"}, test::hanoi(7, 0)});
    std::string batch = test::pipelined_next(40, 1000);
    constexpr int clients = 10;
    for (int i = 0; i < clients; ++i) {
        LineClient c(server.path());
        c.send(batch);
        if (i % 2) c.read_some(20s);  // leaves mid-reply; the others before any reply
    }
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (server.on_loop([&] { return server.server().connection_count(); }) != 0 &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(1ms);
    REQUIRE(server.on_loop([&] { return server.server().connection_count(); }) == 0);
    // At most the request in hand when each left; none of the 39 behind it.
    CHECK(next_calls(server.controller()) <= clients);
    CHECK(still_serves(server.path()));
}

TEST_CASE("a change asked by a client that left at once is still carried out, once",
          "[control][socket]") {
    RunningServer server;
    {
        LineClient c(server.path());  // as `echo … | nc -U -q0 SOCKET`
        c.send(protocol::frame(protocol::make_request(1, "play", {{"id", "cchc-dvc"}})));
    }
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (server.controller().calls().empty() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(1ms);
    while (server.on_loop([&] { return server.server().connection_count(); }) != 0 &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(1ms);
    auto calls = server.controller().calls();
    REQUIRE(calls.size() == 1);
    CHECK(calls[0].what == "play cchc-dvc");
}

TEST_CASE("a big reply comes whole, as one line, with events after it, never inside",
          "[control][socket]") {
    RunningServer server;
    auto& controller = server.controller();
    controller.firings.assign(1000, {"cchc-dvc",
                                     "Dịch vụ công " + std::string(1000, 'T'),
                                     {"to-dan-pho-1", "cho"},
                                     test::hanoi(7, 0)});
    LineClient watcher(server.path());
    watcher.send(protocol::frame(protocol::make_request(1, "watch")));
    REQUIRE(watcher.read_json()["result"]["watching"] == true);
    watcher.send(protocol::frame(protocol::make_request(2, "next", {{"n", 1000}})));
    wait_for_next_call(controller);
    // 1.1 MB that the watcher does not read yet: the reply is still being sent.
    server.on_loop([&] {
        controller.emit({{"event", "broadcast-start"}, {"announcement", "cchc-dvc"}});
        return 0;
    });
    std::string line = watcher.read_line(20s);
    bool ignored = false;
    test::FakeController same;
    same.firings = controller.firings;
    std::string expected = protocol::frame(
        daemon::dispatch(same, protocol::Request{2, "next", {{"n", 1000}}}, {}, ignored));
    expected.pop_back();
    CHECK(line.size() == expected.size());
    CHECK(line == expected);  // the same bytes as built at once
    json event = watcher.read_json();
    CHECK(event["event"] == "broadcast-start");
    CHECK(event["announcement"] == "cchc-dvc");
}

TEST_CASE("a watcher that does not read its events is closed", "[control][socket]") {
    RunningServer server(options([](auto& o) { o.max_pending_output = 64 * 1024; }));
    LineClient watcher(server.path());
    watcher.send(protocol::frame(protocol::make_request(1, "watch")));
    REQUIRE(watcher.read_json()["result"]["watching"] == true);
    REQUIRE(server.controller().subscribers() == 1);  // subscribed before the reply left
    json big = {{"event", "operator"}, {"command", std::string(4096, 'x')}};
    for (int i = 0; i < 1000 && server.controller().subscribers() != 0; ++i)
        server.on_loop([&] {
            for (int k = 0; k < 10; ++k) server.controller().emit(big);
            return 0;
        });
    CHECK(server.controller().subscribers() == 0);  // after some 300 KB: what the socket held
    CHECK(watcher.at_eof(20s));
    CHECK(still_serves(server.path()));
}
