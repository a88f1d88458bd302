// BroadcastLog's writes, and what it does when the file cannot take them (SPEC §6): entries
// are held in memory, in order, and written once it can.

#include <pwd.h>
#include <unistd.h>

#include <algorithm>

#include "log/broadcast_log.hpp"
#include "log/sqlite_db.hpp"

namespace wardcast::log {

using sqlite::now_ms;
using sqlite::SqliteError;
using sqlite::Statement;
using sqlite::Transaction;
using sqlite::valid_utf8;

std::optional<LogFault> BroadcastLog::fault() const {
    if (!fault_) return std::nullopt;
    LogFault f = *fault_;
    f.held = held_.size();
    return f;
}

std::vector<LogEntry> BroadcastLog::held_entries() const {
    std::vector<LogEntry> out;
    for (const auto& h : held_) out.push_back(h.entry);
    return out;
}

bool BroadcastLog::claimed_in_file(const std::string& announcement_id, Instant scheduled) {
    Statement q(db_.get(), "SELECT 1 FROM claims WHERE announcement_id = ?1 AND scheduled = ?2",
                doing("look up a claim"));
    q.bind(1, valid_utf8(announcement_id)).bind(2, format_utc(scheduled));
    return q.step();
}

bool BroadcastLog::is_claimed(const std::string& announcement_id, Instant scheduled) {
    if (held_claims_.count({valid_utf8(announcement_id), scheduled})) return true;
    try {
        return claimed_in_file(announcement_id, scheduled);
    } catch (const SqliteError& e) {
        // A file that cannot even be read: airing is the first duty, so "not claimed" (the
        // claims held since the fault still keep anything from airing twice).
        if (!sqlite::is_fault(e.code)) throw;
        begin_fault(e.reason);
        return false;
    }
}

void BroadcastLog::remember_schedule(const std::string& sha256, const std::string& text,
                                     const std::string& path) {
    HeldSchedule s{sha256, text, valid_utf8(path), now_ms()};
    if (flush_held()) {
        try {
            // One statement in autocommit mode is its own durable transaction. The text is kept
            // byte for byte (not made valid UTF-8) so that it still hashes to its key.
            Statement insert(db_.get(),
                             "INSERT OR IGNORE INTO schedules (sha256, text, path, first_loaded)"
                             " VALUES (?1, ?2, ?3, ?4)",
                             doing("store a schedule"));
            insert.bind(1, s.sha256).bind(2, s.text).bind(3, s.path);
            insert.bind(4, format_utc(s.first_loaded));
            insert.step();
            return;
        } catch (const SqliteError& e) {
            if (!sqlite::is_fault(e.code)) throw;
            begin_fault(e.reason);
        }
    }
    held_schedules_.push_back(std::move(s));
}

void BroadcastLog::insert_claim(const LogEntry& entry, const std::string& what, bool or_ignore) {
    Statement insert(db_.get(),
                     or_ignore ? "INSERT OR IGNORE INTO claims (announcement_id, scheduled, seq)"
                                 " VALUES (?1, ?2, ?3)"
                               : "INSERT INTO claims (announcement_id, scheduled, seq)"
                                 " VALUES (?1, ?2, ?3)",
                     what);
    insert.bind(1, entry.announcement_id).bind(2, entry.scheduled).bind(3, entry.seq).step();
}

std::optional<std::int64_t> BroadcastLog::append_claiming(LogEntry& entry, bool claim,
                                                          const std::string& what) {
    if (claim && (entry.announcement_id.empty() || !entry.scheduled)) {
        throw std::invalid_argument(what +
                                    ": a claimed firing needs an announcement id and an "
                                    "instant");
    }
    if (claim && held_claims_.count({valid_utf8(entry.announcement_id), *entry.scheduled}))
        return std::nullopt;
    if (flush_held()) {
        try {
            Transaction tx(db_.get(), what);
            // Under the write lock: another writer cannot claim it between the look and ours.
            if (claim && claimed_in_file(entry.announcement_id, *entry.scheduled))
                return std::nullopt;
            const std::int64_t seq = append(entry);
            if (claim) insert_claim(entry, what);
            tx.commit(what);
            last_seq_ = seq;
            return seq;
        } catch (const SqliteError& e) {
            if (!sqlite::is_fault(e.code)) throw;
            begin_fault(e.reason);
        }
    }
    if (claim && is_claimed(entry.announcement_id, *entry.scheduled)) return std::nullopt;
    return hold(std::move(entry), claim);
}

std::int64_t BroadcastLog::hold(LogEntry entry, bool claim) {
    if (held_.size() >= max_held) {
        throw LogOverflow("broadcast log " + path_.string() + ": cannot be written since " +
                          format_utc(fault_->since) + " (" + fault_->reason + ") and " +
                          std::to_string(max_held) + " entries are held: stopping");
    }
    sqlite::make_valid_utf8(entry);
    entry.seq = ++last_seq_;
    entry.recorded_at = now_ms();
    if (claim) held_claims_.insert({entry.announcement_id, *entry.scheduled});
    const std::int64_t seq = entry.seq;
    held_.push_back({std::move(entry), claim});
    return seq;
}

void BroadcastLog::begin_fault(const std::string& reason) {
    reopen_ = true;
    if (fault_) {
        fault_->reason = reason;
        return;
    }
    fault_ = LogFault{reason, now_ms(), 0};
    if (on_fault_) on_fault_(fault());
}

bool BroadcastLog::retry() {
    if (!fault_) return true;
    if (reopen_) {
        // The connection may keep failing after the medium is back (a read-only remount, an
        // I/O error): a fresh one sees the file as it is now.
        try {
            open();
        } catch (const std::exception& e) {
            fault_->reason = e.what();
            return false;
        }
        if (readonly_) {
            fault_->reason = "the file or its folder is read-only";
            return false;
        }
        reopen_ = false;
    }
    return flush_held();
}

bool BroadcastLog::flush_held() {
    if (!fault_) return true;
    if (reopen_) return false;  // retry() reopens first
    const std::size_t n = std::min(held_.size(), retry_batch);
    try {
        write_held_batch(n);
    } catch (const SqliteError& e) {
        if (!sqlite::is_fault(e.code)) throw;
        begin_fault(e.reason);
        return false;
    }
    for (std::size_t i = 0; i < n; ++i) {
        const Held& h = held_.front();
        if (h.claim) held_claims_.erase({h.entry.announcement_id, *h.entry.scheduled});
        held_.pop_front();
    }
    held_schedules_.clear();
    if (!held_.empty()) return false;
    fault_.reset();
    if (on_fault_) on_fault_(std::nullopt);
    return true;
}

void BroadcastLog::write_held_batch(std::size_t n) {
    const std::string what = doing("write the entries held while it could not be written");
    Transaction tx(db_.get(), what);
    for (const auto& s : held_schedules_) {
        Statement insert(db_.get(),
                         "INSERT OR IGNORE INTO schedules (sha256, text, path, first_loaded)"
                         " VALUES (?1, ?2, ?3, ?4)",
                         what);
        insert.bind(1, s.sha256).bind(2, s.text).bind(3, s.path);
        insert.bind(4, format_utc(s.first_loaded)).step();
    }
    if (!held_.empty()) {
        Statement tail(db_.get(), "SELECT coalesce(max(seq), 0) FROM entries", what);
        tail.step();
        const std::int64_t shift = tail.int64(0) + 1 - held_.front().entry.seq;
        if (shift != 0) {
            // Someone else appended meanwhile: the held entries follow theirs, and the
            // outcomes of held starts follow their starts.
            const std::int64_t first = held_.front().entry.seq;
            for (auto& h : held_) {
                renumbered_[h.entry.seq] = h.entry.seq + shift;
                h.entry.seq += shift;
                if (h.entry.on_air_seq && *h.entry.on_air_seq >= first)
                    *h.entry.on_air_seq += shift;
            }
            last_seq_ += shift;
        }
    }
    for (std::size_t i = 0; i < n; ++i) {
        LogEntry copy = held_[i].entry;  // written only once the transaction commits
        append(copy, true);
        if (held_[i].claim) insert_claim(copy, what, true);
    }
    std::optional<std::int64_t> note_seq;
    if (n == held_.size() && n > 0) {
        LogEntry note = recovery_entry();
        note_seq = append(note);
    }
    tx.commit(what);
    if (note_seq) last_seq_ = *note_seq;  // only once it is in: a failed batch takes no seq
}

LogEntry BroadcastLog::recovery_entry() const {
    // Read by auditors: these entries were recorded at their recorded_at but written later.
    const Held& first = held_.front();
    const Held& last = held_.back();
    LogEntry e;
    e.kind = names::EntryKind::operator_command;
    e.station = last.entry.station;
    e.schedule_sha256 = last.entry.schedule_sha256;
    e.uid = ::getuid();
    if (const passwd* pw = ::getpwuid(::getuid())) e.user = pw->pw_name;
    e.command = std::string(names::log_recovered_command);
    e.result = "ok: " + std::to_string(held_.size()) + " entries (" +
               std::to_string(first.entry.seq) + " to " + std::to_string(last.entry.seq) +
               ") recorded from " + format_utc(first.entry.recorded_at) + " to " +
               format_utc(last.entry.recorded_at) +
               " were held in memory while the log could not be written since " +
               format_utc(fault_->since) + " (" + fault_->reason + ")";
    return e;
}

std::optional<std::int64_t> BroadcastLog::begin_broadcast(LogEntry on_air, bool claim) {
    on_air.kind = names::EntryKind::on_air;
    on_air.on_air_seq.reset();
    return append_claiming(on_air, claim, doing("record a broadcast's start"));
}

std::int64_t BroadcastLog::finish_broadcast(std::int64_t on_air_seq, LogEntry outcome) {
    if (auto moved = renumbered_.find(on_air_seq); moved != renumbered_.end())
        on_air_seq = moved->second;
    outcome.kind = names::EntryKind::broadcast;
    outcome.on_air_seq = on_air_seq;
    const std::string what = doing("record a broadcast's outcome");
    auto refuse = [&](const std::string& why) {
        throw std::invalid_argument(what + ": entry " + std::to_string(on_air_seq) + " " + why);
    };
    if (!outcome.status) throw std::invalid_argument(what + ": an outcome needs a status");
    if (!held_.empty() && on_air_seq >= held_.front().entry.seq) {
        bool found = false;
        for (const auto& h : held_) {
            if (h.entry.seq == on_air_seq) {
                if (h.entry.kind != names::EntryKind::on_air) refuse("is not an on_air entry");
                found = true;
            } else if (h.entry.on_air_seq == on_air_seq) {
                refuse("was closed already by entry " + std::to_string(h.entry.seq));
            }
        }
        if (!found) refuse("is not an on_air entry");
        return hold(std::move(outcome), false);
    }
    auto check = [&] {
        Statement start(db_.get(),
                        "SELECT kind, (SELECT seq FROM entries WHERE on_air_seq = ?1)"
                        " FROM entries WHERE seq = ?1",
                        what);
        start.bind(1, on_air_seq);
        if (!start.step() || start.text(0) != names::name(names::EntryKind::on_air))
            refuse("is not an on_air entry");
        if (!start.is_null(1))
            refuse("was closed already by entry " + std::to_string(start.int64(1)));
    };
    for (const auto& h : held_)
        if (h.entry.on_air_seq == on_air_seq)
            refuse("was closed already by entry " + std::to_string(h.entry.seq));
    if (flush_held()) {
        try {
            Transaction tx(db_.get(), what);
            check();
            const std::int64_t seq = append(outcome);
            tx.commit(what);
            last_seq_ = seq;
            return seq;
        } catch (const SqliteError& e) {
            if (!sqlite::is_fault(e.code)) throw;
            begin_fault(e.reason);
        }
    }
    return hold(std::move(outcome), false);
}

bool BroadcastLog::record_not_aired(LogEntry entry) {
    entry.kind = names::EntryKind::broadcast;
    entry.on_air_seq.reset();
    if (!entry.aired_ms) entry.aired_ms = 0;  // it never aired
    if (!entry.status)
        throw std::invalid_argument(doing("record a firing that did not air") +
                                    ": an outcome needs a status");
    return append_claiming(entry, true, doing("record a firing that did not air")).has_value();
}

std::int64_t BroadcastLog::record_operator(LogEntry entry) {
    entry.kind = names::EntryKind::operator_command;
    return *append_claiming(entry, false, doing("record an operator command"));
}

}  // namespace wardcast::log
