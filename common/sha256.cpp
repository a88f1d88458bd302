#include "common/sha256.hpp"

#include <glib.h>

#include <array>
#include <fstream>
#include <memory>

namespace wardcast {

namespace {

struct ChecksumFree {
    void operator()(GChecksum* checksum) const noexcept { g_checksum_free(checksum); }
};
using ChecksumPtr = std::unique_ptr<GChecksum, ChecksumFree>;

ChecksumPtr new_sha256() { return ChecksumPtr(g_checksum_new(G_CHECKSUM_SHA256)); }

void update(GChecksum* checksum, const char* data, std::size_t size) {
    // g_checksum_update takes a gssize: feed huge inputs in pieces.
    constexpr std::size_t max_piece = 1u << 30;
    while (size > 0) {
        const std::size_t piece = size < max_piece ? size : max_piece;
        g_checksum_update(checksum, reinterpret_cast<const guchar*>(data),
                          static_cast<gssize>(piece));
        data += piece;
        size -= piece;
    }
}

}  // namespace

std::string sha256_hex(std::string_view data) {
    ChecksumPtr checksum = new_sha256();
    update(checksum.get(), data.data(), data.size());
    return g_checksum_get_string(checksum.get());
}

std::optional<std::string> sha256_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    ChecksumPtr checksum = new_sha256();
    std::array<char, 64 * 1024> block;
    while (in) {
        in.read(block.data(), block.size());
        update(checksum.get(), block.data(), static_cast<std::size_t>(in.gcount()));
    }
    // A clean end of file sets eof; a read error (e.g. EISDIR on a folder) sets only bad/fail.
    if (!in.eof() || in.bad()) return std::nullopt;
    return std::string(g_checksum_get_string(checksum.get()));
}

}  // namespace wardcast
