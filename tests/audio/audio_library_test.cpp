// AudioLibrary: lengths by content, cached in lengths.tsv; speech; the cache folder; hashing.

#include "audio/audio_library.hpp"

#include <stdlib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "audio/gst_init.hpp"
#include "common/sha256.hpp"
#include "audio/tts.hpp"

namespace fs = std::filesystem;
using namespace wardcast::audio;
using std::chrono::milliseconds;

namespace {

struct TempDir {
    fs::path path;
    TempDir() {
        std::string templ = fs::temp_directory_path() / "wardcast-library-XXXXXX";
        REQUIRE(::mkdtemp(templ.data()));
        path = templ;
    }
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(path, ignored);
    }
};

// A WAV tone of `ms` milliseconds (a multiple of 10); `freq` makes contents differ.
void make_tone(const fs::path& out, int ms, int freq = 440) {
    ensure_gstreamer();
    const std::string description = "audiotestsrc freq=" + std::to_string(freq) +
                                    " num-buffers=" + std::to_string(ms / 10) +
                                    " samplesperbuffer=441 ! audio/x-raw,rate=44100,channels=1 "
                                    "! wavenc ! filesink name=sink";
    GError* raw = nullptr;
    PipelinePtr pipeline = adopt_pipeline(gst_parse_launch(description.c_str(), &raw));
    ErrorPtr error(raw);
    REQUIRE_FALSE(error);
    ElementPtr sink(gst_bin_get_by_name(GST_BIN(pipeline.get()), "sink"));
    g_object_set(sink.get(), "location", out.c_str(), nullptr);
    run_to_eos(pipeline.get(), std::chrono::seconds(30));
}

std::string read_all(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// Sets an environment variable for one scope, restoring the old value after.
class ScopedEnv {
  public:
    ScopedEnv(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        value ? ::setenv(name, value, 1) : ::unsetenv(name);
    }
    ~ScopedEnv() { old_ ? ::setenv(name_, old_->c_str(), 1) : ::unsetenv(name_); }

  private:
    const char* name_;
    std::optional<std::string> old_;
};

wardcast::schedules::Tts message(std::string text) {
    wardcast::schedules::Tts tts;
    tts.text = std::move(text);
    return tts;
}

}  // namespace

