// The daemon against `simulate`, on random schedules: zones, priorities, lengths, max_delays,
// `at` and `every`+`between`, time zones with DST changes. Each runs through the real
// scheduler (a stepped clock, a player that plays nothing, a real log); every firing's
// outcome, start and reason must equal what `simulate` planned (schedules::simulate, what
// `wardcastctl simulate --json` prints). The seed is printed on failure; replay one case with
// WARDCAST_PROPERTY_SEED=SEED (and WARDCAST_PROPERTY_CASES=1).

#include <spdlog/spdlog.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <map>
#include <random>
#include <sstream>

#include "daemon/scheduler.hpp"
#include "schedules/loader.hpp"
#include "schedules/simulation.hpp"
#include "schedules/timefmt.hpp"
#include "tests/daemon/manual_time.hpp"
#include "tests/schedules/schedule_files.hpp"

using namespace wardcast;
using namespace std::chrono_literals;
using log::Instant;
using std::chrono::milliseconds;

namespace {

std::uint64_t env_number(const char* name, std::uint64_t otherwise) {
    const char* v = std::getenv(name);
    return v && *v ? std::strtoull(v, nullptr, 10) : otherwise;
}

/// A day to run on, in a time zone, with what makes it interesting.
struct Day {
    const char* timezone;
    date::year_month_day date;
    int first_hour;  ///< firings fall between this local hour and 3 hours later
};

const std::vector<Day> days = {
    {"Asia/Ho_Chi_Minh", date::year{2026} / 12 / 1, 6},
    {"Asia/Ho_Chi_Minh", date::year{2026} / 12 / 1, 16},
    {"UTC", date::year{2026} / 6 / 15, 22},            // runs over midnight
    {"Europe/Berlin", date::year{2026} / 3 / 29, 1},   // 02:00 -> 03:00: a gap
    {"Europe/Berlin", date::year{2026} / 10 / 25, 1},  // 03:00 -> 02:00: twice
    {"America/New_York", date::year{2026} / 3 / 8, 1},
    {"America/New_York", date::year{2026} / 11 / 1, 0},
};

std::string hhmmss(int seconds) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", seconds / 3600 % 24, seconds / 60 % 60,
                  seconds % 60);
    return buf;
}

std::string ymd(date::year_month_day d) { return date::format("%F", date::sys_days{d}); }

/// A random schedule file and the length of each announcement.
struct Case {
    std::string yaml;
    std::map<std::string, milliseconds> lengths;
    Day day;
};

Case random_case(std::mt19937_64& rng) {
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    Case c;
    c.day = days[static_cast<std::size_t>(pick(0, static_cast<int>(days.size()) - 1))];
    const int zones = pick(1, 3);
    const bool whole_seconds = pick(0, 3) != 0;  // ties are the hard part
    std::ostringstream y;
    y << "version: 1\nstation: {name: \"Phường Thử\", timezone: " << c.day.timezone << "}\n";
    y << "zones:\n";
    for (int z = 1; z <= zones; ++z) y << "  - {id: z" << z << ", output: \"null\"}\n";
    const int band = c.day.first_hour * 3600;
    if (pick(0, 2) == 0) {  // quiet hours starting inside the band
        const int from = band + pick(20, 150) * 60;
        y << "quiet_hours:\n  - {from: \"" << hhmmss(from).substr(0, 5) << "\", to: \""
          << hhmmss(from + pick(10, 60) * 60).substr(0, 5) << "\"}\n";
    }
    y << "announcements:\n";
    const int count = pick(2, 7);
    const char* priorities[] = {"low", "normal", "high", "emergency"};
    for (int i = 0; i < count; ++i) {
        const std::string id = "a" + std::to_string(i);
        y << "  - id: " << id << "\n    audio: [" << id << ".wav]\n    zones: [";
        std::vector<int> mine;
        for (int z = 1; z <= zones; ++z)
            if (pick(0, 1)) mine.push_back(z);
        if (mine.empty()) mine.push_back(pick(1, zones));
        for (std::size_t k = 0; k < mine.size(); ++k) y << (k ? ", " : "") << "z" << mine[k];
        y << "]\n    priority: " << priorities[pick(0, 9) == 0 ? 3 : pick(0, 2)] << "\n";
        y << "    max_delay: " << (pick(0, 4) == 0 ? 0 : pick(1, 12) * 10) << "s\n";
        y << "    window: {from: " << ymd(c.day.date)
          << ", until: " << ymd(date::sys_days{c.day.date} + date::days(1)) << "}\n";
        if (pick(0, 2) == 0) {
            const int from = band + pick(0, 90) * 60;
            y << "    every: " << pick(2, 20) << "m\n    between: [\"" << hhmmss(from) << "\", \""
              << hhmmss(std::min(from + pick(10, 90) * 60, 86399)) << "\"]\n";
        } else {
            y << "    at: [";
            const int n = pick(1, 4);
            for (int k = 0; k < n; ++k) {
                const int at = band + (whole_seconds ? pick(0, 36) * 300 : pick(0, 10800));
                y << (k ? ", " : "") << "\"" << hhmmss(at) << "\"";
            }
            y << "]\n";
        }
        c.lengths[id] =
            whole_seconds ? milliseconds(pick(1, 30) * 10000) : milliseconds(pick(1000, 300000));
    }
    c.yaml = y.str();
    return c;
}

