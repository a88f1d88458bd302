#include "daemon/command_args.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdio>

#include "common/protocol.hpp"
#include "schedules/timefmt.hpp"

namespace wardcast::daemon {

namespace {

using nlohmann::json;

std::string in_quotes(std::string_view name) { return "\"" + std::string(name) + "\""; }

/// "a string", "an integer", …: what the JSON must be, for "must be …, not number".
const char* type_noun(ArgType type) {
    switch (type) {
        case ArgType::text:
        case ArgType::choice:
        case ArgType::instant:
            return "a string";
        case ArgType::texts:
            return "an array of strings";
        case ArgType::integer:
            return "an integer";
        case ArgType::number:
            return "a number";
    }
    return "a value";
}

/// A bound of a range as a person writes it: "1000", "0.0", "0.25".
std::string bound(const Argument& a, double value) {
    if (a.type == ArgType::integer) return std::to_string(static_cast<std::int64_t>(value));
    char text[32];
    std::snprintf(text, sizeof text, value == std::floor(value) ? "%.1f" : "%g", value);
    return text;
}

/// "a, b or c" (`last` between the last two).
std::string listed(const std::vector<std::string>& items, const char* last) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i)
        out += (i == 0 ? "" : i + 1 == items.size() ? last : ", ") + items[i];
    return out;
}

class Checker {
  public:
    Checker(std::string_view command) : command_(command) {}

    [[noreturn]] void refuse(const std::string& message) const {
        throw ControlError(protocol::err::bad_argument, std::string(command_) + ": " + message);
    }

    void unknown_names(std::span<const Argument> declared, const json& args) const {
        for (const auto& item : args.items()) {
            auto same = [&](const Argument& a) { return a.name == item.key(); };
            if (std::any_of(declared.begin(), declared.end(), same)) continue;
            std::vector<std::string> names;
            for (const auto& a : declared) names.emplace_back(a.name);
            refuse("unknown argument " + in_quotes(item.key()) + " (" +
                   (names.empty() ? "it takes none" : "it takes " + listed(names, ", ")) + ")");
        }
    }

    void value(const Argument& a, const json& v) const {
        auto wrong_type = [&] {
            refuse(in_quotes(a.name) + " must be " + type_noun(a.type) + ", not " + v.type_name());
        };
        switch (a.type) {
            case ArgType::text:
            case ArgType::instant:
                if (!v.is_string()) wrong_type();
                break;
            case ArgType::choice: {
                if (!v.is_string()) wrong_type();
                const auto& got = v.get_ref<const std::string&>();
                if (std::find(a.choices.begin(), a.choices.end(), got) == a.choices.end()) {
                    std::vector<std::string> names(a.choices.begin(), a.choices.end());
                    refuse(in_quotes(a.name) + " must be " + listed(names, " or ") + ", not " +
                           in_quotes(got));
                }
                break;
            }
            case ArgType::texts:
                if (!v.is_array()) wrong_type();
                for (const auto& e : v)
                    if (!e.is_string())
                        refuse(in_quotes(a.name) + " must be an array of strings, not of " +
                               e.type_name());
                break;
            case ArgType::integer: {
                if (!v.is_number_integer()) wrong_type();
                // Parsed non-negative integers are unsigned, and may not fit an int64.
                bool in_range =
                    v.is_number_unsigned()
                        ? v.get<std::uint64_t>() <= static_cast<std::uint64_t>(a.high) &&
                              (a.low < 0 ||
                               v.get<std::uint64_t>() >= static_cast<std::uint64_t>(a.low))
                        : v.get<std::int64_t>() >= a.low && v.get<std::int64_t>() <= a.high;
                if (!in_range) out_of_range(a, v);
                break;
            }
            case ArgType::number:
                if (!v.is_number()) wrong_type();
                if (!std::isfinite(v.get<double>())) refuse(in_quotes(a.name) + " is not finite");
                if (v.get<double>() < a.low || v.get<double>() > a.high) out_of_range(a, v);
                break;
        }
        if (a.not_empty && v.is_string() && v.get_ref<const std::string&>().empty())
            refuse(in_quotes(a.name) + " is empty");
    }

