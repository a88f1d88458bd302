#pragma once
// SHA-256 of text and files, as lowercase hex (GLib's GChecksum).

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace wardcast {

/// The SHA-256 of `data` as 64 lowercase hex digits.
std::string sha256_hex(std::string_view data);

/// The SHA-256 of a file's content as 64 lowercase hex digits, read in 64 KiB blocks;
/// nullopt when the file cannot be opened or read (missing, a folder, no permission).
std::optional<std::string> sha256_file(const std::filesystem::path& path);

}  // namespace wardcast
