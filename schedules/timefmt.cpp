#include "schedules/timefmt.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "schedules/engine.hpp"

namespace wardcast::schedules {

namespace {

using std::chrono::seconds;

// Two digits (or more for large values); called for every skipped firing's reason, so
// kept clear of printf.
std::string two(long long v) {
    if (v >= 0 && v < 100)
        return {static_cast<char>('0' + v / 10), static_cast<char>('0' + v % 10)};
    return std::to_string(v);
}

std::string hh_mm_ss(seconds s) {
    const long long total = s.count();
    return two(total / 3600) + ':' + two(total / 60 % 60) + ':' + two(total % 60);
}

std::string date_text(LocalDate d) {
    const date::year_month_day ymd{d};
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    return buf;
}

// "+07:00"; an offset with seconds (local mean time before 1900) keeps them so that the
// text still names the same instant.
std::string offset_text(seconds offset) {
    const char sign = offset < seconds(0) ? '-' : '+';
    const long long abs = offset < seconds(0) ? -offset.count() : offset.count();
    std::string out = sign + two(abs / 3600) + ':' + two(abs / 60 % 60);
    if (abs % 60) out += ':' + two(abs % 60);
    return out;
}

date::local_seconds local_seconds_of(Instant i, const date::time_zone& zone) {
    return zone.to_local(date::floor<seconds>(i));
}

// A cursor over the text being parsed: every field has a fixed number of digits.
class Reader {
  public:
    explicit Reader(std::string_view text) : text_(text) {}

    bool at_end() const { return pos_ == text_.size(); }
    bool peek(char c) const { return pos_ < text_.size() && text_[pos_] == c; }
    bool skip(char c) {
        if (!peek(c)) return false;
        ++pos_;
        return true;
    }
    // Reads exactly `width` decimal digits.
    std::optional<int> digits(std::size_t width) {
        if (text_.size() - pos_ < width) return std::nullopt;
        int value = 0;
        for (std::size_t k = 0; k < width; ++k) {
            const char c = text_[pos_ + k];
            if (c < '0' || c > '9') return std::nullopt;
            value = value * 10 + (c - '0');
        }
        pos_ += width;
        return value;
    }

