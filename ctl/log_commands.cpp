#include "ctl/log_commands.hpp"

#include <yaml-cpp/yaml.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <charconv>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <tuple>
#include <vector>

#include "common/names.hpp"
#include "ctl/offline_commands.hpp"
#include "ctl/table.hpp"
#include "log/log_reader.hpp"
#include "schedules/bundle.hpp"
#include "schedules/loader.hpp"
#include "schedules/timefmt.hpp"

namespace wardcast::ctl {

namespace {

using log::Instant;
using log::LogEntry;
using nlohmann::ordered_json;

// Widths come from the first rows, so that a year of entries streams without being held.
constexpr std::size_t kWidthSample = 1000;

std::string dump(const ordered_json& j) {
    return j.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

std::string joined(const std::vector<std::string>& items, const char* separator) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
    return out;
}

// RFC 4180: quoted only when needed, quotes doubled.
std::string csv_field(const std::string& text) {
    if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
    std::string out = "\"";
    for (const char c : text) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + '"';
}

constexpr std::array<const char*, 22> kFields = {
    "seq",          "kind",    "recorded_at", "station",     "announcement_id",
    "title",        "trigger", "uid",         "user",        "zones",
    "scheduled",    "started", "ended",       "lateness_ms", "aired_ms",
    "status",       "error",   "command",     "result",      "schedule_sha256",
    "audio_sha256", "hash"};

// aired_ms as seconds with one decimal, "-" when the row has none.
std::string aired_seconds(const std::optional<std::int64_t>& ms) {
    if (!ms) return "-";
    const std::int64_t tenths = (*ms + 50) / 100;
    return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10);
}

// schedules::format_instant and format_local, the same text, with the zone's offset kept
// from one instant to the next (a month of a log is in one or two offsets) and written
// without intermediate strings: a month of a district is four instants on each of tens of
// thousands of lines. Years outside 0000-9999 go to schedules' own functions.
class InstantText {
  public:
    explicit InstantText(const date::time_zone& zone) : zone_(zone) {}

    /// "2027-03-01T05:30:00+07:00" (format_instant).
    void instant(std::string& out, Instant i) { write(out, i, true); }
    /// "2027-03-01 05:30:00" (format_local).
    void local(std::string& out, Instant i) { write(out, i, false); }

  private:
    void write(std::string& out, Instant i, bool with_offset) {
        using namespace std::chrono;
        const date::sys_seconds s = date::floor<seconds>(i);
        if (!known_ || s < info_.begin || s >= info_.end) {
            info_ = zone_.get_info(s);
            known_ = true;
        }
        const date::local_seconds local{(s + info_.offset).time_since_epoch()};
        const auto day = date::floor<date::days>(local);
        const date::year_month_day ymd{day};
        const int year = static_cast<int>(ymd.year());
        if (year < 0 || year > 9999) {
            out += with_offset ? schedules::format_instant(i, zone_)
                               : schedules::format_local(i, zone_);
            return;
        }
        const long long t = (local - day).count();
        char buf[40];
        char* p = buf;
        const auto two = [&](long long v) {
            *p++ = static_cast<char>('0' + v / 10);
            *p++ = static_cast<char>('0' + v % 10);
        };
        two(year / 100), two(year % 100);
        *p++ = '-';
        two(static_cast<unsigned>(ymd.month()));
        *p++ = '-';
        two(static_cast<unsigned>(ymd.day()));
        *p++ = with_offset ? 'T' : ' ';
        two(t / 3600);
        *p++ = ':';
        two(t / 60 % 60);
        *p++ = ':';
        two(t % 60);
        if (with_offset) {
            const long long offset = info_.offset.count();
            const long long abs = offset < 0 ? -offset : offset;
            if (abs / 3600 >= 100) {
                out += schedules::format_instant(i, zone_);
                return;
            }
            *p++ = offset < 0 ? '-' : '+';
            two(abs / 3600);
            *p++ = ':';
            two(abs / 60 % 60);
            if (abs % 60) {
                *p++ = ':';
                two(abs % 60);
            }
        }
        out.append(buf, p);
    }

