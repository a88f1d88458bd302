#pragma once
// One text for a schedule and its included files, as the broadcast log stores it.

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace wardcast::schedules {

/// A file of a schedule: its path relative to the main file's folder, and its text.
using BundledFile = std::pair<std::filesystem::path, std::string>;

/// The marker line that starts each file in a bundle of several files.
inline constexpr const char* bundle_marker = "#@wardcast-file: ";

/// The main file's text alone when there is one file (so its SHA-256 is the file's own);
/// otherwise each file, main first, after a line "#@wardcast-file: RELATIVE/PATH".
std::string bundle(const std::vector<BundledFile>& files);

/// The files of a bundle; a text without markers is one file named `main_name`.
std::vector<BundledFile> unbundle(const std::string& text, const std::filesystem::path& main_name);

/// Reads `files` (the first is the main file) from disk into a bundle; paths are made
/// relative to the main file's folder. Throws std::runtime_error when one cannot be read.
std::string bundle_from_disk(const std::vector<std::filesystem::path>& files);

}  // namespace wardcast::schedules
