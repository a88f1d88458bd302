#include "district/ward_entries.hpp"

#include <stdexcept>

#include "district/pg_row.hpp"
#include "log/entry_row.hpp"

namespace wardcast::district {

namespace {
constexpr std::size_t batch_rows = 10000;
}

void WardEntries::each(const log::LogFilter& filter,
                       const std::function<void(const log::LogEntry&)>& visit) {
    std::vector<pg::Param> params{ward_, ""};  // $2: the seq to read after, set per batch
    auto param = [&](std::string value) {
        params.emplace_back(std::move(value));
        return "$" + std::to_string(params.size());
    };
    std::string where = "ward = $1 AND seq > $2";
    if (!filter.kinds.empty()) {
        where += " AND kind IN (";
        for (std::size_t i = 0; i < filter.kinds.size(); ++i)
            where += (i ? ", " : "") + param(std::string(names::name(filter.kinds[i])));
        where += ")";
    }
    if (filter.announcement) where += " AND announcement_id = " + param(*filter.announcement);
    if (filter.status) where += " AND status = " + param(std::string(names::name(*filter.status)));
    // Instants are stored as the ward wrote them (UTC, fixed width): compared byte by byte,
    // whatever the database's collation, they sort as the times do.
    const std::string when = "coalesce(scheduled, recorded_at) COLLATE \"C\"";
    if (filter.from) where += " AND " + when + " >= " + param(log::format_utc(*filter.from));
    if (filter.to) where += " AND " + when + " < " + param(log::format_utc(*filter.to));
    const std::string limit = param("");
    const std::string sql = std::string("SELECT ") + log::entry_columns +
                            " FROM public.entries WHERE " + where + " ORDER BY seq LIMIT " + limit;

    std::int64_t after = filter.after_seq.value_or(0);
    std::size_t left = filter.limit.value_or(SIZE_MAX);
    log::EntryRowReader<PgRow> reader;
    log::LogEntry entry;
    while (left > 0) {
        const std::size_t want = std::min(left, batch_rows);
        params[1] = std::to_string(after);
        params.back() = std::to_string(want);
        const pg::Result rows = conn_.exec(sql, params, "reading the entries of ward " + ward_);
        for (int i = 0; i < rows.rows(); ++i) {
            const std::string problem = reader.read(PgRow{rows, i}, entry);
            if (!problem.empty())
                throw std::runtime_error("ward " + ward_ + ": entry " + std::to_string(entry.seq) +
                                         " is malformed: " + problem);
            after = entry.seq;
            visit(entry);
        }
        left -= static_cast<std::size_t>(rows.rows());
        if (static_cast<std::size_t>(rows.rows()) < want) break;
    }
}

std::vector<log::ScheduleVersion> WardEntries::schedule_versions() {
    const pg::Result rows = conn_.exec(
        "SELECT sha256, text, coalesce(path, ''), first_loaded FROM public.schedules"
        " WHERE ward = $1 ORDER BY first_loaded COLLATE \"C\", received_at",
        {ward_}, "reading the schedules of ward " + ward_);
    std::vector<log::ScheduleVersion> out;
    for (int i = 0; i < rows.rows(); ++i) {
        log::ScheduleVersion v{rows.text(i, 0), rows.text(i, 1), rows.text(i, 2), {}};
        v.first_loaded = log::parse_utc(rows.text(i, 3)).value_or(log::Instant{});
        out.push_back(std::move(v));
    }
    return out;
}

std::optional<log::Instant> WardEntries::last_recorded_at() {
    const pg::Result last = conn_.exec(
        "SELECT recorded_at FROM public.entries WHERE ward = $1 ORDER BY seq DESC LIMIT 1", {ward_},
        "reading the last entry of ward " + ward_);
    if (last.rows() == 0) return std::nullopt;
    return log::parse_utc(last.text(0, 0));
}

std::int64_t WardEntries::last_seq() {
    const pg::Result last =
        conn_.exec("SELECT coalesce(max(seq), 0) FROM public.entries WHERE ward = $1", {ward_},
                   "reading the last entry of ward " + ward_);
    return last.int64(0, 0);
}

}  // namespace wardcast::district
