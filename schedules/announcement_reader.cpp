#include "schedules/announcement_reader.hpp"

#include <algorithm>
#include <array>
#include <regex>

#include "schedules/relay_reader.hpp"
#include "schedules/timefmt.hpp"

namespace wardcast::schedules {

namespace {

const std::array<const char*, 7> kWeekdays = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

bool valid_id(const std::string& id) {
    return !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    });
}

std::optional<AudioRef> audio_ref(YamlReader& r, const YAML::Node& node, const std::string& key,
                                  const std::filesystem::path& base_dir) {
    auto written = r.text(node, key);
    if (!written) return std::nullopt;
    if (written->empty()) {
        r.error(node, "'" + key + "' names no file");
        return std::nullopt;
    }
    std::filesystem::path p(*written);
    return AudioRef{*written, p.is_absolute() ? p : (base_dir / p).lexically_normal(),
                    r.mark_of(node)};
}

std::optional<Priority> priority_of(YamlReader& r, const YAML::Node& node) {
    auto value = r.text(node, "priority");
    if (!value) return std::nullopt;
    if (auto p = names::parse_priority(*value)) return p;
    std::string hint = closest_match(*value, names::all_names(names::priorities));
    r.error(node, "priority '" + *value + "' is not one of " + names::listed(names::priorities) +
                      (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
    return std::nullopt;
}

std::optional<std::uint8_t> days_of(YamlReader& r, const YAML::Node& node) {
    auto items = r.list(node, "days");
    if (!items) return std::nullopt;
    if (items->empty()) {
        r.error(node, "'days' is empty: name at least one day (mon, tue, wed, thu, fri, sat, sun)");
        return std::nullopt;
    }
    std::uint8_t mask = 0;
    bool ok = true;
    std::vector<std::string> names(kWeekdays.begin(), kWeekdays.end());
    for (const auto& item : *items) {
        auto name = r.text(item, "days");
        if (!name) {
            ok = false;
            continue;
        }
        std::string lower = *name;
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        auto it = std::find(names.begin(), names.end(), lower);
        if (it == names.end()) {
            std::string hint = closest_match(lower, names);
            r.error(item, "day '" + *name + "' is not one of mon, tue, wed, thu, fri, sat, sun" +
                              (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
            ok = false;
            continue;
        }
        mask |= static_cast<std::uint8_t>(1u << (it - names.begin()));
    }
    return ok ? std::optional(mask) : std::nullopt;
}

std::optional<std::uint32_t> monthdays_of(YamlReader& r, const YAML::Node& node) {
    auto items = r.list(node, "monthdays");
    if (!items) return std::nullopt;
    if (items->empty()) {
        r.error(node, "'monthdays' is empty: name at least one day of the month (1 to 31)");
        return std::nullopt;
    }
    std::uint32_t mask = 0;
    bool ok = true;
    for (const auto& item : *items) {
        if (auto d = r.integer(item, "monthdays", 1, 31))
            mask |= 1u << *d;
        else
            ok = false;
    }
    return ok ? std::optional(mask) : std::nullopt;
}

std::optional<std::vector<FiringTime>> at_of(YamlReader& r, const YAML::Node& node) {
    auto items = r.list(node, "at");
    if (!items) return std::nullopt;
    if (items->empty()) {
        r.error(node, "empty time list: 'at' must name at least one time HH:MM");
        return std::nullopt;
    }
    std::vector<FiringTime> times;
    bool ok = true;
    for (const auto& item : *items) {
        if (auto t = r.time_of_day(item, "at"))
            times.push_back({*t, r.mark_of(item)});
        else
            ok = false;
    }
    return ok ? std::optional(times) : std::nullopt;
}

std::optional<std::pair<FiringTime, FiringTime>> between_of(YamlReader& r, const YAML::Node& node) {
    if (!node.IsSequence() || node.size() != 2) {
        r.error(node,
                "'between' must be two times, like [\"06:00\", \"08:00\"], not " + describe(node));
        return std::nullopt;
    }
    auto from = r.time_of_day(node[0], "between");
    auto to = r.time_of_day(node[1], "between");
    if (!from || !to) return std::nullopt;
    if (*from > *to) {
        r.error(node[1], "'between' ends at " + format_time_of_day(*to) + ", before it starts at " +
                             format_time_of_day(*from) + " (it may not cross midnight)");
        return std::nullopt;
    }
    return std::pair{FiringTime{*from, r.mark_of(node[0])}, FiringTime{*to, r.mark_of(node[1])}};
}

void read_window(YamlReader& r, const YAML::Node& node, AnnouncementFields& f) {
    f.window_written = true;
    if (!r.check_keys(node, {"from", "until"}, "window")) return;
    if (node["from"]) f.window_from = r.date(node["from"], "from");
    if (node["until"]) f.window_until = r.date(node["until"], "until");
    if (f.window_from && f.window_until && *f.window_until < *f.window_from) {
        r.error(node["until"], "window ends on " + format_date(*f.window_until) +
                                   ", before it starts on " + format_date(*f.window_from));
    }
}

std::optional<Tts> tts_of(YamlReader& r, const YAML::Node& node) {
    Tts tts;
    tts.mark = r.mark_of(node);
    if (node.IsScalar()) {
        tts.text = node.Scalar();
    } else {
        if (!r.check_keys(node, {"text", "voice"}, "tts")) return std::nullopt;
        if (!node["text"]) {
            r.error(node, "'tts' needs 'text', the words to speak");
            return std::nullopt;
        }
        auto text = r.text(node["text"], "text");
        if (!text) return std::nullopt;
        tts.text = *text;
        if (node["voice"]) {
            auto voice = r.text(node["voice"], "voice");
            if (!voice) return std::nullopt;
            tts.voice = *voice;
        }
    }
    if (tts.text.find_first_not_of(" \t\r\n") == std::string::npos) {
        r.error(node, "'tts' text is empty: write the words to speak");
        return std::nullopt;
    }
    return tts;
}

}  // namespace

const std::vector<std::string>& announcement_keys() {
    static const std::vector<std::string> keys = {
        "id",     "title", "audio",    "tts",       "relay",    "chime",     "zones", "volume",
        "repeat", "gap",   "priority", "window",    "days",     "monthdays", "dates", "except",
        "at",     "every", "between",  "max_delay", "catch_up", "normalize"};
    return keys;
}

AnnouncementFields read_announcement_fields(YamlReader& r, const YAML::Node& node,
                                            const std::filesystem::path& base_dir,
                                            bool is_defaults) {
    AnnouncementFields f;
    std::vector<std::string> known = announcement_keys();
    if (is_defaults) known.erase(known.begin());  // no default id
    if (!r.check_keys(node, known, is_defaults ? "defaults" : "announcement")) return f;

    for (const auto& kv : node) {
        if (!kv.first.IsScalar()) continue;
        const std::string key = kv.first.Scalar();
        const YAML::Node& v = kv.second;
        if (key == "id" && !is_defaults) {
            if (auto id = r.text(v, "id")) {
                if (valid_id(*id))
                    f.id = *id;
                else
                    r.error(v, "id '" + *id +
                                   "' may use only lower-case letters, digits, '.', '_' and '-'");
            }
        } else if (key == "title") {
            f.title = r.text(v, "title");
        } else if (key == "audio") {
            f.audio_written = true;
            auto items = r.list(v, "audio");
            if (!items) continue;
            if (items->empty()) {
                r.error(v, "'audio' names no file");
                continue;
            }
            std::vector<AudioRef> refs;
            for (const auto& item : *items)
                if (auto ref = audio_ref(r, item, "audio", base_dir)) refs.push_back(*ref);
            if (refs.size() == items->size()) f.audio = refs;
        } else if (key == "tts") {
            f.tts_written = true;
            f.tts = tts_of(r, v);
        } else if (key == "relay") {
            f.relay_written = true;
            f.relay = read_relay(r, v);
        } else if (key == "chime") {
            bool none =
                v.IsNull() || (v.IsScalar() && (v.Scalar() == "none" || v.Scalar() == "false"));
            if (none)
                f.chime = std::optional<AudioRef>{};
            else if (auto ref = audio_ref(r, v, "chime", base_dir))
                f.chime = std::optional<AudioRef>{*ref};
        } else if (key == "zones") {
            auto items = r.list(v, "zones");
            if (!items) continue;
            if (items->empty()) {
                r.error(v, "'zones' is empty: name at least one zone");
                continue;
            }
            std::vector<std::pair<std::string, Mark>> zones;
            for (const auto& item : *items)
                if (auto z = r.text(item, "zones")) zones.emplace_back(*z, r.mark_of(item));
            f.zones = zones;
        } else if (key == "volume") {
            f.volume = r.number(v, "volume", 0.0, 1.0);
        } else if (key == "repeat") {
            f.repeat_key = r.mark_of(kv.first);
            if (auto n = r.integer(v, "repeat", 1, 100)) f.repeat = static_cast<int>(*n);
        } else if (key == "gap") {
            f.gap_key = r.mark_of(kv.first);
            f.gap = r.duration(v, "gap");
        } else if (key == "priority") {
            f.priority = priority_of(r, v);
        } else if (key == "max_delay") {
            f.max_delay = r.duration(v, "max_delay");
        } else if (key == "catch_up") {
            f.catch_up = r.duration(v, "catch_up");
        } else if (key == "normalize") {
            auto value = r.text(v, "normalize");
            if (value == "true" || value == "yes")
                f.normalize = true;
            else if (value == "false" || value == "no")
                f.normalize = false;
            else if (value)
                r.error(v, "'normalize' must be true or false, not '" + *value + "'");
        } else if (key == "window") {
            read_window(r, v, f);
        } else if (key == "days") {
            f.days = days_of(r, v);
        } else if (key == "monthdays") {
            f.monthdays = monthdays_of(r, v);
        } else if (key == "dates") {
            f.dates = r.dates(v, "dates");
            if (f.dates && f.dates->empty()) {
                r.error(v, "'dates' is empty: name at least one date, or leave 'dates' out");
                f.dates.reset();
            }
        } else if (key == "except") {
            f.except = r.dates(v, "except");
        } else if (key == "at") {
            f.at_written = true;
            f.at = at_of(r, v);
        } else if (key == "every") {
            f.every_written = true;
            f.every_mark = r.mark_of(v);
            if (auto d = r.duration(v, "every")) {
                if (*d < std::chrono::seconds(1))
                    r.error(v, "'every' must be at least 1s");
                else
                    f.every = d;
            }
        } else if (key == "between") {
            f.between_written = true;
            f.between = between_of(r, v);
        }
    }
    return f;
}

namespace {

/// The firing times of an announcement: its own `at` or `every`+`between`, else the defaults'.
/// Returns nullopt when none (reported unless a bad value was reported already).
std::optional<std::vector<FiringTime>> firing_times(YamlReader& r, const YAML::Node& node,
                                                    const AnnouncementFields& own,
                                                    const AnnouncementFields& defaults,
                                                    const std::string& id) {
    bool own_written = own.at_written || own.every_written || own.between_written;
    const AnnouncementFields& f = own_written ? own : defaults;
    if (f.at_written && (f.every_written || f.between_written)) {
        r.error(node, "announcement '" + id + "' has both 'at' and 'every'/'between': use one");
        return std::nullopt;
    }
    if (f.at_written) return f.at;
    if (f.every_written != f.between_written) {
        r.error(node,
                "announcement '" + id + "' has '" + (f.every_written ? "every" : "between") +
                    "' without '" + (f.every_written ? "between" : "every") +
                    "': write both, like every: " + "30m and between: [\"06:00\", \"08:00\"]");
        return std::nullopt;
    }
    if (!f.every_written) {
        r.error(node, "announcement '" + id +
                          "' has no time: write 'at: [\"06:00\"]' or 'every' with 'between'");
        return std::nullopt;
    }
    if (!f.every || !f.between) return std::nullopt;
    std::vector<FiringTime> times;
    for (TimeOfDay t = f.between->first.time; t <= f.between->second.time;
         t += std::chrono::duration_cast<TimeOfDay>(*f.every)) {
        times.push_back({t, f.every_mark});
        if (*f.every < std::chrono::seconds(1)) break;
    }
    return times;
}

template <typename T>
T pick(const std::optional<T>& own, const std::optional<T>& fallback, T builtin) {
    return own ? *own : fallback ? *fallback : builtin;
}

}  // namespace

std::optional<Announcement> build_announcement(YamlReader& r, const YAML::Node& node,
                                               const AnnouncementFields& own,
                                               const AnnouncementFields& defaults,
                                               const Schedule& schedule) {
    if (!node.IsMap()) return std::nullopt;  // reported by read_announcement_fields
    if (!node["id"]) {
        r.error(node, "announcement has no 'id'");
        return std::nullopt;
    }
    if (!own.id) return std::nullopt;

    Announcement a;
    a.id = *own.id;
    a.mark = r.mark_of(node["id"]);
    a.file = r.file();
    a.title = pick(own.title, defaults.title, a.id);

    // Sound: the announcement's own choice of audio, tts or relay overrides the defaults'.
    bool own_sound = own.audio_written || own.tts_written || own.relay_written;
    const AnnouncementFields& sound = own_sound ? own : defaults;
    std::vector<std::string> written;
    if (sound.audio_written) written.push_back("'audio'");
    if (sound.tts_written) written.push_back("'tts'");
    if (sound.relay_written) written.push_back("'relay'");
    const bool is_relay = written.size() == 1 && sound.relay_written;
    if (written.size() == 2) {
        r.error(node, "announcement '" + a.id + "' has both " + written[0] + " and " + written[1] +
                          ": use one");
    } else if (written.size() == 3) {
        r.error(node, "announcement '" + a.id + "' has 'audio', 'tts' and 'relay': use one");
    } else if (written.empty()) {
        r.error(node,
                "announcement '" + a.id + "' has nothing to play: add 'audio', 'tts' or 'relay'");
    } else if (sound.audio) {
        a.audio = *sound.audio;
    } else if (sound.tts) {
        a.tts = sound.tts;
    } else if (sound.relay) {
        a.relay = sound.relay;
    }  // else: a bad value, already reported

    if (own.chime)
        a.chime = *own.chime;
    else if (defaults.chime)
        a.chime = *defaults.chime;

    if (auto zones = own.zones ? own.zones : defaults.zones) {
        for (const auto& [id, mark] : *zones) {
            if (schedule.find_zone(id)) {
                if (std::find(a.zones.begin(), a.zones.end(), id) == a.zones.end())
                    a.zones.push_back(id);
                continue;
            }
            std::vector<std::string> ids;
            for (const auto& z : schedule.zones) ids.push_back(z.id);
            std::string hint = closest_match(id, ids);
            std::string list;
            for (const auto& z : ids) list += (list.empty() ? "" : ", ") + z;
            r.error_at(mark, "unknown zone '" + id + "'" +
                                 (hint.empty() ? " (zones: " + list + ")"
                                               : " (did you mean '" + hint + "'?)"));
        }
    } else {
        for (const auto& z : schedule.zones) a.zones.push_back(z.id);
    }

    a.volume = pick(own.volume, defaults.volume, 1.0);
    a.repeat = pick(own.repeat, defaults.repeat, 1);
    a.gap = pick(own.gap, defaults.gap, Duration{0});
    if (is_relay) {
        // Refused only where written on the relay itself: a `repeat` in `defaults` is meant for
        // the station's recorded messages and must not make every relay invalid.
        if (own.repeat_key) r.error_at(*own.repeat_key, refused_with_relay("repeat"));
        if (own.gap_key) r.error_at(*own.gap_key, refused_with_relay("gap"));
        a.repeat = 1;
        a.gap = Duration{0};
    }
    a.priority = pick(own.priority, defaults.priority, Priority::normal);
    a.max_delay = pick<Duration>(own.max_delay, defaults.max_delay, std::chrono::minutes(10));
    a.catch_up = pick<Duration>(own.catch_up, defaults.catch_up, std::chrono::minutes(5));
    a.normalize = pick(own.normalize, defaults.normalize, true);

    const AnnouncementFields& window = own.window_written ? own : defaults;
    a.window_from = window.window_from;
    a.window_until = window.window_until;
    a.days = pick<std::uint8_t>(own.days, defaults.days, 0x7f);
    a.monthdays = pick<std::uint32_t>(own.monthdays, defaults.monthdays, 0);
    a.dates = pick(own.dates, defaults.dates, {});
    a.except = pick(own.except, defaults.except, {});

    if (auto times = firing_times(r, node, own, defaults, a.id)) {
        std::stable_sort(times->begin(), times->end(),
                         [](const FiringTime& x, const FiringTime& y) { return x.time < y.time; });
        times->erase(
            std::unique(times->begin(), times->end(),
                        [](const FiringTime& x, const FiringTime& y) { return x.time == y.time; }),
            times->end());
        a.times = std::move(*times);
    }
    return a;  // possibly incomplete: its errors are reported, and later checks still run
}

}  // namespace wardcast::schedules
