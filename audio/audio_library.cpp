#include "audio/audio_library.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <system_error>

#include "common/sha256.hpp"

namespace wardcast::audio {

namespace {

std::string env(const char* name) {
    const char* value = std::getenv(name);
    return value ? value : "";
}

bool is_sha256_hex(std::string_view text) {
    return text.size() == 64 && text.find_first_not_of("0123456789abcdef") == text.npos;
}

// A line "sha256<TAB>milliseconds"; anything else (e.g. a line torn by a crash) is skipped.
std::optional<std::pair<std::string, schedules::Duration>> parse_line(std::string_view line) {
    const auto tab = line.find('\t');
    if (tab == line.npos || !is_sha256_hex(line.substr(0, tab))) return std::nullopt;
    const auto number = line.substr(tab + 1);
    long long ms = 0;
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), ms);
    if (ec != std::errc() || end != number.data() + number.size() || ms <= 0) return std::nullopt;
    return std::pair{std::string(line.substr(0, tab)), schedules::Duration(ms)};
}

// One write() with O_APPEND, so lines appended by several processes never interleave.
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

bool writable_folder(const std::filesystem::path& folder) {
    std::error_code ec;
    std::filesystem::create_directories(folder, ec);
    return !ec && ::access(folder.c_str(), W_OK) == 0;
}

}  // namespace

std::filesystem::path default_cache_dir() {
    if (auto dir = env("WARDCAST_CACHE"); !dir.empty()) return dir;
    // systemd's CacheDirectory= sets this to the service's own folder(s), colon-separated.
    if (auto dir = env("CACHE_DIRECTORY"); !dir.empty()) return dir.substr(0, dir.find(':'));
    if (::geteuid() == 0) return "/var/cache/wardcast";
    if (auto dir = env("XDG_CACHE_HOME"); !dir.empty() && dir.front() == '/') {
        return std::filesystem::path(dir) / "wardcast";
    }
    std::string home = env("HOME");
    if (home.empty()) {
        const passwd* user = ::getpwuid(::geteuid());
        if (user && user->pw_dir) home = user->pw_dir;
    }
    if (home.empty()) return "/var/cache/wardcast";
    return std::filesystem::path(home) / ".cache" / "wardcast";
}

AudioLibrary::AudioLibrary(std::filesystem::path cache_dir)
    : cache_dir_(std::move(cache_dir)), tts_(cache_dir_) {}

AudioLibrary::~AudioLibrary() {
    if (!fallback_dir_.empty()) {
        std::error_code ignored;
        std::filesystem::remove_all(fallback_dir_, ignored);
    }
}

AudioLibrary::Result AudioLibrary::file_length(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return {std::nullopt, "no such file"};
    if (std::filesystem::is_directory(path, ec)) return {std::nullopt, "is a folder, not a file"};
    const auto sha256 = content_hash(path);
    if (!sha256) return {std::nullopt, "cannot read the file"};

    auto known_length = [&]() -> std::optional<schedules::Duration> {
        const std::lock_guard lock(mutex_);
        load_lengths();
        if (const auto known = lengths_.find(*sha256); known != lengths_.end())
            return known->second;
        return std::nullopt;
    };
    if (auto known = known_length()) return {*known, ""};
    // Probed without mutex_: a reload probing new files off the event loop must not hold up
    // the loop looking up known ones.
    const std::lock_guard probing(probe_mutex_);
    if (auto known = known_length()) return {*known, ""};  // probed while we waited
    if (!prober_) {
        try {
            prober_.emplace();
        } catch (const std::exception& e) {
            return {std::nullopt, e.what()};
        }
    }
    auto result = prober_->probe(path);
    const std::lock_guard lock(mutex_);
    if (result.length) remember(*sha256, *result.length);
    return result;
}

AudioLibrary::Result AudioLibrary::tts_length(const schedules::Tts& tts) {
    auto spoken = synthesize(tts);
    if (!spoken.file) return {std::nullopt, spoken.error};
    return file_length(*spoken.file);
}

std::filesystem::path AudioLibrary::tts_file(const schedules::Tts& tts) {
    auto spoken = synthesize(tts);
    if (!spoken.file) throw std::runtime_error(spoken.error);
    return *spoken.file;
}

TtsCache::Result AudioLibrary::synthesize(const schedules::Tts& tts) {
    const auto cached = tts_.path_for(tts);
    std::error_code ec;
    if (std::filesystem::is_regular_file(cached, ec) || writable_folder(cached.parent_path())) {
        return tts_.synthesize(tts);
    }
    TtsCache* fallback = nullptr;
    {
        const std::lock_guard lock(mutex_);
        if (!fallback_tts_) {
            // mkdtemp makes a fresh folder only we can write: nobody can plant speech in it.
            std::string templ = (std::filesystem::temp_directory_path(ec) / "wardcast-tts-XXXXXX");
            if (ec || !::mkdtemp(templ.data())) {
                return {std::nullopt, "cannot write the text-to-speech cache folder " +
                                          cached.parent_path().string()};
            }
            fallback_dir_ = templ;
            fallback_tts_.emplace(fallback_dir_);
        }
        fallback = &*fallback_tts_;
    }
    return fallback->synthesize(tts);
}

std::optional<std::string> AudioLibrary::content_hash(const std::filesystem::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return std::nullopt;
    // Like git's index: an unchanged identity, size and nanosecond mtime means unchanged content.
    const std::string key = std::to_string(st.st_dev) + ':' + std::to_string(st.st_ino) + ':' +
                            std::to_string(st.st_size) + ':' + std::to_string(st.st_mtim.tv_sec) +
                            '.' + std::to_string(st.st_mtim.tv_nsec);
    {
        const std::lock_guard lock(mutex_);
        load_hashes();
        if (auto known = hashes_.find(key); known != hashes_.end()) return known->second;
    }
    auto sha256 = sha256_file(path);
    if (!sha256) return std::nullopt;
    const std::lock_guard lock(mutex_);
    hashes_.insert_or_assign(key, *sha256);
    if (hashes_writable_) {
        std::error_code ec;
        std::filesystem::create_directories(cache_dir_, ec);
        hashes_writable_ =
            !ec && append_line(cache_dir_ / "hashes.tsv", key + '\t' + *sha256 + '\n');
    }
    return sha256;
}

void AudioLibrary::load_hashes() {
    if (hashes_loaded_) return;
    hashes_loaded_ = true;
    std::ifstream in(cache_dir_ / "hashes.tsv");
    for (std::string line; std::getline(in, line);) {
        const auto tab = line.find('\t');
        if (tab != line.npos && is_sha256_hex(std::string_view(line).substr(tab + 1)))
            hashes_.insert_or_assign(line.substr(0, tab), line.substr(tab + 1));
    }
}

void AudioLibrary::load_lengths() {
    if (loaded_) return;
    loaded_ = true;
    std::ifstream in(cache_dir_ / "lengths.tsv");
    std::string line;
    while (std::getline(in, line)) {
        if (auto entry = parse_line(line)) lengths_.insert_or_assign(entry->first, entry->second);
    }
}

void AudioLibrary::remember(const std::string& sha256, schedules::Duration length) {
    lengths_.insert_or_assign(sha256, length);
    if (!tsv_writable_) return;
    std::error_code ec;
    std::filesystem::create_directories(cache_dir_, ec);
    const std::string line = sha256 + '\t' + std::to_string(length.count()) + '\n';
    tsv_writable_ = !ec && append_line(cache_dir_ / "lengths.tsv", line);
}

}  // namespace wardcast::audio
