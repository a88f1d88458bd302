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

std::vector<Assignment> DistrictLink::assignments() {
    const pg::Result rows = conn_->exec(
        "SELECT a.campaign, a.version, a.withdrawn, f.sha256 FROM"
        " (SELECT DISTINCT ON (campaign) campaign, version, withdrawn"
        "  FROM public.campaign_assignments WHERE ward = $1 ORDER BY campaign, id DESC) a"
        " JOIN public.campaign_files f USING (campaign, version) ORDER BY a.campaign",
        {ward_}, "reading the campaigns assigned to this ward");
    std::vector<Assignment> out;
    for (int i = 0; i < rows.rows(); ++i)
        out.push_back({rows.text(i, 0), rows.int64(i, 1), rows.text(i, 2) == "t", rows.text(i, 3)});
    return out;
}

CampaignFile DistrictLink::file(const std::string& id, std::int64_t version) {
    const std::string what = "reading campaign " + id + " version " + std::to_string(version);
    const std::vector<pg::Param> key{id, std::to_string(version)};
    const pg::Result f = conn_->exec(
        "SELECT sha256, text FROM public.campaign_files WHERE campaign = $1 AND version = $2", key,
        what);
    if (f.rows() == 0) throw std::runtime_error(what + ": the district holds no such version");
    CampaignFile out{id, version, f.text(0, 0), f.text(0, 1), {}};
    const pg::Result audio = conn_->exec(
        "SELECT fa.path, fa.sha256, a.size FROM public.campaign_file_audio fa"
        " JOIN public.campaign_audio a USING (sha256)"
        " WHERE fa.campaign = $1 AND fa.version = $2 ORDER BY fa.path",
        key, what);
    for (int i = 0; i < audio.rows(); ++i)
        out.audio.push_back({audio.text(i, 0), audio.text(i, 1), audio.int64(i, 2)});
    return out;
}

std::string DistrictLink::audio(const std::string& sha256) {
    const pg::Result chunks = conn_->exec_binary_result(
        "SELECT data FROM public.campaign_audio_chunks WHERE sha256 = $1 ORDER BY n", {sha256},
        "reading audio " + sha256);
    std::string out;
    for (int i = 0; i < chunks.rows(); ++i) out.append(chunks.view(i, 0));
    return out;
}

std::vector<CampaignReport> DistrictLink::reports() {
    const pg::Result rows = conn_->exec(
        "SELECT DISTINCT ON (campaign) campaign, version, state, errors::text, warnings::text,"
        " schedule_sha256, checked_against FROM public.campaign_reports WHERE ward = $1"
        " ORDER BY campaign, id DESC",
        {ward_}, "reading this ward's campaign reports");
    const auto strings = [](const std::string& text) {
        std::vector<std::string> out;
        const nlohmann::json list = nlohmann::json::parse(text, nullptr, false);
        if (list.is_array())
            for (const auto& item : list)
                if (item.is_string()) out.push_back(item.get<std::string>());
        return out;
    };
    std::vector<CampaignReport> out;
    for (int i = 0; i < rows.rows(); ++i) {
        CampaignReport r;
        r.id = rows.text(i, 0);
        r.version = rows.int64(i, 1);
        r.state = parse_state(rows.text(i, 2)).value_or(CampaignState::failed);
        r.errors = strings(rows.text(i, 3));
        r.warnings = strings(rows.text(i, 4));
        r.schedule_sha256 = rows.text(i, 5);
        r.checked_against = rows.text(i, 6);
        out.push_back(std::move(r));
    }
    return out;
}

void DistrictLink::report(const CampaignReport& r) {
    const auto now =
        std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
    const auto list = [](const std::vector<std::string>& items) {
        return nlohmann::json(items).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    };
    conn_->exec(
        "INSERT INTO public.campaign_reports (ward, campaign, version, state, errors, warnings,"
        " schedule_sha256, checked_against, reported_at)"
        " VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7, $8, $9::timestamptz)",
        {ward_, r.id, std::to_string(r.version), std::string(state_name(r.state)), list(r.errors),
         list(r.warnings), r.schedule_sha256, r.checked_against, log::format_utc(now)},
        "reporting campaign " + r.id + " version " + std::to_string(r.version));
}

}  // namespace wardcast::sync
