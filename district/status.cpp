#include "district/status.hpp"

#include <nlohmann/json.hpp>
#include <ostream>

#include "ctl/table.hpp"
#include "district/campaigns.hpp"
#include "district/pg.hpp"
#include "district/schema.hpp"

namespace wardcast::district {

namespace {

using nlohmann::json;

// "-" for what a heartbeat did not say.
std::string or_dash(const std::string& text) { return text.empty() ? "-" : text; }

std::string on_air_text(const json& daemon) {
    if (!daemon.is_object() || !daemon.contains("on_air") || !daemon["on_air"].is_array())
        return "";
    std::string text;
    for (const json& b : daemon["on_air"]) {
        text += (text.empty() ? "" : ", ") + b.value("announcement", std::string("?"));
    }
    return text;
}

std::string next_text(const json& daemon) {
    if (!daemon.is_object() || !daemon.contains("next") || !daemon["next"].is_object()) return "";
    const json& n = daemon["next"];
    std::string at = n.value("scheduled", std::string());
    // "2026-12-07T17:30:00+07:00" → "12-07 17:30"
    if (at.size() >= 16) at = at.substr(5, 5) + " " + at.substr(11, 5);
    return n.value("announcement", std::string("?")) + (at.empty() ? "" : " " + at);
}

std::string faults_text(const json& daemon) {
    if (!daemon.is_object()) return "";
    if (daemon.contains("unreachable")) return "wardcastd not answering";
    std::string text;
    if (daemon.value("paused", false)) text = "paused";
    if (daemon.contains("faults") && daemon["faults"].is_array()) {
        for (const json& f : daemon["faults"]) {
            text += (text.empty() ? "" : ", ") + f.value("what", std::string("?")) + ": " +
                    f.value("reason", std::string());
        }
    }
    return text;
}

std::string sync_text(const json& sync) {
    if (!sync.is_object()) return "";
    if (sync.contains("refused_seq") && sync["refused_seq"].is_number()) {
        // found_here: the ward's own sync saw its file no longer matches the district's copy.
        const auto seq = [&](const char* key) {
            return std::to_string(sync[key].get<long long>());
        };
        const bool parted = sync.contains("parted_at") && sync["parted_at"].is_number();
        if (sync.value("found_here", false))
            return "log differs from the district's copy from entry " +
                   seq(parted ? "parted_at" : "refused_seq");
        std::string text = "refused entry " + seq("refused_seq");
        if (parted) text += ", parts at " + seq("parted_at");
        return text;
    }
    const std::string error = sync.value("error", std::string());
    const std::string campaigns = sync.value("campaign_error", std::string());
    if (error.empty() && !campaigns.empty()) return "campaigns: " + campaigns;
    return error.empty() ? "ok" : error;
}

// A ward is silent once it missed this many heartbeats (its sync says its interval).
constexpr std::int64_t silent_after_rounds = 3;
constexpr std::int64_t default_interval_ms = 10000;

bool is_silent(const json& sync, std::int64_t seconds_ago) {
    std::int64_t interval_ms = default_interval_ms;
    if (sync.is_object() && sync.contains("interval_ms") && sync["interval_ms"].is_number_integer())
        interval_ms = std::max<std::int64_t>(1, sync["interval_ms"].get<std::int64_t>());
    return seconds_ago * 1000 > silent_after_rounds * interval_ms;
}

std::string campaigns_text(const std::vector<const WardCampaign*>& campaigns) {
    std::string text;
    for (const WardCampaign* c : campaigns) {
        text += (text.empty() ? "" : ", ") + c->campaign + " v" + std::to_string(c->version) + " " +
                c->state;
        // Collisions the ward's check found: it airs, but some firings may wait or be skipped.
        if (c->state == "installed" && !c->warnings.empty())
            text += " (" + std::to_string(c->warnings.size()) +
                    (c->warnings.size() == 1 ? " warning)" : " warnings)");
    }
    return text;
}

json campaign_json(const WardCampaign& c) {
    return {{"campaign", c.campaign},
            {"version", c.version},
            {"state", c.state},
            {"errors", c.errors},
            {"warnings", c.warnings},
            {"schedule_sha256", c.schedule_sha256},
            {"reported_at", c.reported_at.empty() ? json(nullptr) : json(c.reported_at)}};
}

}  // namespace

void set_wards_time_zone(pg::Connection& conn) {
    // The zone most wards' stations report (one district, one zone), else UTC; shown
    // with their offset.
    const pg::Result zone = conn.exec(
        "SELECT tz FROM (SELECT DISTINCT ON (ward) status->'daemon'->>'timezone' AS tz"
        " FROM public.ward_status ORDER BY ward, received_at DESC, id DESC) latest"
        " WHERE tz IN (SELECT name FROM pg_timezone_names)"
        " GROUP BY tz ORDER BY count(*) DESC, tz LIMIT 1",
        {}, "reading the wards' time zones");
    conn.exec("SELECT set_config('TimeZone', $1, false)",
              {zone.rows() > 0 ? zone.text(0, 0) : std::string("UTC")}, "setting the time zone");
}

int run_status(const std::string& conninfo, bool as_json, std::ostream& out) {
    pg::Connection conn(conninfo, "wardcast-district");
    require_current_schema(conn);
    set_wards_time_zone(conn);
    const std::vector<WardCampaign> all_campaigns = ward_campaigns(conn);
    const pg::Result rows = conn.exec(
        "SELECT w.name,"
        " (SELECT coalesce(max(e.seq), 0) FROM public.entries e WHERE e.ward = w.name),"
        " to_char(s.received_at, 'YYYY-MM-DD HH24:MI:SSOF'),"
        " extract(epoch FROM now() - s.received_at)::bigint,"
        " s.status::text,"
        " to_char(s.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
        " FROM public.wards w LEFT JOIN LATERAL"
        " (SELECT received_at, status FROM public.ward_status st WHERE st.ward = w.name"
        "  ORDER BY received_at DESC, id DESC LIMIT 1) s ON true"
        " ORDER BY w.name",
        {}, "reading the wards' status");
    ctl::Table table({"WARD", "LAST HEARD", "AGO", "HELD", "WAITING", "ON AIR", "NEXT", "FAULTS",
                      "SYNC", "CAMPAIGNS"});
    std::vector<const WardCampaign*> troubles;  // refused or failed, printed under the table
    for (int i = 0; i < rows.rows(); ++i) {
        const std::string ward = rows.text(i, 0);
        std::vector<const WardCampaign*> campaigns;
        for (const WardCampaign& c : all_campaigns) {
            if (c.ward != ward) continue;
            campaigns.push_back(&c);
            if (c.state == "refused" || c.state == "failed") troubles.push_back(&c);
        }
        const std::int64_t held = rows.int64(i, 1);
        const bool heard = !rows.is_null(i, 2);
        const json status = heard ? json::parse(rows.text(i, 4), nullptr, false) : json();
        const json sync = status.is_object() ? status.value("sync", json()) : json();
        const json daemon = status.is_object() ? status.value("daemon", json()) : json();
        const std::string waiting =
            sync.is_object() && sync.contains("waiting") && sync["waiting"].is_number()
                ? std::to_string(sync["waiting"].get<long long>())
                : "";
        const bool silent = heard && is_silent(sync, rows.int64(i, 3));
        if (as_json) {
            json listed = json::array();
            for (const WardCampaign* c : campaigns) listed.push_back(campaign_json(*c));
            json line = {{"ward", ward},
                         {"last_heard", heard ? json(rows.text(i, 5)) : json(nullptr)},
                         {"seconds_ago", heard ? json(rows.int64(i, 3)) : json(nullptr)},
                         {"silent", silent},
                         {"campaigns", std::move(listed)},
                         {"held", held},
                         {"waiting", waiting.empty() ? json(nullptr) : json(std::stoll(waiting))},
                         {"daemon", daemon.is_null() ? json(nullptr) : daemon},
                         {"sync", sync.is_null() ? json(nullptr) : sync}};
            out << line.dump() << '\n';
            continue;
        }
        const std::string ago = heard ? rows.text(i, 3) + "s" + (silent ? " SILENT" : "") : "-";
        table.add_row({ward, heard ? rows.text(i, 2) : "never", ago, std::to_string(held),
                       or_dash(waiting), or_dash(on_air_text(daemon)), or_dash(next_text(daemon)),
                       or_dash(faults_text(daemon)), or_dash(sync_text(sync)),
                       or_dash(campaigns_text(campaigns))});
    }
    if (!as_json) {
        if (table.empty()) {
            out << "no wards in the district's store yet (wardcast-district add-ward adds one)\n";
        } else {
            table.print(out);
        }
        for (const WardCampaign* c : troubles) {
            out << '\n'
                << c->ward << (c->state == "refused" ? " refused" : " could not install")
                << " campaign " << c->campaign << " version " << c->version << " (reported "
                << c->reported_at << "):\n";
            for (const std::string& line : c->errors) out << "  " << line << '\n';
        }
        for (const WardCampaign& c : all_campaigns) {
            if (c.state != "installed" || c.warnings.empty()) continue;
            out << '\n'
                << c.ward << " installed campaign " << c.campaign << " version " << c.version
                << " with warnings:\n";
            for (const std::string& line : c.warnings) out << "  " << line << '\n';
        }
    }
    return 0;
}

}  // namespace wardcast::district
