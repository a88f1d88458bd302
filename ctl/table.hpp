#pragma once
// Plain-text tables for operators: columns padded by displayed width (UTF-8 aware).

#include <ostream>
#include <string>
#include <vector>

namespace wardcast::ctl {

/// Columns shown on a terminal, lined up whatever the script (Vietnamese included).
class Table {
public:
    explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

    /// Adds a row; it has as many cells as there are headers.
    void add_row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }

    bool empty() const noexcept { return rows_.empty(); }

    /// Writes the header, then every row; the last column is not padded.
    void print(std::ostream& out) const;

    /// One line of cells padded to `widths` (the last cell is not padded), with a newline:
    /// for tables too long to hold, printed row by row with widths known in advance.
    static std::string line(const std::vector<std::string>& cells,
                            const std::vector<std::size_t>& widths);

private:
    std::vector<std::string> headers_;
    std::vector<std::vector<std::string>> rows_;
};

/// How many terminal columns `text` takes: code points, not counting combining marks.
std::size_t display_width(const std::string& text);

/// `text` cut to at most `width` columns, with "…" when cut.
std::string truncate(const std::string& text, std::size_t width);

}  // namespace wardcast::ctl
