#pragma once
// The arguments a control command takes, declared in its row of the command table, and their
// check: done once, by the dispatcher, before the handler runs (MPD checks arity in its
// command table, not in each handler). A handler reads arguments already known to be right.

#include <date/tz.h>

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/controller.hpp"

namespace wardcast::daemon {

/// The JSON an argument must be.
enum class ArgType {
    text,     ///< a string
    choice,   ///< a string, one of `choices`
    texts,    ///< an array of strings
    integer,  ///< an integer from `low` to `high`
    number,   ///< a finite number from `low` to `high`
    instant,  ///< an ISO 8601 instant or a date, read in the station's zone; in the future
};

/// One argument a command takes. A null value counts as absent.
struct Argument {
    std::string_view name;
    ArgType type;
    std::string_view what;  ///< for a person: "a string", "a number from 0.0 to 1.0"
    bool required = false;
    bool not_empty = false;  ///< text: "" is refused
    /// Exactly one of a command's arguments marked so must be given (announce's file, tts).
    bool one_of = false;
    double low = 0, high = 0;                     ///< integer, number: the range, inclusive
    std::span<const std::string_view> choices{};  ///< choice: the values allowed
};

/// What checking an instant needs: the station's clock. Asked only when a request carries an
/// instant.
using ClockSource = std::function<StationClock()>;

/// A request's arguments, checked against a command's declaration: each accessor returns the
/// value of a declared argument of its type, or nothing when it was not given. Asking for an
/// argument the command does not declare, or with the wrong type, is a bug (assert).
class Arguments {
  public:
    /// Checks `args` (an object) for `command` against `declared`; `clock` is called at most
    /// once, when an instant is given. Throws ControlError with code bad_argument and a
    /// message "COMMAND: …" that names the argument and what is wrong with it: an unknown
    /// name (with the names it takes), a missing or mistyped value, out of range, not one of
    /// the choices, empty, an instant that does not parse or is not in the future, or not
    /// exactly one of the `one_of` arguments.
    Arguments(std::string_view command, std::span<const Argument> declared,
              const nlohmann::json& args, const ClockSource& clock);

    std::optional<std::string> text(std::string_view name) const;  ///< text or choice
    std::vector<std::string> texts(std::string_view name) const;   ///< empty when absent
    std::optional<std::int64_t> integer(std::string_view name) const;
    std::optional<double> number(std::string_view name) const;
    std::optional<Instant> instant(std::string_view name) const;

    /// The station's clock, when an instant was given (instants are read in its zone).
    const std::optional<StationClock>& clock() const noexcept { return clock_; }

  private:
    const nlohmann::json* find(std::string_view name, ArgType type) const;

    std::span<const Argument> declared_;
    const nlohmann::json& args_;
    std::optional<StationClock> clock_;
    std::vector<std::pair<std::string_view, Instant>> instants_;
};

/// The station's zone by IANA name; UTC when the name is unknown (instants stay correct,
/// offsets read +00:00).
const date::time_zone& zone_named(const std::string& name);

}  // namespace wardcast::daemon