    const date::time_zone& zone_;
    date::sys_info info_{};
    bool known_ = false;
};

/// One entry as a JSON line or a CSV row, appended to a text. One per thread.
class LineFormat {
  public:
    explicit LineFormat(const date::time_zone& zone) : text_(zone) {}

    // Written by hand in kFields' order: a month of a district is tens of thousands of lines,
    // and building a json value for each costs more than reading them.
    void json(const LogEntry& e, std::string& line_) {
        // Keys with their quotes and colon, lengths known at compile time; the first opens
        // the object.
        auto key = [&](std::string_view quoted) { line_.append(quoted); };
        auto text = [&](std::string_view quoted, std::string_view value) {
            key(quoted);
            log::append_json_string(line_, value);
        };
        auto number = [&](std::string_view quoted, const std::optional<std::int64_t>& value) {
            key(quoted);
            if (!value) {
                line_.append("null");
                return;
            }
            char digits[24];
            line_.append(digits, std::to_chars(digits, digits + sizeof digits, *value).ptr);
        };
        auto when = [&](std::string_view quoted, const std::optional<Instant>& value) {
            key(quoted);
            if (!value) {
                line_ += "null";
                return;
            }
            line_ += '"';
            text_.instant(line_, *value);
            line_ += '"';
        };
        auto list = [&](std::string_view quoted, const std::vector<std::string>& items) {
            key(quoted);
            line_ += '[';
            for (const auto& item : items) {
                if (&item != &items.front()) line_ += ',';
                log::append_json_string(line_, item);
            }
            line_ += ']';
        };
        number("{\"seq\":", e.seq), text(",\"kind\":", names::name(e.kind));
        when(",\"recorded_at\":", e.recorded_at);
        text(",\"station\":", e.station), text(",\"announcement_id\":", e.announcement_id);
        text(",\"title\":", e.title), text(",\"trigger\":", names::name_or_empty(e.trigger));
        number(",\"uid\":", e.uid);
        text(",\"user\":", e.user), list(",\"zones\":", e.zones);
        when(",\"scheduled\":", e.scheduled);
        when(",\"started\":", e.started), when(",\"ended\":", e.ended);
        number(",\"lateness_ms\":", e.lateness_ms), number(",\"aired_ms\":", e.aired_ms);
        text(",\"status\":", names::name_or_empty(e.status));
        text(",\"error\":", e.error);
        text(",\"command\":", e.command), text(",\"result\":", e.result);
        text(",\"schedule_sha256\":", e.schedule_sha256);
        list(",\"audio_sha256\":", e.audio_sha256);
        text(",\"hash\":", e.hash);
        line_ += "}\n";
    }

    void csv(const LogEntry& e, std::string& line_) {
        auto opt = [](const std::optional<std::int64_t>& v) {
            return v ? std::to_string(*v) : std::string();
        };
        const std::array<std::string, kFields.size()> cells = {
            std::to_string(e.seq),
            std::string(names::name(e.kind)),
            instant(e.recorded_at),
            e.station,
            e.announcement_id,
            e.title,
            std::string(names::name_or_empty(e.trigger)),
            opt(e.uid),
            e.user,
            joined(e.zones, ";"),
            instant(e.scheduled),
            instant(e.started),
            instant(e.ended),
            opt(e.lateness_ms),
            opt(e.aired_ms),
            std::string(names::name_or_empty(e.status)),
            e.error,
            e.command,
            e.result,
            e.schedule_sha256,
            joined(e.audio_sha256, ";"),
            e.hash};
        for (const auto& cell : cells) {
            if (&cell != &cells.front()) line_ += ',';
            line_ += csv_field(cell);
        }
        line_ += "\r\n";
    }

  private:
    std::string instant(const std::optional<Instant>& i) {
        std::string out;
        if (i) text_.instant(out, *i);
        return out;
    }

    InstantText text_;
};

/// Writes entries as CSV, JSON lines or a table, one at a time.
class EntryPrinter {
  public:
    EntryPrinter(const LogOptions& options, const date::time_zone& zone, std::ostream& out)
        : options_(options), zone_(zone), out_(out), text_(zone), format_(zone) {}

