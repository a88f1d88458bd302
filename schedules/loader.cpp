#include "schedules/loader.hpp"

#include <glob.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

#include "schedules/announcement_reader.hpp"
#include "schedules/relay_reader.hpp"
#include "schedules/timefmt.hpp"
#include "schedules/yaml_reader.hpp"

namespace wardcast::schedules {

namespace {

const std::vector<std::string> kTopKeys = {"version",     "station",  "zones",   "defaults",
                                           "quiet_hours", "holidays", "include", "announcements"};

/// Parses a file, reporting bad YAML with its place. Null node when unreadable.
std::optional<YAML::Node> parse_file(const std::filesystem::path& path, const std::string& name,
                                     Diagnostics& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        out.push_back({Diagnostic::Severity::error,
                       {name, 0, 0},
                       std::string("cannot read the file: ") +
                           (std::filesystem::exists(path) ? "permission denied" : "no such file")});
        return std::nullopt;
    }
    std::stringstream buffer;
    buffer << in.rdbuf();
    try {
        return YAML::Load(buffer.str());
    } catch (const YAML::Exception& e) {
        Mark m{name, e.mark.is_null() ? 0 : e.mark.line + 1,
               e.mark.is_null() ? 0 : e.mark.column + 1};
        out.push_back({Diagnostic::Severity::error, m, "bad YAML: " + e.msg});
        return std::nullopt;
    }
}

bool has_glob_chars(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

/// `pattern` (absolute) with the part under `r.from` moved under `r.to`; unchanged when it
/// does not lie under `r.from`. Compared as written, then (for a folder reached through a
/// symbolic link) with the pattern's leading glob-free folders resolved.
std::filesystem::path redirected(const std::filesystem::path& pattern, const IncludeRedirect& r) {
    auto under = [](const std::filesystem::path& p,
                    const std::filesystem::path& base) -> std::optional<std::filesystem::path> {
        auto pi = p.begin();
        for (auto bi = base.begin(); bi != base.end(); ++bi, ++pi) {
            if (bi->empty() && std::next(bi) == base.end()) break;  // a trailing '/'
            if (pi == p.end() || *pi != *bi) return std::nullopt;
        }
        std::filesystem::path rest;
        for (; pi != p.end(); ++pi) rest /= *pi;
        return rest;
    };
    const auto p = pattern.lexically_normal();
    const auto from = std::filesystem::absolute(r.from).lexically_normal();
    if (auto rest = under(p, from)) return r.to / *rest;
    std::filesystem::path head, tail;
    bool globbing = false;
    for (const auto& part : p) {
        globbing = globbing || has_glob_chars(part.string());
        (globbing ? tail : head) /= part;
    }
    std::error_code ec;
    const auto real_head = std::filesystem::weakly_canonical(head, ec);
    const auto real_from = std::filesystem::weakly_canonical(from, ec);
    if (ec) return pattern;
    if (auto rest = under(real_head / tail, real_from)) return r.to / *rest;
    return pattern;
}

/// Files named by one `include` entry, sorted by name.
std::vector<std::filesystem::path> expand_include(const std::filesystem::path& pattern) {
    std::vector<std::filesystem::path> out;
    glob_t g{};
    if (::glob(pattern.c_str(), 0, nullptr, &g) == 0) {
        for (std::size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
    }
    ::globfree(&g);
    std::sort(out.begin(), out.end());
    return out;
}

/// The folder a pattern's first component with glob characters lies in.
std::filesystem::path glob_folder(const std::filesystem::path& pattern) {
    std::filesystem::path folder;
    for (const auto& part : pattern) {
        if (has_glob_chars(part.string())) break;
        folder /= part;
    }
    return folder;
}

class Loader {
  public:
    Loader(LoadResult& result, const std::string& system_tz,
           const std::optional<IncludeRedirect>& redirect)
        : result_(result), s_(result.schedule), system_tz_(system_tz), redirect_(redirect) {}

    void load(const std::filesystem::path& path) {
        s_.main_file = path;
        s_.files.push_back(path);
        auto root = parse_file(path, path.string(), result_.diagnostics);
        if (!root) return;
        YamlReader r(path.string(), result_.diagnostics);
        if (!r.check_keys(*root, kTopKeys, "schedule")) return;
        const YAML::Node& doc = *root;
        auto base = path.parent_path();

        read_version(r, doc);
        read_station(r, doc["station"]);
        read_zones(r, doc["zones"], doc);
        if (doc["quiet_hours"]) read_quiet_hours(r, doc["quiet_hours"]);
        if (doc["holidays"])
            s_.holidays = r.dates(doc["holidays"], "holidays").value_or(std::vector<LocalDate>{});
        if (doc["defaults"]) defaults_ = read_announcement_fields(r, doc["defaults"], base, true);
        if (doc["announcements"]) read_announcements(r, doc["announcements"], base);
        if (doc["include"]) read_includes(r, doc["include"], base);
    }

  private:
    void read_version(YamlReader& r, const YAML::Node& doc) {
        if (!doc["version"]) return;  // version 1 is the only one there is
        auto v = r.text(doc["version"], "version");
        if (v && *v != "1") {
            r.error(doc["version"], "schedule version '" + *v +
                                        "' is not supported: this wardcast reads version 1");
        }
    }

    void read_station(YamlReader& r, const YAML::Node& node) {
        s_.timezone_name = system_tz_;
        YAML::Node tz_node;
        if (node) {
            if (r.check_keys(node, {"name", "timezone", "live_source"}, "station")) {
                if (node["name"]) s_.station_name = r.text(node["name"], "name").value_or("");
                if (const YAML::Node live = node["live_source"]) {
                    if (auto source = read_source(r, live, "live_source", "live source"))
                        s_.live_source = LiveSource{*source, r.mark_of(live)};
                }
                if (node["timezone"]) {
                    tz_node = node["timezone"];
                    if (auto tz = r.text(tz_node, "timezone")) s_.timezone_name = *tz;
                }
            }
        }
        try {
            s_.timezone = date::locate_zone(s_.timezone_name);
        } catch (const std::exception&) {
            std::vector<std::string> names;
            for (const auto& z : date::get_tzdb().zones) names.push_back(z.name());
            std::string hint = closest_match(s_.timezone_name, names);
            std::string message = "unknown time zone '" + s_.timezone_name + "'" +
                                  (hint.empty() ? " (an IANA name like Asia/Ho_Chi_Minh)"
                                                : " (did you mean '" + hint + "'?)");
            if (tz_node)
                r.error(tz_node, message);
            else
                r.error_at({r.file(), 0, 0}, message + " from the system; set station.timezone");
            s_.timezone = date::locate_zone("UTC");
        }
    }

    void read_zones(YamlReader& r, const YAML::Node& node, const YAML::Node& doc) {
        if (!node || (node.IsSequence() && node.size() == 0) || node.IsNull()) {
            r.error(node ? node : doc, "the schedule needs at least one zone under 'zones'");
            return;
        }
        if (!node.IsSequence()) {
            r.error(node, "'zones' must be a list of zones, not " + describe(node));
            return;
        }
        std::map<std::string, Mark> seen;
        for (const auto& z : node) {
            if (!r.check_keys(z, {"id", "output", "volume"}, "zone")) continue;
            Zone zone;
            zone.mark = r.mark_of(z);
            if (!z["id"]) {
                r.error(z, "zone has no 'id'");
                continue;
            }
            auto id = r.text(z["id"], "id");
            if (!id) continue;
            zone.id = *id;
            zone.mark = r.mark_of(z["id"]);
            if (auto [it, fresh] = seen.emplace(zone.id, zone.mark); !fresh) {
                r.error(z["id"], "duplicate zone id '" + zone.id + "' (first at " +
                                     it->second.file + ":" + std::to_string(it->second.line) + ")");
                continue;
            }
            if (z["output"]) {
                if (auto out = r.text(z["output"], "output")) {
                    zone.output = *out;
                    check_output(r, z["output"], *out);
                }
            }
            if (z["volume"]) zone.volume = r.number(z["volume"], "volume", 0.0, 1.0).value_or(1.0);
            s_.zones.push_back(zone);
        }
    }

    static void check_output(YamlReader& r, const YAML::Node& node, const std::string& out) {
        auto starts = [&](const char* p) { return out.rfind(p, 0) == 0; };
        const char* hint = "auto, null, alsa:DEVICE, pulse:SINK, file:PATH.wav or rtp://HOST:PORT";
        if (out == "auto" || out == "null") return;
        if (starts("alsa:") || starts("pulse:")) {
            if (out.size() > out.find(':') + 1) return;
            r.error(node, "output '" + out + "' names no device (" + hint + ")");
        } else if (starts("file:")) {
            if (out.size() > 9 && out.substr(out.size() - 4) == ".wav") return;
            r.error(node, "output '" + out +
                              "' must name a .wav file, like file:/var/lib/wardcast/out.wav");
        } else if (starts("rtp://")) {
            auto rest = out.substr(6);
            auto colon = rest.rfind(':');
            bool ok = colon != std::string::npos && colon > 0 && colon + 1 < rest.size();
            if (ok) {
                auto port = rest.substr(colon + 1);
                ok = port.size() <= 5 &&
                     std::all_of(port.begin(), port.end(),
                                 [](char c) { return c >= '0' && c <= '9'; }) &&
                     std::stol(port) >= 1 && std::stol(port) <= 65535;
            }
            if (!ok)
                r.error(node,
                        "output '" + out + "' must be rtp://HOST:PORT with a port from 1 to 65535");
        } else {
            r.error(node, "unknown output '" + out + "' (" + hint + ")");
        }
    }

    void read_quiet_hours(YamlReader& r, const YAML::Node& node) {
        auto items = r.list(node, "quiet_hours");
        if (!items) return;
        for (const auto& q : *items) {
            if (!r.check_keys(q, {"from", "to"}, "quiet_hours entry")) continue;
            if (!q["from"] || !q["to"]) {
                r.error(q,
                        "quiet hours need both 'from' and 'to', like { from: \"21:30\", to: "
                        "\"05:30\" }");
                continue;
            }
            auto from = r.time_of_day(q["from"], "from");
            auto to = r.time_of_day(q["to"], "to");
            if (from && to) s_.quiet_hours.push_back({*from, *to, r.mark_of(q)});
        }
    }

    void read_announcements(YamlReader& r, const YAML::Node& node,
                            const std::filesystem::path& base) {
        if (node.IsNull()) return;
        if (!node.IsSequence()) {
            r.error(node, "'announcements' must be a list, not " + describe(node));
            return;
        }
        for (const auto& item : node) {
            auto own = read_announcement_fields(r, item, base, false);
            auto a = build_announcement(r, item, own, defaults_, s_);
            if (!a) continue;
            if (auto [it, fresh] = ids_.emplace(a->id, a->mark); !fresh) {
                r.error(item["id"], "duplicate announcement id '" + a->id + "' (first at " +
                                        it->second.file + ":" + std::to_string(it->second.line) +
                                        ")");
                continue;
            }
            a->order = s_.announcements.size();
            s_.announcements.push_back(std::move(*a));
        }
    }

    void read_includes(YamlReader& r, const YAML::Node& node, const std::filesystem::path& base) {
        auto items = r.list(node, "include");
        if (!items) return;
        std::set<std::filesystem::path> read{std::filesystem::weakly_canonical(s_.main_file)};
        for (const auto& item : *items) {
            auto pattern = r.text(item, "include");
            if (!pattern) continue;
            std::filesystem::path p(*pattern);
            if (!p.is_absolute()) p = base / p;
            if (redirect_) p = redirected(p, *redirect_);
            auto files = expand_include(p);
            if (files.empty()) {
                if (has_glob_chars(*pattern)) {
                    // An empty folder is a campaigns folder before its first campaign: only a
                    // pattern whose folder is not there at all looks like a mistake.
                    if (!std::filesystem::is_directory(glob_folder(p)))
                        r.warning(item, "include '" + *pattern + "' matches no file");
                } else
                    r.error(item, "included file '" + *pattern + "' not found (looked at " +
                                      p.lexically_normal().string() + ")");
                continue;
            }
            for (const auto& file : files) {
                if (!read.insert(std::filesystem::weakly_canonical(file)).second) continue;
                read_included_file(file);
            }
        }
    }

    void read_included_file(const std::filesystem::path& path) {
        s_.files.push_back(path);
        auto root = parse_file(path, path.string(), result_.diagnostics);
        if (!root) return;
        YamlReader r(path.string(), result_.diagnostics);
        if (root->IsNull()) return;  // an empty campaign file
        if (!root->IsMap()) {
            r.error(*root, "an included file must hold 'announcements:', not " + describe(*root));
            return;
        }
        for (const auto& kv : *root) {
            if (kv.first.IsScalar() && kv.first.Scalar() == "announcements") continue;
            std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
            std::string hint = closest_match(key, {"announcements"});
            r.error(kv.first,
                    "key '" + key +
                        "' is not allowed in an included file: it may hold only 'announcements'" +
                        (hint.empty() ? "" : " (did you mean 'announcements'?)"));
        }
        if ((*root)["announcements"])
            read_announcements(r, (*root)["announcements"], path.parent_path());
    }

    LoadResult& result_;
    Schedule& s_;
    std::string system_tz_;
    std::optional<IncludeRedirect> redirect_;
    AnnouncementFields defaults_;
    std::map<std::string, Mark> ids_;  // announcement id -> where first written
};

}  // namespace

LoadResult load_schedule(const std::filesystem::path& path, const std::string& system_timezone,
                         const std::optional<IncludeRedirect>& redirect) {
    LoadResult result;
    Loader(result, system_timezone, redirect).load(path);
    return result;
}

void tidy(Diagnostics& diagnostics, const Schedule& schedule) {
    auto file_rank = [&](const std::string& file) {
        for (std::size_t i = 0; i < schedule.files.size(); ++i)
            if (schedule.files[i].string() == file) return i;
        return schedule.files.size();
    };
    std::stable_sort(diagnostics.begin(), diagnostics.end(),
                     [&](const Diagnostic& a, const Diagnostic& b) {
                         return std::tuple(file_rank(a.where.file), a.where.line, a.where.column) <
                                std::tuple(file_rank(b.where.file), b.where.line, b.where.column);
                     });
    std::set<std::string> seen;
    std::erase_if(diagnostics,
                  [&](const Diagnostic& d) { return !seen.insert(d.to_string()).second; });
}

std::string system_timezone_name() {
    if (const char* tz = std::getenv("TZ"); tz && *tz) {
        std::string name = tz[0] == ':' ? tz + 1 : tz;
        try {
            return date::locate_zone(name)->name();
        } catch (const std::exception&) {
        }
    }
    try {
        return date::current_zone()->name();
    } catch (const std::exception&) {
        return "UTC";
    }
}

}  // namespace wardcast::schedules
