#pragma once
// Reading a program's printed table: a line by its start, a line's words.

#include <sstream>
#include <string>
#include <vector>

namespace wardcast::test {

/// The line of `text` starting with `start`, or "".
inline std::string line_starting(const std::string& text, const std::string& start) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (line.rfind(start, 0) == 0) return line;
    return "";
}

/// `line` cut at runs of spaces.
inline std::vector<std::string> words(const std::string& line) {
    std::vector<std::string> out;
    std::istringstream in(line);
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

}  // namespace wardcast::test
