#pragma once
// SHA-256 of text and files, as lowercase hex (libcrypto's: SHA-NI where the CPU has it).

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace wardcast {

/// The SHA-256 of `data` as 64 lowercase hex digits. Throws std::runtime_error only when
/// libcrypto cannot hash at all (no SHA-256 in its providers).
std::string sha256_hex(std::string_view data);

/// The SHA-256 of a file's content as 64 lowercase hex digits, read in 64 KiB blocks;
/// nullopt when the file cannot be opened or read (missing, a folder, no permission).
std::optional<std::string> sha256_file(const std::filesystem::path& path);

/// Hashes many short texts one after another (the log's chain: a million entries per
/// `verify`) with libcrypto's plain SHA-256 functions, without EVP's per-text set-up.
class Sha256 {
  public:
    /// Writes the SHA-256 of `data` as 64 lowercase hex digits at `out` (no terminator).
    /// Throws std::runtime_error only when libcrypto cannot hash.
    void hex(std::string_view data, char* out);
    /// The same, as a string.
    std::string hex(std::string_view data);
};

}  // namespace wardcast