  private:
    std::string_view text_;
    std::size_t pos_ = 0;
};

std::optional<LocalDate> read_date(Reader& r) {
    const auto y = r.digits(4);
    if (!y || !r.skip('-')) return std::nullopt;
    const auto m = r.digits(2);
    if (!m || !r.skip('-')) return std::nullopt;
    const auto d = r.digits(2);
    if (!d) return std::nullopt;
    const date::year_month_day ymd{date::year{*y}, date::month{static_cast<unsigned>(*m)},
                                   date::day{static_cast<unsigned>(*d)}};
    if (!ymd.ok()) return std::nullopt;
    return LocalDate{ymd};
}

std::optional<TimeOfDay> read_time(Reader& r) {
    const auto h = r.digits(2);
    if (!h || !r.skip(':')) return std::nullopt;
    const auto m = r.digits(2);
    if (!m) return std::nullopt;
    int s = 0;
    if (r.skip(':')) {
        const auto sec = r.digits(2);
        if (!sec) return std::nullopt;
        s = *sec;
    }
    if (*h > 23 || *m > 59 || s > 59) return std::nullopt;
    return TimeOfDay{*h * 3600 + *m * 60 + s};
}

// "Z", "+HH:MM", "-HH:MM" or "+HHMM".
std::optional<seconds> read_offset(Reader& r) {
    if (r.skip('Z') || r.skip('z')) return seconds(0);
    int sign;
    if (r.skip('+')) {
        sign = 1;
    } else if (r.skip('-')) {
        sign = -1;
    } else {
        return std::nullopt;
    }
    const auto h = r.digits(2);
    if (!h) return std::nullopt;
    r.skip(':');
    const auto m = r.digits(2);
    if (!m || *h > 23 || *m > 59) return std::nullopt;
    return seconds(sign * (*h * 3600 + *m * 60));
}

}  // namespace

std::string format_instant(Instant i, const date::time_zone& zone) {
    const date::sys_seconds s = date::floor<seconds>(i);
    const date::sys_info info = zone.get_info(s);
    const date::local_seconds local{(s + info.offset).time_since_epoch()};
    const LocalDate d = date::floor<date::days>(local);
    return date_text(d) + 'T' + hh_mm_ss(local - d) + offset_text(info.offset);
}

std::string format_local(Instant i, const date::time_zone& zone) {
    const date::local_seconds local = local_seconds_of(i, zone);
    const LocalDate d = date::floor<date::days>(local);
    return date_text(d) + ' ' + hh_mm_ss(local - d);
}

std::string format_local_time(Instant i, const date::time_zone& zone) {
    const date::local_seconds local = local_seconds_of(i, zone);
    return format_time_of_day(local - date::floor<date::days>(local));
}

std::string format_time_of_day(TimeOfDay t) {
    const long long total = t.count();
    std::string out = two(total / 3600) + ':' + two(total / 60 % 60);
    if (total % 60) out += ':' + two(total % 60);
    return out;
}

std::string format_date(LocalDate d) { return date_text(d); }

namespace {

// Two digits of 0 .. 99.
char* two_digits(char* out, long long v) {
    out[0] = static_cast<char>('0' + v / 10);
    out[1] = static_cast<char>('0' + v % 10);
    return out + 2;
}

char* copy(char* out, const char* text, std::size_t size) {
    std::memcpy(out, text, size);
    return out + size;
}

}  // namespace

date::local_seconds InstantWriter::to_local(date::sys_seconds s) {
    if (s < span_begin_ || s >= span_end_) {
        const date::sys_info info = zone_.get_info(s);
        span_begin_ = info.begin;
        span_end_ = info.end;
        offset_ = info.offset;
        const std::string text = offset_text(offset_);
        offset_size_ = text.size();
        std::memcpy(offset_text_, text.data(), text.size());
    }
    const date::local_seconds local{(s + offset_).time_since_epoch()};
    const LocalDate d = date::floor<date::days>(local);
    if (d != day_) {
        day_ = d;
        const std::string text = date_text(d);
        day_size_ = std::min(text.size(), sizeof day_text_);
        std::memcpy(day_text_, text.data(), day_size_);
    }
    return local;
}

char* InstantWriter::date_and_time(char* out, date::local_seconds local, char separator) {
    out = copy(out, day_text_, day_size_);
    *out++ = separator;
    const long long total = (local - day_).count();  // 0 .. 86399
    out = two_digits(out, total / 3600);
    *out++ = ':';
    out = two_digits(out, total / 60 % 60);
    *out++ = ':';
    return two_digits(out, total % 60);
}

char* InstantWriter::instant(char* out, Instant i) {
    const date::local_seconds local = to_local(date::floor<seconds>(i));
    out = date_and_time(out, local, 'T');
    return copy(out, offset_text_, offset_size_);
}

char* InstantWriter::local(char* out, Instant i) {
    return date_and_time(out, to_local(date::floor<seconds>(i)), ' ');
}

char* InstantWriter::local_time(char* out, Instant i) {
    const date::local_seconds local = to_local(date::floor<seconds>(i));
    const long long total = (local - day_).count();
    out = two_digits(out, total / 3600);
    *out++ = ':';
    out = two_digits(out, total / 60 % 60);
    if (total % 60 == 0) return out;
    *out++ = ':';
    return two_digits(out, total % 60);
}

std::optional<TimeOfDay> parse_time_of_day(const std::string& text) {
    Reader r(text);
    const auto t = read_time(r);
    if (!t || !r.at_end()) return std::nullopt;
    return t;
}

std::optional<LocalDate> parse_date(const std::string& text) {
    Reader r(text);
    const auto d = read_date(r);
    if (!d || !r.at_end()) return std::nullopt;
    return d;
}

std::optional<Instant> parse_date_or_instant(const std::string& text, const date::time_zone& zone) {
    Reader r(text);
    const auto d = read_date(r);
    if (!d) return std::nullopt;
    if (r.at_end()) return local_to_instant(zone, *d, TimeOfDay{0});
    if (!r.skip('T') && !r.skip('t') && !r.skip(' ')) return std::nullopt;
    const auto t = read_time(r);
    if (!t) return std::nullopt;
    if (r.at_end()) return local_to_instant(zone, *d, *t);
    const auto offset = read_offset(r);
    if (!offset || !r.at_end()) return std::nullopt;
    return Instant{date::sys_days{d->time_since_epoch()} + *t - *offset};
}

}  // namespace wardcast::schedules
