#pragma once
// One broadcast-log entry read back from a row of text columns in the order of the hash recipe
// (seq … result, prev_hash, hash, aired_ms), whoever holds the rows: the ward's SQLite file
// (LogReader) or the district's PostgreSQL copy (wardcast-district verify).

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/names.hpp"
#include "log/broadcast_log.hpp"

namespace wardcast::log {

/// The columns, in that order, for a SELECT: entry_aired_column is aired_ms.
inline constexpr const char* entry_columns =
    "seq, kind, recorded_at, station, announcement_id, title, trigger, uid, \"user\", zones, "
    "scheduled, started, ended, lateness_ms, status, error, audio_sha256, schedule_sha256, "
    "on_air_seq, command, result, prev_hash, hash, aired_ms";
inline constexpr int entry_aired_column = 23;

namespace entry_row {

// The writer stores lists as compact JSON arrays of strings; those are split here without
// a JSON parser (a million rows are read per verify). Anything else (escapes, spaces) goes
// to nlohmann. False when `text` is not a JSON array of strings.
inline bool read_string_list(std::string_view text, std::vector<std::string>& out) {
    std::size_t n = 0, i = 1;
    bool simple = text.size() >= 2 && text.front() == '[' && text.back() == ']';
    while (simple && i + 1 < text.size()) {
        if (n > 0 && text[i++] != ',') simple = false;
        if (!simple || i >= text.size() || text[i] != '"') {
            simple = false;
            break;
        }
        std::size_t end = i + 1;
        while (end < text.size() && text[end] != '"' && text[end] != '\\') ++end;
        if (end == text.size() || text[end] != '"') {
            simple = false;
            break;
        }
        if (out.size() <= n) out.emplace_back();
        out[n++].assign(text.substr(i + 1, end - i - 1));
        i = end + 1;
    }
    if (simple && i + 1 == text.size()) {
        out.resize(n);
        return true;
    }
    const auto parsed = nlohmann::json::parse(text, nullptr, false);
    if (!parsed.is_array()) return false;
    out.clear();
    for (const auto& item : parsed) {
        if (!item.is_string()) return false;
        out.push_back(item.get<std::string>());
    }
    return true;
}

// A name column: `text` as one of `table`'s names into `out`. False when it is none of them.
template <class E, std::size_t N>
bool read_name(std::string_view text, const std::array<names::Named<E>, N>& table, E& out) {
    const auto value = names::parse_in(table, text);
    if (value) out = *value;
    return value.has_value();
}
// ... where "" stands for none.
template <class E, std::size_t N>
bool read_name(std::string_view text, const std::array<names::Named<E>, N>& table,
               std::optional<E>& out) {
    out = names::parse_in(table, text);
    return out || text.empty();
}

template <class E, std::size_t N>
inline std::string not_named(const char* column, std::string_view text,
                             const std::array<names::Named<E>, N>& table) {
    return std::string("its ") + column + " \"" + std::string(text) + "\" is not one of " +
           names::listed(table);
}

/// Reads rows of entry_columns' order into one reused LogEntry, so a long walk allocates
/// (almost) nothing. `Row` gives int64(col), opt_int64(col), is_null(col), view(col) and
/// text(col, std::string&) of its current row.
template <class Row>
class EntryRowReader {
  public:
    /// Fills `e` from the statement's current row; "" when it is well formed, else what is
    /// wrong with it ("its zones are not a JSON list").
    std::string read(const Row& row, LogEntry& e) {
        e.seq = row.int64(0);
        std::string problem;
        if (!read_name(row.view(1), names::entry_kinds, e.kind))
            problem = not_named("kind", row.view(1), names::entry_kinds);
        auto instant = [&](int col, const char* name) -> std::optional<Instant> {
            if (row.is_null(col)) return std::nullopt;
            instant_text_.assign(row.view(col));
            auto parsed = parse_utc(instant_text_);
            if (!parsed && problem.empty()) {
                problem =
                    std::string("its ") + name + " \"" + instant_text_ + "\" is not an instant";
            }
            return parsed;
        };
        e.recorded_at = instant(2, "recorded_at").value_or(Instant{});
        if (row.is_null(2) && problem.empty()) problem = "its recorded_at is missing";
        row.text(3, e.station);
        row.text(4, e.announcement_id);
        row.text(5, e.title);
        if (!read_name(row.view(6), names::triggers, e.trigger) && problem.empty())
            problem = not_named("trigger", row.view(6), names::triggers);
        e.uid = row.opt_int64(7);
        row.text(8, e.user);
        if (!read_string_list(row.view(9), e.zones) && problem.empty()) {
            problem = "its zones are not a JSON list of names";
        }
        e.scheduled = instant(10, "scheduled");
        e.started = instant(11, "started");
        e.ended = instant(12, "ended");
        e.lateness_ms = row.opt_int64(13);
        if (!read_name(row.view(14), names::statuses, e.status) && problem.empty())
            problem = not_named("status", row.view(14), names::statuses);
        row.text(15, e.error);
        if (!read_string_list(row.view(16), e.audio_sha256) && problem.empty()) {
            problem = "its audio_sha256 is not a JSON list of hashes";
        }
        row.text(17, e.schedule_sha256);
        e.on_air_seq = row.opt_int64(18);
        row.text(19, e.command);
        row.text(20, e.result);
        row.text(21, e.prev_hash);
        row.text(22, e.hash);
        e.aired_ms = row.opt_int64(entry_aired_column);
        return problem;
    }

  private:
    std::string instant_text_;
};

}  // namespace entry_row

using entry_row::EntryRowReader;

}  // namespace wardcast::log
