#include "sync/district_link.hpp"

#include <libpq-fe.h>

#include <chrono>

#include "district/store.hpp"

namespace wardcast::sync {

namespace {

namespace pg = district::pg;

constexpr std::pair<const char*, const char*> link_options[] = {
    {"connect_timeout", "10"},     {"keepalives", "1"},       {"keepalives_idle", "30"},
    {"keepalives_interval", "10"}, {"keepalives_count", "3"}, {"tcp_user_timeout", "30000"},
};

bool is_uri(const std::string& conninfo) {
    return conninfo.rfind("postgresql://", 0) == 0 || conninfo.rfind("postgres://", 0) == 0;
}

// Whether `conninfo` sets `key` already (key=… in a string, key= in a URI's query).
bool sets(const std::string& conninfo, const std::string& key) {
    for (std::size_t at = conninfo.find(key); at != std::string::npos;
         at = conninfo.find(key, at + 1)) {
        const bool starts = at == 0 || conninfo[at - 1] == ' ' || conninfo[at - 1] == '?' ||
                            conninfo[at - 1] == '&' || conninfo[at - 1] == '\t';
        std::size_t after = at + key.size();
        while (after < conninfo.size() && conninfo[after] == ' ') ++after;
        if (starts && after < conninfo.size() && conninfo[after] == '=') return true;
    }
    return false;
}

// A refusal as the shipper knows it, with the entry it names.
[[noreturn]] void rethrow_refused(const district::Refused& refused, std::int64_t first_seq) {
    throw Refused(refused.seq().value_or(first_seq), refused.what());
}

}  // namespace

std::string with_link_options(const std::string& conninfo) {
    std::string out = conninfo;
    const bool uri = is_uri(conninfo);
    for (const auto& [key, value] : link_options) {
        if (sets(conninfo, key)) continue;
        if (uri) {
            out += (out.find('?') == std::string::npos ? "?" : "&");
        } else if (!out.empty()) {
            out += ' ';
        }
        out += std::string(key) + "=" + value;
    }
    return out;
}

DistrictLink::DistrictLink(const std::string& conninfo, const std::string& ward)
    : conn_(std::make_unique<pg::Connection>(with_link_options(conninfo), "wardcast-sync")) {
    const pg::Result mine =
        conn_->exec("SELECT name FROM public.wards WHERE login_role = current_user", {},
                    "finding this login's ward");
    if (mine.rows() == 0) {
        throw std::runtime_error("the district knows no ward for the login " + conn_->user() +
                                 " (wardcast-district add-ward makes one)");
    }
    ward_ = mine.text(0, 0);
    if (!ward.empty() && ward != ward_) {
        throw std::runtime_error("--ward " + ward + ": the login " + conn_->user() +
                                 " belongs to ward " + ward_);
    }
}

bool DistrictLink::usable() const noexcept { return PQstatus(conn_->get()) == CONNECTION_OK; }

std::int64_t DistrictLink::last_seq() {
    const auto last = district::last_entry(*conn_, ward_);
    return last ? last->first : 0;
}

std::vector<std::string> DistrictLink::schedules() {
    const pg::Result rows = conn_->exec("SELECT sha256 FROM public.schedules WHERE ward = $1",
                                        {ward_}, "reading the schedules the district holds");
    std::vector<std::string> out;
    for (int i = 0; i < rows.rows(); ++i) out.push_back(rows.text(i, 0));
    return out;
}

void DistrictLink::ship(const std::vector<log::ScheduleVersion>& schedules,
                        const std::vector<log::LogEntry>& entries) {
    const std::int64_t first = entries.empty() ? 0 : entries.front().seq;
    try {
        pg::Transaction transaction(*conn_, "shipping entries");
        if (!schedules.empty()) district::insert_schedules(*conn_, ward_, schedules);
        if (!entries.empty()) district::insert_entries(*conn_, ward_, entries);
        transaction.commit();
    } catch (const district::Refused& refused) {
        rethrow_refused(refused, first);
    }
}

std::vector<std::pair<std::int64_t, std::string>> DistrictLink::hashes(std::int64_t after_seq,
                                                                       std::size_t limit) {
    const pg::Result rows = conn_->exec(
        "SELECT seq, hash FROM public.entries WHERE ward = $1 AND seq > $2 ORDER BY seq "
        "LIMIT $3",
        {ward_, std::to_string(after_seq), std::to_string(limit)}, "reading the district's hashes");
    std::vector<std::pair<std::int64_t, std::string>> out;
    for (int i = 0; i < rows.rows(); ++i) out.emplace_back(rows.int64(i, 0), rows.text(i, 1));
    return out;
}

void DistrictLink::report(const nlohmann::json& status) {
    district::insert_status(*conn_, ward_, std::chrono::system_clock::now(), status);
}

}  // namespace wardcast::sync
