#pragma once
// A private temporary folder (mkdtemp, mode 0700), removed with everything in it.

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

namespace wardcast {

class PrivateDir {
  public:
    /// Makes TMPDIR/PREFIX-XXXXXX. Throws std::runtime_error when it cannot.
    explicit PrivateDir(const std::string& prefix) {
        namespace fs = std::filesystem;
        std::string name = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
        if (!::mkdtemp(name.data()))
            throw std::runtime_error("cannot make a temporary folder in " +
                                     fs::temp_directory_path().string());
        path_ = name;
    }
    ~PrivateDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    PrivateDir(const PrivateDir&) = delete;
    PrivateDir& operator=(const PrivateDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

}  // namespace wardcast