    void header() {
        if (!options_.csv) return;
        std::string line;
        for (const char* f : kFields) line += std::string(line.empty() ? "" : ",") + f;
        out_ << line << "\r\n";
    }

    void print(const LogEntry& e) {
        ++count_;
        ++by_status_[std::string(e.kind == names::EntryKind::broadcast
                                     ? names::name_or_empty(e.status)
                                     : names::name(e.kind))];
        if (options_.json) {
            format_.json(e, line_);
            if (line_.size() >= 65536) flush();  // lines are written 64 KiB at a time
        } else if (options_.csv) {
            line_.clear();
            format_.csv(e, line_);
            out_ << line_;
        } else {
            add_row(e);
        }
    }

    /// Writes the JSON lines not written yet.
    void flush() {
        if (!options_.json) return;
        out_ << line_;
        line_.clear();
    }

    /// Flushes a table shorter than the width sample, and sums up.
    void finish() {
        flush();
        if (options_.json || options_.csv) return;
        flush_sample();
        if (count_ == 0) {
            out_ << "no entries\n";
            return;
        }
        std::string summary;
        for (const auto& status : names::statuses) {
            const std::string name(status.name);
            if (by_status_.count(name)) summary += ", " + count(by_status_[name], name.c_str());
        }
        for (auto [kind, one, many] :
             {std::tuple(names::EntryKind::on_air, "start", "starts"),
              std::tuple(names::EntryKind::operator_command, "command", "commands")}) {
            const std::string name(names::name(kind));
            if (by_status_.count(name)) summary += ", " + count(by_status_[name], one, many);
        }
        out_ << count(count_, "entry", "entries") << ":" << summary.substr(1) << '\n';
    }

  private:
    static std::string count(std::size_t n, const char* one, const char* many = nullptr) {
        return std::to_string(n) + " " + (n == 1 || !many ? one : many);
    }

    // Local "YYYY-MM-DD HH:MM:SS", or only the time when on the date `same_day_as` shows.
    std::string local(const std::optional<Instant>& i, const std::string& same_day_as) {
        if (!i) return "-";
        std::string text;
        text_.local(text, *i);
        return same_day_as.compare(0, 10, text, 0, 10) == 0 ? text.substr(11) : text;
    }

    void add_row(const LogEntry& e) {
        const bool command = e.kind == names::EntryKind::operator_command;
        std::string scheduled = e.scheduled ? local(e.scheduled, "") : "-";
        std::string who = !e.user.empty() ? e.user : e.uid ? "uid " + std::to_string(*e.uid) : "";
        std::string note =
            command ? e.command + " → " + (e.result.empty() ? "?" : e.result) : e.error;
        // A command has no start: when it was recorded stands there instead.
        const std::string started = local(command ? e.recorded_at : e.started, "");
        std::vector<std::string> cells = {
            std::to_string(e.seq),
            scheduled,
            command ? started : local(e.started, scheduled),
            local(e.ended, started),
            e.lateness_ms ? std::to_string(*e.lateness_ms) : "-",
            aired_seconds(e.aired_ms),
            truncate(e.announcement_id.empty() ? e.title : e.announcement_id, 32),
            e.trigger ? std::string(names::name(*e.trigger)) : "-",
            truncate(joined(e.zones, ","), 30),
            e.kind == names::EntryKind::broadcast ? std::string(names::name_or_empty(e.status))
            : e.kind == names::EntryKind::on_air  ? "on air"
                                                  : "-",
            truncate(who, 16),
            note};
        if (sample_.size() < kWidthSample && widths_.empty()) {
            sample_.push_back(std::move(cells));
            if (sample_.size() == kWidthSample) flush_sample();
        } else {
            out_ << Table::line(cells, widths_);
        }
    }

    void flush_sample() {
        if (!widths_.empty()) return;
        const std::vector<std::string> headers = {
            "SEQ",          "SCHEDULED", "STARTED", "ENDED",  "LATE (ms)", "AIRED (s)",
            "ANNOUNCEMENT", "TRIGGER",   "ZONES",   "STATUS", "WHO",       "NOTE"};
        widths_.resize(headers.size());
        for (std::size_t c = 0; c < headers.size(); ++c) widths_[c] = display_width(headers[c]);
        for (const auto& row : sample_) {
            for (std::size_t c = 0; c < row.size(); ++c) {
                widths_[c] = std::max(widths_[c], display_width(row[c]));
            }
        }
        if (sample_.empty()) return;
        out_ << Table::line(headers, widths_);
        for (const auto& row : sample_) out_ << Table::line(row, widths_);
        sample_.clear();
    }

