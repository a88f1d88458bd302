#include "schedules/yaml_reader.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "schedules/timefmt.hpp"

namespace wardcast::schedules {

std::string describe(const YAML::Node& node) {
    switch (node.Type()) {
        case YAML::NodeType::Sequence:
            return "a list";
        case YAML::NodeType::Map:
            return "a mapping";
        case YAML::NodeType::Null:
            return "empty";
        case YAML::NodeType::Scalar:
            return "'" + node.Scalar() + "'";
        default:
            return "nothing";
    }
}

Mark YamlReader::mark_of(const YAML::Node& node) const {
    Mark m{file_, 0, 0};
    if (node.IsDefined()) {
        YAML::Mark ym = node.Mark();
        if (!ym.is_null()) {
            m.line = ym.line + 1;
            m.column = ym.column + 1;
        }
    }
    return m;
}

void YamlReader::error(const YAML::Node& node, std::string message) {
    error_at(mark_of(node), std::move(message));
}

void YamlReader::error_at(const Mark& mark, std::string message) {
    out_.push_back({Diagnostic::Severity::error, mark, std::move(message)});
}

void YamlReader::warning(const YAML::Node& node, std::string message) {
    out_.push_back({Diagnostic::Severity::warning, mark_of(node), std::move(message)});
}

bool YamlReader::check_keys(const YAML::Node& node, const std::vector<std::string>& known,
                            const std::string& what) {
    if (!node.IsMap()) {
        error(node, what + " must be a mapping of keys to values, not " + describe(node));
        return false;
    }
    std::set<std::string> seen;
    for (const auto& kv : node) {
        const YAML::Node& key = kv.first;
        if (!key.IsScalar()) {
            error(key, "a key in " + what + " must be a name, not " + describe(key));
            continue;
        }
        const std::string& name = key.Scalar();
        if (!seen.insert(name).second) {
            error(key, "key '" + name + "' is written twice in this " + what);
            continue;
        }
        if (std::find(known.begin(), known.end(), name) == known.end()) {
            std::string hint = closest_match(name, known);
            error(key, "unknown key '" + name + "'" +
                           (hint.empty() ? " in " + what : " (did you mean '" + hint + "'?)"));
        }
    }
    return true;
}

std::optional<std::string> YamlReader::text(const YAML::Node& node, const std::string& key) {
    if (!node.IsScalar()) {
        error(node, "'" + key + "' must be text, not " + describe(node));
        return std::nullopt;
    }
    return node.Scalar();
}

std::optional<long> YamlReader::integer(const YAML::Node& node, const std::string& key, long min,
                                        long max) {
    auto value = text(node, key);
    if (!value) return std::nullopt;
    const std::string& s = *value;
    bool digits = !s.empty() && std::all_of(s.begin() + (s[0] == '-'), s.end(),
                                            [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || s == "-" || s.size() > 12) {
        error(node, "'" + key + "' must be a whole number from " + std::to_string(min) + " to " +
                        std::to_string(max) + ", not '" + s + "'");
        return std::nullopt;
    }
    long v = std::stol(s);
    if (v < min || v > max) {
        error(node, "'" + key + "' must be from " + std::to_string(min) + " to " +
                        std::to_string(max) + ", not " + s);
        return std::nullopt;
    }
    return v;
}

std::optional<double> YamlReader::number(const YAML::Node& node, const std::string& key,
                                         double min, double max) {
    auto value = text(node, key);
    if (!value) return std::nullopt;
    double v = 0;
    std::size_t used = 0;
    try {
        v = std::stod(*value, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    auto range = [&] {
        char buf[64];
        std::snprintf(buf, sizeof buf, "from %.1f to %.1f", min, max);
        return std::string(buf);
    };
    if (used == 0 || used != value->size() || !std::isfinite(v)) {
        error(node, "'" + key + "' must be a number " + range() + ", not '" + *value + "'");
        return std::nullopt;
    }
    if (v < min || v > max) {
        error(node, "'" + key + "' must be " + range() + ", not " + *value);
        return std::nullopt;
    }
    return v;
}

std::optional<Duration> YamlReader::duration(const YAML::Node& node, const std::string& key) {
    auto value = text(node, key);
    if (!value) return std::nullopt;
    auto d = parse_duration(*value);
    if (!d) {
        error(node, "'" + key + "' value '" + *value +
                        "' is not a duration like 90s, 10m, 1h or 1h30m");
    }
    return d;
}

std::optional<TimeOfDay> YamlReader::time_of_day(const YAML::Node& node, const std::string& key) {
    auto value = text(node, key);
    if (!value) return std::nullopt;
    auto t = parse_time_of_day(*value);
    if (!t) error(node, "time '" + *value + "' is not HH:MM[:SS] (00:00 to 23:59:59)");
    return t;
}

std::optional<LocalDate> YamlReader::date(const YAML::Node& node, const std::string& key) {
    auto value = text(node, key);
    if (!value) return std::nullopt;
    auto d = parse_date(*value);
    if (!d) error(node, "date '" + *value + "' is not a date YYYY-MM-DD");
    return d;
}

std::optional<std::vector<YAML::Node>> YamlReader::list(const YAML::Node& node,
                                                        const std::string& key) {
    std::vector<YAML::Node> items;
    if (node.IsScalar()) {
        items.push_back(node);
    } else if (node.IsSequence()) {
        for (const auto& item : node) items.push_back(item);
    } else if (node.IsNull()) {
        // `key:` with nothing after it: an empty list.
    } else {
        error(node, "'" + key + "' must be a list, not " + describe(node));
        return std::nullopt;
    }
    return items;
}

std::optional<std::vector<LocalDate>> YamlReader::dates(const YAML::Node& node,
                                                        const std::string& key) {
    auto items = list(node, key);
    if (!items) return std::nullopt;
    std::vector<LocalDate> out;
    for (const auto& item : *items)
        if (auto d = date(item, key)) out.push_back(*d);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

}  // namespace wardcast::schedules
