#include "schedules/diagnostic.hpp"

#include <algorithm>
#include <numeric>

namespace wardcast::schedules {

std::string Diagnostic::to_string() const {
    std::string out = where.file;
    if (where.line > 0) {
        out += ':' + std::to_string(where.line) + ':' + std::to_string(where.column);
    }
    out += severity == Severity::error ? ": error: " : ": warning: ";
    out += message;
    return out;
}

bool has_errors(const Diagnostics& diagnostics) noexcept {
    return std::any_of(diagnostics.begin(), diagnostics.end(),
                       [](const Diagnostic& d) { return d.severity == Diagnostic::Severity::error; });
}

namespace {
std::size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<std::size_t> row(b.size() + 1);
    std::iota(row.begin(), row.end(), 0);
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t above = row[j];
            std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
            // A swap of two neighbours ("prioirty") counts as one edit.
            diagonal = above;
        }
    }
    return row[b.size()];
}

bool is_transposition(const std::string& a, const std::string& b) {
    if (a.size() != b.size()) return false;
    std::vector<std::size_t> diffs;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i] != b[i]) diffs.push_back(i);
    return diffs.size() == 2 && diffs[1] == diffs[0] + 1 && a[diffs[0]] == b[diffs[1]] &&
           a[diffs[1]] == b[diffs[0]];
}
}  // namespace

std::string closest_match(const std::string& word, const std::vector<std::string>& candidates) {
    std::string best;
    std::size_t best_distance = 0;
    for (const auto& candidate : candidates) {
        std::size_t d = is_transposition(word, candidate) ? 1 : edit_distance(word, candidate);
        if (best.empty() || d < best_distance) {
            best = candidate;
            best_distance = d;
        }
    }
    std::size_t limit = std::max<std::size_t>(1, std::min<std::size_t>(3, (word.size() + 2) / 3));
    return !best.empty() && best_distance <= limit ? best : std::string{};
}

}  // namespace wardcast::schedules
