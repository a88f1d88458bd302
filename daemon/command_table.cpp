#include "daemon/command_table.hpp"

#include <date/tz.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <initializer_list>
#include <limits>

#include "common/names.hpp"
#include "schedules/timefmt.hpp"
#include "wardcast/version.hpp"

namespace wardcast::daemon {

namespace {

using nlohmann::json;
namespace err = protocol::err;

ControlError bad_argument(std::string_view command, const std::string& message) {
    return ControlError(err::bad_argument, std::string(command) + ": " + message);
}

/// A refusal that carries more than a message (reload's error lines).
class DetailedError : public ControlError {
  public:
    DetailedError(std::string code, const std::string& message, json details)
        : ControlError(std::move(code), message), details(std::move(details)) {}
    json details;  ///< an object merged into the reply's `error`
};

/// Typed access to one command's arguments; names it does not take are refused, so that a
/// misspelt "zone" is an error rather than silently every zone.
class Args {
  public:
    Args(const json& args, std::string_view command, std::initializer_list<std::string_view> known)
        : args_(args), command_(command) {
        for (const auto& item : args.items()) {
            if (std::find(known.begin(), known.end(), item.key()) != known.end()) continue;
            std::string list;
            for (auto k : known) list += std::string(list.empty() ? "" : ", ") + std::string(k);
            throw bad_argument(command_, "unknown argument \"" + item.key() + "\" (" +
                                             (list.empty() ? "it takes none" : "it takes " + list) +
                                             ")");
        }
    }

    std::optional<std::string> text(const char* key) const {
        const json* v = find(key);
        if (!v) return std::nullopt;
        if (!v->is_string()) throw wrong_type(key, "a string", *v);
        return v->get<std::string>();
    }

    std::string required_text(const char* key) const {
        auto t = text(key);
        if (!t) throw bad_argument(command_, std::string("missing \"") + key + "\" (a string)");
        return *t;
    }

    std::optional<double> number(const char* key) const {
        const json* v = find(key);
        if (!v) return std::nullopt;
        if (!v->is_number()) throw wrong_type(key, "a number", *v);
        double d = v->get<double>();
        if (!std::isfinite(d))
            throw bad_argument(command_, std::string("\"") + key + "\" is not finite");
        return d;
    }

    std::optional<std::int64_t> integer(const char* key, std::int64_t low,
                                        std::int64_t high) const {
        const json* v = find(key);
        if (!v) return std::nullopt;
        if (!v->is_number_integer()) throw wrong_type(key, "an integer", *v);
        // Parsed non-negative integers are unsigned, and may not fit an int64.
        bool in_range =
            v->is_number_unsigned()
                ? (low < 0 || v->get<std::uint64_t>() >= static_cast<std::uint64_t>(low)) &&
                      v->get<std::uint64_t>() <= static_cast<std::uint64_t>(high)
                : v->get<std::int64_t>() >= low && v->get<std::int64_t>() <= high;
        if (!in_range)
            throw bad_argument(command_, std::string("\"") + key + "\" must be from " +
                                             std::to_string(low) + " to " + std::to_string(high));
        return v->get<std::int64_t>();
    }

    std::vector<std::string> texts(const char* key) const {
        const json* v = find(key);
        if (!v) return {};
        if (!v->is_array()) throw wrong_type(key, "an array of strings", *v);
        std::vector<std::string> out;
        for (const auto& e : *v) {
            if (!e.is_string())
                throw bad_argument(command_, std::string("\"") + key +
                                                 "\" must be an array of strings, not of " +
                                                 e.type_name());
            out.push_back(e.get<std::string>());
        }
        return out;
    }

  private:
    const json* find(const char* key) const {
        auto it = args_.find(key);
        return it == args_.end() || it->is_null() ? nullptr : &*it;
    }
    ControlError wrong_type(const char* key, const char* wanted, const json& got) const {
        return bad_argument(command_, std::string("\"") + key + "\" must be " + wanted + ", not " +
                                          got.type_name());
    }

