#include "schedules/validator.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <string_view>
#include <unordered_map>

#include "schedules/planner.hpp"
#include "schedules/timefmt.hpp"

namespace wardcast::schedules {

namespace {

Diagnostic error_at(const Mark& m, std::string message) {
    return {Diagnostic::Severity::error, m, std::move(message)};
}

/// Measures each file once per validation, however many announcements name it.
class Measurer {
  public:
    Measurer(AudioLengths& audio, Diagnostics& out) : audio_(audio), out_(out) {}

    std::optional<Duration> file(const AudioRef& ref, const char* what) {
        auto it = lengths_.find(ref.path);
        if (it == lengths_.end())
            it = lengths_.emplace(ref.path, audio_.file_length(ref.path)).first;
        const auto& result = it->second;
        if (!result.length &&
            reported_.insert({ref.mark.file, ref.mark.line, ref.mark.column}).second) {
            out_.push_back(
                error_at(ref.mark, std::string(what) + " file '" + ref.written + "' " +
                                       (result.error == "no such file"
                                            ? "not found (looked at " + ref.path.string() + ")"
                                            : "cannot be played: " + result.error)));
        }
        return result.length;
    }

    std::optional<Duration> tts(const Tts& tts) {
        auto key = tts.voice + '\n' + tts.text;
        auto it = tts_.find(key);
        if (it == tts_.end()) it = tts_.emplace(key, audio_.tts_length(tts)).first;
        if (!it->second.length &&
            reported_.insert({tts.mark.file, tts.mark.line, tts.mark.column}).second)
            out_.push_back(error_at(tts.mark, "text-to-speech failed: " + it->second.error));
        return it->second.length;
    }

  private:
    AudioLengths& audio_;
    Diagnostics& out_;
    std::map<std::filesystem::path, AudioLengths::Result> lengths_;
    std::map<std::string, AudioLengths::Result> tts_;
    std::set<std::tuple<std::string, int, int>> reported_;  // one message per place
};

void check_quiet_hours(const Schedule& s, Diagnostics& out) {
    for (const auto& a : s.announcements) {
        if (a.priority == Priority::emergency) continue;
        std::set<std::tuple<std::string, int, int>> reported;
        for (const auto& t : a.times) {
            for (const auto& q : s.quiet_hours) {
                if (!q.contains(t.time)) continue;
                if (!reported.insert({t.mark.file, t.mark.line, t.mark.column}).second) continue;
                out.push_back(error_at(
                    t.mark, "announcement '" + a.id + "' fires at " + format_time_of_day(t.time) +
                                ", inside quiet hours " + format_time_of_day(q.from) + "-" +
                                format_time_of_day(q.to) +
                                " (only priority emergency may air then)"));
            }
        }
    }
}

/// The dates over which collisions are looked for: a year from `today`, moved to where
/// the schedule's explicit dates are when they all lie elsewhere.
std::pair<LocalDate, LocalDate> collision_span(const Schedule& s, LocalDate today) {
    using std::chrono::days;
    std::optional<LocalDate> lo, hi;
    bool unbounded_lo = false, unbounded_hi = false;
    for (const auto& a : s.announcements) {
        std::optional<LocalDate> a_lo = a.window_from, a_hi = a.window_until;
        if (!a.dates.empty()) {
            a_lo = a_lo ? std::max(*a_lo, a.dates.front()) : a.dates.front();
            a_hi = a_hi ? std::min(*a_hi, a.dates.back()) : a.dates.back();
        }
        if (a_lo)
            lo = lo ? std::min(*lo, *a_lo) : *a_lo;
        else
            unbounded_lo = true;
        if (a_hi)
            hi = hi ? std::max(*hi, *a_hi) : *a_hi;
        else
            unbounded_hi = true;
    }
    LocalDate start = today;
    if (!unbounded_hi && hi && *hi < today) {
        // Everything lies in the past: look at the last year it covers.
        start = *hi - days(365);
        if (!unbounded_lo && lo) start = std::max(start, *lo);
    } else if (!unbounded_lo && lo && *lo > today) {
        start = *lo;  // everything starts later: look from there
    }
    LocalDate end = start + days(366);
    if (!unbounded_hi && hi && *hi >= end) end = std::min(*hi + days(1), start + days(3 * 366));
    return {start, end};
}

std::string shared_zones(const Announcement& a, const Announcement& b) {
    std::string out;
    for (const auto& z : a.zones)
        if (std::find(b.zones.begin(), b.zones.end(), z) != b.zones.end())
            out += (out.empty() ? "" : ", ") + z;
    return out;
}

/// The collisions of a span, per (waiting announcement, blocker): the first colliding firing
/// and how many there were.
class CollisionTally {
  public:
    struct Pair {
        PlannedFiring first;
        std::size_t count = 0;
        const Announcement* blocker = nullptr;  ///< null when not in the schedule
    };

    explicit CollisionTally(const Schedule& s) : schedule_(s) {
        by_id_.reserve(s.announcements.size());
        for (const auto& a : s.announcements) by_id_.emplace(a.id, &a);
    }

    /// Counts `p` when it waited for (or was skipped for) another announcement.
    void add(PlannedFiring&& p) {
        if (p.waited_for.empty()) return;
        const auto [blocker, number] = blocker_of(p.waited_for);
        const std::uint64_t key = (std::uint64_t{p.firing.announcement->order} << 32) | number;
        const auto [it, fresh] = index_.try_emplace(key, pairs_.size());
        if (fresh) pairs_.push_back({std::move(p), 0, blocker});
        ++pairs_[it->second].count;
    }

