#pragma once
// Writes schedule files into a fresh temporary folder for a test, and removes it after.

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

namespace wardcast::test {

class TempDir {
  public:
    TempDir() : TempDir(std::filesystem::temp_directory_path()) {}
    /// A fresh folder inside `base`.
    explicit TempDir(const std::filesystem::path& base) {
        std::random_device rd;
        path_ = base / ("wardcast-test-" + std::to_string(rd()) + std::to_string(rd()));
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }

    /// Writes `text` to `name` (folders created); returns the full path.
    std::filesystem::path write(const std::string& name, const std::string& text) const {
        auto p = path_ / name;
        std::filesystem::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary) << text;
        return p;
    }

  private:
    std::filesystem::path path_;
};

}  // namespace wardcast::test
