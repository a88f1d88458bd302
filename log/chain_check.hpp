#pragma once
// The rules of the hash chain (docs/log-format.md) applied to a stream of entries in seq order,
// wherever they are read from: the ward's SQLite file (LogReader::verify) or the district's
// copy (wardcast-district verify). Says which entry is the first bad one and how, in the words
// `verify` prints.

#include <cstdint>
#include <functional>
#include <limits>
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
///
/// A long chain can also be walked in pieces, one per thread (LogReader::verify): a piece
/// starts at its first entry, taken as placed right, and leaves the outcomes that close an
/// entry before it for later (deferred()). The walk of the pieces before it then takes it
/// in with place() and absorb(), which judge what the piece could not: the same first break,
/// in the same words, as one walk over the whole chain.
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

    /// An outcome entry (seq) closing an entry (target) before the piece's first entry.
    struct Deferred {
        std::int64_t seq;
        std::int64_t target;
    };

    /// The walk of a whole chain: its first entry is seq 1 after 64 '0's.
    ChainCheck() = default;
    /// The walk of a piece whose first entry is `first_seq` with prev_hash `prev_hash`.
    ChainCheck(std::int64_t first_seq, std::string_view prev_hash)
        : prev_(prev_hash), expected_(first_seq), base_(first_seq) {}

    /// The next entry. `content` says what is wrong with its content ("" when its hash matches
    /// it: "its hash does not match its content", "its zones are not a JSON list of names");
    /// it is called only once the entry's place in the chain is right. Returns the break, or
    /// nullopt when the entry continues the chain.
    std::optional<ChainBreak> next(const Step& step, const std::function<std::string()>& content) {
        return next_with(step, content);
    }

    /// The same with any callable (no std::function to build per entry).
    template <class Content>
    std::optional<ChainBreak> next_with(const Step& step, Content&& content) {
        if (auto wrong = place(step.seq, step.prev_hash)) return wrong;
        if (const std::string wrong = content(); !wrong.empty()) {
            return ChainBreak{step.seq,
                              "entry " + std::to_string(step.seq) + " was changed: " + wrong};
        }
        if (step.closes) {
            const std::int64_t target = *step.closes;
            if (target >= 1 && target < base_) {
                deferred_.push_back({step.seq, target});
            } else if (target < 1 || target >= step.seq || !on_air_[index(target)] ||
                       closed_[index(target)]) {
                return not_open(step.seq, target);
            } else {
                closed_[index(target)] = true;
            }
        }
        on_air_.push_back(step.on_air);
        closed_.push_back(false);
        prev_.assign(step.hash);
        ++expected_;
        return std::nullopt;
    }

    /// Whether an entry `seq` with `prev_hash` comes next: the first two rules of next().
    std::optional<ChainBreak> place(std::int64_t seq, std::string_view prev_hash) const;

    /// Takes in `piece`, walked from the entry that comes next here (the caller checked it
    /// with place()): judges its deferred closes before `before` (the piece's own break, if
    /// any), in order, and returns the first that closes no open on_air entry. Without one,
    /// and when the piece had no break of its own (`before` is no_break), this walk goes on
    /// from the piece's end.
    std::optional<ChainBreak> absorb(const ChainCheck& piece, std::int64_t before = no_break);
    static constexpr std::int64_t no_break = std::numeric_limits<std::int64_t>::max();

    /// Closes of entries before this piece's first, in order (none for a whole chain).
    const std::vector<Deferred>& deferred() const { return deferred_; }

    /// The entries accepted so far (also the last seq).
    std::int64_t entries() const { return expected_ - 1; }
    /// The last accepted entry's hash (64 '0's before the first).
    const std::string& last_hash() const { return prev_; }

  private:
    std::size_t index(std::int64_t seq) const { return static_cast<std::size_t>(seq - base_ + 1); }
    static ChainBreak not_open(std::int64_t seq, std::int64_t target);

    std::string prev_ = std::string(64, '0');
    std::int64_t expected_ = 1;
    std::int64_t base_ = 1;  // the first entry's seq: on_air_[index(seq)]
    // Indexed by index(seq): an outcome must close an earlier on_air nothing else closed.
    std::vector<bool> on_air_{false}, closed_{false};
    std::vector<Deferred> deferred_;
};

/// "entry 4 was" or "entries 4 to 7 were".
std::string plural_entries(std::int64_t from, std::int64_t to);

}  // namespace wardcast::log
