#pragma once
// Typed reads of YAML nodes that report problems as diagnostics at the node's place.

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <vector>

#include "schedules/schedule.hpp"

namespace wardcast::schedules {

/// Reads values out of one YAML file, recording every problem with its place.
class YamlReader {
public:
    /// `file` is the name used in messages; diagnostics are appended to `out`.
    YamlReader(std::string file, Diagnostics& out) : file_(std::move(file)), out_(out) {}

    const std::string& file() const noexcept { return file_; }
    Mark mark_of(const YAML::Node& node) const;

    void error(const YAML::Node& node, std::string message);
    void warning(const YAML::Node& node, std::string message);
    void error_at(const Mark& mark, std::string message);

    /// Reports unknown keys ("unknown key 'prioirty' (did you mean 'priority'?)") and keys
    /// written twice; `what` names the mapping in messages ("announcement", "zone"). False
    /// when `node` is not a mapping (reported).
    bool check_keys(const YAML::Node& node, const std::vector<std::string>& known,
                    const std::string& what);

    /// A scalar as text; reports "'KEY' must be text, not a list" otherwise.
    std::optional<std::string> text(const YAML::Node& node, const std::string& key);
    /// A whole number in [min, max].
    std::optional<long> integer(const YAML::Node& node, const std::string& key, long min, long max);
    /// A number in [min, max].
    std::optional<double> number(const YAML::Node& node, const std::string& key, double min,
                                 double max);
    /// A duration "90s", "10m", "1h30m".
    std::optional<Duration> duration(const YAML::Node& node, const std::string& key);
    /// A time of day "HH:MM" or "HH:MM:SS".
    std::optional<TimeOfDay> time_of_day(const YAML::Node& node, const std::string& key);
    /// A date "YYYY-MM-DD".
    std::optional<LocalDate> date(const YAML::Node& node, const std::string& key);
    /// A list; a single scalar counts as a list of one. Reports maps.
    std::optional<std::vector<YAML::Node>> list(const YAML::Node& node, const std::string& key);
    /// A sorted list of unique dates (bad entries reported and left out).
    std::optional<std::vector<LocalDate>> dates(const YAML::Node& node, const std::string& key);

private:
    std::string file_;
    Diagnostics& out_;  // not owned: the loader's result
};

/// "a list", "a mapping", "text", "nothing": what a node is, for messages.
std::string describe(const YAML::Node& node);

}  // namespace wardcast::schedules
