#include "audio/output_spec.hpp"

#include <cctype>
#include <charconv>
#include <ctime>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <system_error>

namespace wardcast::audio {

OutputSpec parse_output(const std::string& output) {
    using Kind = OutputSpec::Kind;
    auto fail = [&]() -> OutputSpec {
        throw std::invalid_argument("unknown output '" + output +
                                    "' (auto, null, alsa:DEVICE, pulse:SINK, file:PATH.wav or "
                                    "rtp://HOST:PORT)");
    };
    auto after = [&](std::string_view prefix) -> std::optional<std::string> {
        if (output.rfind(prefix, 0) != 0 || output.size() == prefix.size()) return std::nullopt;
        return output.substr(prefix.size());
    };
    if (output == "auto") return {Kind::automatic, "", 0};
    if (output == "null") return {Kind::discard, "", 0};
    if (auto device = after("alsa:")) return {Kind::alsa, *device, 0};
    if (auto sink = after("pulse:")) return {Kind::pulse, *sink, 0};
    if (auto path = after("file:")) return {Kind::file, *path, 0};
    if (auto rest = after("rtp://")) {
        const auto colon = rest->rfind(':');
        if (colon == std::string::npos || colon == 0) return fail();
        std::string host = rest->substr(0, colon);
        if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
            host = host.substr(1, host.size() - 2);
        }
        unsigned port = 0;
        const char* first = rest->data() + colon + 1;
        const char* last = rest->data() + rest->size();
        const auto [end, ec] = std::from_chars(first, last, port);
        if (ec != std::errc() || end != last || first == last || port < 1 || port > 65535) {
            return fail();
        }
        return {Kind::rtp, host, static_cast<std::uint16_t>(port)};
    }
    return fail();
}

std::filesystem::path broadcast_wav_path(const std::filesystem::path& base,
                                         const std::string& label, WallTime scheduled) {
    std::string stem = base.filename().string();
    if (stem.size() > 4 && stem.compare(stem.size() - 4, 4, ".wav") == 0)
        stem.resize(stem.size() - 4);
    std::string safe = label;
    for (char& c : safe) {
        const bool ok =
            std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
        if (!ok) c = '_';
    }
    const auto seconds = std::chrono::floor<std::chrono::seconds>(scheduled);
    const std::time_t t = std::chrono::system_clock::to_time_t(seconds);
    std::tm utc{};
    gmtime_r(&t, &utc);
    char when[32];
    std::strftime(when, sizeof when, "%Y%m%dT%H%M%S", &utc);
    return base.parent_path() / (stem + "-" + safe + "-" + when + ".wav");
}

bool repair_wav_header(const std::filesystem::path& file) noexcept {
    try {
        std::error_code ec;
        const auto size = std::filesystem::file_size(file, ec);
        if (ec || size < 12 || size > 0xffffffffu) return false;
        std::fstream wav(file, std::ios::in | std::ios::out | std::ios::binary);
        auto read_u32 = [&](std::uint64_t at) {
            unsigned char b[4] = {};
            wav.seekg(static_cast<std::streamoff>(at));
            wav.read(reinterpret_cast<char*>(b), 4);
            return std::uint32_t(b[0]) | std::uint32_t(b[1]) << 8 | std::uint32_t(b[2]) << 16 |
                   std::uint32_t(b[3]) << 24;
        };
        auto write_u32 = [&](std::uint64_t at, std::uint64_t value) {
            const char b[4] = {char(value & 0xff), char(value >> 8 & 0xff),
                               char(value >> 16 & 0xff), char(value >> 24 & 0xff)};
            wav.seekp(static_cast<std::streamoff>(at));
            wav.write(b, 4);
        };
        auto id_at = [&](std::uint64_t at) {
            char id[4] = {};
            wav.seekg(static_cast<std::streamoff>(at));
            wav.read(id, 4);
            return std::string(id, 4);
        };
        if (!wav || id_at(0) != "RIFF" || id_at(8) != "WAVE") return false;
        // Walk the chunks to "data": the ones before it (fmt, …) were written whole.
        for (std::uint64_t at = 12; at + 8 <= size;) {
            if (id_at(at) == "data") {
                const std::uint64_t data = size - (at + 8);
                write_u32(4, size - 8);
                write_u32(at + 4, data);
                wav.flush();
                return wav.good() && data > 0;
            }
            const std::uint32_t length = read_u32(at + 4);
            if (!wav) return false;
            at += 8 + std::uint64_t(length) + (length & 1);
        }
        return false;
    } catch (...) {
        return false;
    }
}

}  // namespace wardcast::audio