/// Where the log of a case goes: memory-backed when the machine has it (each entry is
/// fsync'd), so a thousand cases take seconds.
std::filesystem::path scratch_folder() {
    std::error_code ec;
    if (std::filesystem::is_directory("/dev/shm", ec)) return "/dev/shm";
    return std::filesystem::temp_directory_path();
}

/// One firing's fate, as `simulate` prints it or as the log recorded it.
struct Fate {
    std::string status;  // scheduled | skipped
    std::optional<Instant> start;
    std::string reason;
    bool operator==(const Fate&) const = default;
};

std::string describe(const std::string& key, const Fate& f, const date::time_zone& tz) {
    std::string out = key + " " + f.status;
    if (f.start) {
        char ms[8];
        std::snprintf(ms, sizeof ms, ".%03d",
                      static_cast<int>(f.start->time_since_epoch().count() % 1000));
        out += " at " + schedules::format_instant(*f.start, tz) + " (+" + ms + " s)";
    }
    return out + (f.reason.empty() ? "" : " (" + f.reason + ")");
}

/// What one case found.
struct Outcome {
    std::string difference;  ///< "" when the daemon and simulate agree
    int firings = 0;
    int skipped = 0;
    int delayed = 0;  ///< started later than scheduled: waited for busy zones
};

