#include "daemon/command_table.hpp"

#include <date/tz.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cstdio>
#include <memory>
#include <optional>

#include "common/names.hpp"
#include "schedules/duration.hpp"
#include "schedules/timefmt.hpp"
#include "wardcast/version.hpp"

namespace wardcast::daemon {

namespace {

using nlohmann::json;
namespace err = protocol::err;

json instant(Instant i, const date::time_zone& zone) { return schedules::format_instant(i, zone); }

json instant(const std::optional<Instant>& i, const date::time_zone& zone) {
    return i ? instant(*i, zone) : json(nullptr);
}

json next_json(const NextInfo& n, const date::time_zone& zone) {
    return {{"announcement", n.announcement},
            {"title", n.title},
            {"zones", n.zones},
            {"scheduled", instant(n.scheduled, zone)}};
}

json on_air_json(const OnAirInfo& a, Instant now, const date::time_zone& zone) {
    json elapsed = nullptr;
    if (a.started) elapsed = std::max<std::int64_t>(0, (now - *a.started).count());
    const std::string trigger(names::name(a.trigger));
    json out = {{"announcement", a.announcement},
                {"title", a.title},
                {"trigger", trigger},
                {"zones", a.zones},
                {"scheduled", instant(a.scheduled, zone)},
                {"started", instant(a.started, zone)},
                {"length_ms", a.length.count()},
                {"elapsed_ms", elapsed}};
    if (!a.source.empty()) out["source"] = a.source;  // a relay or a live broadcast
    return out;
}

json faults_json(const std::vector<FaultInfo>& faults, const date::time_zone& zone) {
    json out = json::array();
    for (const auto& f : faults)
        out.push_back({{"what", f.what},
                       {"reason", f.reason},
                       {"since", instant(f.since, zone)},
                       {"held", f.held}});
    return out;
}

json handle_status(CommandCall& c) {
    StatusInfo s = c.controller.status();
    const auto& zone = zone_named(s.timezone);
    json on_air = json::array();
    for (const auto& a : s.on_air) on_air.push_back(on_air_json(a, s.now, zone));
    return {{"station", s.station},
            {"timezone", s.timezone},
            {"version", s.version},
            {"now", instant(s.now, zone)},
            {"on_air", std::move(on_air)},
            {"next", s.next ? next_json(*s.next, zone) : json(nullptr)},
            {"paused", s.paused},
            {"paused_until", instant(s.paused_until, zone)},
            {"schedule_path", s.schedule_path},
            {"schedule_sha256", s.schedule_sha256},
            {"schedule_since", instant(s.schedule_since, zone)},
            {"daemon_since", instant(s.daemon_since, zone)},
            {"faults", faults_json(s.faults, zone)}};
}

/// Firings turned into text per piece of a `next` reply: about 5 ms of work in the ASan build
/// of the tests, some 50 µs in a release build (1,000 firings at once: 200 ms and 2 ms).
constexpr std::size_t firings_per_piece = 25;

json handle_next(CommandCall& c) {
    auto n = c.args.integer("n").value_or(10);
    std::string timezone = c.controller.status().timezone;
    const date::time_zone* zone = &zone_named(timezone);
    auto found = c.controller.next(static_cast<std::size_t>(n));
    json firings = json::array();
    if (c.in_pieces && found.size() > firings_per_piece) {
        c.pieces_key = "firings";
        c.pieces = [zone, found = std::move(found), i = std::size_t{0}](std::string& out) mutable {
            for (auto end = std::min(found.size(), i + firings_per_piece); i < end; ++i) {
                if (i > 0) out += ',';
                out +=
                    next_json(found[i], *zone).dump(-1, ' ', false, json::error_handler_t::replace);
            }
            return i == found.size();
        };
    } else {
        for (const auto& f : found) firings.push_back(next_json(f, *zone));
    }
    return {{"timezone", timezone}, {"firings", std::move(firings)}};
}

json handle_play(CommandCall& c) {
    auto id = *c.args.text("id");
    auto zone = c.args.text("zone");
    c.controller.play(id, zone, c.who);
    return {{"announcement", id}, {"zone", zone ? json(*zone) : json(nullptr)}};
}

std::string play_line(const Arguments& a) {
    auto zone = a.text("zone");
    return "play " + *a.text("id") + (zone ? " --zone " + *zone : "");
}

AnnounceRequest announce_request(const Arguments& a) {
    AnnounceRequest r;
    r.file = a.text("file");
    r.tts = a.text("tts");
    r.voice = a.text("voice").value_or(r.voice);
    // The argument check let through only names of the table.
    if (auto priority = a.text("priority")) r.priority = *names::parse_priority(*priority);
    r.zones = a.texts("zones");
    return r;
}

json handle_announce(CommandCall& c) {
    AnnounceRequest r = announce_request(c.args);
    c.controller.announce(r, c.who);
    return {{"priority", names::name(r.priority)}, {"zones", r.zones}};
}

std::string announce_line(const Arguments& a) {
    AnnounceRequest r = announce_request(a);
    std::string line = "announce";
    if (r.file) line += " " + *r.file;
    if (r.tts)
        line += " --tts \"" + (r.tts->size() > 80 ? r.tts->substr(0, 77) + "..." : *r.tts) + "\"";
    line += " --priority " + std::string(names::name(r.priority));
    for (const auto& z : r.zones) line += " --zone " + z;
    return line;
}

LiveRequest live_request(const Arguments& a) {
    LiveRequest r;
    r.source = a.text("source");
    if (auto priority = a.text("priority")) r.priority = *names::parse_priority(*priority);
    r.zones = a.texts("zones");
    if (auto max = a.integer("max_seconds")) r.max = std::chrono::seconds(*max);
    return r;
}

json handle_live(CommandCall& c) {
    LiveRequest r = live_request(c.args);
    const std::string source = c.controller.live(r, c.who);
    return {{"source", source},
            {"priority", names::name(r.priority)},
            {"zones", r.zones},
            {"max_seconds", r.max.count()}};
}

std::string live_line(const Arguments& a) {
    LiveRequest r = live_request(a);
    std::string line = "live";
    if (r.source) line += " --source " + *r.source;
    line += " --priority " + std::string(names::name(r.priority));
    for (const auto& z : r.zones) line += " --zone " + z;
    line += " --max " + schedules::format_duration(r.max);
    return line;
}

json handle_stop(CommandCall& c) {
    auto stopped = c.controller.stop(c.who);
    std::string list;
    for (const auto& id : stopped) list += (list.empty() ? "" : ", ") + id;
    c.outcome = stopped.empty() ? "ok: nothing was on air" : "ok: stopped " + list;
    return {{"stopped", std::move(stopped)}};
}

json handle_pause(CommandCall& c) {
    auto until = c.args.instant("until");
    c.controller.pause(until, c.who);
    if (!until) return {{"paused", true}, {"until", nullptr}};
    const auto& timezone = c.args.clock()->timezone;
    return {
        {"paused", true}, {"until", instant(*until, zone_named(timezone))}, {"timezone", timezone}};
}

std::string pause_line(const Arguments& a) {
    auto until = a.instant("until");
    if (!until) return "pause";
    return "pause --until " + schedules::format_instant(*until, zone_named(a.clock()->timezone));
}

json handle_resume(CommandCall& c) {
    c.controller.resume(c.who);
    return {{"paused", false}};
}

json reload_reply(const json& id, const ReloadResult& r) {
    if (!r.ok) {
        auto n = r.errors.size();
        json reply = protocol::make_error(id, err::failed,
                                          "the schedule has " + std::to_string(n) +
                                              (n == 1 ? " error" : " errors") +
                                              "; the old schedule stays in force");
        reply["error"]["errors"] = r.errors;
        return reply;
    }
    return protocol::make_result(
        id,
        {{"added", r.added}, {"removed", r.removed}, {"changed", r.changed}, {"sha256", r.sha256}});
}

/// What the log records of a reload.
std::string reload_outcome(const ReloadResult& r) {
    if (!r.ok) return "failed: " + r.failure + "; the old schedule stays in force";
    return "ok: " + std::to_string(r.added.size()) + " added, " + std::to_string(r.removed.size()) +
           " removed, " + std::to_string(r.changed.size()) + " changed";
}

json handle_reload(CommandCall& c) {
    // The daemon reads the new schedule off the event loop: the reply follows when it is done.
    c.answers_later = true;
    c.controller.reload(c.who, [answer = c.answer, id = c.id](const ReloadResult& result) {
        answer(reload_reply(id, result), reload_outcome(result));
    });
    return {};
}

json handle_volume(CommandCall& c) {
    auto zone = c.args.text("zone");
    auto level = *c.args.number("level");
    c.controller.volume(zone, level, c.who);
    return {{"zone", zone ? json(*zone) : json(nullptr)}, {"level", level}};
}

std::string volume_line(const Arguments& a) {
    auto zone = a.text("zone");
    char level[32];
    std::snprintf(level, sizeof level, "%.2f", *a.number("level"));
    return "volume " + (zone ? *zone + " " : std::string()) + level;
}

json handle_version(CommandCall& c);

json handle_watch(CommandCall& c) {
    c.start_watch = true;
    return {{"watching", true},
            {"events",
             {protocol::event::broadcast_start, protocol::event::broadcast_end,
              protocol::event::operator_command, protocol::event::fault}}};
}

// What each command takes (docs/protocol.md has the same list, for clients).
constexpr auto priorities = [] {
    std::array<std::string_view, names::priorities.size()> out{};
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = names::priorities[i].name;
    return out;
}();
constexpr Argument next_args[] = {{.name = "n",
                                   .type = ArgType::integer,
                                   .what = "an integer from 1 to 1000",
                                   .low = 1,
                                   .high = 1000}};
constexpr Argument play_args[] = {
    {.name = "id", .type = ArgType::text, .what = "a string", .required = true},
    {.name = "zone", .type = ArgType::text, .what = "a string"}};
constexpr Argument announce_args[] = {
    {.name = "file",
     .type = ArgType::text,
     .what = "an audio file",
     .not_empty = true,
     .one_of = true},
    {.name = "tts", .type = ArgType::text, .what = "text", .not_empty = true, .one_of = true},
    {.name = "voice", .type = ArgType::text, .what = "a text-to-speech voice", .not_empty = true},
    {.name = "priority",
     .type = ArgType::choice,
     .what = "low, normal, high or emergency",
     .choices = priorities},
    {.name = "zones", .type = ArgType::texts, .what = "an array of zone ids"}};
constexpr Argument live_args[] = {
    {.name = "source", .type = ArgType::text, .what = "a live source", .not_empty = true},
    {.name = "priority",
     .type = ArgType::choice,
     .what = "low, normal, high or emergency",
     .choices = priorities},
    {.name = "zones", .type = ArgType::texts, .what = "an array of zone ids"},
    {.name = "max_seconds",
     .type = ArgType::integer,
     .what = "an integer from 1 to 86400",
     .low = 1,
     .high = 86400}};
constexpr Argument pause_args[] = {
    {.name = "until", .type = ArgType::instant, .what = "an instant in the future"}};
constexpr Argument volume_args[] = {{.name = "zone", .type = ArgType::text, .what = "a string"},
                                    {.name = "level",
                                     .type = ArgType::number,
                                     .what = "a number from 0.0 to 1.0",
                                     .required = true,
                                     .low = 0.0,
                                     .high = 1.0}};
constexpr std::span<const Argument> none{};

// Sorted by name: find_command() searches it, and a unit test checks the order.
constexpr Command commands[] = {
    {protocol::cmd::announce, true, announce_args, handle_announce, announce_line},
    {protocol::cmd::hello, false, none, handle_version},
    {protocol::cmd::live, true, live_args, handle_live, live_line},
    {protocol::cmd::next, false, next_args, handle_next},
    {protocol::cmd::pause, true, pause_args, handle_pause, pause_line},
    {protocol::cmd::play, true, play_args, handle_play, play_line},
    {protocol::cmd::reload, true, none, handle_reload},
    {protocol::cmd::resume, true, none, handle_resume},
    {protocol::cmd::status, false, none, handle_status},
    {protocol::cmd::stop, true, none, handle_stop},
    {protocol::cmd::version, false, none, handle_version},
    {protocol::cmd::volume, true, volume_args, handle_volume, volume_line},
    {protocol::cmd::watch, false, none, handle_watch},
};

json handle_version(CommandCall&) {
    json names = json::array();
    for (const auto& cmd : commands) names.push_back(cmd.name);
    return {{"protocol", protocol::version},
            {"daemon", "wardcastd"},
            {"version", wardcast::version},
            {"commands", std::move(names)}};
}

}  // namespace

std::span<const Command> command_table() noexcept { return commands; }

const Command* find_command(std::string_view name) noexcept {
    auto it = std::lower_bound(std::begin(commands), std::end(commands), name,
                               [](const Command& c, std::string_view n) { return c.name < n; });
    return it != std::end(commands) && it->name == name ? &*it : nullptr;
}

namespace {

json unknown_command(const protocol::Request& request) {
    return protocol::make_error(
        request.id, err::unknown_command,
        "unknown command \"" + request.cmd.substr(0, 40) + "\" (see \"version\" for the list)");
}

void forget(CommandCall& call) noexcept {
    call.answers_later = false;
    call.start_watch = false;
    call.pieces = nullptr;
    call.pieces_key = nullptr;
}

/// The reply to `request` from `command`'s handler, or the error reply for what it threw (then
/// nothing it set in `call` counts); `outcome` is what the operator entry records.
json run(const Command& command, const protocol::Request& request, CommandCall& call,
         std::string& outcome) {
    try {
        json reply = protocol::make_result(request.id, command.handler(call));
        outcome = call.outcome;
        return reply;
    } catch (const ControlError& e) {
        forget(call);
        outcome = std::string("refused: ") + e.what();
        return protocol::make_error(request.id, e.code.empty() ? err::failed : e.code, e.what());
    } catch (const std::bad_alloc&) {
        throw;
    } catch (const std::exception& e) {
        forget(call);
        outcome = std::string("failed: ") + e.what();
        return protocol::make_error(request.id, err::failed, e.what());
    }
}

}  // namespace

json dispatch(Controller& controller, const protocol::Request& request, const Who& who,
              bool& start_watch) {
    auto reply = dispatch_in_pieces(controller, request, who, start_watch);
    if (auto* whole = std::get_if<json>(&reply)) return *whole;
    if (auto* pieces = std::get_if<ReplyPieces>(&reply)) {
        std::string line;
        while (!(*pieces)(line)) {
        }
        return json::parse(line);
    }
    return protocol::make_error(
        request.id, err::failed,
        request.cmd + ": its reply comes later and this caller cannot wait");
}

std::variant<json, ReplyPieces, AnsweredLater> dispatch_in_pieces(
    Controller& controller, const protocol::Request& request, const Who& who, bool& start_watch,
    std::function<void(json reply)> answer_later) {
    start_watch = false;
    const Command* command = find_command(request.cmd);
    if (!command) return unknown_command(request);
    // Checked once, here: a request refused for its arguments reaches nothing and is not
    // recorded.
    std::optional<Arguments> args;
    try {
        args.emplace(command->name, command->args, request.args,
                     [&controller] { return controller.clock(); });
    } catch (const ControlError& e) {
        return protocol::make_error(request.id, e.code, e.what());
    } catch (const std::bad_alloc&) {
        throw;
    } catch (const std::exception& e) {  // the clock failed
        return protocol::make_error(request.id, err::failed, e.what());
    }
    // What is recorded, taken now: `args` reads the request, which may be gone by a later
    // answer.
    std::function<void(const std::string&)> record = nullptr;
    if (command->changes_state)
        record = [&controller, who,
                  line = command->line ? command->line(*args)
                                       : std::string(command->name)](const std::string& outcome) {
            controller.record_operator(who, line, outcome);
        };
    CommandCall call{controller, who, *args};
    call.in_pieces = true;
    call.id = request.id;
    // An answer that comes before the handler returns is returned; a later one goes on.
    struct Later {
        std::optional<json> now;
        bool returned = false;
        std::function<void(json)> deliver;
    };
    auto later = std::make_shared<Later>();
    later->deliver = std::move(answer_later);
    call.answer = [later, record](json reply, const std::string& outcome) {
        if (record) record(outcome);
        if (!later->returned)
            later->now = std::move(reply);
        else if (later->deliver)
            later->deliver(std::move(reply));
    };
    std::string outcome;
    json reply = run(*command, request, call, outcome);
    start_watch = call.start_watch;
    if (call.answers_later) {
        later->returned = true;
        if (later->now) return std::move(*later->now);
        if (!later->deliver)
            return protocol::make_error(
                request.id, err::failed,
                request.cmd + ": its reply comes later and this caller cannot wait");
        return AnsweredLater{};
    }
    if (record) record(outcome);
    if (!call.pieces) return reply;
    // The line frame() gives for the whole reply, cut where the array's elements go: a
    // placeholder no other value of the reply can hold marks the place.
    reply["result"][call.pieces_key] = "\x01";
    std::string line = protocol::frame(reply);
    auto at = line.find("\"\\u0001\"");
    assert(at != std::string::npos);
    std::string head = line.substr(0, at) + '[';
    std::string tail = ']' + line.substr(at + 8);
    return ReplyPieces([head = std::move(head), tail = std::move(tail),
                        elements = std::move(call.pieces),
                        started = false](std::string& out) mutable {
        if (!started) out += head;
        started = true;
        if (!elements(out)) return false;
        out += tail;
        return true;
    });
}

}  // namespace wardcast::daemon
