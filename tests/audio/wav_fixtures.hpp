#pragma once
// WAV files for the audio tests: tones written sample by sample, and samples read back.

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace wardcast::test {

// A 16-bit WAV of a `hz` tone, `ms` long, peaking at `dbfs`.
inline void write_tone(const std::filesystem::path& path, int ms, double dbfs = -6, int hz = 440,
                       int rate = 44100, int channels = 1) {
    const auto frames = static_cast<std::uint32_t>(std::int64_t(rate) * ms / 1000);
    const std::uint32_t bytes = frames * channels * 2;
    std::ofstream f(path, std::ios::binary);
    auto u32 = [&](std::uint32_t v) { f.write(reinterpret_cast<const char*>(&v), 4); };
    auto u16 = [&](std::uint16_t v) { f.write(reinterpret_cast<const char*>(&v), 2); };
    f.write("RIFF", 4), u32(36 + bytes), f.write("WAVEfmt ", 8), u32(16), u16(1);
    u16(channels), u32(rate), u32(rate * channels * 2), u16(channels * 2), u16(16);
    f.write("data", 4), u32(bytes);
    const double amplitude = 32767 * std::pow(10.0, dbfs / 20);
    for (std::uint32_t i = 0; i < frames; ++i) {
        const auto v = static_cast<std::int16_t>(amplitude * std::sin(2 * M_PI * hz * i / rate));
        for (int c = 0; c < channels; ++c) u16(static_cast<std::uint16_t>(v));
    }
}

struct Wav {
    int rate = 0;
    int channels = 0;
    std::vector<std::int16_t> samples;
};

// A 16-bit PCM WAV file's samples, found by walking its chunks.
inline Wav read_wav(const std::filesystem::path& path) {
    std::ifstream f(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(f)), {});
    auto u32 = [&](std::size_t at) {
        std::uint32_t v = 0;
        std::memcpy(&v, bytes.data() + at, 4);
        return v;
    };
    auto u16 = [&](std::size_t at) {
        std::uint16_t v = 0;
        std::memcpy(&v, bytes.data() + at, 2);
        return v;
    };
    REQUIRE(bytes.size() >= 12);
    REQUIRE(bytes.compare(0, 4, "RIFF") == 0);
    Wav wav;
    for (std::size_t at = 12; at + 8 <= bytes.size();) {
        const std::string id = bytes.substr(at, 4);
        const std::uint32_t size = u32(at + 4);
        if (id == "fmt ") {
            REQUIRE(u16(at + 8) == 1);    // PCM
            REQUIRE(u16(at + 22) == 16);  // bits
            wav.channels = u16(at + 10);
            wav.rate = static_cast<int>(u32(at + 12));
        } else if (id == "data") {
            REQUIRE(at + 8 + size <= bytes.size());
            wav.samples.resize(size / 2);
            if (size >= 2) std::memcpy(wav.samples.data(), bytes.data() + at + 8, size / 2 * 2);
            break;
        }
        at += 8 + size + (size & 1);
    }
    REQUIRE(wav.rate > 0);
    return wav;
}

// The RMS level in dBFS of the samples from `from` to `to` (milliseconds; -1: the end).
inline double rms_dbfs(const Wav& wav, int from_ms = 0, int to_ms = -1) {
    const auto per_ms = static_cast<std::size_t>(wav.rate / 1000 * wav.channels);
    const std::size_t first = std::min(wav.samples.size(), from_ms * per_ms);
    const std::size_t last =
        to_ms < 0 ? wav.samples.size() : std::min(wav.samples.size(), to_ms * per_ms);
    double sum = 0;
    for (std::size_t i = first; i < last; ++i) sum += double(wav.samples[i]) * wav.samples[i];
    const double rms = last > first ? std::sqrt(sum / double(last - first)) / 32768 : 0;
    return rms > 0 ? 20 * std::log10(rms) : -200;
}

// How long `wav` is, in milliseconds.
inline long long length_ms(const Wav& wav) {
    return static_cast<long long>(wav.samples.size() * 1000 / (wav.rate * wav.channels));
}

// How much of `wav` is tone: 100 ms windows louder than -30 dBFS.
inline long long tone_ms(const Wav& wav) {
    const int length = static_cast<int>(length_ms(wav));
    long long loud = 0;
    for (int at = 0; at + 100 <= length; at += 100) {
        if (rms_dbfs(wav, at, at + 100) > -30) loud += 100;
    }
    return loud;
}

}  // namespace wardcast::test