    Instant instant(const Argument& a, const std::string& text, const StationClock& clock) const {
        const auto& zone = zone_named(clock.timezone);
        auto parsed = schedules::parse_date_or_instant(text, zone);
        if (!parsed)
            refuse(in_quotes(a.name) +
                   " must be an ISO 8601 instant such as 2026-12-07T12:00:00+07:00, or a date, "
                   "not " +
                   in_quotes(text));
        if (*parsed <= clock.now)
            refuse(in_quotes(a.name) + " " + schedules::format_instant(*parsed, zone) +
                   " is not in the future (it is " + schedules::format_instant(clock.now, zone) +
                   " now)");
        return *parsed;
    }

  private:
    [[noreturn]] void out_of_range(const Argument& a, const json& v) const {
        refuse(in_quotes(a.name) + " must be from " + bound(a, a.low) + " to " + bound(a, a.high) +
               ", not " + v.dump());
    }

    std::string_view command_;
};

}  // namespace

const date::time_zone& zone_named(const std::string& name) {
    try {
        if (!name.empty()) return *date::locate_zone(name);
    } catch (const std::exception&) {
    }
    return *date::locate_zone("UTC");
}

Arguments::Arguments(std::string_view command, std::span<const Argument> declared, const json& args,
                     const ClockSource& clock)
    : declared_(declared), args_(args) {
    assert(args.is_object());
    Checker check(command);
    check.unknown_names(declared, args);
    std::vector<std::string> alternatives;
    int alternatives_given = 0;
    for (const auto& a : declared) {
        auto it = args.find(a.name);
        const bool given = it != args.end() && !it->is_null();
        if (a.one_of) {
            alternatives.push_back(in_quotes(a.name) + " (" + std::string(a.what) + ")");
            alternatives_given += given;
        }
        if (!given) {
            if (a.required)
                check.refuse("missing " + in_quotes(a.name) + " (" + std::string(a.what) + ")");
            continue;
        }
        check.value(a, *it);
        if (a.type == ArgType::instant) {
            if (!clock_) clock_ = clock();
            instants_.emplace_back(a.name, check.instant(a, it->get<std::string>(), *clock_));
        }
    }
    if (!alternatives.empty() && alternatives_given != 1)
        check.refuse("give exactly one of " + listed(alternatives, " and "));
}

const json* Arguments::find(std::string_view name, ArgType type) const {
    auto declared = std::find_if(declared_.begin(), declared_.end(),
                                 [&](const Argument& a) { return a.name == name; });
    assert(declared != declared_.end() && "an argument the command does not declare");
    assert(declared->type == type || (type == ArgType::text && declared->type == ArgType::choice));
    (void)declared;
    (void)type;
    auto it = args_.find(name);
    return it == args_.end() || it->is_null() ? nullptr : &*it;
}

std::optional<std::string> Arguments::text(std::string_view name) const {
    const json* v = find(name, ArgType::text);
    if (!v) return std::nullopt;
    return v->get<std::string>();
}

std::vector<std::string> Arguments::texts(std::string_view name) const {
    const json* v = find(name, ArgType::texts);
    if (!v) return {};
    return v->get<std::vector<std::string>>();
}

std::optional<std::int64_t> Arguments::integer(std::string_view name) const {
    const json* v = find(name, ArgType::integer);
    if (!v) return std::nullopt;
    return v->get<std::int64_t>();
}

std::optional<double> Arguments::number(std::string_view name) const {
    const json* v = find(name, ArgType::number);
    if (!v) return std::nullopt;
    return v->get<double>();
}

std::optional<Instant> Arguments::instant(std::string_view name) const {
    if (!find(name, ArgType::instant)) return std::nullopt;
    for (const auto& [n, when] : instants_)
        if (n == name) return when;
    return std::nullopt;
}

}  // namespace wardcast::daemon
