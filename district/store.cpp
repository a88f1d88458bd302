#include "district/store.hpp"

#include <charconv>

namespace wardcast::district {

namespace {

using nlohmann::json;

std::string dump(const json& value) {
    return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

json opt(const std::optional<std::int64_t>& v) { return v ? json(*v) : json(nullptr); }
json opt(const std::optional<log::Instant>& v) {
    return v ? json(log::format_utc(*v)) : json(nullptr);
}

// The row as the ward's file stores it (log/broadcast_log.cpp): names as text, instants as
// format_utc, zones and audio_sha256 as the JSON text of the list.
json entry_row(const log::LogEntry& e) {
    return {{"seq", e.seq},
            {"kind", names::name(e.kind)},
            {"recorded_at", log::format_utc(e.recorded_at)},
            {"station", e.station},
            {"announcement_id", e.announcement_id},
            {"title", e.title},
            {"trigger", names::name_or_empty(e.trigger)},
            {"uid", opt(e.uid)},
            {"user", e.user},
            {"zones", dump(e.zones)},
            {"scheduled", opt(e.scheduled)},
            {"started", opt(e.started)},
            {"ended", opt(e.ended)},
            {"lateness_ms", opt(e.lateness_ms)},
            {"status", names::name_or_empty(e.status)},
            {"error", e.error},
            {"audio_sha256", dump(e.audio_sha256)},
            {"schedule_sha256", e.schedule_sha256},
            {"on_air_seq", opt(e.on_air_seq)},
            {"command", e.command},
            {"result", e.result},
            {"prev_hash", e.prev_hash},
            {"hash", e.hash},
            {"aired_ms", opt(e.aired_ms)}};
}

bool has_nul(const log::LogEntry& e) {
    for (const std::string* s : {&e.station, &e.announcement_id, &e.title, &e.user, &e.error,
                                 &e.schedule_sha256, &e.command, &e.result}) {
        if (s->find('\0') != std::string::npos) return true;
    }
    for (const auto* list : {&e.zones, &e.audio_sha256}) {
        for (const std::string& s : *list)
            if (s.find('\0') != std::string::npos) return true;
    }
    return false;
}

// Runs one batch statement; a refusal becomes Refused.
pg::Result run_batch(pg::Connection& conn, const std::string& sql,
                     const std::vector<pg::Param>& params, const std::string& what) {
    try {
        return conn.exec(sql, params, what);
    } catch (const pg::Error& e) {
        if (is_refusal(e.sqlstate())) throw Refused(e);
        throw;
    }
}

// The ward's column list, the row's column list, from "r" (json_populate_recordset).
constexpr const char* kEntryColumns =
    "seq, kind, recorded_at, station, announcement_id, title, trigger, uid, \"user\", zones, "
    "scheduled, started, ended, lateness_ms, status, error, audio_sha256, schedule_sha256, "
    "on_air_seq, command, result, prev_hash, hash, aired_ms";
constexpr const char* kEntryValues =
    "r.seq, r.kind, r.recorded_at, r.station, r.announcement_id, r.title, r.trigger, r.uid, "
    "r.\"user\", r.zones, r.scheduled, r.started, r.ended, r.lateness_ms, r.status, r.error, "
    "r.audio_sha256, r.schedule_sha256, r.on_air_seq, r.command, r.result, r.prev_hash, r.hash, "
    "r.aired_ms";

}  // namespace

bool is_refusal(std::string_view sqlstate) noexcept {
    return sqlstate.size() == 5 && sqlstate.substr(0, 2) == "WC";
}

Refused::Refused(const pg::Error& error) : pg::Error(error) {
    // The store's messages begin "entry N of ward W: …" (district/schema.cpp).
    const std::string& m = message();
    constexpr std::string_view prefix = "entry ";
    if (m.compare(0, prefix.size(), prefix) != 0) return;
    std::int64_t seq = 0;
    const char* begin = m.data() + prefix.size();
    const auto [end, ec] = std::from_chars(begin, m.data() + m.size(), seq);
    if (ec == std::errc() && end != begin && *end == ' ') seq_ = seq;
}

BatchOutcome insert_entries(pg::Connection& conn, const std::string& ward,
                            const std::vector<log::LogEntry>& entries) {
    if (entries.empty()) return {};
    const std::string what = "cannot store entries " + std::to_string(entries.front().seq) +
                             " to " + std::to_string(entries.back().seq) + " of ward " + ward;
    json rows = json::array();
    for (const log::LogEntry& e : entries) {
        if (has_nul(e)) {
            throw std::invalid_argument(what + ": entry " + std::to_string(e.seq) +
                                        " holds a NUL character, which PostgreSQL text cannot");
        }
        rows.push_back(entry_row(e));
    }
    // One statement for the whole batch (one round trip on a slow link); the store's trigger
    // checks each row in seq order.
    const std::string sql = std::string("INSERT INTO public.entries (ward, ") + kEntryColumns +
                            ") SELECT $1, " + kEntryValues +
                            " FROM json_populate_recordset(NULL::public.entries, $2::json) AS r"
                            " ORDER BY r.seq";
    const pg::Result result = run_batch(conn, sql, {ward, dump(rows)}, what);
    const auto n = static_cast<std::int64_t>(entries.size());
    return {result.affected(), n - result.affected()};
}

BatchOutcome insert_schedules(pg::Connection& conn, const std::string& ward,
                              const std::vector<log::ScheduleVersion>& schedules) {
    if (schedules.empty()) return {};
    const std::string what = "cannot store the schedules of ward " + ward;
    json rows = json::array();
    for (const log::ScheduleVersion& s : schedules) {
        // Stored byte for byte, so that it still hashes to its key: it must be valid UTF-8.
        const std::string checked =
            json(s.text).dump(-1, ' ', false, json::error_handler_t::replace);
        if (json::parse(checked).get<std::string>() != s.text || s.text.find('\0') != s.text.npos) {
            throw std::invalid_argument(what + ": schedule " + s.sha256 +
                                        " is not valid UTF-8 text, which PostgreSQL cannot hold");
        }
        rows.push_back({{"sha256", s.sha256},
                        {"text", s.text},
                        {"path", s.path},
                        {"first_loaded", log::format_utc(s.first_loaded)}});
    }
    const pg::Result result =
        run_batch(conn,
                  "INSERT INTO public.schedules (ward, sha256, text, path, first_loaded)"
                  " SELECT $1, r.sha256, r.text, r.path, r.first_loaded"
                  " FROM json_populate_recordset(NULL::public.schedules, $2::json) AS r",
                  {ward, dump(rows)}, what);
    const auto n = static_cast<std::int64_t>(schedules.size());
    return {result.affected(), n - result.affected()};
}

void insert_status(pg::Connection& conn, const std::string& ward,
                   std::chrono::system_clock::time_point reported_at,
                   const nlohmann::json& status) {
    const auto ms = std::chrono::time_point_cast<std::chrono::milliseconds>(reported_at);
    run_batch(conn,
              "INSERT INTO public.ward_status (ward, reported_at, status)"
              " VALUES ($1, $2::timestamptz, $3::jsonb)",
              {ward, log::format_utc(ms), dump(status)}, "cannot store the status of ward " + ward);
}

std::optional<std::pair<std::int64_t, std::string>> last_entry(pg::Connection& conn,
                                                               const std::string& ward) {
    const pg::Result r =
        conn.exec("SELECT seq, hash FROM public.entries WHERE ward = $1 ORDER BY seq DESC LIMIT 1",
                  {ward}, "cannot read the last entry of ward " + ward + " held by the district");
    if (r.rows() == 0) return std::nullopt;
    return std::pair{r.int64(0, 0), r.text(0, 1)};
}

}  // namespace wardcast::district
