#include "ctl/table.hpp"

#include <algorithm>

namespace wardcast::ctl {

namespace {

/// Decodes the code point starting at `i`, and moves `i` past it. Bad bytes count as one.
char32_t next_code_point(const std::string& s, std::size_t& i) {
    auto byte = static_cast<unsigned char>(s[i]);
    int extra = byte < 0x80 ? 0 : byte >> 5 == 0x6 ? 1 : byte >> 4 == 0xe ? 2 : byte >> 3 == 0x1e ? 3 : 0;
    char32_t cp = extra == 0 ? byte : byte & (0x3f >> extra);
    ++i;
    for (int k = 0; k < extra && i < s.size(); ++k, ++i) cp = (cp << 6) | (s[i] & 0x3f);
    return cp;
}

bool is_combining(char32_t cp) {
    return (cp >= 0x300 && cp <= 0x36f) || (cp >= 0x1ab0 && cp <= 0x1aff) ||
           (cp >= 0x1dc0 && cp <= 0x1dff) || (cp >= 0x20d0 && cp <= 0x20ff);
}

}  // namespace

std::size_t display_width(const std::string& text) {
    std::size_t width = 0;
    for (std::size_t i = 0; i < text.size();)
        if (!is_combining(next_code_point(text, i))) ++width;
    return width;
}

std::string truncate(const std::string& text, std::size_t width) {
    if (display_width(text) <= width) return text;
    std::size_t used = 0, i = 0;
    while (i < text.size()) {
        std::size_t start = i;
        bool combining = is_combining(next_code_point(text, i));
        if (!combining && used + 1 >= width) return text.substr(0, start) + "…";
        if (!combining) ++used;
    }
    return text;
}

void Table::print(std::ostream& out) const {
    std::vector<std::size_t> widths(headers_.size());
    for (std::size_t c = 0; c < headers_.size(); ++c) widths[c] = display_width(headers_[c]);
    for (const auto& row : rows_)
        for (std::size_t c = 0; c < row.size() && c < widths.size(); ++c)
            widths[c] = std::max(widths[c], display_width(row[c]));
    out << line(headers_, widths);
    for (const auto& row : rows_) out << line(row, widths);
}

std::string Table::line(const std::vector<std::string>& cells,
                        const std::vector<std::size_t>& widths) {
    std::string text;
    for (std::size_t c = 0; c < cells.size(); ++c) {
        text += cells[c];
        if (c + 1 < cells.size()) {
            std::size_t w = display_width(cells[c]);
            text.append((c < widths.size() && widths[c] > w ? widths[c] - w : 0) + 2, ' ');
        }
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    return text + '\n';
}

}  // namespace wardcast::ctl
