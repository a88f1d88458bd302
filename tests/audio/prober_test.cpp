// Probing real files with GStreamer: every format the schedules use, and every kind of bad file.

#include "audio/prober.hpp"

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "audio/gst_init.hpp"

namespace fs = std::filesystem;
using namespace wardcast::audio;
using std::chrono::milliseconds;

namespace {

struct TempDir {
    fs::path path;
    TempDir() {
        std::string templ = fs::temp_directory_path() / "wardcast-prober-XXXXXX";
        REQUIRE(::mkdtemp(templ.data()));
        path = templ;
    }
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(path, ignored);
    }
};

// A 440 Hz tone of `ms` milliseconds (a multiple of 10) encoded by `encoder` into `out`.
void make_tone(const fs::path& out, const std::string& encoder, int ms) {
    ensure_gstreamer();
    const std::string description =
        "audiotestsrc num-buffers=" + std::to_string(ms / 10) +
        " samplesperbuffer=441 ! audio/x-raw,rate=44100,channels=2 ! audioconvert ! " + encoder +
        " ! filesink name=sink";
    GError* raw = nullptr;
    PipelinePtr pipeline = adopt_pipeline(gst_parse_launch(description.c_str(), &raw));
    ErrorPtr error(raw);
    REQUIRE_FALSE(error);
    ElementPtr sink(gst_bin_get_by_name(GST_BIN(pipeline.get()), "sink"));
    g_object_set(sink.get(), "location", out.c_str(), nullptr);
    run_to_eos(pipeline.get(), std::chrono::seconds(30));
    REQUIRE(fs::file_size(out) > 0);
}

void write_text(const fs::path& file, const std::string& text) {
    std::ofstream(file, std::ios::binary) << text;
}

}  // namespace

TEST_CASE("Prober measures wav, ogg, mp3 and flac files within 50 ms", "[audio][prober]") {
    struct Case {
        const char* name;
        const char* encoder;
        int ms;
    };
    const auto c = GENERATE(values<Case>({
        {"tone.wav", "wavenc", 2730},
        {"tone.ogg", "vorbisenc ! oggmux", 2730},
        {"tone-vbr.mp3", "lamemp3enc", 2730},
        {"tone-cbr.mp3", "lamemp3enc target=bitrate cbr=true bitrate=128", 2730},
        {"tone.flac", "flacenc", 2730},
        {"short.wav", "wavenc", 100},
        {"long.ogg", "vorbisenc ! oggmux", 61000},
    }));
    TempDir dir;
    const auto file = dir.path / c.name;
    make_tone(file, c.encoder, c.ms);

    Prober prober;
    const auto result = prober.probe(file);
    INFO(c.name << ": " << result.error);
    REQUIRE(result.length);
    CHECK(result.error.empty());
    CHECK(std::abs(result.length->count() - c.ms) <= 50);
}

TEST_CASE("Prober reports a missing file", "[audio][prober]") {
    TempDir dir;
    Prober prober;
    const auto result = prober.probe(dir.path / "absent.mp3");
    CHECK_FALSE(result.length);
    CHECK(result.error == "no such file");
}

TEST_CASE("Prober refuses files that are not audio", "[audio][prober]") {
    TempDir dir;
    Prober prober;

    SECTION("a text file named .mp3") {
        const auto file = dir.path / "notes.mp3";
        write_text(file, "Kính thưa bà con, đây không phải là âm thanh.\n");
        const auto result = prober.probe(file);
        CHECK_FALSE(result.length);
        CHECK_THAT(result.error, Catch::StartsWith("not an audio file GStreamer can decode: "));
    }
    SECTION("an empty file") {
        const auto file = dir.path / "empty.wav";
        write_text(file, "");
        const auto result = prober.probe(file);
        CHECK_FALSE(result.length);
        CHECK_FALSE(result.error.empty());
    }
    SECTION("a picture") {
        const auto file = dir.path / "picture.wav";
        ensure_gstreamer();
        GError* raw = nullptr;
        PipelinePtr pipeline = adopt_pipeline(gst_parse_launch(
            "videotestsrc num-buffers=1 ! video/x-raw,width=64,height=48 ! videoconvert ! pngenc "
            "! filesink name=sink",
            &raw));
        ErrorPtr error(raw);
        REQUIRE_FALSE(error);
        ElementPtr sink(gst_bin_get_by_name(GST_BIN(pipeline.get()), "sink"));
        g_object_set(sink.get(), "location", file.c_str(), nullptr);
        run_to_eos(pipeline.get(), std::chrono::seconds(30));

        const auto result = prober.probe(file);
        CHECK_FALSE(result.length);
        CHECK_THAT(result.error, Catch::StartsWith("has no audio stream"));
    }
    SECTION("a folder") {
        const auto result = prober.probe(dir.path);
        CHECK_FALSE(result.length);
        CHECK(result.error == "is a folder, not a file");
    }
}

TEST_CASE("One Prober measures many files in turn, good and bad", "[audio][prober]") {
    TempDir dir;
    make_tone(dir.path / "a.wav", "wavenc", 500);
    make_tone(dir.path / "b.flac", "flacenc", 1200);
    write_text(dir.path / "bad.ogg", "not audio");

    Prober prober;
    CHECK(prober.probe(dir.path / "a.wav").length == milliseconds(500));
    CHECK_FALSE(prober.probe(dir.path / "bad.ogg").length);
    CHECK(prober.probe(dir.path / "b.flac").length == milliseconds(1200));
    CHECK(prober.probe(dir.path / "missing.wav").error == "no such file");
    CHECK(prober.probe(dir.path / "a.wav").length == milliseconds(500));
}
