// Text-to-speech with the real espeak element: rendering, caching, voices, formats.

#include "audio/tts.hpp"

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/sha256.hpp"
#include "audio/prober.hpp"

namespace fs = std::filesystem;
using namespace wardcast::audio;
using wardcast::schedules::Tts;

namespace {

struct TempDir {
    fs::path path;
    TempDir() {
        std::string templ = fs::temp_directory_path() / "wardcast-tts-test-XXXXXX";
        REQUIRE(::mkdtemp(templ.data()));
        path = templ;
    }
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(path, ignored);
    }
};

Tts message(std::string text, std::string voice = "vi") {
    Tts tts;
    tts.text = std::move(text);
    tts.voice = std::move(voice);
    return tts;
}

const std::string greeting = "Kính thưa bà con, phường Bồ Đề xin thông báo.";

int file_count(const fs::path& folder) {
    int count = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(folder)) ++count;
    return count;
}

}  // namespace

TEST_CASE("TtsCache names a message's file by the SHA-256 of voice and text", "[audio][tts]") {
    const TtsCache cache("/var/cache/wardcast");
    const auto expected =
        fs::path("/var/cache/wardcast") / "tts" / (wardcast::sha256_hex("vi\n" + greeting) + ".wav");
    CHECK(cache.path_for(message(greeting)) == expected);
    CHECK(cache.path_for(message(greeting, "vi-vn-x-south")) != expected);
    CHECK(cache.path_for(message(greeting + " ")) != expected);
}

TEST_CASE("TtsCache renders Vietnamese speech once and reuses it", "[audio][tts]") {
    TempDir dir;
    TtsCache cache(dir.path);
    const auto tts = message(greeting);

    const auto first = cache.synthesize(tts);
    INFO(first.error);
    REQUIRE(first.file);
    CHECK(first.error.empty());
    CHECK(*first.file == cache.path_for(tts));
    REQUIRE(fs::file_size(*first.file) > 1000);
    CHECK(file_count(dir.path / "tts") == 1);  // no temporary file left behind

    Prober prober;
    const auto length = prober.probe(*first.file);
    REQUIRE(length.length);
    CHECK(*length.length > std::chrono::milliseconds(500));

    const auto written = fs::last_write_time(*first.file);
    const auto started = std::chrono::steady_clock::now();
    const auto second = cache.synthesize(tts);
    const auto took = std::chrono::steady_clock::now() - started;
    REQUIRE(second.file);
    CHECK(*second.file == *first.file);
    CHECK(fs::last_write_time(*second.file) == written);
    CHECK(took < std::chrono::milliseconds(100));
}

TEST_CASE("TtsCache refuses what espeak cannot speak", "[audio][tts]") {
    TempDir dir;
    TtsCache cache(dir.path);

    SECTION("an unknown voice, which espeak would silently replace with English") {
        const auto result = cache.synthesize(message(greeting, "xx-nonexistent"));
        CHECK_FALSE(result.file);
        CHECK_THAT(result.error, Catch::Contains("espeak has no voice \"xx-nonexistent\""));
        CHECK_FALSE(fs::exists(cache.path_for(message(greeting, "xx-nonexistent"))));
    }
    SECTION("empty text") {
        const auto result = cache.synthesize(message("  \n"));
        CHECK_FALSE(result.file);
        CHECK(result.error == "the text to speak is empty");
    }
    SECTION("a cache folder that cannot be created") {
        std::ofstream(dir.path / "plain-file") << "x";
        TtsCache blocked(dir.path / "plain-file" / "cache");
        const auto result = blocked.synthesize(message(greeting));
        CHECK_FALSE(result.file);
        CHECK_THAT(result.error,
                   Catch::StartsWith("cannot create the text-to-speech cache folder"));
    }
    if (fs::exists(dir.path / "tts")) CHECK(file_count(dir.path / "tts") == 0);
}

TEST_CASE("espeak_has_voice knows names, languages and variants", "[audio][tts]") {
    for (const char* voice : {"vi", "VI", "vi+f2", "vi-vn-x-central", "vi-vn-x-south",
                              "Vietnamese (Northern)", "en", "en-us"}) {
        INFO(voice);
        CHECK(espeak_has_voice(voice));
    }
    for (const char* voice : {"xx-nonexistent", "", "+f2", "vietnam"}) {
        INFO(voice);
        CHECK_FALSE(espeak_has_voice(voice));
    }
}

TEST_CASE("render_speech encodes by the file's extension", "[audio][tts]") {
    TempDir dir;
    Prober prober;
    const auto tts = message("Xin chào bà con.");
    for (const char* name : {"speech.wav", "speech.ogg", "speech.mp3", "speech.flac"}) {
        INFO(name);
        const auto out = dir.path / name;
        render_speech(tts, out);
        const auto length = prober.probe(out);
        INFO(length.error);
        REQUIRE(length.length);
        CHECK(*length.length > std::chrono::milliseconds(500));
    }
    CHECK_THROWS_WITH(render_speech(tts, dir.path / "speech.aac"),
                      Catch::Contains("must end in .wav, .ogg, .mp3 or .flac"));
    CHECK_THROWS_WITH(render_speech(tts, dir.path / "no-such-folder" / "x.wav"),
                      Catch::Contains("no such folder"));
    CHECK(file_count(dir.path) == 4);
}
