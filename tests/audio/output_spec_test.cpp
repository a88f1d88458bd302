// Zone outputs (SPEC §3): parsing them, naming the WAV files of file: outputs, and repairing
// a WAV file that was cut off.

#include "audio/output_spec.hpp"

#include <catch2/catch.hpp>
#include <fstream>

#include "tests/audio/wav_fixtures.hpp"
#include "tests/schedules/schedule_files.hpp"

namespace fs = std::filesystem;
using namespace wardcast::audio;
using std::chrono::milliseconds;
using wardcast::test::read_wav;
using wardcast::test::write_tone;

namespace {

// 2026-12-01 06:00:00 in Hanoi (UTC+7).
const WallTime scheduled{milliseconds(1796079600000)};

}  // namespace

TEST_CASE("Outputs are parsed as SPEC §3 writes them", "[outputs][player]") {
    using Kind = OutputSpec::Kind;
    struct Case {
        const char* text;
        Kind kind;
        const char* target;
        int port;
    };
    const auto c = GENERATE(values<Case>({
        {"auto", Kind::automatic, "", 0},
        {"null", Kind::discard, "", 0},
        {"alsa:hw:1,0", Kind::alsa, "hw:1,0", 0},
        {"pulse:speakers", Kind::pulse, "speakers", 0},
        {"file:/srv/out/zone.wav", Kind::file, "/srv/out/zone.wav", 0},
        {"rtp://239.0.0.1:5004", Kind::rtp, "239.0.0.1", 5004},
        {"rtp://[::1]:6000", Kind::rtp, "::1", 6000},
    }));
    const OutputSpec spec = parse_output(c.text);
    CHECK(spec.kind == c.kind);
    CHECK(spec.target == c.target);
    CHECK(spec.port == c.port);
}

TEST_CASE("Malformed outputs are refused with their text", "[outputs][player]") {
    const auto text = GENERATE("", "speaker", "alsa:", "rtp://host", "rtp://host:0",
                               "rtp://host:70000", "rtp://:5004", "file:");
    CHECK_THROWS_WITH(parse_output(text), Catch::Contains(std::string("'") + text + "'"));
}

TEST_CASE("A file output's name carries the label and the UTC scheduled time",
          "[outputs][player]") {
    CHECK(broadcast_wav_path("/srv/archive/zone-a.wav", "cchc-1", scheduled) ==
          "/srv/archive/zone-a-cchc-1-20261130T230000.wav");
    CHECK(broadcast_wav_path("out.wav", "tin khẩn/2", scheduled + milliseconds(1999)) ==
          "out-tin_kh___n_2-20261130T230001.wav");
}

TEST_CASE("A cut-off WAV file gets a header that matches its content", "[outputs][player]") {
    wardcast::test::TempDir dir;
    const fs::path file = dir.path() / "cut.wav";
    write_tone(file, 500);
    {
        std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
        const std::uint32_t zero = 0;
        f.seekp(4), f.write(reinterpret_cast<const char*>(&zero), 4);
        f.seekp(40), f.write(reinterpret_cast<const char*>(&zero), 4);
    }
    CHECK(read_wav(file).samples.empty());
    CHECK(repair_wav_header(file));
    CHECK(read_wav(file).samples.size() == 22050);

    write_tone(dir.path() / "empty.wav", 0);
    CHECK_FALSE(repair_wav_header(dir.path() / "empty.wav"));
    CHECK_FALSE(repair_wav_header(dir.write("text.wav", "not a wav file at all\n")));
    CHECK_FALSE(repair_wav_header(dir.path() / "missing.wav"));
}