TEST_CASE("sha256_hex and sha256_file give the standard digests", "[audio][hash]") {
    CHECK(wardcast::sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(wardcast::sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    // Two blocks, hashed by one Sha256 one after another (as verify does).
    wardcast::Sha256 sha;
    CHECK(sha.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    CHECK(sha.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

    TempDir dir;
    std::string big(200 * 1024 + 17, '\0');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 % 251);
    std::ofstream(dir.path / "big.bin", std::ios::binary) << big;
    CHECK(wardcast::sha256_file(dir.path / "big.bin") == wardcast::sha256_hex(big));
    std::ofstream(dir.path / "empty.bin", std::ios::binary);
    CHECK(wardcast::sha256_file(dir.path / "empty.bin") == wardcast::sha256_hex(""));
    CHECK_FALSE(wardcast::sha256_file(dir.path / "missing.bin"));
    CHECK_FALSE(wardcast::sha256_file(dir.path));
}

TEST_CASE("AudioLibrary records each probed length in lengths.tsv", "[audio][library]") {
    TempDir dir;
    const auto cache = dir.path / "cache";
    make_tone(dir.path / "one.wav", 1500);
    const auto sha = *wardcast::sha256_file(dir.path / "one.wav");

    {
        AudioLibrary library(cache);
        const auto result = library.file_length(dir.path / "one.wav");
        REQUIRE(result.length);
        CHECK(*result.length == milliseconds(1500));
        CHECK(read_all(cache / "lengths.tsv") == sha + "\t1500\n");

        // The same content under another name is the same entry.
        fs::copy_file(dir.path / "one.wav", dir.path / "copy.wav");
        CHECK(library.file_length(dir.path / "copy.wav").length == milliseconds(1500));
        CHECK(read_all(cache / "lengths.tsv") == sha + "\t1500\n");
    }

    // A new library believes the file rather than probing: a planted length shows through.
    std::ofstream(cache / "lengths.tsv", std::ios::app) << wardcast::sha256_hex("fake") << "\t4321\n";
    std::ofstream(dir.path / "fake.mp3", std::ios::binary) << "fake";
    AudioLibrary second(cache);
    CHECK(second.file_length(dir.path / "one.wav").length == milliseconds(1500));
    CHECK(second.file_length(dir.path / "fake.mp3").length == milliseconds(4321));
}

TEST_CASE("AudioLibrary skips damaged lines in lengths.tsv", "[audio][library]") {
    TempDir dir;
    make_tone(dir.path / "tone.wav", 700);
    const auto sha = *wardcast::sha256_file(dir.path / "tone.wav");
    // Garbage, a wrong length for another file, and a last line torn by a crash.
    std::ofstream(dir.path / "lengths.tsv") << "garbage\n"
                                            << wardcast::sha256_hex("x") << "\t-5\n"
                                            << sha.substr(0, 40);

    AudioLibrary library(dir.path);
    CHECK(library.file_length(dir.path / "tone.wav").length == milliseconds(700));
    CHECK(read_all(dir.path / "lengths.tsv") ==
          "garbage\n" + wardcast::sha256_hex("x") + "\t-5\n" + sha.substr(0, 40) + "\n" + sha + "\t700\n");
    CHECK(AudioLibrary(dir.path).file_length(dir.path / "tone.wav").length == milliseconds(700));
}

TEST_CASE("AudioLibrary reports bad files and caches nothing for them", "[audio][library]") {
    TempDir dir;
    AudioLibrary library(dir.path / "cache");
    CHECK(library.file_length(dir.path / "absent.wav").error == "no such file");
    std::ofstream(dir.path / "text.mp3") << "hello";
    const auto bad = library.file_length(dir.path / "text.mp3");
    CHECK_FALSE(bad.length);
    CHECK_THAT(bad.error, Catch::StartsWith("not an audio file GStreamer can decode: "));
    CHECK(library.file_length(dir.path).error == "is a folder, not a file");
    CHECK_FALSE(fs::exists(dir.path / "cache" / "lengths.tsv"));
}

TEST_CASE("AudioLibrary speaks messages into the cache and measures them", "[audio][library]") {
    TempDir dir;
    AudioLibrary library(dir.path);
    const auto tts = message("Kính thưa bà con, hôm nay có tiêm chủng tại trạm y tế.");

    const auto length = library.tts_length(tts);
    INFO(length.error);
    REQUIRE(length.length);
    CHECK(*length.length > milliseconds(500));
    const auto file = library.tts_file(tts);
    CHECK(file == TtsCache(dir.path).path_for(tts));
    CHECK(fs::file_size(file) > 0);
    CHECK(read_all(dir.path / "lengths.tsv") ==
          *wardcast::sha256_file(file) + "\t" + std::to_string(length.length->count()) + "\n");

    auto unknown = tts;
    unknown.voice = "xx-nonexistent";
    CHECK_THAT(library.tts_length(unknown).error, Catch::Contains("no voice"));
    CHECK_THROWS_WITH(library.tts_file(unknown), Catch::Contains("no voice"));
}

TEST_CASE("AudioLibrary works without a writable cache folder", "[audio][library]") {
    TempDir dir;
    std::ofstream(dir.path / "plain-file") << "not a folder";
    make_tone(dir.path / "tone.wav", 900);
    fs::path spoken;
    {
        AudioLibrary library(dir.path / "plain-file" / "cache");
        CHECK(library.file_length(dir.path / "tone.wav").length == milliseconds(900));
        CHECK(library.file_length(dir.path / "tone.wav").length == milliseconds(900));
        const auto tts = message("Xin chào.");
        const auto length = library.tts_length(tts);
        INFO(length.error);
        REQUIRE(length.length);
        CHECK(*length.length > milliseconds(300));
        spoken = library.tts_file(tts);
        CHECK(fs::exists(spoken));
        CHECK(spoken.filename() == TtsCache("x").path_for(tts).filename());
    }
    CHECK_FALSE(fs::exists(spoken));  // the private temporary folder went with the library
}

TEST_CASE("default_cache_dir follows the environment", "[audio][library]") {
    {
        ScopedEnv cache("WARDCAST_CACHE", "/srv/wardcast-cache");
        CHECK(default_cache_dir() == "/srv/wardcast-cache");
    }
    ScopedEnv no_cache("WARDCAST_CACHE", nullptr);
    {
        ScopedEnv systemd("CACHE_DIRECTORY", "/var/cache/wardcast:/var/cache/other");
        CHECK(default_cache_dir() == "/var/cache/wardcast");
    }
    ScopedEnv no_systemd("CACHE_DIRECTORY", nullptr);
    ScopedEnv xdg("XDG_CACHE_HOME", "/home/op/.xdg-cache");
    ScopedEnv home("HOME", "/home/op");
    if (::geteuid() == 0) {
        CHECK(default_cache_dir() == "/var/cache/wardcast");
    } else {
        CHECK(default_cache_dir() == "/home/op/.xdg-cache/wardcast");
        ScopedEnv no_xdg("XDG_CACHE_HOME", nullptr);
        CHECK(default_cache_dir() == "/home/op/.cache/wardcast");
    }
}

TEST_CASE("AudioLibrary re-reads a file only when it changed", "[audio][library]") {
    TempDir dir;
    const auto cache = dir.path / "cache";
    make_tone(dir.path / "a.wav", 1000);
    make_tone(dir.path / "b.wav", 2000, 880);
    {
        AudioLibrary library(cache);
        CHECK(library.content_hash(dir.path / "a.wav") == wardcast::sha256_file(dir.path / "a.wav"));
        CHECK(library.file_length(dir.path / "a.wav").length == milliseconds(1000));
    }
    // Another recording saved under the same name: a new hash and the new length.
    fs::remove(dir.path / "a.wav");
    fs::copy_file(dir.path / "b.wav", dir.path / "a.wav");
    AudioLibrary library(cache);
    CHECK(library.content_hash(dir.path / "a.wav") == wardcast::sha256_file(dir.path / "b.wav"));
    CHECK(library.file_length(dir.path / "a.wav").length == milliseconds(2000));
    CHECK_FALSE(library.content_hash(dir.path / "missing.wav"));
    // Both versions of a.wav are remembered by identity, one line each.
    const auto lines = read_all(cache / "hashes.tsv");
    CHECK(std::count(lines.begin(), lines.end(), '\n') == 2);
}
