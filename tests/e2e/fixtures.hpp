#pragma once
// Copies a folder of tests/data into a temporary place and gives it real audio.

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/schedules/schedule_files.hpp"

namespace wardcast::test {

/// Writes a 16-bit mono 44.1 kHz WAV of a 440 Hz tone, `ms` milliseconds long.
inline void write_tone_wav(const std::filesystem::path& path, int ms) {
    const std::uint32_t rate = 44100, samples = rate * static_cast<std::uint32_t>(ms) / 1000;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream f(path, std::ios::binary);
    auto u32 = [&](std::uint32_t v) { f.write(reinterpret_cast<const char*>(&v), 4); };
    auto u16 = [&](std::uint16_t v) { f.write(reinterpret_cast<const char*>(&v), 2); };
    f.write("RIFF", 4), u32(36 + samples * 2), f.write("WAVEfmt ", 8);
    u32(16), u16(1), u16(1), u32(rate), u32(rate * 2), u16(2), u16(16);
    f.write("data", 4), u32(samples * 2);
    for (std::uint32_t i = 0; i < samples; ++i)
        u16(static_cast<std::uint16_t>(static_cast<std::int16_t>(8000 * std::sin(i * 2 * M_PI * 440 / rate))));
}

/// tests/data/NAME copied to a temporary folder, with audio/tone-10s.wav, tone-60s.wav and
/// chime-2s.wav made in it, and a text file posing as audio/not-audio.mp3.
class Fixture {
public:
    explicit Fixture(const std::string& name) {
        std::filesystem::copy(std::filesystem::path(WARDCAST_TEST_DATA) / name, dir_.path(),
                              std::filesystem::copy_options::recursive);
        write_tone_wav(dir_.path() / "audio/tone-10s.wav", 10000);
        write_tone_wav(dir_.path() / "audio/tone-60s.wav", 60000);
        write_tone_wav(dir_.path() / "audio/chime-2s.wav", 2000);
        dir_.write("audio/not-audio.mp3", "this is not an mp3 file\n");
    }
    std::filesystem::path path() const { return dir_.path(); }
    std::string file(const std::string& name = "schedule.yaml") const { return (dir_.path() / name).string(); }

private:
    TempDir dir_;
};

}  // namespace wardcast::test
