#pragma once
// Reading `relay:` and `station.live_source` (SPEC §8), every problem placed as SPEC §1 says.

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>

#include "schedules/yaml_reader.hpp"

namespace wardcast::schedules {

/// A source text (`relay.source`, `station.live_source`) in one of SPEC §8's forms; otherwise
/// reports "WHAT 'TEXT' REASON" at `node` (`what`: "relay source", "live source"; `key` names
/// the key when the node is not text) and returns nullopt. Checks the form, never the network.
std::optional<std::string> read_source(YamlReader& reader, const YAML::Node& node,
                                       const std::string& key, const std::string& what);

/// `relay: { source, duration, start_timeout }`: a mapping with a source of a known form, a
/// duration above zero and, if written, a start_timeout of at least 1s and no longer than the
/// duration. Unknown keys are reported and the rest still read. Returns nullopt when any part
/// is missing or bad (reported).
std::optional<Relay> read_relay(YamlReader& reader, const YAML::Node& node);

/// The words used when `repeat` or `gap` is written on a relay: "'KEY' cannot be used with
/// 'relay': ...".
std::string refused_with_relay(const std::string& key);

}  // namespace wardcast::schedules
