// Loudness normalization gains: the policy, and the measurement cache by file content.

#include "audio/loudness.hpp"

#include <catch2/catch.hpp>

#include "common/sha256.hpp"
#include "tests/audio/wav_fixtures.hpp"
#include "tests/schedules/schedule_files.hpp"

namespace fs = std::filesystem;
using namespace wardcast::audio;
using wardcast::test::write_tone;

TEST_CASE("Normalization gains are clamped and never make a file clip", "[loudness][player]") {
    CHECK(playback_gain_db({-8.8, 0.5}) == Approx(-8.8));
    CHECK(playback_gain_db({15.2, 0.0316}) == Approx(15.2));
    CHECK(playback_gain_db({40, 0.001}) == Approx(24));                   // clamped boost
    CHECK(playback_gain_db({-40, 1.0}) == Approx(-24));                   // clamped cut
    CHECK(playback_gain_db({12, 0.5}) == Approx(6.0206).epsilon(0.001));  // peak reaches 0 dBFS
    CHECK(playback_gain_db({30, 0}) == Approx(24));  // silence: nothing can clip
}

TEST_CASE("Loudness is measured once per content and read back from gains.tsv",
          "[loudness][player]") {
    wardcast::test::TempDir dir;
    const fs::path loud = dir.path() / "loud.wav";
    write_tone(loud, 1000, -6);
    const auto measured = LoudnessAnalyzer(dir.path()).measure(loud);
    REQUIRE(measured);
    CHECK(measured->peak == Approx(0.5).margin(0.01));
    CHECK(measured->track_gain_db == Approx(-8.8).margin(0.5));

    // A line planted for this content wins over measuring; a torn line is skipped.
    const auto sha = wardcast::sha256_file(loud);
    REQUIRE(sha);
    dir.write("cache/gains.tsv", "0123\tbroken\n" + *sha + "\t-3.5\t0.25\n");
    LoudnessAnalyzer cached(dir.path() / "cache");
    CHECK(cached.gain_db(loud) == Approx(-3.5));

    CHECK_FALSE(cached.gain_db(dir.path() / "missing.wav"));
    CHECK_FALSE(cached.gain_db(dir.write("text.wav", "not audio\n")));
}