    const LogOptions& options_;
    const date::time_zone& zone_;
    std::ostream& out_;
    InstantText text_;
    LineFormat format_;
    std::string line_;
    std::vector<std::vector<std::string>> sample_;
    std::vector<std::size_t> widths_;
    std::size_t count_ = 0;
    std::map<std::string, std::size_t> by_status_;  // by status; on_air and operator by kind
};

const date::time_zone* zone_named(const std::string& name) {
    try {
        return date::locate_zone(name);
    } catch (const std::exception&) {
        return nullptr;
    }
}

}  // namespace

StationInfo station_of(log::LogReader& reader) {
    StationInfo station;
    const auto versions = reader.schedule_versions();
    if (!versions.empty()) {
        const auto files = schedules::unbundle(versions.back().text, "schedule.yaml");
        try {
            const YAML::Node root = YAML::Load(files.empty() ? "" : files.front().second);
            const YAML::Node s = root.IsMap() ? root["station"] : YAML::Node();
            if (s.IsMap() && s["name"].IsScalar()) station.name = s["name"].as<std::string>();
            if (s.IsMap() && s["timezone"].IsScalar()) {
                station.zone = zone_named(s["timezone"].as<std::string>());
            }
        } catch (const YAML::Exception&) {
            // A stored text that no longer parses names no zone; the system's is used.
        }
    }
    if (!station.zone) station.zone = zone_named(schedules::system_timezone_name());
    if (!station.zone) station.zone = date::locate_zone("UTC");
    return station;
}

int run_log(const LogOptions& options, std::ostream& out, std::ostream& err) {
    std::optional<names::Status> status;
    if (options.status) {
        status = names::parse_status(*options.status);
        if (!status) {
            err << "wardcastctl log: --status '" << *options.status << "' is not one of "
                << names::listed(names::statuses) << '\n';
            return exit_usage;
        }
    }
    std::optional<log::LogReader> reader;
    try {
        reader.emplace(options.db);
    } catch (const std::exception& e) {
        err << "wardcastctl log: " << e.what() << '\n';
        return exit_failed;
    }
    const StationInfo station = station_of(*reader);
    const date::time_zone& zone = *station.zone;

    log::LogFilter filter;
    if (options.all) filter.kinds.clear();
    filter.announcement = options.announcement;
    filter.status = status;
    for (auto [text, flag, bound] : {std::tuple(&options.from, "--from", &filter.from),
                                     std::tuple(&options.to, "--to", &filter.to)}) {
        if (!*text) continue;
        *bound = schedules::parse_date_or_instant(**text, zone);
        if (!*bound) {
            err << "wardcastctl log: " << flag << " '" << **text
                << "' is not a DATE (2026-12-01) or an INSTANT (2026-12-01T06:00:00+07:00)\n";
            return exit_usage;
        }
    }
    if (filter.from && filter.to && *filter.to <= *filter.from) {
        err << "wardcastctl log: --to " << schedules::format_instant(*filter.to, zone)
            << " is not after --from " << schedules::format_instant(*filter.from, zone) << '\n';
        return exit_usage;
    }

    if (!options.csv && !options.json) {
        std::string span;
        if (filter.from)
            span += " from " + schedules::format_local(*filter.from, zone).substr(0, 16);
        if (filter.to) span += " to " + schedules::format_local(*filter.to, zone).substr(0, 16);
        out << station.name << (station.name.empty() ? "" : " — ") << options.db << span << " ("
            << zone.name() << ")\n";
    }
    EntryPrinter printer(options, zone, out);
    printer.header();
    if (options.json || options.csv) {
        try {
            reader->each_formatted(
                filter,
                [&]() -> log::LogReader::Format {
                    auto format = std::make_shared<LineFormat>(zone);
                    if (options.json)
                        return [format](const LogEntry& e, std::string& text) {
                            format->json(e, text);
                        };
                    return [format](const LogEntry& e, std::string& text) { format->csv(e, text); };
                },
                [&](std::string_view text) {
                    out.write(text.data(), static_cast<std::streamsize>(text.size()));
                });
        } catch (const std::exception& e) {
            out.flush();
            err << "wardcastctl log: " << e.what() << '\n';
            return exit_failed;
        }
        return exit_ok;
    }
    try {
        reader->each(filter, [&](const LogEntry& e) { printer.print(e); });
    } catch (const std::exception& e) {
        printer.flush();
        out.flush();
        err << "wardcastctl log: " << e.what() << '\n';
        return exit_failed;
    }
    printer.finish();
    return exit_ok;
}

