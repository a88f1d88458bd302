#pragma once
// One broadcast as the scheduler tracks it, from preroll to its outcome. Internal to the
// scheduler's .cpp files.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/names.hpp"
#include "daemon/scheduler.hpp"
#include "schedules/live.hpp"

namespace wardcast::daemon {

struct Scheduler::Broadcast {
    enum class State { preparing, waiting, on_air };
    // What it is: copied, so that a reload can replace the schedule while it is on air.
    std::string id;
    std::string title;
    std::vector<std::string> zones;
    schedules::Priority priority = schedules::Priority::normal;
    std::optional<schedules::Duration> max_delay;  // none: an operator's, waits as it takes
    schedules::Duration length{0};
    std::vector<std::string> audio_sha256;
    std::string source;  // a relay's or live broadcast's source; empty for files
    names::Trigger trigger = names::Trigger::schedule;
    std::optional<Who> who;
    Instant scheduled{};
    Instant measured_from{};  // max_delay counts from here: scheduled, or when caught up
    schedules::QueueKey key;  // its place in the queue
    // Where it is.
    audio::Player::Id player_id = 0;
    State state = State::preparing;
    std::optional<std::string> failure;  // the player could not prepare it: fails at its turn
    std::optional<std::int64_t> on_air_seq;
    std::optional<Instant> started;  // first sample out
    std::optional<std::chrono::milliseconds> aired;  // the player's measure, once it is done
    Instant began{};                 // when it was set playing (or was to start, if later)
    Instant planned_end{};           // when the plan has its zones free again

    /// A scheduled firing, claimed in the log so that it airs at most once.
    bool claims() const {
        return trigger == names::Trigger::schedule || trigger == names::Trigger::catch_up;
    }

    /// As the engine sees it.
    schedules::Request request() const {
        schedules::Request r;
        r.id = id;
        r.zones = &zones;
        r.priority = priority;
        r.scheduled = scheduled;
        r.measured_from = measured_from;
        r.length = length;
        r.max_delay = max_delay;
        r.quiet_hours = claims();
        return r;
    }
};

}  // namespace wardcast::daemon
