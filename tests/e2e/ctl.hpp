#pragma once
// Running the real wardcastctl in e2e tests, and reading what it printed.

#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/e2e/process.hpp"

namespace wardcast::test {

/// `wardcastctl ARGS…`, with `env` added to the environment.
inline ProcessResult ctl(std::vector<std::string> args, const std::map<std::string, std::string>& env = {}) {
    args.insert(args.begin(), WARDCASTCTL);
    return run_process(args, env);
}

/// One JSON value a line (`--json` output).
inline std::vector<nlohmann::json> json_lines(const std::string& text) {
    std::vector<nlohmann::json> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
    return out;
}

inline bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

}  // namespace wardcast::test
