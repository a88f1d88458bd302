#include "schedules/engine.hpp"

#include <algorithm>

namespace wardcast::schedules {

const Zone* Schedule::find_zone(const std::string& id) const noexcept {
    for (const Zone& z : zones) {
        if (z.id == id) return &z;
    }
    return nullptr;
}

const Announcement* Schedule::find_announcement(const std::string& id) const noexcept {
    for (const Announcement& a : announcements) {
        if (a.id == id) return &a;
    }
    return nullptr;
}

bool firing_order(const Firing& a, const Firing& b) noexcept {
    if (a.scheduled != b.scheduled) return a.scheduled < b.scheduled;
    if (a.announcement->priority != b.announcement->priority) {
        return a.announcement->priority > b.announcement->priority;
    }
    return a.announcement->order < b.announcement->order;
}

namespace {

// What the firing rule needs to know about one local date, worked out once per date rather
// than once per announcement.
struct DayFacts {
    LocalDate date;
    unsigned weekday;   // 0 = Sunday
    unsigned monthday;  // 1 .. 31
    bool holiday;
};

DayFacts facts_of(const Schedule& schedule, LocalDate d) {
    const date::year_month_day ymd{d};
    return {d, date::weekday{d}.c_encoding(), static_cast<unsigned>(ymd.day()),
            std::binary_search(schedule.holidays.begin(), schedule.holidays.end(), d)};
}

bool fires_on_day(const Announcement& a, const DayFacts& day) noexcept {
    if (day.holiday) return false;
    if (a.window_from && day.date < *a.window_from) return false;
    if (a.window_until && day.date > *a.window_until) return false;
    if (!((a.days >> day.weekday) & 1u)) return false;
    if (a.monthdays != 0 && !((a.monthdays >> day.monthday) & 1u)) return false;
    if (!a.dates.empty() && !std::binary_search(a.dates.begin(), a.dates.end(), day.date)) {
        return false;
    }
    return !std::binary_search(a.except.begin(), a.except.end(), day.date);
}

// Converts the times of one local date to instants. Most days lie wholly inside one UTC
// offset period; then each time is midnight plus an addition, and the time-zone lookup
// (a search through the transitions) is done once per day instead of once per firing.
class DayClock {
  public:
    DayClock(const date::time_zone& zone, LocalDate d) : zone_(zone), date_(d) {
        const date::local_seconds midnight{d};
        const date::local_info info = zone.get_info(midnight);
        if (info.result == date::local_info::unique) {
            const date::sys_seconds sys_midnight{midnight.time_since_epoch() - info.first.offset};
            // With choose::earliest, a local time that is also valid in the next period
            // still maps through this one, so only the end of this period matters.
            if (sys_midnight + std::chrono::hours(24) <= info.first.end) {
                uniform_ = true;
                sys_midnight_ = sys_midnight;
            }
        }
    }

    Instant instant_of(TimeOfDay t) const {
        if (uniform_) return Instant{sys_midnight_ + t};
        return local_to_instant(zone_, date_, t);
    }

  private:
    const date::time_zone& zone_;
    LocalDate date_;
    bool uniform_ = false;
    date::sys_seconds sys_midnight_{};
};

// Appends the firings of local date `d` with from <= scheduled < to.
void collect_day(const Schedule& schedule, LocalDate d, Instant from, Instant to,
                 std::vector<Firing>& out) {
    const DayFacts day = facts_of(schedule, d);
    if (day.holiday) return;
    const DayClock clock(*schedule.timezone, d);
    for (const Announcement& a : schedule.announcements) {
        if (a.times.empty() || !fires_on_day(a, day)) continue;
        // Times are sorted and the mapping to instants never goes backwards, so two times
        // folded onto one instant (a DST gap) are neighbours.
        std::optional<Instant> last;
        for (const FiringTime& ft : a.times) {
            const Instant at = clock.instant_of(ft.time);
            if (at < from || at >= to || at == last) continue;
            last = at;
            out.push_back({&a, at});
        }
    }
}

bool same_firing(const Firing& a, const Firing& b) noexcept {
    return a.announcement == b.announcement && a.scheduled == b.scheduled;
}

// Sorts into firing_order and drops repeats that can only arise across a date boundary
// (a DST gap spanning midnight folds times of two dates onto one instant).
void finish(std::vector<Firing>& firings) {
    if (!std::is_sorted(firings.begin(), firings.end(), firing_order)) {
        std::sort(firings.begin(), firings.end(), firing_order);
    }
    firings.erase(std::unique(firings.begin(), firings.end(), same_firing), firings.end());
}

}  // namespace

bool fires_on(const Schedule& schedule, const Announcement& a, LocalDate d) noexcept {
    return fires_on_day(a, facts_of(schedule, d));
}

Instant local_to_instant(const date::time_zone& zone, LocalDate d, TimeOfDay t) {
    // date returns the transition instant for a nonexistent time: the first one after the gap.
    return Instant{zone.to_sys(date::local_seconds{d} + t, date::choose::earliest)};
}

LocalDate local_date_of(const date::time_zone& zone, Instant i) {
    return date::floor<date::days>(zone.to_local(i));
}

std::vector<Firing> firings_between(const Schedule& schedule, Instant from, Instant to) {
    std::vector<Firing> out;
    if (!(from < to)) return out;
    const date::time_zone& zone = *schedule.timezone;
    // One extra date on each side: a time of day can land on a neighbouring UTC date and
    // DST can move a firing across local midnight.
    const LocalDate first = local_date_of(zone, from) - date::days(1);
    const LocalDate last = local_date_of(zone, to) + date::days(1);
    for (LocalDate d = first; d <= last; d += date::days(1)) {
        const std::size_t day_start = out.size();
        collect_day(schedule, d, from, to, out);
        std::sort(out.begin() + day_start, out.end(), firing_order);
        // A year of a large schedule is about a million firings: size the vector from the
        // first whole day rather than doubling and copying it as it grows.
        if (d == first + date::days(2)) {
            const auto days_left = static_cast<std::size_t>((last - d).count());
            out.reserve(out.size() + (out.size() - day_start) * days_left * 11 / 10);
        }
    }
    finish(out);
    return out;
}

std::vector<Firing> next_firings(const Schedule& schedule, Instant from, std::size_t n,
                                 std::chrono::days horizon) {
    std::vector<Firing> out;
    if (n == 0) return out;
    const Instant to = from + horizon;
    const date::time_zone& zone = *schedule.timezone;
    const LocalDate first = local_date_of(zone, from) - date::days(1);
    const LocalDate last = local_date_of(zone, to) + date::days(1);
    std::optional<LocalDate> stop;
    for (LocalDate d = first; d <= last && (!stop || d <= *stop); d += date::days(1)) {
        const std::size_t day_start = out.size();
        collect_day(schedule, d, from, to, out);
        std::sort(out.begin() + day_start, out.end(), firing_order);
        // Later dates map to later instants, but a DST change can fold the next date's
        // first times onto this date's last instant, so read one more date before stopping.
        if (!stop && out.size() >= n) stop = d + date::days(1);
    }
    finish(out);
    if (out.size() > n) out.resize(n);
    return out;
}

}  // namespace wardcast::schedules
