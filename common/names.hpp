#pragma once
// The names wardcast writes and reads in more than one place (SPEC §2, §5, §6): broadcast
// statuses, log entry kinds, triggers, priorities, and the `load-schedule` operator entry.
// Each is an enum with one name table; the log (its rows and the CHECK constraints of its
// schema), the control protocol, wardcastctl's help and errors, the schedule loader and the
// scheduler all take the names from here. Header-only and free of dependencies, so that the
// pure schedule engine can use it too. docs/log-format.md lists the names for other tools.
//
// A name, once written to a log file, is part of the file format: renaming one breaks the hash
// chain of every log that holds it, and adding a status or a kind needs a schema migration
// (the CHECK constraints of schema 1 list the names it had; broadcast_log_test checks that
// the tables and the schema agree).

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wardcast::names {

/// One row of a name table: an enumerator and the name written for it.
template <class E>
struct Named {
    E value;
    std::string_view name;
};

/// The outcome of one broadcast attempt (SPEC §6): a `broadcast` entry's `status`.
enum class Status { played, failed, skipped, missed, preempted, cancelled, interrupted };
inline constexpr std::array<Named<Status>, 7> statuses = {{
    {Status::played, "played"},
    {Status::failed, "failed"},
    {Status::skipped, "skipped"},
    {Status::missed, "missed"},
    {Status::preempted, "preempted"},
    {Status::cancelled, "cancelled"},
    {Status::interrupted, "interrupted"},
}};

/// What a log entry records: a start (`on_air`), an outcome (`broadcast`), or an operator
/// command or something the daemon did itself (`operator`).
enum class EntryKind { on_air, broadcast, operator_command };
inline constexpr std::array<Named<EntryKind>, 3> entry_kinds = {{
    {EntryKind::on_air, "on_air"},
    {EntryKind::broadcast, "broadcast"},
    {EntryKind::operator_command, "operator"},
}};

/// Why a broadcast aired: its schedule, a catch-up after a restart (SPEC §2), an operator's
/// `play`/`announce`, an emergency `announce`.
enum class Trigger { schedule, catch_up, operator_request, emergency };
inline constexpr std::array<Named<Trigger>, 4> triggers = {{
    {Trigger::schedule, "schedule"},
    {Trigger::catch_up, "catch-up"},
    {Trigger::operator_request, "operator"},
    {Trigger::emergency, "emergency"},
}};

/// Priorities, lowest first; the numeric order is the order of precedence (SPEC §2).
enum class Priority { low = 0, normal = 1, high = 2, emergency = 3 };
inline constexpr std::array<Named<Priority>, 4> priorities = {{
    {Priority::low, "low"},
    {Priority::normal, "normal"},
    {Priority::high, "high"},
    {Priority::emergency, "emergency"},
}};

/// Why the daemon put a schedule in force (the `(…)` of a load-schedule entry).
enum class LoadReason { start, reload };
inline constexpr std::array<Named<LoadReason>, 2> load_reasons = {{
    {LoadReason::start, "start"},
    {LoadReason::reload, "reload"},
}};

namespace detail {

// Each table lists its enum's values in order, so that a value indexes its own row.
template <class E, std::size_t N>
constexpr bool indexed_by_value(const std::array<Named<E>, N>& table) {
    for (std::size_t i = 0; i < N; ++i)
        if (static_cast<std::size_t>(table[i].value) != i) return false;
    return true;
}

template <class E, std::size_t N>
constexpr std::string_view name_in(const std::array<Named<E>, N>& table, E value) noexcept {
    const auto i = static_cast<std::size_t>(value);
    return i < N ? table[i].name : std::string_view();
}

}  // namespace detail

/// The value `table` names exactly `name` (case matters), or nullopt.
template <class E, std::size_t N>
constexpr std::optional<E> parse_in(const std::array<Named<E>, N>& table,
                                    std::string_view name) noexcept {
    for (const auto& row : table)
        if (row.name == name) return row.value;
    return std::nullopt;
}

static_assert(detail::indexed_by_value(statuses));
static_assert(detail::indexed_by_value(entry_kinds));
static_assert(detail::indexed_by_value(triggers));
static_assert(detail::indexed_by_value(priorities));
static_assert(detail::indexed_by_value(load_reasons));

/// The name of a value, as the tables above give it ("" for a value outside its enum).
constexpr std::string_view name(Status v) noexcept { return detail::name_in(statuses, v); }
constexpr std::string_view name(EntryKind v) noexcept { return detail::name_in(entry_kinds, v); }
constexpr std::string_view name(Trigger v) noexcept { return detail::name_in(triggers, v); }
constexpr std::string_view name(Priority v) noexcept { return detail::name_in(priorities, v); }
constexpr std::string_view name(LoadReason v) noexcept { return detail::name_in(load_reasons, v); }

/// The value named exactly `name` (case matters), or nullopt.
constexpr std::optional<Status> parse_status(std::string_view name) noexcept {
    return parse_in(statuses, name);
}
constexpr std::optional<EntryKind> parse_entry_kind(std::string_view name) noexcept {
    return parse_in(entry_kinds, name);
}
constexpr std::optional<Trigger> parse_trigger(std::string_view name) noexcept {
    return parse_in(triggers, name);
}
constexpr std::optional<Priority> parse_priority(std::string_view name) noexcept {
    return parse_in(priorities, name);
}
constexpr std::optional<LoadReason> parse_load_reason(std::string_view name) noexcept {
    return parse_in(load_reasons, name);
}

/// name(*value), or "" when there is none: how the log stores an absent status or trigger.
template <class E>
constexpr std::string_view name_or_empty(const std::optional<E>& value) noexcept {
    return value ? name(*value) : std::string_view("");
}

/// The table's names in order, for lists and "did you mean" hints.
template <class E, std::size_t N>
std::vector<std::string> all_names(const std::array<Named<E>, N>& table) {
    std::vector<std::string> out;
    for (const auto& row : table) out.emplace_back(row.name);
    return out;
}

/// The table's names joined for people: "low, normal, high, emergency", or with
/// `last_separator` " or " "low, normal, high or emergency".
template <class E, std::size_t N>
std::string listed(const std::array<Named<E>, N>& table, std::string_view last_separator = ", ") {
    std::string out;
    for (std::size_t i = 0; i < N; ++i) {
        if (i > 0) out += i + 1 == N ? last_separator : std::string_view(", ");
        out += table[i].name;
    }
    return out;
}

/// The table's names as an SQL list: "'on_air', 'broadcast', 'operator'".
template <class E, std::size_t N>
std::string sql_listed(const std::array<Named<E>, N>& table) {
    std::string out;
    for (const auto& row : table) {
        if (!out.empty()) out += ", ";
        out += '\'';
        out += row.name;
        out += '\'';
    }
    return out;
}

/// The `command` of the operator entry the daemon writes whenever it puts a schedule in
/// force (SPEC §6): `load-schedule PATH (REASON)`, REASON a load_reasons name, the schedule's
/// SHA-256 in the entry's `schedule_sha256`. `report` plans from these entries.
inline constexpr std::string_view load_schedule_command = "load-schedule";

/// The `command` of the operator entry that follows the entries held while the log could not
/// be written (docs/log-format.md); its `result` says how many and why.
inline constexpr std::string_view log_recovered_command = "log-recovered";

/// "load-schedule PATH (REASON)" for the schedule read from `path`.
inline std::string load_schedule_entry(std::string_view path, LoadReason why) {
    std::string out(load_schedule_command);
    out += ' ';
    out += path;
    out += " (";
    out += name(why);
    out += ')';
    return out;
}

/// True when an operator entry's `command` is a load-schedule entry: it begins with
/// "load-schedule " (as every one written since the first wardcast does; PATH is free text).
constexpr bool is_load_schedule(std::string_view command) noexcept {
    return command.size() > load_schedule_command.size() &&
           command.substr(0, load_schedule_command.size()) == load_schedule_command &&
           command[load_schedule_command.size()] == ' ';
}

}  // namespace wardcast::names
