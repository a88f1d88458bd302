#pragma once
// A clock the test steps and a player that plays nothing, for the scheduler: a day of
// schedule runs in milliseconds, with every start and end exactly where the test puts it.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "audio/player.hpp"
#include "daemon/time_source.hpp"

namespace wardcast::test {

using log::Instant;

/// The wall clock stands still until the test runs it: run_until() makes each pending call in
/// time order, setting the clock to its instant first.
class ManualTime : public daemon::TimeSource {
  public:
    explicit ManualTime(Instant start) : now_(start) {}

    Instant now() override { return now_; }
    std::unique_ptr<daemon::Alarm> alarm() override;

    /// Calls `what` when the clock reaches `when` (at once when run, if it has). The handle
    /// cancels it.
    std::uint64_t at(Instant when, std::function<void()> what) {
        const std::uint64_t handle = ++next_;
        queue_.emplace(std::make_pair(when, handle), std::move(what));
        when_of_[handle] = when;
        return handle;
    }
    void cancel(std::uint64_t handle) {
        const auto it = when_of_.find(handle);
        if (it == when_of_.end()) return;
        queue_.erase(std::make_pair(it->second, handle));
        when_of_.erase(it);
    }

    /// Makes every call due up to `until`, in time order (calls they schedule included); the
    /// clock then reads `until`. Returns how many calls were made.
    std::size_t run_until(Instant until) {
        std::size_t made = 0;
        while (!queue_.empty() && queue_.begin()->first.first <= until) {
            auto first = queue_.begin();
            const auto [when, handle] = first->first;
            std::function<void()> what = std::move(first->second);
            queue_.erase(first);
            when_of_.erase(handle);
            if (when > now_) now_ = when;
            what();
            ++made;
        }
        if (until > now_) now_ = until;
        return made;
    }

    /// Sets the clock without making any call (the wall clock being set).
    void set(Instant t) { now_ = t; }

    /// When the next call is due, if any.
    std::optional<Instant> next_due() const {
        if (queue_.empty()) return std::nullopt;
        return queue_.begin()->first.first;
    }

  private:
    Instant now_;
    std::uint64_t next_ = 0;
    std::map<std::pair<Instant, std::uint64_t>, std::function<void()>> queue_;
    std::map<std::uint64_t, Instant> when_of_;
};

class ManualAlarm : public daemon::Alarm {
  public:
    explicit ManualAlarm(ManualTime& time) : time_(time) {}
    ~ManualAlarm() override { cancel(); }
    void set(Instant when, std::function<void()> what) override {
        cancel();
        handle_ = time_.at(when, [this, what = std::move(what)] {
            handle_.reset();
            what();
        });
    }
    void cancel() override {
        if (handle_) time_.cancel(*handle_);
        handle_.reset();
    }

  private:
    ManualTime& time_;
    std::optional<std::uint64_t> handle_;
};

inline std::unique_ptr<daemon::Alarm> ManualTime::alarm() {
    return std::make_unique<ManualAlarm>(*this);
}

/// Plays nothing, on a ManualTime: a broadcast started (or started at an instant) reports its
/// first sample then, and its end `length_of(label)` (+ `overrun_of(label)`) later. Labels in
/// `failing` fail when prepared.
class SteppedPlayer : public audio::Player {
  public:
    explicit SteppedPlayer(ManualTime& time) : time_(time) {}

    std::function<std::chrono::milliseconds(const std::string& label)> length_of =
        [](const std::string&) { return std::chrono::milliseconds(200); };
    std::function<std::chrono::milliseconds(const std::string& label)> overrun_of =
        [](const std::string&) { return std::chrono::milliseconds(0); };
    std::set<std::string> failing;

    /// Each broadcast that made sound: its label, first sample and end.
    struct Aired {
        std::string label;
        Instant started;
        std::optional<Instant> ended;  ///< unset while it plays
        bool stopped = false;
    };
    std::vector<Aired> aired;

    /// Labels of what aired, in order.
    std::vector<std::string> labels() const {
        std::vector<std::string> out;
        for (const auto& a : aired) out.push_back(a.label);
        return out;
    }

    Id prepare(const audio::BroadcastRequest& r, StartedHandler started,
               DoneHandler done) override {
        const Id id = ++next_;
        Entry& e = entries_[id];
        e.label = r.label;
        e.started = std::move(started);
        e.done = std::move(done);
        if (failing.count(r.label)) {
            entries_[id].event = time_.at(time_.now(), [this, id] {
                audio::BroadcastOutcome o;
                o.status = audio::BroadcastOutcome::Status::failed;
                o.error = "could not open the file (test)";
                o.ended = time_.now();
                finish(id, o);
            });
        }
        return id;
    }
    void start(Id id) override { start_at(id, time_.now()); }
    void start_at(Id id, std::chrono::system_clock::time_point at) override {
        auto found = entries_.find(id);
        if (found == entries_.end() || found->second.playing) return;
        Entry& e = found->second;
        e.playing = true;
        const Instant first =
            std::max(time_.now(), std::chrono::time_point_cast<std::chrono::milliseconds>(at));
        e.event = time_.at(first, [this, id, first] {
            Entry& entry = entries_.at(id);
            entry.aired = aired.size();
            aired.push_back({entry.label, first, std::nullopt, false});
            entry.started(id, first);
            const Instant end = first + length_of(entry.label) + overrun_of(entry.label);
            entry.event = time_.at(end, [this, id, first, end] {
                audio::BroadcastOutcome o;
                o.started = first;
                o.ended = end;
                o.aired = end - first;  // all of it reached the outputs
                finish(id, o);
            });
        });
    }
    void stop(Id id) override {
        auto found = entries_.find(id);
        if (found == entries_.end()) return;
        time_.cancel(found->second.event);
        audio::BroadcastOutcome o;
        o.status = audio::BroadcastOutcome::Status::stopped;
        o.ended = time_.now();
        if (found->second.aired) {
            aired[*found->second.aired].stopped = true;
            o.started = aired[*found->second.aired].started;
            o.aired = time_.now() - *o.started;  // what went out before the stop
        }
        // As the real player: reported later, never inside the call.
        time_.at(time_.now(), [this, id, o] { finish(id, o); });
    }
    void set_zone_volume(Id, const std::string&, double) override {}

  private:
    struct Entry {
        std::string label;
        StartedHandler started;
        DoneHandler done;
        std::uint64_t event = 0;
        bool playing = false;
        std::optional<std::size_t> aired;
    };
    void finish(Id id, const audio::BroadcastOutcome& o) {
        auto found = entries_.find(id);
        if (found == entries_.end()) return;
        Entry e = std::move(found->second);
        entries_.erase(found);
        if (e.aired && !aired[*e.aired].ended) aired[*e.aired].ended = o.ended;
        e.done(id, o);
    }

    ManualTime& time_;
    Id next_ = 0;
    std::map<Id, Entry> entries_;
};

}  // namespace wardcast::test
