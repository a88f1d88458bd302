#include "common/sha256.hpp"

// SHA256_Init/Update/Final are deprecated in OpenSSL 3 in favour of EVP, which costs a
// sixth more per short text (its provider dispatch): Sha256 hashes a log's million entries
// with them. Same digests; they use SHA-NI the same way.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <array>
#include <fstream>
#include <memory>
#include <stdexcept>

namespace wardcast {

namespace {

// Fetched once: an implicit fetch (EVP_sha256()) looks the algorithm up again on every
// init, a cost that shows when hashing a million short texts. Never freed: it lives as long
// as the process, as libcrypto's own tables do.
const EVP_MD* sha256_md() {
    static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (!md) throw std::runtime_error("libcrypto has no SHA-256");
    return md;
}

void to_hex(const unsigned char* digest, char* out) {
    static constexpr char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; ++i) {
        out[2 * i] = digits[digest[i] >> 4];
        out[2 * i + 1] = digits[digest[i] & 0xf];
    }
}

void begin(EVP_MD_CTX* ctx) {
    if (EVP_DigestInit_ex2(ctx, sha256_md(), nullptr) != 1) {
        throw std::runtime_error("libcrypto cannot start a SHA-256");
    }
}

void update(EVP_MD_CTX* ctx, const char* data, std::size_t size) {
    if (size > 0 && EVP_DigestUpdate(ctx, data, size) != 1) {
        throw std::runtime_error("libcrypto cannot hash");
    }
}

void finish(EVP_MD_CTX* ctx, char* out) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_DigestFinal_ex(ctx, digest, &size) != 1 || size != 32) {
        throw std::runtime_error("libcrypto cannot finish a SHA-256");
    }
    to_hex(digest, out);
}

}  // namespace

void Sha256::hex(std::string_view data, char* out) {
    SHA256_CTX ctx;
    unsigned char digest[SHA256_DIGEST_LENGTH];
    if (SHA256_Init(&ctx) != 1 || SHA256_Update(&ctx, data.data(), data.size()) != 1 ||
        SHA256_Final(digest, &ctx) != 1) {
        throw std::runtime_error("libcrypto cannot hash");
    }
    to_hex(digest, out);
}

std::string Sha256::hex(std::string_view data) {
    std::string out(64, '0');
    hex(data, out.data());
    return out;
}

std::string sha256_hex(std::string_view data) { return Sha256().hex(data); }

std::optional<std::string> sha256_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    const std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    if (!ctx) throw std::runtime_error("libcrypto cannot make a digest context");
    begin(ctx.get());
    std::array<char, 64 * 1024> block;
    while (in) {
        in.read(block.data(), block.size());
        update(ctx.get(), block.data(), static_cast<std::size_t>(in.gcount()));
    }
    // A clean end of file sets eof; a read error (e.g. EISDIR on a folder) sets only bad/fail.
    if (!in.eof() || in.bad()) return std::nullopt;
    std::string out(64, '0');
    finish(ctx.get(), out.data());
    return out;
}

}  // namespace wardcast
