#pragma once
// Runs a real program the way an operator's shell would, and keeps what it printed.

#include <map>
#include <string>
#include <vector>

namespace wardcast::test {

struct ProcessResult {
    int exit_code = -1;  ///< -1 when killed by a signal
    std::string out;
    std::string err;
    /// `out` split into lines, without the newlines.
    std::vector<std::string> out_lines() const;
    std::vector<std::string> err_lines() const;
};

/// Runs `argv` (argv[0] is a path) to completion with `env` added to the environment.
ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::map<std::string, std::string>& env = {});

}  // namespace wardcast::test
