#include "audio/tts.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <vector>

#include "audio/gst_init.hpp"
#include "common/sha256.hpp"

namespace wardcast::audio {

namespace {

constexpr const char* espeak_package = "gstreamer1.0-espeak";

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

// The element's "voices" property: a GValueArray of {name, language, variant} GValueArrays.
// GValueArray is deprecated API, so its type comes from the property and its fields are read
// directly.
std::vector<std::string> voice_ids(GstElement* espeak) {
    std::vector<std::string> ids;
    GParamSpec* spec = g_object_class_find_property(G_OBJECT_GET_CLASS(espeak), "voices");
    if (!spec) return ids;
    const GType array_type = spec->value_type;
    GValue value = G_VALUE_INIT;
    g_value_init(&value, array_type);
    g_object_get_property(G_OBJECT(espeak), "voices", &value);
    const auto* voices = static_cast<const GValueArray*>(g_value_get_boxed(&value));
    for (guint i = 0; voices && i < voices->n_values; ++i) {
        const GValue* entry = &voices->values[i];
        if (G_VALUE_TYPE(entry) != array_type) continue;
        const auto* fields = static_cast<const GValueArray*>(g_value_get_boxed(entry));
        std::vector<std::string> text;
        for (guint j = 0; fields && j < fields->n_values && j < 3; ++j) {
            const GValue* field = &fields->values[j];
            const char* s = G_VALUE_HOLDS_STRING(field) ? g_value_get_string(field) : nullptr;
            text.emplace_back(s ? s : "");
        }
        if (text.size() < 3) continue;
        ids.push_back(lower(text[0]));
        ids.push_back(lower(text[1]));
        if (text[2] != "none") ids.push_back(lower(text[1] + "-" + text[2]));
    }
    g_value_unset(&value);
    return ids;
}

bool has_voice(GstElement* espeak, const std::string& voice) {
    // espeak accepts "voice+variant"; an unknown variant falls back to the plain voice, but an
    // unknown voice silently falls back to English, which must not go on air.
    const std::string base = lower(voice.substr(0, voice.find('+')));
    if (base.empty()) return false;
    const auto ids = voice_ids(espeak);
    return std::find(ids.begin(), ids.end(), base) != ids.end();
}

// The encoder elements for an output file, linked in this order after audioresample.
std::vector<ElementPtr> encoders_for(const std::filesystem::path& out) {
    const std::string ext = lower(out.extension().string());
    std::vector<ElementPtr> chain;
    if (ext == ".wav") {
        chain.push_back(make_element("wavenc", "gstreamer1.0-plugins-good"));
    } else if (ext == ".ogg") {
        chain.push_back(make_element("vorbisenc", "gstreamer1.0-plugins-base"));
        chain.push_back(make_element("oggmux", "gstreamer1.0-plugins-base"));
    } else if (ext == ".mp3") {
        // Constant bit rate: a VBR file without a Xing header has only a guessed length, and
        // xingmux's header makes GStreamer count one frame too many.
        auto encoder = make_element("lamemp3enc", "gstreamer1.0-plugins-good");
        gst_util_set_object_arg(G_OBJECT(encoder.get()), "target", "bitrate");
        g_object_set(encoder.get(), "cbr", TRUE, "bitrate", 64, nullptr);
        chain.push_back(std::move(encoder));
    } else if (ext == ".flac") {
        chain.push_back(make_element("flacenc", "gstreamer1.0-plugins-good"));
    } else {
        throw std::runtime_error("cannot write " + out.filename().string() +
                                 ": the name must end in .wav, .ogg, .mp3 or .flac");
    }
    return chain;
}

std::filesystem::path temporary_beside(const std::filesystem::path& out) {
    static std::atomic<unsigned> counter{0};
    return out.parent_path() / ("." + out.filename().string() + ".tmp-" +
                                std::to_string(::getpid()) + "-" + std::to_string(counter++));
}

void render_to(const schedules::Tts& tts, const std::filesystem::path& file,
               const std::filesystem::path& format, std::chrono::seconds timeout) {
    ElementPtr espeak = make_element("espeak", espeak_package);
    if (!has_voice(espeak.get(), tts.voice)) {
        throw std::runtime_error("espeak has no voice \"" + tts.voice +
                                 "\" (Vietnamese is \"vi\", \"vi-vn-x-central\" or "
                                 "\"vi-vn-x-south\")");
    }
    std::vector<ElementPtr> chain;
    chain.push_back(std::move(espeak));
    chain.push_back(make_element("audioconvert", "gstreamer1.0-plugins-base"));
    chain.push_back(make_element("audioresample", "gstreamer1.0-plugins-base"));
    for (auto& encoder : encoders_for(format)) chain.push_back(std::move(encoder));
    chain.push_back(make_element("filesink", "gstreamer1.0-plugins-base"));

    // Properties, never gst_parse_launch: the text is user input.
    g_object_set(chain.front().get(), "text", tts.text.c_str(), "voice", tts.voice.c_str(),
                 nullptr);
    g_object_set(chain.back().get(), "location", file.c_str(), nullptr);

    PipelinePtr pipeline = make_pipeline();
    for (auto& element : chain) gst_bin_add(GST_BIN(pipeline.get()), element.get());
    for (std::size_t i = 0; i + 1 < chain.size(); ++i) {
        if (!gst_element_link(chain[i].get(), chain[i + 1].get())) {
            throw std::runtime_error(std::string("cannot link ") + GST_OBJECT_NAME(chain[i].get()) +
                                     " to " + GST_OBJECT_NAME(chain[i + 1].get()));
        }
    }
    run_to_eos(pipeline.get(), timeout);
}

}  // namespace

bool espeak_has_voice(const std::string& voice) {
    ElementPtr espeak = make_element("espeak", espeak_package);
    return has_voice(espeak.get(), voice);
}

void render_speech(const schedules::Tts& tts, const std::filesystem::path& out,
                   std::chrono::seconds timeout) {
    if (std::all_of(tts.text.begin(), tts.text.end(),
                    [](unsigned char c) { return std::isspace(c); })) {
        throw std::runtime_error("the text to speak is empty");
    }
    // All espeak elements share one synthesis thread; one rendering at a time per process keeps
    // two messages from ever interleaving in it.
    static std::mutex espeak_mutex;
    const std::lock_guard lock(espeak_mutex);

    const auto folder = out.parent_path().empty() ? std::filesystem::path(".") : out.parent_path();
    std::error_code ec;
    if (!std::filesystem::is_directory(folder, ec)) {
        throw std::runtime_error("cannot write " + out.string() + ": no such folder " +
                                 folder.string());
    }
    const auto tmp = temporary_beside(out);
    try {
        render_to(tts, tmp, out, timeout);
        const auto size = std::filesystem::file_size(tmp, ec);
        if (ec || size == 0) {
            throw std::runtime_error("espeak produced no audio");
        }
        std::filesystem::rename(tmp, out);
    } catch (const std::filesystem::filesystem_error& e) {
        std::error_code ignored;
        std::filesystem::remove(tmp, ignored);
        throw std::runtime_error("cannot write " + out.string() + ": " + e.code().message());
    } catch (...) {
        std::error_code ignored;
        std::filesystem::remove(tmp, ignored);
        throw;
    }
}

TtsCache::TtsCache(std::filesystem::path dir) : dir_(std::move(dir)) {}

std::filesystem::path TtsCache::path_for(const schedules::Tts& tts) const {
    return dir_ / "tts" / (sha256_hex(tts.voice + '\n' + tts.text) + ".wav");
}

TtsCache::Result TtsCache::synthesize(const schedules::Tts& tts) {
    auto file = path_for(tts);
    std::error_code ec;
    if (std::filesystem::is_regular_file(file, ec)) return {std::move(file), ""};
    std::filesystem::create_directories(file.parent_path(), ec);
    if (ec) {
        return {std::nullopt, "cannot create the text-to-speech cache folder " +
                                  file.parent_path().string() + ": " + ec.message()};
    }
    try {
        render_speech(tts, file);
    } catch (const std::exception& e) {
        return {std::nullopt, e.what()};
    }
    return {std::move(file), ""};
}

}  // namespace wardcast::audio
