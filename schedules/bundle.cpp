#include "schedules/bundle.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace wardcast::schedules {

std::string bundle(const std::vector<BundledFile>& files) {
    if (files.size() == 1) return files.front().second;
    std::string out;
    for (const auto& [path, text] : files) {
        out += bundle_marker + path.generic_string() + '\n' + text;
        if (!text.empty() && text.back() != '\n') out += '\n';
    }
    return out;
}

std::vector<BundledFile> unbundle(const std::string& text, const std::filesystem::path& main_name) {
    const std::string marker = bundle_marker;
    if (text.rfind(marker, 0) != 0) return {{main_name, text}};
    std::vector<BundledFile> files;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t eol = text.find('\n', pos);
        if (eol == std::string::npos) eol = text.size();
        std::string name = text.substr(pos + marker.size(), eol - pos - marker.size());
        std::size_t next = text.find("\n" + marker, eol);
        std::size_t end = next == std::string::npos ? text.size() : next + 1;
        files.emplace_back(name, text.substr(std::min(eol + 1, text.size()), end - std::min(eol + 1, end)));
        pos = end;
    }
    return files;
}

std::string bundle_from_disk(const std::vector<std::filesystem::path>& files) {
    std::vector<BundledFile> read;
    const auto base = files.empty() ? std::filesystem::path() : files.front().parent_path();
    for (const auto& file : files) {
        std::ifstream in(file, std::ios::binary);
        if (!in) throw std::runtime_error("cannot read " + file.string());
        std::ostringstream text;
        text << in.rdbuf();
        read.emplace_back(file.lexically_relative(base.empty() ? "." : base), text.str());
    }
    return bundle(read);
}

}  // namespace wardcast::schedules
