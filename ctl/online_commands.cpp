#include "ctl/online_commands.hpp"

#include <date/date.h>

#include <cassert>
#include <chrono>
#include <filesystem>
#include <functional>

#include "common/names.hpp"
#include "common/protocol.hpp"
#include "ctl/client.hpp"
#include "ctl/offline_commands.hpp"
#include "ctl/online_output.hpp"
#include "schedules/duration.hpp"

namespace wardcast::ctl {

namespace cmd = protocol::cmd;
using nlohmann::json;

namespace {

constexpr const char* exit_codes =
    "Exit status: 0 done; 1 refused or failed; 2 usage error; 3 wardcastd cannot be reached.";

/// "0.8", "1", "80%" → 0.0 .. 1.0.
std::optional<double> parse_level(const std::string& text) {
    bool percent = !text.empty() && text.back() == '%';
    std::string number = percent ? text.substr(0, text.size() - 1) : text;
    try {
        std::size_t used = 0;
        double value = std::stod(number, &used);
        if (used != number.size() || number.empty()) return std::nullopt;
        if (percent) value /= 100.0;
        if (!(value >= 0.0 && value <= 1.0)) return std::nullopt;
        return value;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

std::string percent(double level) { return std::to_string(std::lround(level * 100)) + "%"; }

/// The daemon said no: its reason (and reload's error lines) on `err`.
int refused(const OnlineOptions& o, const json& reply, std::ostream& out, std::ostream& err) {
    json error = reply.value("error", json::object());
    if (o.json) out << protocol::frame({{"error", error}}) << std::flush;
    for (const auto& line : error.value("errors", json::array()))
        if (line.is_string()) err << line.get<std::string>() << '\n';
    std::string message = error.value("message", std::string("the request failed"));
    const std::string name = o.command->name;
    if (message.rfind(name + ":", 0) != 0) message = name + ": " + message;
    err << "wardcastctl: " << message << '\n';
    return exit_failed;
}

int run_watch(Client& client, const OnlineOptions& o, std::ostream& out, std::ostream& err) {
    StationTime time("");
    if (!o.json) {
        json status = client.request(cmd::status);
        if (status.value("ok", false))
            time = StationTime(status["result"].value("timezone", std::string()));
    }
    json reply = client.request(cmd::watch);
    if (!reply.value("ok", false)) return refused(o, reply, out, err);
    if (!o.json) err << "watching wardcastd at " << client.path() << " — Ctrl-C to stop\n";
    client.read_messages([&](const json& message) {
        if (!message.contains("event")) return true;
        if (o.json)
            out << protocol::frame(message);
        else
            print_event(message, time, out);
        out.flush();
        return true;
    });
    err << "wardcastctl: wardcastd closed the connection (stopped or restarting?)\n";
    return exit_unreachable;
}

// One command's pieces, in the order of the table below: its options, check, request and
// printer.

void print_status_result(const OnlineOptions&, const json& r, std::ostream& out) {
    print_status(r, out);
}

void next_options(CLI::App& sub, OnlineOptions& o) {
    sub.add_option("N", o.count, "how many (default 10)")->check(CLI::Range(1, 1000));
}
json next_request(const OnlineOptions& o) { return {{"n", o.count}}; }
void print_next_result(const OnlineOptions&, const json& r, std::ostream& out) {
    print_next(r, out);
}

void play_options(CLI::App& sub, OnlineOptions& o) {
    sub.add_option("ID", o.id, "the announcement's id")->required();
    sub.add_option("--zone", o.zone, "only this zone (default: the announcement's zones)");
}
json play_request(const OnlineOptions& o) {
    json args = {{"id", o.id}};
    if (o.zone) args["zone"] = *o.zone;
    return args;
}
void print_play(const OnlineOptions& o, const json&, std::ostream& out) {
    out << "playing " << o.id << " now"
        << (o.zone ? " on zone " + *o.zone : std::string(" on its zones")) << '\n';
}

// --priority and --zone, as announce and live take them.
void priority_and_zones(CLI::App& sub, OnlineOptions& o) {
    std::string priorities;  // "low, normal (default), high or emergency"
    for (std::size_t i = 0; i < names::priorities.size(); ++i) {
        const auto& p = names::priorities[i];
        if (i > 0) priorities += i + 1 == names::priorities.size() ? " or " : ", ";
        priorities += p.name;
        if (p.value == names::Priority::normal) priorities += " (default)";
    }
    sub.add_option("--priority", o.priority, priorities)
        ->check(CLI::IsMember(names::all_names(names::priorities)));
    sub.add_option("--zone", o.zones, "a zone to air on; repeat for more (default: every zone)");
}

void announce_options(CLI::App& sub, OnlineOptions& o) {
    sub.add_option("FILE", o.file, "an audio file wardcastd can read");
    sub.add_option("--tts", o.tts, "text to speak instead of a file");
    sub.add_option("--voice", o.voice, "text-to-speech voice (default vi)");
    priority_and_zones(sub, o);
}
void announce_check(OnlineOptions& o) {
    if (o.file.empty() == !o.tts)
        throw CLI::ValidationError("announce", "give an audio FILE or --tts TEXT (one of them)");
}
json announce_request(const OnlineOptions& o) {
    json args = json::object();
    if (o.tts) args["tts"] = *o.tts;
    if (!o.file.empty()) {
        if (!std::filesystem::exists(o.file)) throw std::runtime_error("no such file " + o.file);
        args["file"] = std::filesystem::absolute(o.file).string();
    }
    if (o.voice) args["voice"] = *o.voice;
    if (o.priority) args["priority"] = *o.priority;
    if (!o.zones.empty()) args["zones"] = o.zones;
    return args;
}
void print_announce(const OnlineOptions& o, const json& r, std::ostream& out) {
    std::string zones;
    for (const auto& z : o.zones) zones += (zones.empty() ? "" : ", ") + z;
    const std::string priority =
        r.value("priority", std::string(names::name(names::Priority::normal)));
    const auto known = names::parse_priority(priority);
    out << "announcing on " << (zones.empty() ? "every zone" : zones);
    if (known == names::Priority::emergency)
        out << " — emergency: interrupts what is on air";
    else if (known != names::Priority::normal)
        out << " (priority " << priority << ")";
    out << '\n';
}

void live_options(CLI::App& sub, OnlineOptions& o) {
    sub.add_option("--source", o.source,
                   "what to air: alsa:DEVICE, pulse:SOURCE, rtp://@:PORT, rtsp://…, http(s)://… "
                   "(default: the schedule's station.live_source, else alsa:default)");
    priority_and_zones(sub, o);
    sub.add_option("--max", o.live_max,
                   "end by itself after this long (default 30m; at most 24h): 10m, 1h30m");
}
void live_check(OnlineOptions& o) {
    if (!o.live_max) return;
    const auto max = schedules::parse_duration(*o.live_max);
    if (!max || *max < std::chrono::seconds(1) || *max > std::chrono::hours(24))
        throw CLI::ValidationError("--max", "'" + *o.live_max +
                                                "' is not a duration from 1s to 24h such as "
                                                "30m or 1h30m");
}
json live_request(const OnlineOptions& o) {
    json args = json::object();
    if (o.source) args["source"] = *o.source;
    if (o.priority) args["priority"] = *o.priority;
    if (!o.zones.empty()) args["zones"] = o.zones;
    if (o.live_max)
        args["max_seconds"] = std::chrono::duration_cast<std::chrono::seconds>(
                                  *schedules::parse_duration(*o.live_max))
                                  .count();
    return args;
}
void print_live(const OnlineOptions& o, const json& r, std::ostream& out) {
    std::string zones;
    for (const auto& z : o.zones) zones += (zones.empty() ? "" : ", ") + z;
    out << "live from " << r.value("source", std::string("?")) << " on "
        << (zones.empty() ? "every zone" : zones);
    if (names::parse_priority(r.value("priority", std::string())) == names::Priority::emergency)
        out << " — emergency: interrupts what is on air";
    out << "; ends with wardcastctl stop, or after "
        << schedules::format_duration(std::chrono::seconds(r.value("max_seconds", 1800))) << '\n';
}

void pause_options(CLI::App& sub, OnlineOptions& o) {
    auto* until = sub.add_option(
        "--until", o.until,
        "until this instant: 2026-12-07T12:00, with an offset or in the station's time; "
        "or a date (its midnight)");
    sub.add_option("--for", o.pause_for, "for this long: 90m, 2h, 1h30m")->excludes(until);
}
void pause_check(OnlineOptions& o) {
    if (o.pause_for && !schedules::parse_duration(*o.pause_for))
        throw CLI::ValidationError("--for",
                                   "'" + *o.pause_for + "' is not a duration such as 90m or 1h30m");
}
json pause_request(const OnlineOptions& o) {
    json args = json::object();
    if (o.until) args["until"] = *o.until;
    if (o.pause_for) {
        auto d = schedules::parse_duration(*o.pause_for).value_or(schedules::Duration(0));
        auto until = date::floor<std::chrono::seconds>(std::chrono::system_clock::now() + d);
        args["until"] = date::format("%FT%TZ", until);
    }
    return args;
}
void print_pause(const OnlineOptions&, const json& r, std::ostream& out) {
    auto until = r.value("until", json());
    if (until.is_string())
        out << "scheduled broadcasts paused until "
            << StationTime(r.value("timezone", std::string())).when(until) << '\n';
    else
        out << "scheduled broadcasts paused until you resume (wardcastctl resume)\n";
}

void print_resume(const OnlineOptions&, const json&, std::ostream& out) {
    out << "scheduled broadcasts resumed\n";
}

void print_stop(const OnlineOptions&, const json& r, std::ostream& out) {
    std::string ids;
    for (const auto& id : r.value("stopped", json::array()))
        if (id.is_string()) ids += (ids.empty() ? "" : ", ") + id.get<std::string>();
    out << (ids.empty() ? "nothing was on air" : "stopped: " + ids + " (logged cancelled)") << '\n';
}

void print_reload_result(const OnlineOptions&, const json& r, std::ostream& out) {
    print_reload(r, out);
}

void volume_options(CLI::App& sub, OnlineOptions& o) {
    sub.add_option("[ZONE] LEVEL", o.volume_args, "a zone (default: every zone), then 0.8 or 80%")
        ->expected(1, 2)
        ->required();
}
void volume_check(OnlineOptions& o) {
    const auto& level = o.volume_args.back();
    auto parsed = parse_level(level);
    if (!parsed)
        throw CLI::ValidationError("LEVEL",
                                   "'" + level + "' is not a level: 0.0 to 1.0, or 0% to 100%");
    o.level = *parsed;
    if (o.volume_args.size() == 2) o.zone = o.volume_args.front();
}
json volume_request(const OnlineOptions& o) {
    json args = {{"level", o.level}};
    if (o.zone) args["zone"] = *o.zone;
    return args;
}
void print_volume(const OnlineOptions& o, const json&, std::ostream& out) {
    out << "volume of " << (o.zone ? "zone " + *o.zone : std::string("every zone")) << " set to "
        << percent(o.level) << '\n';
}

using std::chrono::seconds;

// Every online command, in the order --help lists them.
const OnlineCommand commands[] = {
    {cmd::status,
     "Show what is on air (with position), the next firing, pause, schedule and uptime", nullptr,
     nullptr, nullptr, print_status_result},
    {cmd::next, "List the next firings", next_options, nullptr, next_request, print_next_result},
    {cmd::play, "Air an announcement from the schedule now", play_options, nullptr, play_request,
     print_play},
    {cmd::announce,
     "Air an ad-hoc message: an audio FILE or --tts TEXT; --priority emergency interrupts what is "
     "on air",
     announce_options, announce_check, announce_request, print_announce},
    {cmd::live,
     "Air a live source (a microphone, a line input, a stream) until wardcastctl stop; "
     "--priority emergency interrupts what is on air",
     live_options, live_check, live_request, print_live},
    {cmd::pause, "Hold scheduled broadcasts (they are skipped)", pause_options, pause_check,
     pause_request, print_pause},
    {cmd::resume, "End a pause: scheduled broadcasts air again", nullptr, nullptr, nullptr,
     print_resume},
    {cmd::stop, "End what is on air now (logged cancelled)", nullptr, nullptr, nullptr, print_stop},
    // Reloading probes every audio file of the schedule: allow it time.
    {cmd::reload,
     "Read the schedule file again; when it is invalid, print its errors and keep the old one",
     nullptr, nullptr, nullptr, print_reload_result, seconds(300)},
    {cmd::volume, "Set the volume of one zone, or of every zone", volume_options, volume_check,
     volume_request, print_volume},
    {cmd::watch, "Print broadcasts and operator commands as they happen, until Ctrl-C", nullptr,
     nullptr, nullptr, nullptr, seconds(30), run_watch},
};

}  // namespace

std::span<const OnlineCommand> online_commands() noexcept { return commands; }

CLI::App* add_online_command(CLI::App& app, const OnlineCommand& command, OnlineOptions& o) {
    assert(command.print || command.run);
    auto* sub = app.add_subcommand(command.name, command.help);
    sub->add_option("--socket", o.socket,
                    "wardcastd's control socket (default: /run/wardcast/control.sock, or for a "
                    "user $XDG_RUNTIME_DIR/wardcast/control.sock first)")
        ->envname("WARDCAST_SOCKET");
    sub->add_flag("--json", o.json, "one JSON object a line, for scripts");
    sub->footer(exit_codes);
    sub->callback([&o, &command] {
        if (command.check) command.check(o);
        o.command = &command;
    });
    if (command.add_options) command.add_options(*sub, o);
    return sub;
}

int run_online(const OnlineOptions& o, std::ostream& out, std::ostream& err) {
    const OnlineCommand& command = *o.command;
    json args = json::object();
    try {
        if (command.request) args = command.request(o);
    } catch (const std::runtime_error& e) {
        err << "wardcastctl: " << command.name << ": " << e.what() << '\n';
        return exit_failed;
    }
    auto paths = o.socket.empty() ? protocol::client_socket_candidates()
                                  : std::vector<std::string>{o.socket};
    try {
        Client client(paths);
        if (command.run) return command.run(client, o, out, err);
        json reply = client.request(command.name, args, command.timeout);
        if (!reply.value("ok", false)) return refused(o, reply, out, err);
        const json& result = reply["result"];
        if (o.json)
            out << protocol::frame(result);
        else
            command.print(o, result, out);
        return exit_ok;
    } catch (const Unreachable& e) {
        err << "wardcastctl: " << e.what() << '\n';
        return exit_unreachable;
    }
}

}  // namespace wardcast::ctl