    const std::vector<Pair>& pairs() const noexcept { return pairs_; }

  private:
    // The blocker and its number: its order, or (for a name from outside the schedule, which
    // a planner without a book never gives) a number after the announcements'.
    std::pair<const Announcement*, std::uint32_t> blocker_of(const std::string& id) {
        if (const auto it = by_id_.find(id); it != by_id_.end())
            return {it->second, static_cast<std::uint32_t>(it->second->order)};
        const auto [other, fresh] =
            others_.try_emplace(id, schedule_.announcements.size() + others_.size());
        return {nullptr, static_cast<std::uint32_t>(other->second)};
    }

    const Schedule& schedule_;
    std::unordered_map<std::string_view, const Announcement*> by_id_;  // ids in schedule_
    std::map<std::string, std::size_t> others_;
    std::unordered_map<std::uint64_t, std::size_t> index_;  // (waiting, blocker) -> in pairs_
    std::vector<Pair> pairs_;
};

void warn_collisions(const Schedule& s, const std::vector<Duration>& durations, LocalDate today,
                     Diagnostics& out) {
    using std::chrono::days;
    auto [first, last] = collision_span(s, today);
    const auto& tz = *s.timezone;

    CollisionTally tally(s);
    ConflictPlanner planner(s, durations);
    // A month of firings at a time: the same firings in the same order as the whole span at
    // once, without holding a year of them in memory.
    for (LocalDate from = first; from < last;) {
        const LocalDate to = std::min<LocalDate>(from + days(31), last);
        for (const auto& f : firings_between(s, local_to_instant(tz, from, TimeOfDay{0}),
                                             local_to_instant(tz, to, TimeOfDay{0})))
            tally.add(planner.place(f));
        from = to;
    }
    const std::string between =
        " between " + format_date(first) + " and " + format_date(last - days(1));
    // In the order of the waiting announcement, then the blocker's id.
    std::vector<const CollisionTally::Pair*> sorted;
    sorted.reserve(tally.pairs().size());
    for (const auto& pair : tally.pairs()) sorted.push_back(&pair);
    std::sort(sorted.begin(), sorted.end(), [](const auto* x, const auto* y) {
        const auto xo = x->first.firing.announcement->order;
        const auto yo = y->first.firing.announcement->order;
        return xo != yo ? xo < yo : x->first.waited_for < y->first.waited_for;
    });
    for (const auto* pair : sorted) {
        const auto& [p, count, blocker] = *pair;
        const Announcement& a = *p.firing.announcement;
        std::string zones = blocker ? shared_zones(a, *blocker) : "";
        std::string what = p.status == PlannedFiring::Status::skipped
                               ? "it is skipped (" + p.reason + ")"
                               : "it waits until " + format_local_time(*p.start, tz);
        std::string times = count == 1 ? "once" : std::to_string(count) + " times";
        out.push_back({Diagnostic::Severity::warning, a.mark,
                       "announcement '" + a.id + "' collides with '" + p.waited_for + "'" +
                           (zones.empty() ? "" : " on zone " + zones) + ": on " +
                           format_local(p.firing.scheduled, tz).substr(0, 16) + " " + what + "; " +
                           times + between});
    }
}

}  // namespace

Validation validate(const Schedule& schedule, AudioLengths& audio, LocalDate today,
                    bool warn_about_collisions) {
    Validation v;
    Measurer measure(audio, v.diagnostics);
    v.durations.assign(schedule.announcements.size(), Duration{0});
    for (const auto& a : schedule.announcements) {
        Duration chime{0};
        if (a.chime) chime = measure.file(*a.chime, "chime").value_or(Duration{0});
        std::vector<Duration> items;
        for (const auto& ref : a.audio)
            items.push_back(measure.file(ref, "audio").value_or(Duration{0}));
        if (a.tts) items.push_back(measure.tts(*a.tts).value_or(Duration{0}));
        v.durations[a.order] = occupancy(a, chime, items);
    }
    check_quiet_hours(schedule, v.diagnostics);
    if (warn_about_collisions && !has_errors(v.diagnostics))
        warn_collisions(schedule, v.durations, today, v.diagnostics);
    return v;
}

namespace {

CheckedSchedule check(const std::filesystem::path& path, AudioLengths& audio,
                      std::optional<Instant> now, const std::optional<IncludeRedirect>& redirect) {
    CheckedSchedule c{load_schedule(path, system_timezone_name(), redirect), {}, {}};
    const auto& s = c.load.schedule;
    LocalDate today = now && s.timezone ? local_date_of(*s.timezone, *now) : LocalDate{};
    c.validation = validate(s, audio, today, now && c.load.ok());
    c.diagnostics = c.load.diagnostics;
    c.diagnostics.insert(c.diagnostics.end(), c.validation.diagnostics.begin(),
                         c.validation.diagnostics.end());
    tidy(c.diagnostics, c.load.schedule);
    return c;
}

}  // namespace

CheckedSchedule check_schedule(const std::filesystem::path& path, AudioLengths& audio,
                               std::optional<Instant> now) {
    return check(path, audio, now, std::nullopt);
}

CheckedSchedule check_schedule(const std::filesystem::path& path, AudioLengths& audio,
                               std::optional<Instant> now, const IncludeRedirect& redirect) {
    return check(path, audio, now, redirect);
}

}  // namespace wardcast::schedules
