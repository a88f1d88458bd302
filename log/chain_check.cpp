#include "log/chain_check.hpp"

namespace wardcast::log {

std::string plural_entries(std::int64_t from, std::int64_t to) {
    return from == to ? "entry " + std::to_string(from) + " was"
                      : "entries " + std::to_string(from) + " to " + std::to_string(to) + " were";
}

std::optional<ChainBreak> ChainCheck::next(const Step& step,
                                           const std::function<std::string()>& content) {
    const std::int64_t seq = step.seq;
    if (seq != expected_) {
        if (expected_ == 1) {
            return ChainBreak{1, plural_entries(1, seq - 1) + " removed: entries start at " +
                                     std::to_string(seq)};
        }
        return ChainBreak{expected_,
                          plural_entries(expected_, seq - 1) + " removed: entries jump from " +
                              std::to_string(expected_ - 1) + " to " + std::to_string(seq)};
    }
    if (step.prev_hash != prev_) {
        return ChainBreak{seq, "entry " + std::to_string(seq) +
                                   " was inserted or reordered: its prev_hash " +
                                   (seq == 1 ? std::string("is not 64 zeros")
                                             : "does not match entry " + std::to_string(seq - 1))};
    }
    if (const std::string wrong = content(); !wrong.empty()) {
        return ChainBreak{seq, "entry " + std::to_string(seq) + " was changed: " + wrong};
    }
    if (step.closes) {
        const std::int64_t target = *step.closes;
        const auto t = static_cast<std::size_t>(target);
        if (target < 1 || target >= seq || !on_air_[t] || closed_[t]) {
            return ChainBreak{seq, "entry " + std::to_string(seq) +
                                       " was changed: it closes entry " + std::to_string(target) +
                                       ", which is not an open on_air entry before it"};
        }
        closed_[t] = true;
    }
    on_air_.push_back(step.on_air);
    closed_.push_back(false);
    prev_.assign(step.hash);
    ++expected_;
    return std::nullopt;
}

}  // namespace wardcast::log
