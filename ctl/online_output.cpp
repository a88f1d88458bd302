#include "ctl/online_output.hpp"

#include <chrono>
#include <optional>

#include "common/names.hpp"
#include "common/protocol.hpp"
#include "ctl/table.hpp"
#include "schedules/timefmt.hpp"

namespace wardcast::ctl {

namespace sch = wardcast::schedules;
using nlohmann::json;

namespace {

std::string text_of(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

long long number_of(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_number() ? it->get<long long>() : 0;
}

std::string joined(const json& list) {
    std::string text;
    if (!list.is_array()) return text;
    for (const auto& item : list)
        if (item.is_string()) text += (text.empty() ? "" : ", ") + item.get<std::string>();
    return text;
}

/// "Title (id)", or the id alone when there is no title.
std::string named(const json& item) {
    auto title = text_of(item, "title"), id = text_of(item, "announcement");
    return title.empty() || title == id ? id : title + " (" + id + ")";
}

std::string zones_of(const json& item) {
    auto zones = joined(item.value("zones", json::array()));
    return zones.empty() ? "every zone" : zones;
}

/// An ISO 8601 instant, also with fractional seconds ("…T06:00:00.250Z", as events carry).
std::optional<sch::Instant> parse_instant(const std::string& text, const date::time_zone& zone) {
    if (auto parsed = sch::parse_date_or_instant(text, zone)) return parsed;
    auto dot = text.find('.');
    if (dot == std::string::npos) return std::nullopt;
    auto end = text.find_first_not_of("0123456789", dot + 1);
    std::string whole = text.substr(0, dot) + (end == std::string::npos ? "" : text.substr(end));
    return sch::parse_date_or_instant(whole, zone);
}

std::string plural(std::size_t n, const char* word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

}  // namespace

StationTime::StationTime(const std::string& timezone) : zone_(nullptr) {
    try {
        zone_ = timezone.empty() ? date::current_zone() : date::locate_zone(timezone);
    } catch (const std::exception&) {
        zone_ = date::locate_zone("UTC");
    }
}

std::string StationTime::when(const json& instant) const {
    if (!instant.is_string()) return "—";
    auto text = instant.get<std::string>();
    auto parsed = parse_instant(text, *zone_);
    if (!parsed) return text;
    auto local = date::make_zoned(zone_, *parsed).get_local_time();
    auto weekday = date::format("%a", date::floor<date::days>(local));
    return weekday + " " + sch::format_local(*parsed, *zone_).substr(0, 10) + " " +
           sch::format_local_time(*parsed, *zone_);
}

std::string StationTime::clock(const json& instant) const {
    if (!instant.is_string()) return "—";
    auto text = instant.get<std::string>();
    auto parsed = parse_instant(text, *zone_);
    return parsed ? sch::format_local(*parsed, *zone_).substr(11) : text;
}

std::string format_position(long long ms) {
    long long s = std::max(0LL, ms) / 1000;
    char buffer[32];
    if (s >= 3600)
        std::snprintf(buffer, sizeof buffer, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
    else
        std::snprintf(buffer, sizeof buffer, "%02lld:%02lld", s / 60, s % 60);
    return buffer;
}

std::string format_age(long long ms) {
    long long minutes = std::max(0LL, ms) / 60000;
    if (minutes < 1) return "less than a minute";
    if (minutes < 60) return std::to_string(minutes) + " min";
    if (minutes < 48 * 60) return std::to_string(minutes / 60) + " h";
    return plural(static_cast<std::size_t>(minutes / (24 * 60)), "day");
}

void print_status(const json& r, std::ostream& out) {
    StationTime time(text_of(r, "timezone"));
    auto station = text_of(r, "station");
    if (!station.empty())
        out << "Station: " << station << " (" << time.zone().name() << "), wardcastd "
            << text_of(r, "version") << '\n';

    for (const auto& f : r.value("faults", json::array())) {
        if (text_of(f, "what") == protocol::fault::log)
            out << "FAULT: the broadcast log cannot be written (" << text_of(f, "reason")
                << ") since " << time.when(f.value("since", json())) << "; " << number_of(f, "held")
                << (number_of(f, "held") == 1 ? " entry" : " entries")
                << " held in memory until it can. Broadcasts go on.\n";
        else
            out << "FAULT: " << text_of(f, "what") << ": " << text_of(f, "reason") << '\n';
    }

    const json on_air = r.value("on_air", json::array());
    if (on_air.empty()) out << "On air: nothing\n";
    for (const auto& a : on_air) {
        out << "On air: " << named(a) << " on " << zones_of(a);
        auto trigger = text_of(a, "trigger");
        if (!trigger.empty() && names::parse_trigger(trigger) != names::Trigger::schedule)
            out << " (" << trigger << ")";
        if (auto source = text_of(a, "source"); !source.empty()) out << ", from " << source;
        auto elapsed = a.find("elapsed_ms");
        long long length = number_of(a, "length_ms");
        if (elapsed == a.end() || !elapsed->is_number()) {
            out << " — starting";
        } else if (length > 0) {
            long long done = std::min(elapsed->get<long long>(), length);
            out << " — " << format_position(done) << " of " << format_position(length) << ", "
                << format_position(length - done) << " left";
        } else {
            out << " — " << format_position(elapsed->get<long long>()) << " in";
        }
        out << '\n';
    }

    auto next = r.find("next");
    if (next != r.end() && next->is_object())
        out << "Next: " << named(*next) << " at " << time.when((*next)["scheduled"]) << " on "
            << zones_of(*next) << '\n';
    else
        out << "Next: nothing scheduled\n";

    if (r.value("paused", false)) {
        auto until = r.find("paused_until");
        if (until != r.end() && until->is_string())
            out << "Paused until " << time.when(*until) << " (wardcastctl resume to end it)\n";
        else
            out << "Paused until resumed (wardcastctl resume)\n";
    }

    auto sha = text_of(r, "schedule_sha256");
    out << "Schedule: " << text_of(r, "schedule_path");
    if (!sha.empty()) out << " (sha256 " << sha.substr(0, 8) << "…)";
    out << " since " << time.when(r.value("schedule_since", json())) << '\n';

    auto now = parse_instant(text_of(r, "now"), time.zone());
    auto since = parse_instant(text_of(r, "daemon_since"), time.zone());
    out << "Up since " << time.when(r.value("daemon_since", json()));
    if (now && since) out << " (" << format_age((*now - *since).count()) << ")";
    out << '\n';
}

void print_next(const json& r, std::ostream& out) {
    StationTime time(text_of(r, "timezone"));
    const json firings = r.value("firings", json::array());
    if (firings.empty()) {
        out << "Nothing scheduled.\n";
        return;
    }
    Table table({"WHEN", "ANNOUNCEMENT", "TITLE", "ZONES"});
    for (const auto& f : firings)
        table.add_row({time.when(f.value("scheduled", json())), text_of(f, "announcement"),
                       truncate(text_of(f, "title"), 48), zones_of(f)});
    table.print(out);
}

void print_reload(const json& r, std::ostream& out) {
    std::string summary;
    for (const char* what : {"added", "removed", "changed"}) {
        const json ids = r.value(what, json::array());
        if (ids.empty()) continue;
        summary += (summary.empty() ? "" : ", ") + std::to_string(ids.size()) + " " + what + " (" +
                   joined(ids) + ")";
    }
    out << "reloaded: " << (summary.empty() ? "no announcement changed" : summary);
    auto sha = text_of(r, "sha256");
    if (!sha.empty()) out << "; schedule sha256 " << sha.substr(0, 8) << "…";
    out << '\n';
}

void print_event(const json& e, const StationTime& time, std::ostream& out) {
    auto name = text_of(e, "event");
    // When it happened: `at` when the event says, else when the broadcast started or was due.
    json at = e.value("at", json());
    namespace event = protocol::event;
    if (!at.is_string() && name == event::broadcast_end) at = e.value("ended", json());
    if (!at.is_string()) at = e.value("started", json());
    if (!at.is_string()) at = e.value("scheduled", json());
    out << time.clock(at) << ' ';
    if (name == event::broadcast_start) {
        out << "on air   " << named(e) << " on " << zones_of(e);
        auto trigger = text_of(e, "trigger");
        if (!trigger.empty()) out << " (" << trigger << ")";
    } else if (name == event::broadcast_end) {
        out << "ended    " << named(e) << ": " << text_of(e, "status");
        auto error = text_of(e, "error");
        if (!error.empty()) out << " — " << error;
    } else if (name == event::fault && text_of(e, "what") == protocol::fault::log) {
        if (text_of(e, "state") == protocol::fault::cleared)
            out << "fault    cleared: the broadcast log is written again, with every held entry";
        else
            out << "fault    the broadcast log cannot be written (" << text_of(e, "reason")
                << "): entries are held in memory until it can";
    } else if (name == event::operator_command) {
        out << "operator " << text_of(e, "user") << ": " << text_of(e, "command") << " → "
            << text_of(e, "result");
    } else {
        json rest = e;
        rest.erase("v");
        out << (name.empty() ? "event" : name) << ' '
            << rest.dump(-1, ' ', false, json::error_handler_t::replace);
    }
    out << '\n';
}

}  // namespace wardcast::ctl
