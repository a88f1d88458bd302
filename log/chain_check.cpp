#include "log/chain_check.hpp"

namespace wardcast::log {

std::string plural_entries(std::int64_t from, std::int64_t to) {
    return from == to ? "entry " + std::to_string(from) + " was"
                      : "entries " + std::to_string(from) + " to " + std::to_string(to) + " were";
}

std::optional<ChainBreak> ChainCheck::place(std::int64_t seq, std::string_view prev_hash) const {
    if (seq != expected_) {
        if (expected_ == 1) {
            return ChainBreak{1, plural_entries(1, seq - 1) + " removed: entries start at " +
                                     std::to_string(seq)};
        }
        return ChainBreak{expected_,
                          plural_entries(expected_, seq - 1) + " removed: entries jump from " +
                              std::to_string(expected_ - 1) + " to " + std::to_string(seq)};
    }
    if (prev_hash != prev_) {
        return ChainBreak{seq, "entry " + std::to_string(seq) +
                                   " was inserted or reordered: its prev_hash " +
                                   (seq == 1 ? std::string("is not 64 zeros")
                                             : "does not match entry " + std::to_string(seq - 1))};
    }
    return std::nullopt;
}

ChainBreak ChainCheck::not_open(std::int64_t seq, std::int64_t target) {
    return ChainBreak{seq, "entry " + std::to_string(seq) + " was changed: it closes entry " +
                               std::to_string(target) +
                               ", which is not an open on_air entry before it"};
}

std::optional<ChainBreak> ChainCheck::absorb(const ChainCheck& piece, std::int64_t before) {
    for (const Deferred& d : piece.deferred_) {
        if (d.seq >= before) break;
        // Deferred targets are before the piece, so here: at or after this walk's base they
        // are ours to judge; before it (a piece absorbing a piece) they stay deferred.
        if (d.target < base_) {
            deferred_.push_back(d);
            continue;
        }
        if (!on_air_[index(d.target)] || closed_[index(d.target)]) {
            return not_open(d.seq, d.target);
        }
        closed_[index(d.target)] = true;
    }
    if (before != no_break) return std::nullopt;
    on_air_.insert(on_air_.end(), piece.on_air_.begin() + 1, piece.on_air_.end());
    closed_.insert(closed_.end(), piece.closed_.begin() + 1, piece.closed_.end());
    prev_ = piece.prev_;
    expected_ = piece.expected_;
    return std::nullopt;
}

}  // namespace wardcast::log
