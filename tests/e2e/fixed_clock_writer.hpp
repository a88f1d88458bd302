#pragma once
// Appending log entries with chosen recorded_at instants, for tests of what auditors read.

#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "log/broadcast_log.hpp"
#include "tests/names_strings.hpp"

namespace wardcast::test {

/// Appends entries with chosen recorded_at instants (BroadcastLog takes its own clock's) to a
/// file BroadcastLog created, chained by the same recipe, so that `verify` finds it intact.
/// While it exists its connection holds the file open, as a running wardcastd does.
class FixedClockWriter {
  public:
    explicit FixedClockWriter(const std::string& path) {
        REQUIRE(sqlite3_open(path.c_str(), &db_) == SQLITE_OK);
    }
    ~FixedClockWriter() { sqlite3_close(db_); }
    FixedClockWriter(const FixedClockWriter&) = delete;
    FixedClockWriter& operator=(const FixedClockWriter&) = delete;

    /// Appends `e` (seq, prev_hash, hash set here) and claims its firing as BroadcastLog does
    /// (an on_air entry, or an outcome closing none); returns it as stored.
    log::LogEntry append(log::LogEntry e) {
        using nlohmann::json;
        e.seq = static_cast<std::int64_t>(entries.size()) + 1;
        e.prev_hash = entries.empty() ? std::string(64, '0') : entries.back().hash;
        e.hash = log::BroadcastLog::entry_hash(e, e.prev_hash);
        auto text = [](std::string_view s) { return "'" + quoted(std::string(s)) + "'"; };
        auto opt = [](const auto& v, auto show) { return v ? show(*v) : std::string("NULL"); };
        auto instant = [&](log::Instant i) { return text(log::format_utc(i)); };
        auto number = [](std::int64_t n) { return std::to_string(n); };
        const std::string sql =
            "INSERT INTO entries VALUES (" + number(e.seq) + "," + text(names::name(e.kind)) + "," +
            instant(e.recorded_at) + "," + text(e.station) + "," + text(e.announcement_id) + "," +
            text(e.title) + "," + text(names::name_or_empty(e.trigger)) + "," + opt(e.uid, number) +
            "," + text(e.user) + "," + text(json(e.zones).dump()) + "," +
            opt(e.scheduled, instant) + "," + opt(e.started, instant) + "," +
            opt(e.ended, instant) + "," + opt(e.lateness_ms, number) + "," +
            text(names::name_or_empty(e.status)) + "," + text(e.error) + "," +
            text(json(e.audio_sha256).dump()) + "," + text(e.schedule_sha256) + "," +
            opt(e.on_air_seq, number) + "," + text(e.command) + "," + text(e.result) + "," +
            text(e.prev_hash) + "," + text(e.hash) + "," + opt(e.aired_ms, number) + ")";
        exec(sql);
        const bool claims = e.trigger == Trigger::schedule || e.trigger == Trigger::catch_up;
        if (claims && e.scheduled && (e.kind == EntryKind::on_air || !e.on_air_seq))
            exec("INSERT INTO claims VALUES (" + text(e.announcement_id) + "," +
                 instant(*e.scheduled) + "," + number(e.seq) + ")");
        entries.push_back(e);
        return e;
    }

    std::vector<log::LogEntry> entries;

  private:
    void exec(const std::string& sql) {
        char* error = nullptr;
        sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
        INFO((error ? error : ""));
        sqlite3_free(error);
        REQUIRE(error == nullptr);
    }
    static std::string quoted(const std::string& s) {
        std::string out;
        for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
        return out;
    }
    sqlite3* db_ = nullptr;
};

}  // namespace wardcast::test