    const json& args_;
    std::string_view command_;
};

/// The station's zone; UTC when the name is unknown (instants stay correct, offsets read +00:00).
const date::time_zone& zone_named(const std::string& name) {
    try {
        if (!name.empty()) return *date::locate_zone(name);
    } catch (const std::exception&) {
    }
    return *date::locate_zone("UTC");
}

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
    return {{"announcement", a.announcement},
            {"title", a.title},
            {"trigger", trigger},
            {"zones", a.zones},
            {"scheduled", instant(a.scheduled, zone)},
            {"started", instant(a.started, zone)},
            {"length_ms", a.length.count()},
            {"elapsed_ms", elapsed}};
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
    Args(c.args, protocol::cmd::status, {});
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
    auto n = Args(c.args, protocol::cmd::next, {"n"}).integer("n", 1, 1000).value_or(10);
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
    Args a(c.args, protocol::cmd::play, {"id", "zone"});
    auto id = a.required_text("id");
    auto zone = a.text("zone");
    c.controller.play(id, zone, c.who);
    return {{"announcement", id}, {"zone", zone ? json(*zone) : json(nullptr)}};
}

json handle_announce(CommandCall& c) {
    constexpr auto name = protocol::cmd::announce;
    Args a(c.args, name, {"file", "tts", "voice", "priority", "zones"});
    AnnounceRequest r;
    r.file = a.text("file");
    r.tts = a.text("tts");
    if (r.file.has_value() == r.tts.has_value())
        throw bad_argument(name, "give exactly one of \"file\" (an audio file) and \"tts\" (text)");
    if ((r.file && r.file->empty()) || (r.tts && r.tts->empty()))
        throw bad_argument(name, r.file ? "\"file\" is empty" : "\"tts\" is empty");
    r.voice = a.text("voice").value_or(r.voice);
    if (auto priority = a.text("priority")) {
        auto parsed = names::parse_priority(*priority);
        if (!parsed)
            throw bad_argument(name, "\"priority\" must be " +
                                         names::listed(names::priorities, " or ") + ", not \"" +
                                         *priority + "\"");
        r.priority = *parsed;
    }
    r.zones = a.texts("zones");
    c.controller.announce(r, c.who);
    return {{"priority", names::name(r.priority)}, {"zones", r.zones}};
}

json handle_stop(CommandCall& c) {
    Args(c.args, protocol::cmd::stop, {});
    return {{"stopped", c.controller.stop(c.who)}};
}

json handle_pause(CommandCall& c) {
    constexpr auto name = protocol::cmd::pause;
    auto text = Args(c.args, name, {"until"}).text("until");
    if (!text) {
        c.controller.pause(std::nullopt, c.who);
        return {{"paused", true}, {"until", nullptr}};
    }
    StatusInfo s = c.controller.status();  // the station's zone reads an instant without offset
    const auto& zone = zone_named(s.timezone);
    auto until = schedules::parse_date_or_instant(*text, zone);
    if (!until)
        throw bad_argument(name,
                           "\"until\" must be an ISO 8601 instant such as "
                           "2026-12-07T12:00:00+07:00, not \"" +
                               *text + "\"");
    if (*until <= s.now)
        throw bad_argument(
            name, "\"until\" " + schedules::format_instant(*until, zone) + " is not in the future");
    c.controller.pause(*until, c.who);
    return {{"paused", true}, {"until", instant(*until, zone)}, {"timezone", s.timezone}};
}

json handle_resume(CommandCall& c) {
    Args(c.args, protocol::cmd::resume, {});
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

json handle_reload(CommandCall& c) {
    Args(c.args, protocol::cmd::reload, {});
    // The daemon reads the new schedule off the event loop: the reply follows when it is done.
    c.answers_later = true;
    c.controller.reload(c.who, [answer = c.answer, id = c.id](const ReloadResult& result) {
        answer(reload_reply(id, result));
    });
    return {};
}

json handle_volume(CommandCall& c) {
    constexpr auto name = protocol::cmd::volume;
    Args a(c.args, name, {"zone", "level"});
    auto zone = a.text("zone");
    auto level = a.number("level");
    if (!level) throw bad_argument(name, "missing \"level\" (a number from 0.0 to 1.0)");
    if (*level < 0.0 || *level > 1.0)
        throw bad_argument(name, "\"level\" must be from 0.0 to 1.0, not " + json(*level).dump());
    c.controller.volume(zone, *level, c.who);
    return {{"zone", zone ? json(*zone) : json(nullptr)}, {"level", *level}};
}

json handle_version(CommandCall& c);

json handle_watch(CommandCall& c) {
    Args(c.args, protocol::cmd::watch, {});
    c.start_watch = true;
    return {{"watching", true},
            {"events",
             {protocol::event::broadcast_start, protocol::event::broadcast_end,
              protocol::event::operator_command, protocol::event::fault}}};
}

// Sorted by name: find_command() searches it, and a unit test checks the order.
constexpr Command commands[] = {
    {protocol::cmd::announce, true, handle_announce},
    {protocol::cmd::hello, false, handle_version},
    {protocol::cmd::next, false, handle_next},
    {protocol::cmd::pause, true, handle_pause},
    {protocol::cmd::play, true, handle_play},
    {protocol::cmd::reload, true, handle_reload},
    {protocol::cmd::resume, true, handle_resume},
    {protocol::cmd::status, false, handle_status},
    {protocol::cmd::stop, true, handle_stop},
    {protocol::cmd::version, false, handle_version},
    {protocol::cmd::volume, true, handle_volume},
    {protocol::cmd::watch, false, handle_watch},
};

json handle_version(CommandCall& c) {
    Args(c.args, protocol::cmd::version, {});
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
/// nothing it set in `call` counts).
json run(const Command& command, const protocol::Request& request, CommandCall& call) {
    try {
        return protocol::make_result(request.id, command.handler(call));
    } catch (const DetailedError& e) {
        forget(call);
        json reply = protocol::make_error(request.id, e.code, e.what());
        reply["error"].update(e.details);
        return reply;
    } catch (const ControlError& e) {
        forget(call);
        return protocol::make_error(request.id, e.code.empty() ? err::failed : e.code, e.what());
    } catch (const std::bad_alloc&) {
        throw;
    } catch (const std::exception& e) {
        forget(call);
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
    CommandCall call{controller, who, request.args};
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
    call.answer = [later](json reply) {
        if (!later->returned)
            later->now = std::move(reply);
        else if (later->deliver)
            later->deliver(std::move(reply));
    };
    json reply = run(*command, request, call);
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
