#pragma once
// One broadcast as the scheduler tracks it, from preroll to its outcome. Internal to the
// scheduler's .cpp files.

#include <optional>
#include <string>
#include <vector>

#include "daemon/scheduler.hpp"

namespace wardcast::daemon {

struct Scheduler::Broadcast {
    enum class State { preparing, waiting, on_air };
    // What it is: copied, so that a reload can replace the schedule while it is on air.
    std::string id;
    std::string title;
    std::vector<std::string> zones;
    schedules::Priority priority = schedules::Priority::normal;
    schedules::Duration max_delay{0};
    schedules::Duration length{0};
    std::vector<std::string> audio_sha256;
    std::string trigger;  // schedule | catch-up | operator | emergency
    std::optional<Who> who;
    Instant scheduled{};
    // Where it is.
    audio::Player::Id player_id = 0;
    State state = State::preparing;
    std::optional<std::string> failure;  // the player could not prepare it: fails at its turn
    std::optional<std::int64_t> on_air_seq;
    std::optional<Instant> started;  // first sample out
    Instant began{};                 // when it was set playing

    /// A scheduled firing, claimed in the log so that it airs at most once.
    bool claims() const { return trigger == "schedule" || trigger == "catch-up"; }
};

}  // namespace wardcast::daemon
