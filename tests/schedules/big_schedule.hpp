#pragma once
// A large district's schedule, the same every time: bench_schedule times `validate` and
// `simulate` on it, and a test checks that a year of `simulate` prints what it always has.

#include <cstdio>
#include <filesystem>
#include <random>
#include <string>

#include "tests/e2e/fixtures.hpp"

namespace wardcast::test {

/// "HH:MM" of minutes after midnight.
inline std::string big_schedule_hhmm(int minutes) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%02d:%02d", minutes / 60, minutes % 60);
    return buf;
}

/// `n` announcements over 40 zones and 25 audio files (audio/item0.wav … item24.wav and
/// audio/chime.wav, see write_big_schedule_audio), drawn from a fixed seed.
inline std::string big_schedule(int n) {
    std::mt19937 rng(20261128);
    const char* days[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    std::string y =
        "version: 1\nstation: { name: \"Quận bench\", timezone: Asia/Ho_Chi_Minh }\nzones:\n";
    for (int z = 0; z < 40; ++z) y += "  - { id: z" + std::to_string(z) + ", output: \"null\" }\n";
    y += "defaults: { chime: audio/chime.wav, max_delay: 10m }\n";
    y += "quiet_hours: [{ from: \"21:30\", to: \"05:30\" }]\n";
    y += "holidays: [2027-01-01, 2027-02-05, 2027-02-06, 2027-02-07, 2027-02-08]\n";
    y += "announcements:\n";
    for (int i = 0; i < n; ++i) {
        y += "  - id: a" + std::to_string(i) + "\n    title: \"Thông báo số " + std::to_string(i) +
             "\"\n";
        y += "    audio: [audio/item" + std::to_string(rng() % 25) + ".wav]\n";
        y += "    zones: [z" + std::to_string(rng() % 40) + ", z" + std::to_string(rng() % 40) +
             "]\n";
        y += "    repeat: " + std::to_string(1 + rng() % 2) + "\n    gap: 2s\n";
        if (rng() % 3 == 0)
            y += "    window: { from: 2027-0" + std::to_string(1 + rng() % 6) + "-01 }\n";
        if (rng() % 2 == 0) {
            y += "    days: [";
            for (int d = 0, k = 0; d < 7; ++d)
                if (rng() % 2) y += std::string(k++ ? ", " : "") + days[d];
            y += std::string(y.back() == '[' ? "mon" : "") + "]\n";
        }
        if (rng() % 10 == 0) y += "    monthdays: [1, 15]\n";
        if (rng() % 4 == 0) {
            int start = 360 + static_cast<int>(rng() % 600);
            y += "    every: 1h\n    between: [\"" + big_schedule_hhmm(start) + "\", \"" +
                 big_schedule_hhmm(start + 180) + "\"]\n";
        } else {
            y += "    at: [\"" + big_schedule_hhmm(330 + static_cast<int>(rng() % 900)) + "\", \"" +
                 big_schedule_hhmm(330 + static_cast<int>(rng() % 900)) + "\"]\n";
        }
    }
    return y;
}

/// The audio big_schedule() names, in `dir`: a 2.5 s chime and items of 20 s to 92 s.
inline void write_big_schedule_audio(const std::filesystem::path& dir) {
    write_tone_wav(dir / "audio/chime.wav", 2500);
    for (int i = 0; i < 25; ++i)
        write_tone_wav(dir / ("audio/item" + std::to_string(i) + ".wav"), 20000 + 3000 * i);
}

}  // namespace wardcast::test
