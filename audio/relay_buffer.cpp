#include "audio/relay_buffer.hpp"

#include <algorithm>
#include <cstring>

namespace wardcast::audio {

RelayBuffer::Limits RelayBuffer::default_limits(int rate) {
    const auto ms = [rate](int n) { return static_cast<std::size_t>(rate) * n / 1000; };
    // 300 ms at a start covers an Ogg page or two of jitter. A source that then comes
    // steadily (small pages) would keep those 300 ms as delay: a backlog that stayed above
    // 150 ms for 3 s is cut to 60 ms, which also keeps a source whose clock runs a little
    // fast near live. Bursty sources (0.5 s pages) drain to nothing between pages: untouched.
    return Limits{
        ms(300), ms(60), ms(1000), ms(150), ms(60), ms(3000), std::chrono::milliseconds(500)};
}

RelayBuffer::RelayBuffer(std::vector<float> chime, std::int64_t relay_frames, Limits limits)
    : chime_(std::move(chime)), relay_frames_(relay_frames), limits_(limits) {}

void RelayBuffer::push(const float* samples, std::size_t count) {
    std::lock_guard lock(mutex_);
    ring_.insert(ring_.end(), samples, samples + count);
    if (ring_.size() > limits_.cap) trim_to_newest(limits_.cap);
    received_ = received_ || count > 0;
    last_push_ = std::chrono::steady_clock::now();
}

void RelayBuffer::restart_feed() {
    std::lock_guard lock(mutex_);
    ring_.clear();
    waiting_ = true;
    fresh_ = true;
}

void RelayBuffer::trim_to_newest(std::size_t keep) {
    if (ring_.size() > keep) ring_.erase(ring_.begin(), ring_.end() - static_cast<long>(keep));
}

bool RelayBuffer::fill(float* out, std::size_t count, WallTime now) {
    std::lock_guard lock(mutex_);
    std::fill(out, out + count, 0.0f);
    std::size_t done = 0;
    if (chime_pos_ < chime_.size()) {
        done = std::min(count, chime_.size() - chime_pos_);
        std::memcpy(out, chime_.data() + chime_pos_, done * sizeof(float));
        chime_pos_ += done;
    }
    const auto left =
        static_cast<std::size_t>(std::max<std::int64_t>(0, relay_frames_ - relay_pos_));
    const std::size_t wanted = std::min(count - done, left);
    if (wanted == 0) return relay_pos_ < relay_frames_ || chime_pos_ < chime_.size();

    if (waiting_ && ring_.size() >= limits_.resume) {
        waiting_ = false;
        if (fresh_) trim_to_newest(limits_.start_keep);  // start from the newest: near live
        fresh_ = false;
    }
    std::size_t taken = 0;
    if (!waiting_) {
        taken = std::min(wanted, ring_.size());
        std::copy(ring_.begin(), ring_.begin() + static_cast<long>(taken), out + done);
        ring_.erase(ring_.begin(), ring_.begin() + static_cast<long>(taken));
        if (taken < wanted) waiting_ = true;
    }
    relay_pos_ += static_cast<std::int64_t>(wanted);
    relayed_ += static_cast<std::int64_t>(taken);

    if (taken == 0 && !gap_from_) gap_from_ = now;
    if (taken > 0 && gap_from_) {
        if (now - *gap_from_ >= limits_.min_gap) {
            gaps_.push_back({*gap_from_, now});
        }
        gap_from_.reset();
    }

    // A backlog that never drained over a whole window is delay, not jitter: drop it.
    window_min_ = std::min(window_min_, waiting_ ? std::size_t{0} : ring_.size());
    window_frames_ += wanted;
    if (window_frames_ >= limits_.window) {
        if (window_min_ > limits_.standing) {
            ring_.erase(ring_.begin(),
                        ring_.begin() + static_cast<long>(window_min_ - limits_.trim_to));
        }
        window_min_ = SIZE_MAX;
        window_frames_ = 0;
    }
    if (relay_pos_ >= relay_frames_ && gap_from_) {
        const WallTime to = now + std::chrono::milliseconds(10);  // this buffer's end
        if (to - *gap_from_ >= limits_.min_gap) gaps_.push_back({*gap_from_, to});
        gap_from_.reset();
    }
    return relay_pos_ < relay_frames_;
}

bool RelayBuffer::received() const {
    std::lock_guard lock(mutex_);
    return received_;
}

std::optional<std::chrono::steady_clock::time_point> RelayBuffer::last_push() const {
    std::lock_guard lock(mutex_);
    return last_push_;
}

std::chrono::milliseconds RelayBuffer::aired(int rate) const {
    std::lock_guard lock(mutex_);
    const auto frames = static_cast<std::int64_t>(chime_pos_) + relayed_;
    return std::chrono::milliseconds(frames * 1000 / rate);
}

std::int64_t RelayBuffer::relayed_frames() const {
    std::lock_guard lock(mutex_);
    return relayed_;
}

std::vector<RelayGap> RelayBuffer::gaps(WallTime now) const {
    std::lock_guard lock(mutex_);
    std::vector<RelayGap> all = gaps_;
    if (gap_from_ && now - *gap_from_ >= limits_.min_gap) all.push_back({*gap_from_, now});
    return all;
}

}  // namespace wardcast::audio
