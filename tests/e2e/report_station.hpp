#pragma once
// A broadcast log written as wardcastd writes it, at chosen instants, for `report` tests, and
// reading what `report` printed.

#include <chrono>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "common/sha256.hpp"
#include "log/broadcast_log.hpp"
#include "schedules/timefmt.hpp"
#include "tests/e2e/fixed_clock_writer.hpp"
#include "tests/e2e/text_lines.hpp"
#include "tests/schedules/schedule_files.hpp"

namespace wardcast::test {

/// A DATE or INSTANT as report's options take it, read in UTC.
inline log::Instant at(const std::string& text) {
    auto i = schedules::parse_date_or_instant(text, *date::locate_zone("UTC"));
    REQUIRE(i);
    return *i;
}

/// `t` as report --json shows it in a UTC station (to the second, rounded down).
inline std::string utc(std::chrono::system_clock::time_point t) {
    return schedules::format_instant(std::chrono::floor<std::chrono::milliseconds>(t),
                                     *date::locate_zone("UTC"));
}

/// A broadcast log as wardcastd writes it, each entry recorded at a chosen instant. While it
/// exists a connection holds the file open, as a running wardcastd does (a live log).
class Station {
  public:
    Station() {
        log::BroadcastLog created(db());
        writer_ = std::make_unique<FixedClockWriter>(db());
    }

    std::string db() const { return (dir_.path() / "broadcasts.db").string(); }

    /// Stores `bundle` and records it put in force at `when`, as each start of wardcastd does.
    std::string load(const std::string& bundle, const std::string& when) {
        const std::string sha = wardcast::sha256_hex(bundle);
        log::BroadcastLog(db()).remember_schedule(sha, bundle, "/etc/wardcast/schedule.yaml");
        log::LogEntry e = operator_entry(
            names::load_schedule_entry("/etc/wardcast/schedule.yaml", names::LoadReason::start),
            when);
        e.schedule_sha256 = sha;
        writer_->append(e);
        return sha;
    }

    /// An operator command that changes no schedule, recorded at `when`.
    void command(const std::string& command, const std::string& when) {
        writer_->append(operator_entry(command, when));
    }

    /// A broadcast that went on air `late` after `scheduled`, lasted `length`, and ended so:
    /// its on_air entry recorded as it started, its outcome as it ended.
    void aired(const std::string& id, const std::string& scheduled, std::chrono::milliseconds late,
               std::chrono::milliseconds length, const std::string& status = "played",
               const std::string& trigger = "schedule", const std::string& title = "") {
        log::LogEntry e = entry(id, at(scheduled), trigger, title);
        e.kind = EntryKind::on_air;
        e.started = *e.scheduled + late;
        e.lateness_ms = late.count();
        e.recorded_at = *e.started;
        const auto on_air = writer_->append(e);
        e.kind = EntryKind::broadcast;
        e.on_air_seq = on_air.seq;
        e.ended = *e.started + length;
        e.recorded_at = *e.ended;
        e.status = names::parse_status(status);
        REQUIRE(e.status);
        writer_->append(e);
    }

    /// A scheduled firing that never aired: skipped or missed, recorded a second after it.
    void not_aired(const std::string& id, const std::string& scheduled, const std::string& status) {
        log::LogEntry e = entry(id, at(scheduled), "schedule", "");
        e.kind = EntryKind::broadcast;
        e.status = names::parse_status(status);
        REQUIRE(e.status);
        e.recorded_at = *e.scheduled + std::chrono::seconds(1);
        writer_->append(e);
    }

    /// Closes the file: no process has it open any more, as with a copy an auditor took home.
    void close() { writer_.reset(); }

  private:
    static log::LogEntry entry(const std::string& id, log::Instant scheduled,
                                  const std::string& trigger, const std::string& title) {
        log::LogEntry e;
        e.station = "Phường Bồ Đề";
        e.announcement_id = id;
        e.title = title.empty() ? id : title;
        e.trigger = names::parse_trigger(trigger);
        REQUIRE(e.trigger);
        e.zones = {"all"};
        e.scheduled = scheduled;
        return e;
    }
    static log::LogEntry operator_entry(const std::string& command, const std::string& when) {
        log::LogEntry e;
        e.kind = EntryKind::operator_command;
        e.station = "Phường Bồ Đề";
        e.trigger = Trigger::operator_request;
        e.command = command;
        e.result = "ok";
        e.recorded_at = at(when);
        return e;
    }

    TempDir dir_;
    std::unique_ptr<FixedClockWriter> writer_;
};

}  // namespace wardcast::test
