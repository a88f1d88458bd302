#include "sync/shipper.hpp"

#include <algorithm>
#include <utility>

namespace wardcast::sync {

Shipper::Shipper(std::filesystem::path db, std::size_t batch)
    : db_(std::move(db)), batch_(std::max<std::size_t>(batch, 1)) {}

Shipper::~Shipper() = default;

void Shipper::open_reader() {
    reader_.reset();
    std::error_code ec;
    reader_saw_wal_ = std::filesystem::exists(db_.string() + "-wal", ec);
    reader_ = std::make_unique<log::LogReader>(db_);
}

std::int64_t Shipper::file_seq() {
    // A file without its -wal is opened as an immutable copy, which never sees a later write:
    // once wardcastd has opened it (and made the -wal), open it again.
    std::error_code ec;
    if (!reader_ || (!reader_saw_wal_ && std::filesystem::exists(db_.string() + "-wal", ec)))
        open_reader();
    return reader_->last_seq();
}

Round Shipper::round(District& district) {
    open_reader();  // each round: the file may have been rotated or restored
    log::LogReader& reader = *reader_;
    Round r;
    const std::int64_t in_file = reader.last_seq();
    std::vector<log::ScheduleVersion> missing;
    try {
        r.district_seq = district.last_seq();
        const std::vector<std::string> held = district.schedules();
        for (auto& version : reader.schedule_versions()) {
            if (std::find(held.begin(), held.end(), version.sha256) == held.end())
                missing.push_back(std::move(version));
        }
    } catch (const std::exception& e) {
        r.error = e.what();
        r.waiting = std::max<std::int64_t>(0, in_file - r.district_seq);
        return r;
    }
    if (r.district_seq > in_file) {
        // The district holds more than the file: the file was cut short or replaced.
        r.refused_seq = in_file + 1;
        r.error = "the district holds entries up to " + std::to_string(r.district_seq) +
                  " but this ward's log ends at " + std::to_string(in_file) +
                  ": the file is not the one the district received";
        r.found_here = true;
        return r;
    }
    if (r.district_seq > 0) {
        // The last entry the district holds must still be in the file as it was shipped: a
        // file rewritten (or restored from another) shows here at once, before anything new.
        log::LogFilter last;
        last.kinds.clear();
        last.after_seq = r.district_seq - 1;
        last.limit = 1;
        std::string mine;
        reader.each(last, [&](const log::LogEntry& e) { mine = e.hash; });
        try {
            const auto theirs = district.hashes(r.district_seq - 1, 1);
            if (!theirs.empty() && theirs.front().second != mine) {
                r.found_here = true;
                r.refused_seq = r.district_seq;
                r.parted_at = parting(reader, district, r.district_seq + 1);
                r.error = "entry " + std::to_string(r.district_seq) +
                          " of this ward's log is not the one the district received (another "
                          "hash): the file was rewritten or replaced";
                r.waiting = std::max<std::int64_t>(0, in_file - r.district_seq);
                return r;
            }
        } catch (const std::exception& e) {
            r.error = e.what();
            r.waiting = std::max<std::int64_t>(0, in_file - r.district_seq);
            return r;
        }
    }

    log::LogFilter next;
    next.kinds.clear();  // the whole chain: on_air, broadcast and operator entries
    next.limit = batch_;
    std::vector<log::LogEntry> entries;
    entries.reserve(batch_);
    while (true) {
        next.after_seq = r.district_seq;
        entries.clear();
        reader.each(next, [&](const log::LogEntry& e) { entries.push_back(e); });
        if (entries.empty() && missing.empty()) break;
        try {
            district.ship(missing, entries);
        } catch (const Refused& refused) {
            r.refused_seq = refused.seq();
            r.error = refused.what();
            try {
                r.parted_at = parting(reader, district, refused.seq());
            } catch (const std::exception& e) {
                r.error +=
                    std::string("; the entry where the copies part is not known: ") + e.what();
            }
            break;
        } catch (const std::exception& e) {
            r.error = e.what();
            break;
        }
        missing.clear();
        if (entries.empty()) break;
        r.district_seq = entries.back().seq;
        r.shipped += static_cast<std::int64_t>(entries.size());
    }
    r.waiting = std::max<std::int64_t>(0, in_file - r.district_seq);
    return r;
}

// Compares the file's hashes with the district's, oldest first: the first entry that differs
// is where a rewrite began (a rewritten tail leaves every later hash different).
std::int64_t Shipper::parting(log::LogReader& reader, District& district, std::int64_t refused) {
    constexpr std::size_t chunk = 5000;
    log::LogFilter mine;
    mine.kinds.clear();
    mine.limit = chunk;
    for (std::int64_t after = 0; after < refused - 1;) {
        const auto theirs = district.hashes(after, chunk);
        if (theirs.empty()) break;
        mine.after_seq = after;
        std::optional<std::int64_t> differs;
        std::size_t i = 0;
        reader.each(mine, [&](const log::LogEntry& e) {
            if (!differs && i < theirs.size() &&
                (theirs[i].first != e.seq || theirs[i].second != e.hash))
                differs = std::min(theirs[i].first, e.seq);
            ++i;
        });
        if (differs) return *differs;
        if (i < theirs.size()) return theirs[i].first;  // the file lacks what the district holds
        after = theirs.back().first;
    }
    return refused;
}

}  // namespace wardcast::sync
