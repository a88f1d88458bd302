#include "schedules/duration.hpp"

#include <cctype>

namespace wardcast::schedules {

std::optional<Duration> parse_duration(const std::string& text) {
    if (text == "0") return Duration{0};
    if (text.empty()) return std::nullopt;
    long long total_ms = 0;
    std::size_t i = 0;
    int last_rank = 4;  // units must come in the order h, m, s, ms, each at most once
    while (i < text.size()) {
        if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
        long long value = 0;
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
            value = value * 10 + (text[i] - '0');
            if (value > 10'000'000) return std::nullopt;
            ++i;
        }
        int rank;
        long long unit_ms;
        if (text.compare(i, 2, "ms") == 0) {
            rank = 0, unit_ms = 1, i += 2;
        } else if (i < text.size() && text[i] == 'h') {
            rank = 3, unit_ms = 3'600'000, ++i;
        } else if (i < text.size() && text[i] == 'm') {
            rank = 2, unit_ms = 60'000, ++i;
        } else if (i < text.size() && text[i] == 's') {
            rank = 1, unit_ms = 1'000, ++i;
        } else {
            return std::nullopt;
        }
        if (rank >= last_rank) return std::nullopt;
        last_rank = rank;
        total_ms += value * unit_ms;
    }
    return Duration{total_ms};
}

std::string format_duration(Duration d) {
    long long ms = d.count();
    std::string out(ms < 0 ? 1 : 0, '-');
    ms = ms < 0 ? -ms : ms;
    long long h = ms / 3'600'000, m = ms / 60'000 % 60, s = ms / 1000 % 60, frac = ms % 1000;
    if (h) out += std::to_string(h) + "h";
    if (m) out += std::to_string(m) + "m";
    if (s || frac || (!h && !m)) {
        out += std::to_string(s);
        if (frac) {
            std::string f = std::to_string(1000 + frac).substr(1);
            while (f.back() == '0') f.pop_back();
            out += "." + f;
        }
        out += "s";
    }
    return out;
}

}  // namespace wardcast::schedules
