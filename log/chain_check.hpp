#pragma once
// The rules of the hash chain (docs/log-format.md) applied to a stream of entries in seq order,
// wherever they are read from: the ward's SQLite file (LogReader::verify) or the district's
// copy (wardcast-district verify). Says which entry is the first bad one and how, in the words
// `verify` prints.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wardcast::log {

/// The first entry that breaks the chain, and how.
struct ChainBreak {
    std::int64_t seq;
    std::string problem;  ///< "entry 6 was changed: its hash does not match its content"
};

/// Walks entries in the order read. Not thread-safe.
class ChainCheck {
  public:
    /// What the caller knows of one entry: its place, whether it is an on_air entry, the
    /// on_air entry it closes, and its stored prev_hash and hash.
    struct Step {
        std::int64_t seq = 0;
        bool on_air = false;
        std::optional<std::int64_t> closes;
        std::string_view prev_hash;
        std::string_view hash;
    };

    /// The next entry. `content` says what is wrong with its content ("" when its hash matches
    /// it: "its hash does not match its content", "its zones are not a JSON list of names");
    /// it is called only once the entry's place in the chain is right. Returns the break, or
    /// nullopt when the entry continues the chain.
    std::optional<ChainBreak> next(const Step& step, const std::function<std::string()>& content);

    /// The entries accepted so far (also the last seq).
    std::int64_t entries() const { return expected_ - 1; }
    /// The last accepted entry's hash (64 '0's before the first).
    const std::string& last_hash() const { return prev_; }

  private:
    std::string prev_ = std::string(64, '0');
    std::int64_t expected_ = 1;
    // Indexed by seq (from 1): an outcome must close an earlier on_air nothing else closed.
    std::vector<bool> on_air_{false}, closed_{false};
};

/// "entry 4 was" or "entries 4 to 7 were".
std::string plural_entries(std::int64_t from, std::int64_t to);

}  // namespace wardcast::log
