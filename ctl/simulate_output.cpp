#include "ctl/simulate_output.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string_view>

#include "ctl/table.hpp"
#include "schedules/duration.hpp"

namespace wardcast::ctl {

namespace sch = wardcast::schedules;
using nlohmann::json;

namespace {

// Held lines are handed on once this much has gathered.
constexpr std::size_t chunk = 1 << 16;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

void put(fmt::memory_buffer& buffer, std::string_view text) {
    buffer.append(text.data(), text.data() + text.size());
}

// Makes room for `size` more bytes and returns where they start; shrink_to() sets the end.
char* room(fmt::memory_buffer& buffer, std::size_t size) {
    const std::size_t used = buffer.size();
    buffer.resize(used + size);
    return buffer.data() + used;
}

void shrink_to(fmt::memory_buffer& buffer, const char* end) {
    buffer.resize(static_cast<std::size_t>(end - buffer.data()));
}

void write_instant(fmt::memory_buffer& buffer, sch::InstantWriter& clock, sch::Instant i) {
    shrink_to(buffer, clock.instant(room(buffer, sch::InstantWriter::max_size), i));
}

void write_local_time(fmt::memory_buffer& buffer, sch::InstantWriter& clock, sch::Instant i) {
    shrink_to(buffer, clock.local_time(room(buffer, sch::InstantWriter::max_size), i));
}

// A JSON string as json::dump writes it: plain text is copied between quotes; anything it
// would escape or replace goes through it.
void write_json_string(fmt::memory_buffer& buffer, const std::string& text) {
    const bool plain = std::all_of(text.begin(), text.end(), [](char c) {
        const auto b = static_cast<unsigned char>(c);
        return b >= 0x20 && b < 0x80 && c != '"' && c != '\\';
    });
    if (!plain) return put(buffer, dump(text));
    buffer.push_back('"');
    put(buffer, text);
    buffer.push_back('"');
}

std::string joined_zones(const sch::Announcement& a) {
    std::string zones;
    for (const auto& z : a.zones) zones += (zones.empty() ? "" : ",") + z;
    return zones;
}

std::string plural(std::size_t n, const char* word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

// Table::line's padding after a cell of displayed width `w` in a column of width `column`.
std::size_t padding(std::size_t column, std::size_t w) { return (column > w ? column - w : 0) + 2; }

std::string padded(const std::string& cell, std::size_t column) {
    return cell + std::string(padding(column, display_width(cell)), ' ');
}

// The column widths: the fixed columns' widest text, the title and zones of the schedule.
std::vector<std::size_t> table_widths(const sch::Schedule& s) {
    std::vector<std::size_t> widths = {14, 8, 8, 8, 12, 5, 9, 0};
    for (const auto& a : s.announcements) {
        widths[4] = std::max(widths[4], display_width(truncate(a.title, 48)));
        widths[5] = std::max(widths[5], display_width(joined_zones(a)));
    }
    return widths;
}

}  // namespace

SimulateJson::SimulateJson(const sch::Schedule& s, std::ostream& out)
    : out_(out),
      clock_(*s.timezone),
      heads_(s.announcements.size()),
      zones_(s.announcements.size()) {
    for (const auto& a : s.announcements) {
        heads_[a.order] = "{\"announcement\":" + dump(a.id) + ",\"scheduled\":\"";
        zones_[a.order] = ",\"zones\":" + dump(a.zones);
    }
}

SimulateJson::~SimulateJson() {
    try {
        flush();
    } catch (...) {  // a closed stream: nothing more can be said
    }
}

void SimulateJson::add(const sch::PlannedFiring& p) {
    const auto order = p.firing.announcement->order;
    put(buffer_, heads_[order]);
    write_instant(buffer_, clock_, p.firing.scheduled);
    if (p.status == sch::PlannedFiring::Status::skipped) {
        put(buffer_, "\",\"start\":null,\"end\":null,\"status\":\"skipped\"");
        put(buffer_, zones_[order]);
        put(buffer_, ",\"reason\":");
        write_json_string(buffer_, p.reason);
        put(buffer_, "}\n");
    } else {
        put(buffer_, "\",\"start\":\"");
        write_instant(buffer_, clock_, *p.start);
        put(buffer_, "\",\"end\":\"");
        write_instant(buffer_, clock_, *p.end);
        put(buffer_, "\",\"status\":\"scheduled\"");
        put(buffer_, zones_[order]);
        put(buffer_, ",\"reason\":null}\n");
    }
    if (buffer_.size() >= chunk) flush();
}

void SimulateJson::flush() {
    out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    buffer_.clear();
}

SimulateTable::SimulateTable(const sch::Schedule& s, std::ostream& out)
    : schedule_(s),
      out_(out),
      clock_(*s.timezone),
      widths_(table_widths(s)),
      titles_(s.announcements.size()),
      zones_(s.announcements.size()) {
    for (const auto& a : s.announcements) {
        titles_[a.order] = padded(truncate(a.title, 48), widths_[4]);
        zones_[a.order] = padded(joined_zones(a), widths_[5]);
    }
}

SimulateTable::~SimulateTable() {
    try {
        flush();
    } catch (...) {  // a closed stream: nothing more can be said
    }
}

void SimulateTable::title(sch::Instant from, sch::Instant to) {
    const auto& tz = *schedule_.timezone;
    append(schedule_.station_name + (schedule_.station_name.empty() ? "" : " — ") + "from " +
           sch::format_local(from, tz).substr(0, 16) + " to " +
           sch::format_local(to, tz).substr(0, 16) + " (" + schedule_.timezone_name + ")\n");
}

void SimulateTable::pad(std::size_t column, std::size_t width) {
    const std::size_t n = padding(widths_[column], width);
    std::fill_n(room(buffer_, n), n, ' ');
}

void SimulateTable::add(const sch::PlannedFiring& p) {
    if (count_++ == 0)
        append(Table::line(
            {"DATE", "TIME", "START", "END", "ANNOUNCEMENT", "ZONES", "STATUS", "NOTE"}, widths_));
    const std::size_t line_start = buffer_.size();
    const auto& a = *p.firing.announcement;

    // The scheduled time's local date and time of day (the instant's milliseconds dropped).
    const date::local_seconds local = clock_.local_seconds(p.firing.scheduled);
    const sch::LocalDate day = date::floor<date::days>(local);
    if (day != day_) {
        day_ = day;
        day_cell_ = padded(date::format("%a %Y-%m-%d", day), widths_[0]);
    }
    append(day_cell_);
    const std::size_t time_start = buffer_.size();
    write_local_time(buffer_, clock_, p.firing.scheduled);
    pad(1, buffer_.size() - time_start);

    for (std::size_t column : {2, 3}) {  // START, END
        const auto& edge = column == 2 ? p.start : p.end;
        const std::size_t start = buffer_.size();
        if (edge) {
            write_local_time(buffer_, clock_, *edge);
        } else {
            buffer_.push_back('-');
        }
        pad(column, buffer_.size() - start);
    }
    append(titles_[a.order]);
    append(zones_[a.order]);
    const char* status = sch::to_string(p.status);
    put(buffer_, status);
    pad(6, std::char_traits<char>::length(status));

    if (p.status == sch::PlannedFiring::Status::skipped) {
        ++skipped_;
        append(p.reason);
    } else if (*p.start > p.firing.scheduled) {
        const auto wait = std::chrono::round<std::chrono::seconds>(*p.start - p.firing.scheduled);
        put(buffer_, "waits ");
        append(sch::format_duration(wait));
        put(buffer_, " for ");
        append(p.waited_for);
    }
    // As Table::line: no trailing blanks.
    std::size_t end = buffer_.size();
    while (end > line_start && buffer_.data()[end - 1] == ' ') --end;
    buffer_.resize(end);
    buffer_.push_back('\n');
    if (buffer_.size() >= chunk) flush();
}

void SimulateTable::finish() {
    if (count_ == 0) put(buffer_, "no firing in this span\n");
    append(plural(count_, "firing") + ": " + std::to_string(count_ - skipped_) + " to air, " +
           std::to_string(skipped_) + " skipped\n");
    flush();
}

void SimulateTable::flush() {
    out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    buffer_.clear();
}

}  // namespace wardcast::ctl