int run_verify(const VerifyOptions& options, std::ostream& out, std::ostream& err) {
    log::VerifyResult result;
    const date::time_zone* zone = nullptr;
    try {
        log::LogReader reader(options.db);
        zone = station_of(reader).zone;
        result = reader.verify();
    } catch (const std::exception& e) {
        err << "wardcastctl verify: " << e.what() << '\n';
        return exit_failed;
    }
    if (options.json) {
        auto opt = [](bool present, auto value) {
            return present ? ordered_json(value) : ordered_json(nullptr);
        };
        // A broken chain stops the walk before its end: no last entry to anchor to (null).
        const bool any = result.entries > 0 && !result.last_hash.empty();
        out << dump({{"file", options.db},
                     {"intact", result.intact},
                     {"entries", result.entries},
                     {"last_seq", opt(any, result.last_seq)},
                     {"last_recorded_at",
                      opt(any, schedules::format_instant(result.last_recorded_at, *zone))},
                     {"last_hash", opt(any, result.last_hash)},
                     {"bad_seq", opt(result.bad_seq.has_value(), result.bad_seq.value_or(0))},
                     {"problem", opt(!result.intact, result.problem)}})
            << '\n';
        return result.intact ? exit_ok : exit_failed;
    }
    if (!result.intact) {
        err << options.db << ": broken: " << result.problem << '\n';
        return exit_failed;
    }
    if (result.entries == 0) {
        out << options.db << ": intact: no entries yet\n";
        return exit_ok;
    }
    out << options.db << ": intact: " << result.entries
        << (result.entries == 1 ? " entry" : " entries") << ", last #" << result.last_seq
        << " recorded " << schedules::format_instant(result.last_recorded_at, *zone) << ", hash "
        << result.last_hash << '\n';
    return exit_ok;
}

CLI::App* add_log_command(CLI::App& app, LogOptions& o) {
    auto* cmd = app.add_subcommand(
        "log", "Show broadcasts and operator commands from the log file (read-only)");
    cmd->add_option("--db", o.db, "the broadcast log")
        ->envname("WARDCAST_DB")
        ->capture_default_str();
    cmd->add_option("--from", o.from,
                    "from, inclusive: DATE (local midnight) or INSTANT (scheduled, or recorded "
                    "when there is no schedule)");
    cmd->add_option("--to", o.to, "to, exclusive: DATE or INSTANT");
    cmd->add_option("--announcement", o.announcement, "only this announcement id");
    cmd->add_option("--status", o.status, "only this status: " + names::listed(names::statuses));
    cmd->add_flag("--all", o.all, "also the on_air entries written as each broadcast started");
    auto* csv = cmd->add_flag("--csv", o.csv, "CSV (RFC 4180, UTF-8) with a header row");
    cmd->add_flag("--json", o.json, "one JSON object a line")->excludes(csv);
    return cmd;
}

CLI::App* add_verify_command(CLI::App& app, VerifyOptions& o) {
    auto* cmd = app.add_subcommand(
        "verify",
        "Check the log's hash chain: exit 1 naming the first changed, removed or "
        "inserted entry");
    cmd->add_option("--db", o.db, "the broadcast log")
        ->envname("WARDCAST_DB")
        ->capture_default_str();
    cmd->add_flag("--json", o.json, "one JSON object");
    return cmd;
}

}  // namespace wardcast::ctl