/// Runs case `seed` both ways.
Outcome run_case(std::uint64_t seed, bool overrun) {
    std::mt19937_64 rng(seed);
    const Case c = random_case(rng);
    test::TempDir dir;
    const auto file = dir.write("schedule.yaml", c.yaml);
    auto loaded = schedules::load_schedule(file, "UTC");
    if (!loaded.ok()) {
        std::string why = "the generated schedule does not load:\n" + c.yaml;
        for (const auto& d : loaded.diagnostics) why += "\n" + d.message;
        return {why};
    }
    daemon::LoadedSchedule schedule;
    schedule.schedule = std::move(loaded.schedule);
    for (const auto& a : schedule.schedule.announcements) {
        schedule.durations.push_back(c.lengths.at(a.id));
        schedule.audio.push_back({std::nullopt, {"/dev/null"}, {"0"}});
    }
    schedule.sha256 = "property";
    const auto& tz = *schedule.schedule.timezone;
    const Instant from = schedules::local_to_instant(tz, date::local_days{c.day.date}, 0s);
    const Instant to = from + date::days(2);

    // What `simulate` says.
    std::map<std::string, Fate> planned;
    Outcome out;
    for (const auto& p : schedules::simulate(schedule.schedule, schedule.durations, from, to)) {
        ++out.firings;
        if (p.status == schedules::PlannedFiring::Status::skipped) ++out.skipped;
        if (p.start && *p.start > p.firing.scheduled) ++out.delayed;
        const std::string key =
            p.firing.announcement->id + "@" + log::format_utc(p.firing.scheduled);
        planned[key] = {schedules::to_string(p.status), p.start, p.reason};
    }

    // What the daemon does.
    test::TempDir logs(scratch_folder());
    test::ManualTime time(from - 1min);
    test::SteppedPlayer player(time);
    std::mt19937_64 noise(seed ^ 0x5eed);
    player.length_of = [&](const std::string& label) { return c.lengths.at(label); };
    player.overrun_of = [&](const std::string&) {
        return overrun ? milliseconds(std::uniform_int_distribution<int>(0, 20)(noise)) : 0ms;
    };
    log::BroadcastLog log(logs.path() / "log.db");
    daemon::Scheduler scheduler(time, player, log,
                                [](const schedules::Zone& z) { return z.output; });
    scheduler.start(schedule);
    time.run_until(to + 1h);
    std::map<std::string, Fate> aired;
    for (const auto& e : log.entries()) {
        if (e.kind != names::EntryKind::broadcast) continue;
        Fate f;
        const bool played = e.status == names::Status::played;
        f.status = played ? "scheduled" : std::string(names::name_or_empty(e.status));
        if (played) f.start = e.started;
        f.reason = e.error;
        aired[e.announcement_id + "@" + log::format_utc(*e.scheduled)] = f;
    }

    std::string differences;
    for (const auto& [key, want] : planned) {
        auto got = aired.find(key);
        Fate have = got == aired.end() ? Fate{"(nothing)", std::nullopt, ""} : got->second;
        if (overrun && have.start && want.start && *have.start >= *want.start &&
            *have.start - *want.start < 1s)
            have.start = want.start;  // real playback ran a little over: later by that much
        if (!(have == want)) {
            differences += "\n  simulate: " + describe(key, want, tz) +
                           "\n  daemon:   " + describe(key, have, tz);
        }
    }
    for (const auto& [key, got] : aired)
        if (!planned.count(key)) differences += "\n  daemon only: " + describe(key, got, tz);
    if (!differences.empty()) {
        out.difference = "seed " + std::to_string(seed) + (overrun ? " (with overrun)" : "") + ":" +
                         differences + "\nschedule:\n" + c.yaml;
    }
    return out;
}

}  // namespace

TEST_CASE("the daemon airs every random schedule as simulate plans it", "[scheduler][property]") {
    // Thousands of broadcasts: their journal lines would only slow the run.
    const auto level = spdlog::get_level();
    spdlog::set_level(spdlog::level::err);
    struct Restore {
        spdlog::level::level_enum level;
        ~Restore() { spdlog::set_level(level); }
    } restore{level};
    const std::uint64_t first = env_number("WARDCAST_PROPERTY_SEED", 20261201);
#ifdef WARDCAST_SANITIZED
    // The sanitizer build looks for memory errors, not for more cases: 100 of them.
    const std::uint64_t cases = env_number("WARDCAST_PROPERTY_CASES", 100);
#else
    const std::uint64_t cases = env_number("WARDCAST_PROPERTY_CASES", 1000);
#endif
    std::size_t failed = 0;
    Outcome total;
    for (std::uint64_t seed = first; seed < first + cases && failed < 3; ++seed) {
        // Every other case's broadcasts run a few milliseconds over, as real playback does.
        const Outcome o = run_case(seed, seed % 2 == 1);
        total.firings += o.firings;
        total.skipped += o.skipped;
        total.delayed += o.delayed;
        if (!o.difference.empty()) {
            ++failed;
            FAIL_CHECK(o.difference);
        }
    }
    CHECK(failed == 0);
    // The cases exercise the rules: many firings wait for busy zones, many are skipped.
    INFO(total.firings << " firings, " << total.delayed << " delayed, " << total.skipped
                       << " skipped");
    if (cases >= 100) {
        CHECK(total.delayed > static_cast<int>(cases));
        CHECK(total.skipped > static_cast<int>(cases));
    }
}
