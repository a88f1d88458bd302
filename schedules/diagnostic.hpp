#pragma once
// Places in schedule files and the messages that point at them.

#include <string>
#include <vector>

namespace wardcast::schedules {

/// A place in a schedule file; line and column count from 1 (0 = unknown).
struct Mark {
    std::string file;
    int line = 0;
    int column = 0;
};

/// One finding of the loader or the validator.
struct Diagnostic {
    enum class Severity { error, warning };
    Severity severity = Severity::error;
    Mark where;
    std::string message;

    /// "FILE:LINE:COLUMN: error: MESSAGE" (or "warning:").
    std::string to_string() const;
};

using Diagnostics = std::vector<Diagnostic>;

/// True when any diagnostic is an error.
bool has_errors(const Diagnostics& diagnostics) noexcept;

/// The closest candidate to `word` by edit distance, or "" when none is close enough
/// to be a likely misspelling.
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace wardcast::schedules
