#include "audio/loudness.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <string_view>
#include <system_error>

#include "audio/gst_init.hpp"
#include "common/sha256.hpp"

namespace wardcast::audio {

namespace {

bool is_sha256_hex(std::string_view text) {
    return text.size() == 64 && text.find_first_not_of("0123456789abcdef") == text.npos;
}

std::optional<double> parse_double(std::string_view text) {
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
        return std::nullopt;
    }
    return value;
}

// A line "sha256<TAB>gain<TAB>peak"; anything else (e.g. a line torn by a crash) is skipped.
std::optional<std::pair<std::string, LoudnessMeasurement>> parse_line(std::string_view line) {
    const auto tab1 = line.find('\t');
    if (tab1 == line.npos || !is_sha256_hex(line.substr(0, tab1))) return std::nullopt;
    const auto tab2 = line.find('\t', tab1 + 1);
    if (tab2 == line.npos) return std::nullopt;
    const auto gain = parse_double(line.substr(tab1 + 1, tab2 - tab1 - 1));
    const auto peak = parse_double(line.substr(tab2 + 1));
    if (!gain || !peak || *peak < 0) return std::nullopt;
    return std::pair{std::string(line.substr(0, tab1)), LoudnessMeasurement{*gain, *peak}};
}

// std::to_chars, unlike printf, ignores the locale: the file reads back the same everywhere.
std::string format_double(double value) {
    char buffer[64];
    const auto [end, ec] =
        std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed, 6);
    return ec == std::errc() ? std::string(buffer, end) : "0";
}

// One write() with O_APPEND, so lines appended by several processes never interleave
// (as AudioLibrary does for lengths.tsv).
bool append_line(const std::filesystem::path& file, std::string line) {
    const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return false;
    struct stat st {};
    char last = '\n';
    if (::fstat(fd, &st) == 0 && st.st_size > 0 && ::pread(fd, &last, 1, st.st_size - 1) != 1) {
        last = '\n';
    }
    // A line left unfinished by a crash must not swallow ours.
    if (last != '\n') line.insert(line.begin(), '\n');
    const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
    return ::close(fd) == 0 && ok;
}

}  // namespace

double playback_gain_db(const LoudnessMeasurement& measured) noexcept {
    double gain = std::clamp(measured.track_gain_db, -max_gain_db, max_gain_db);
    if (measured.peak > 0) gain = std::min(gain, -20.0 * std::log10(measured.peak));
    return std::max(gain, -max_gain_db);
}

LoudnessAnalyzer::LoudnessAnalyzer(std::filesystem::path cache_dir, std::chrono::seconds timeout)
    : cache_dir_(std::move(cache_dir)), timeout_(timeout) {}

std::optional<double> LoudnessAnalyzer::gain_db(const std::filesystem::path& file) {
    const auto sha256 = sha256_file(file);
    if (!sha256) return std::nullopt;

    {
        const std::lock_guard lock(mutex_);
        load();
        if (const auto known = measured_.find(*sha256); known != measured_.end()) {
            return playback_gain_db(known->second);
        }
    }
    // Measured without the lock: a reload measuring new files off the event loop must not
    // hold up the loop looking up a known file's gain for a broadcast about to air.
    const std::lock_guard analysing(analysis_mutex_);
    {
        const std::lock_guard lock(mutex_);
        if (const auto known = measured_.find(*sha256); known != measured_.end()) {
            return playback_gain_db(known->second);  // measured while we waited
        }
    }
    const auto measured = measure(file);
    if (!measured) return std::nullopt;
    const std::lock_guard lock(mutex_);
    remember(*sha256, *measured);
    return playback_gain_db(*measured);
}

std::optional<LoudnessMeasurement> LoudnessAnalyzer::measure(
    const std::filesystem::path& file) const {
    try {
        ensure_gstreamer();
        GError* raw = nullptr;
        PipelinePtr pipeline = adopt_pipeline(gst_parse_launch(
            "filesrc name=src ! decodebin ! audioconvert ! audioresample ! rganalysis ! "
            "fakesink sync=false",
            &raw));
        ErrorPtr error(raw);
        if (error) return std::nullopt;
        ElementPtr source(gst_bin_get_by_name(GST_BIN(pipeline.get()), "src"));
        g_object_set(source.get(), "location", file.c_str(), nullptr);

        BusPtr bus(gst_element_get_bus(pipeline.get()));
        if (gst_element_set_state(pipeline.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
            return std::nullopt;
        }
        const auto filter =
            static_cast<GstMessageType>(GST_MESSAGE_TAG | GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
        const auto deadline = std::chrono::steady_clock::now() + timeout_;
        std::optional<double> gain, peak;
        for (;;) {
            const auto left = deadline - std::chrono::steady_clock::now();
            if (left <= left.zero()) return std::nullopt;
            const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
            MessagePtr message(
                gst_bus_timed_pop_filtered(bus.get(), static_cast<GstClockTime>(ns), filter));
            if (!message) return std::nullopt;
            if (GST_MESSAGE_TYPE(message.get()) == GST_MESSAGE_ERROR) return std::nullopt;
            if (GST_MESSAGE_TYPE(message.get()) == GST_MESSAGE_EOS) break;
            GstTagList* tags = nullptr;
            gst_message_parse_tag(message.get(), &tags);
            // A file may carry its own ReplayGain tags; rganalysis's come last, at the end.
            double value = 0;
            if (gst_tag_list_get_double(tags, GST_TAG_TRACK_GAIN, &value)) gain = value;
            if (gst_tag_list_get_double(tags, GST_TAG_TRACK_PEAK, &value)) peak = value;
            gst_tag_list_unref(tags);
        }
        if (!gain || !std::isfinite(*gain)) return std::nullopt;
        return LoudnessMeasurement{*gain, peak && std::isfinite(*peak) ? *peak : 0.0};
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

void LoudnessAnalyzer::load() {
    if (loaded_) return;
    loaded_ = true;
    std::ifstream in(cache_dir_ / "gains.tsv");
    std::string line;
    while (std::getline(in, line)) {
        if (auto entry = parse_line(line)) measured_.insert_or_assign(entry->first, entry->second);
    }
}

void LoudnessAnalyzer::remember(const std::string& sha256, const LoudnessMeasurement& measured) {
    measured_.insert_or_assign(sha256, measured);
    if (!tsv_writable_) return;
    std::error_code ec;
    std::filesystem::create_directories(cache_dir_, ec);
    const std::string line = sha256 + '\t' + format_double(measured.track_gain_db) + '\t' +
                             format_double(measured.peak) + '\n';
    tsv_writable_ = !ec && append_line(cache_dir_ / "gains.tsv", line);
}

}  // namespace wardcast::audio
