// wardcast-make-audio: makes the example schedule's audio at set-up (nothing is copied in).
//   wardcast-make-audio chime OUT.wav
//   wardcast-make-audio tts [--voice VOICE] --text TEXT OUT.(wav|ogg|mp3|flac)

#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <numbers>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "audio/tts.hpp"

namespace fs = std::filesystem;

namespace {

constexpr const char* usage =
    "usage: wardcast-make-audio chime OUT.wav\n"
    "       wardcast-make-audio tts [--voice VOICE] --text TEXT OUT.(wav|ogg|mp3|flac)\n"
    "\n"
    "chime  writes a 2.5 s three-note attention chime (44100 Hz mono 16-bit WAV)\n"
    "tts    speaks TEXT with espeak (VOICE defaults to vi) and encodes it by OUT's extension\n";

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

constexpr int chime_rate = 44100;

// Three struck bell-like notes, "ding-dong-ding" (G4, E5, C5), each ringing out under the next.
std::vector<std::int16_t> chime_samples() {
    struct Note {
        double start_s;
        double freq_hz;
    };
    constexpr Note notes[] = {{0.00, 392.00}, {0.55, 659.25}, {1.10, 523.25}};
    // Partials: (multiple of the fundamental, level, decay time in s); higher ones die faster.
    constexpr double partials[][3] = {{1.0, 1.0, 0.70}, {2.0, 0.28, 0.30}, {3.0, 0.10, 0.15}};
    constexpr double length_s = 2.5, attack_s = 0.006, fade_s = 0.08, peak = 0.7;

    const auto count = static_cast<std::size_t>(length_s * chime_rate);
    std::vector<double> mix(count, 0.0);
    for (const auto& note : notes) {
        for (auto i = static_cast<std::size_t>(note.start_s * chime_rate); i < count; ++i) {
            const double t = static_cast<double>(i) / chime_rate - note.start_s;
            const double attack = std::min(1.0, t / attack_s);  // no click at the strike
            for (const auto& [multiple, level, decay] : partials) {
                mix[i] += attack * level * std::exp(-t / decay) *
                          std::sin(2 * std::numbers::pi * note.freq_hz * multiple * t);
            }
        }
    }
    double loudest = 0;
    for (double s : mix) loudest = std::max(loudest, std::abs(s));
    std::vector<std::int16_t> samples(count);
    for (std::size_t i = 0; i < count; ++i) {
        const double left_s = static_cast<double>(count - i) / chime_rate;
        const double fade = std::min(1.0, left_s / fade_s);  // end exactly at silence
        samples[i] = static_cast<std::int16_t>(std::lround(mix[i] / loudest * peak * fade * 32767));
    }
    return samples;
}

void put_u32(std::string& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_u16(std::string& out, std::uint16_t v) {
    out.push_back(static_cast<char>(v & 0xff));
    out.push_back(static_cast<char>(v >> 8));
}

// A canonical 44-byte-header PCM WAV file, mono 16-bit little-endian.
std::string wav_bytes(const std::vector<std::int16_t>& samples, std::uint32_t rate) {
    const auto data_size = static_cast<std::uint32_t>(samples.size() * 2);
    std::string out = "RIFF";
    put_u32(out, 36 + data_size);
    out += "WAVEfmt ";
    put_u32(out, 16);  // fmt chunk size
    put_u16(out, 1);   // PCM
    put_u16(out, 1);   // channels
    put_u32(out, rate);
    put_u32(out, rate * 2);  // bytes per second
    put_u16(out, 2);         // bytes per frame
    put_u16(out, 16);        // bits per sample
    out += "data";
    put_u32(out, data_size);
    for (std::int16_t s : samples) put_u16(out, static_cast<std::uint16_t>(s));
    return out;
}

// Writes beside `out` and renames, so a half-written file never carries the final name.
void write_atomically(const fs::path& out, const std::string& bytes) {
    const fs::path tmp =
        out.parent_path() / ("." + out.filename().string() + ".tmp-" + std::to_string(::getpid()));
    {
        std::ofstream file(tmp, std::ios::binary | std::ios::trunc);
        if (!file)
            throw std::runtime_error("cannot write " + out.string() + ": " + std::strerror(errno));
        file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        file.close();
        if (!file) {
            std::error_code ignored;
            fs::remove(tmp, ignored);
            throw std::runtime_error("cannot write " + out.string());
        }
    }
    std::error_code ec;
    fs::rename(tmp, out, ec);
    if (ec) {
        fs::remove(tmp, ec);
        throw std::runtime_error("cannot write " + out.string() + ": " + ec.message());
    }
}

void make_chime(const std::vector<std::string_view>& args) {
    if (args.size() != 1) throw UsageError("chime takes exactly one argument, OUT.wav");
    const fs::path out(args[0]);
    if (out.extension() != ".wav")
        throw UsageError("the chime is written as WAV: OUT must end in .wav");
    write_atomically(out, wav_bytes(chime_samples(), chime_rate));
}

void make_tts(const std::vector<std::string_view>& args) {
    wardcast::schedules::Tts tts;
    bool have_text = false;
    std::vector<std::string_view> rest;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const bool has_value = i + 1 < args.size();
        if (args[i] == "--voice" || args[i] == "--text") {
            if (!has_value) throw UsageError(std::string(args[i]) + " needs a value");
            if (args[i] == "--text") {
                tts.text = args[i + 1];
                have_text = true;
            } else {
                tts.voice = args[i + 1];
            }
            ++i;
        } else if (args[i].starts_with("--")) {
            throw UsageError("unknown option " + std::string(args[i]));
        } else {
            rest.push_back(args[i]);
        }
    }
    if (!have_text) throw UsageError("tts needs --text TEXT");
    if (rest.size() != 1) throw UsageError("tts takes exactly one output file");
    wardcast::audio::render_speech(tts, fs::path(rest[0]));
}

}  // namespace

int main(int argc, char** argv) {
    const std::vector<std::string_view> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
        (args.empty() ? std::cerr : std::cout) << usage;
        return args.empty() ? 1 : 0;
    }
    try {
        const std::vector<std::string_view> rest(args.begin() + 1, args.end());
        if (args[0] == "chime") {
            make_chime(rest);
        } else if (args[0] == "tts") {
            make_tts(rest);
        } else {
            throw UsageError("unknown command " + std::string(args[0]) + " (chime or tts)");
        }
    } catch (const UsageError& e) {
        std::cerr << "wardcast-make-audio: " << e.what() << " (see --help)\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "wardcast-make-audio: " << e.what() << '\n';
        return 1;
    }
    return 0;
}
