#include "ctl/offline_commands.hpp"

#include <chrono>
#include <nlohmann/json.hpp>

#include "audio/audio_library.hpp"
#include "ctl/simulate_output.hpp"
#include "schedules/loader.hpp"
#include "schedules/simulation.hpp"
#include "schedules/timefmt.hpp"
#include "schedules/validator.hpp"

namespace wardcast::ctl {

namespace sch = wardcast::schedules;
using nlohmann::json;

namespace {

sch::Instant now() {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now());
}

sch::LocalDate today_in(const date::time_zone& zone) { return sch::local_date_of(zone, now()); }

sch::CheckedSchedule check(const std::string& file, bool collisions) {
    audio::AudioLibrary library(audio::default_cache_dir());
    return sch::check_schedule(file, library, collisions ? std::optional(now()) : std::nullopt);
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string plural(std::size_t n, const char* word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

/// Prints diagnostics to `err`, with a closing count; returns (errors, warnings).
std::pair<std::size_t, std::size_t> report(const sch::Diagnostics& diagnostics, std::ostream& err) {
    std::size_t errors = 0, warnings = 0;
    for (const auto& d : diagnostics) {
        err << d.to_string() << '\n';
        (d.severity == sch::Diagnostic::Severity::error ? errors : warnings)++;
    }
    return {errors, warnings};
}

}  // namespace

int run_validate(const ValidateOptions& options, std::ostream& out, std::ostream& err) {
    auto c = check(options.file, true);
    const auto& s = c.load.schedule;
    std::size_t errors = 0, warnings = 0;
    if (options.json) {
        for (const auto& d : c.diagnostics) {
            bool is_error = d.severity == sch::Diagnostic::Severity::error;
            (is_error ? errors : warnings)++;
            out << dump({{"file", d.where.file},
                         {"line", d.where.line},
                         {"column", d.where.column},
                         {"severity", is_error ? "error" : "warning"},
                         {"message", d.message}})
                << '\n';
        }
        out << dump({{"file", options.file},
                     {"valid", errors == 0},
                     {"errors", errors},
                     {"warnings", warnings},
                     {"announcements", s.announcements.size()},
                     {"zones", s.zones.size()},
                     {"files", s.files.size()}})
            << '\n';
        return errors ? exit_failed : exit_ok;
    }
    std::tie(errors, warnings) = report(c.diagnostics, err);
    if (errors) {
        err << options.file << ": invalid: " << plural(errors, "error")
            << (warnings ? ", " + plural(warnings, "warning") : "") << '\n';
        return exit_failed;
    }
    out << options.file << ": valid: " << plural(s.announcements.size(), "announcement") << " in "
        << plural(s.files.size(), "file") << ", " << plural(s.zones.size(), "zone")
        << ", time zone " << s.timezone_name << (warnings ? "; " + plural(warnings, "warning") : "")
        << '\n';
    return exit_ok;
}

int run_simulate(const SimulateOptions& options, std::ostream& out, std::ostream& err) {
    auto c = check(options.file, false);
    if (!c.ok()) {
        auto [errors, warnings] = report(c.diagnostics, err);
        err << options.file << ": invalid: " << plural(errors, "error")
            << (warnings ? ", " + plural(warnings, "warning") : "") << "; nothing simulated\n";
        return exit_failed;
    }
    report(c.diagnostics, err);  // warnings only
    const auto& s = c.load.schedule;
    const auto& tz = *s.timezone;

    auto parse = [&](const std::optional<std::string>& text, const char* flag,
                     sch::Instant fallback) -> std::optional<sch::Instant> {
        if (!text) return fallback;
        auto i = sch::parse_date_or_instant(*text, tz);
        if (!i)
            err << "wardcastctl simulate: " << flag << " '" << *text
                << "' is not a DATE (2026-12-01) or an INSTANT (2026-12-01T06:00:00+07:00)\n";
        return i;
    };
    auto from = parse(options.from, "--from", sch::local_to_instant(tz, today_in(tz), {}));
    if (!from) return exit_usage;
    auto to =
        parse(options.to, "--to",
              sch::local_to_instant(tz, sch::local_date_of(tz, *from) + std::chrono::days(7), {}));
    if (!to) return exit_usage;
    if (*to <= *from) {
        err << "wardcastctl simulate: --to " << sch::format_instant(*to, tz)
            << " is not after --from " << sch::format_instant(*from, tz) << '\n';
        return exit_usage;
    }

    if (options.json) {
        SimulateJson lines(s, out);
        sch::simulate_each(s, c.validation.durations, *from, *to,
                           [&](const sch::PlannedFiring& p) { lines.add(p); });
        return exit_ok;
    }
    SimulateTable table(s, out);
    table.title(*from, *to);
    sch::simulate_each(s, c.validation.durations, *from, *to,
                       [&](const sch::PlannedFiring& p) { table.add(p); });
    table.finish();
    return exit_ok;
}

}  // namespace wardcast::ctl
