#include "report/schedule_history.hpp"

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "common/names.hpp"
#include "common/private_dir.hpp"
#include "schedules/bundle.hpp"

namespace wardcast::report {

namespace sch = wardcast::schedules;
namespace fs = std::filesystem;

namespace {

/// How many leading ".." `path` (normalized) has. Throws when it is absolute or names no file.
std::size_t levels_up(const fs::path& path) {
    if (path.empty() || path.has_root_path() || !path.has_filename() || path.filename() == "..")
        throw std::runtime_error("the stored schedule names a file '" + path.string() +
                                 "' that cannot be restored");
    std::size_t ups = 0;
    for (const auto& part : path) {
        if (part != "..") break;
        ++ups;
    }
    return ups;
}

}  // namespace

sch::LoadResult load_bundled_schedule(const std::string& text, const std::string& system_timezone) {
    auto files = sch::unbundle(text, "schedule.yaml");
    std::size_t depth = 0;
    for (auto& [path, body] : files) {
        path = path.lexically_normal();
        depth = std::max(depth, levels_up(path));
    }
    // Includes may sit beside or above the main file's folder ("../shared/x.yaml"): nesting
    // the main file that deep keeps every restored file inside the private folder.
    if (depth > 64) throw std::runtime_error("the stored schedule's includes climb too far up");
    PrivateDir dir("wardcast-report");
    fs::path main_dir = dir.path();
    for (std::size_t i = 0; i < depth; ++i) main_dir /= "up";
    for (const auto& [path, body] : files) {
        const fs::path target = (main_dir / path).lexically_normal();
        fs::create_directories(target.parent_path());
        std::ofstream out(target, std::ios::binary);
        out << body;
        if (!out) throw std::runtime_error("cannot write " + target.string());
    }
    return sch::load_schedule(main_dir / files.front().first, system_timezone);
}

ScheduleHistory::ScheduleHistory(log::EntrySource& reader, std::string system_timezone)
    : system_timezone_(std::move(system_timezone)) {
    const auto versions = reader.schedule_versions();
    for (const auto& v : versions) texts_[v.sha256] = v.text;
    if (texts_.empty()) throw NoSchedule();

    log::LogFilter filter;
    filter.kinds = {names::EntryKind::operator_command};
    // load-schedule entries name no announcement: asking for "" lets the reader use the
    // (announcement_id, scheduled) index instead of reading every entry of a large log.
    filter.announcement = "";
    reader.each(filter, [&](const log::LogEntry& e) {
        if (!names::is_load_schedule(e.command) || e.schedule_sha256.empty()) return;
        // Append order is what counts: a clock stepped back must not reorder versions.
        auto at = changes_.empty() ? e.recorded_at : std::max(e.recorded_at, changes_.back().at);
        if (changes_.empty() || changes_.back().sha256 != e.schedule_sha256)
            changes_.push_back({at, e.schedule_sha256});
    });
    if (changes_.empty()) {  // a log written before load-schedule entries: when first stored
        for (const auto& v : versions) changes_.push_back({v.first_loaded, v.sha256});
        std::stable_sort(changes_.begin(), changes_.end(),
                         [](const Change& a, const Change& b) { return a.at < b.at; });
    }
}

const StoredSchedule& ScheduleHistory::load(const std::string& sha256) {
    auto [it, fresh] = loaded_.try_emplace(sha256);
    StoredSchedule& v = it->second;
    if (!fresh) return v;
    v.sha256 = sha256;
    auto text = texts_.find(sha256);
    if (text == texts_.end()) {
        v.problem = "its text is not in the log";
        return v;
    }
    try {
        auto result = load_bundled_schedule(text->second, system_timezone_);
        if (result.ok()) {
            v.schedule = std::make_unique<sch::Schedule>(std::move(result.schedule));
        } else {
            for (const auto& d : result.diagnostics)
                if (d.severity == sch::Diagnostic::Severity::error) {
                    v.problem = d.message;
                    break;
                }
        }
    } catch (const std::exception& e) {
        v.problem = e.what();
    }
    return v;
}

const StoredSchedule* ScheduleHistory::at(sch::Instant at) {
    auto next = std::upper_bound(changes_.begin(), changes_.end(), at,
                                 [](sch::Instant t, const Change& c) { return t < c.at; });
    return next == changes_.begin() ? nullptr : &load(std::prev(next)->sha256);
}

const StoredSchedule& ScheduleHistory::first() { return load(changes_.front().sha256); }

const StoredSchedule& ScheduleHistory::latest() { return load(changes_.back().sha256); }

std::vector<InForce> ScheduleHistory::over(sch::Instant from, sch::Instant to) {
    std::vector<InForce> out;
    if (from < changes_.front().at)
        out.push_back({nullptr, from, std::min(to, changes_.front().at)});
    for (std::size_t i = 0; i < changes_.size(); ++i) {
        const auto begin = std::max(from, changes_[i].at);
        const auto end = i + 1 < changes_.size() ? std::min(to, changes_[i + 1].at) : to;
        if (begin < end) out.push_back({&load(changes_[i].sha256), begin, end});
    }
    return out;
}

}  // namespace wardcast::report
