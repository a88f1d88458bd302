#include "district/campaigns.hpp"

#include <stdlib.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "common/private_dir.hpp"
#include "common/sha256.hpp"
#include "ctl/table.hpp"
#include "district/schema.hpp"
#include "district/status.hpp"
#include "schedules/loader.hpp"

namespace wardcast::district {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kApplicationName = "wardcast-district";
// Publishing one campaign at a time: versions are numbered under this advisory lock.
constexpr const char* kPublishLock = "1464029251";

std::string read_whole(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::invalid_argument("cannot read the campaign file " + file.string());
    std::ostringstream text;
    text << in.rdbuf();
    if (!in.good() && !in.eof())
        throw std::invalid_argument("cannot read the campaign file " + file.string());
    return text.str();
}

// Every zone id the campaign's announcements name (a ward's schedule defines them): the check
// gives the stand-in schedule exactly these, so no zone is unknown. A file that does not parse
// names none (the loader reports why).
std::vector<std::string> zones_named(const std::string& text) {
    std::set<std::string> zones;
    try {
        const YAML::Node root = YAML::Load(text);
        if (root.IsMap() && root["announcements"] && root["announcements"].IsSequence()) {
            for (const YAML::Node& a : root["announcements"]) {
                if (!a.IsMap() || !a["zones"] || !a["zones"].IsSequence()) continue;
                for (const YAML::Node& z : a["zones"])
                    if (z.IsScalar() && !z.Scalar().empty()) zones.insert(z.Scalar());
            }
        }
    } catch (const YAML::Exception&) {
    }
    if (zones.empty()) zones.insert("all");
    return {zones.begin(), zones.end()};
}

// The audio path `file` (resolved against the campaign file's folder `dir`) as stored: relative
// to `dir`, or "" with the reason in `why` when it cannot travel with the campaign.
std::string stored_path(const fs::path& file, const fs::path& dir, std::string& why) {
    const fs::path rel = file.lexically_normal().lexically_relative(dir.lexically_normal());
    if (rel.empty() || rel.is_absolute() || *rel.begin() == "..") {
        why =
            "is outside the campaign file's folder: a campaign takes its audio with it, in "
            "its folder or below";
        return "";
    }
    for (const fs::path& part : rel) {
        if (!part.empty() && part.string().front() == '.') {
            why = "has a name beginning with '.', which a ward cannot install";
            return "";
        }
    }
    return rel.generic_string();
}

std::string utc_text(const char* column) {
    return std::string("to_char(") + column +
           " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";
}

std::vector<std::string> string_list(const std::string& text) {
    std::vector<std::string> out;
    const json list = json::parse(text, nullptr, false);
    if (!list.is_array()) return out;
    for (const json& item : list)
        if (item.is_string()) out.push_back(item.get<std::string>());
    return out;
}

std::string join(const std::vector<std::string>& items, const std::string& separator = ", ") {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
    return out;
}

std::vector<std::string> all_wards(pg::Connection& conn, const std::string& what) {
    const pg::Result rows = conn.exec("SELECT name FROM public.wards ORDER BY name", {}, what);
    std::vector<std::string> out;
    for (int i = 0; i < rows.rows(); ++i) out.push_back(rows.text(i, 0));
    return out;
}

// `asked` checked against the store's wards; every ward when empty.
std::vector<std::string> chosen_wards(pg::Connection& conn, const std::vector<std::string>& asked,
                                      const std::string& what) {
    const std::vector<std::string> known = all_wards(conn, what);
    if (known.empty())
        throw std::runtime_error(what +
                                 ": the district's store has no wards yet "
                                 "(wardcast-district add-ward adds one)");
    if (asked.empty()) return known;
    std::vector<std::string> out;
    for (const auto& ward : asked) {
        if (std::find(known.begin(), known.end(), ward) == known.end())
            throw std::runtime_error(what + ": there is no ward " + ward +
                                     " in the district's store (wards: " + join(known) + ")");
        if (std::find(out.begin(), out.end(), ward) == out.end()) out.push_back(ward);
    }
    return out;
}

// Stores the audio `a` unless the store holds its SHA-256 already; returns the bytes stored.
std::int64_t store_audio(pg::Connection& conn, const CheckedCampaign::Audio& a,
                         const std::string& sha256, const std::string& what) {
    if (conn.exec("SELECT 1 FROM public.campaign_audio WHERE sha256 = $1", {sha256}, what).rows() >
        0)
        return 0;
    std::ifstream in(a.file, std::ios::binary);
    if (!in) throw std::runtime_error(what + ": cannot read " + a.file.string());
    std::error_code ec;
    const auto size = static_cast<std::int64_t>(fs::file_size(a.file, ec));
    if (ec) throw std::runtime_error(what + ": cannot read " + a.file.string());
    const auto chunks =
        static_cast<std::int64_t>((size + audio_chunk_bytes - 1) / audio_chunk_bytes);
    conn.exec("INSERT INTO public.campaign_audio (sha256, size, chunks) VALUES ($1, $2, $3)",
              {sha256, std::to_string(size), std::to_string(chunks)}, what);
    std::string chunk(audio_chunk_bytes, '\0');
    std::string all;  // to check what was sent is what was hashed
    all.reserve(static_cast<std::size_t>(size));
    for (std::int64_t n = 0; n < chunks; ++n) {
        in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
        const auto got = static_cast<std::size_t>(in.gcount());
        const std::string_view bytes(chunk.data(), got);
        all.append(bytes);
        conn.exec_with_bytes(
            "INSERT INTO public.campaign_audio_chunks (sha256, n, data) VALUES ($1, $2, $3)",
            {sha256, std::to_string(n)}, bytes, what);
    }
    if (static_cast<std::int64_t>(all.size()) != size || sha256_hex(all) != sha256)
        throw std::runtime_error(what + ": " + a.file.string() +
                                 " changed while it was being published; publish again");
    return size;
}

}  // namespace

bool valid_campaign_id(std::string_view id) noexcept {
    if (id.empty() || id.size() > 64) return false;
    const auto ok = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
    if (!ok(id.front())) return false;
    return std::all_of(id.begin(), id.end(),
                       [&](char c) { return ok(c) || c == '.' || c == '_' || c == '-'; });
}

CheckedCampaign check_campaign(const fs::path& file, const std::optional<std::string>& id,
                               schedules::AudioLengths& audio) {
    CheckedCampaign c;
    c.file_name = file.filename().string();
    c.id = id ? *id : file.stem().string();
    if (!valid_campaign_id(c.id)) {
        throw std::invalid_argument(
            "campaign id \"" + c.id + "\"" + (id ? "" : " (from the file's name)") +
            " is not valid: use 1 to 64 lowercase letters, digits, '.', '_' and '-', beginning "
            "with a letter or digit" +
            (id ? "" : ", or give --id"));
    }
    c.text = read_whole(file);
    c.sha256 = sha256_hex(c.text);
    std::error_code ec;
    const fs::path absolute = fs::weakly_canonical(fs::absolute(file), ec);

    // A stand-in ward: every zone the campaign names, no quiet hours, no holidays, the
    // campaign as its one included file.
    PrivateDir dir("wardcast-campaign");
    const fs::path main = dir.path() / "schedule.yaml";
    {
        std::ofstream out(main);
        out << "version: 1\nzones:\n";
        for (const auto& zone : zones_named(c.text))
            out << "  - { id: " << json(zone).dump() << ", output: \"null\" }\n";
        out << "include: [" << json(absolute.string()).dump() << "]\n";
        if (!out) throw std::runtime_error("cannot write " + main.string());
    }
    schedules::CheckedSchedule checked = schedules::check_schedule(
        main, audio,
        std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()));

    const std::string shown = file.string();
    for (schedules::Diagnostic d : checked.diagnostics) {
        if (d.where.file == absolute.string()) {
            d.where.file = shown;
        } else if (d.severity == schedules::Diagnostic::Severity::error) {
            d.where = {shown, 0, 0};  // the stand-in's own: only ever about the campaign
        } else {
            continue;
        }
        c.diagnostics.push_back(std::move(d));
    }
    std::size_t announcements = 0;
    std::map<std::string, fs::path> paths;
    const fs::path folder = absolute.parent_path();
    const auto add = [&](const schedules::AudioRef& ref) {
        std::string why;
        const std::string stored = stored_path(ref.path, folder, why);
        if (stored.empty()) {
            c.diagnostics.push_back({schedules::Diagnostic::Severity::error,
                                     {shown, ref.mark.line, ref.mark.column},
                                     "audio '" + ref.written + "' " + why});
            return;
        }
        paths.emplace(stored, ref.path);
    };
    for (const auto& a : checked.load.schedule.announcements) {
        if (a.file != absolute.string()) continue;
        ++announcements;
        for (const auto& ref : a.audio) add(ref);
        if (a.chime) add(*a.chime);
    }
    if (announcements == 0 && c.ok()) {
        c.diagnostics.push_back({schedules::Diagnostic::Severity::error,
                                 {shown, 1, 1},
                                 "a campaign file needs at least one entry under "
                                 "'announcements:'"});
    }
    for (const auto& [stored, where] : paths) c.audio.push_back({stored, where});
    std::stable_sort(c.diagnostics.begin(), c.diagnostics.end(),
                     [](const schedules::Diagnostic& a, const schedules::Diagnostic& b) {
                         return std::pair(a.where.line, a.where.column) <
                                std::pair(b.where.line, b.where.column);
                     });
    return c;
}

Published publish_campaign(pg::Connection& conn, const CheckedCampaign& checked,
                           const std::vector<std::string>& wards) {
    if (!checked.ok()) throw std::logic_error("publish_campaign: the campaign has errors");
    require_current_schema(conn);
    const std::string what = "cannot publish campaign " + checked.id;
    pg::Transaction tx(conn, what);
    conn.exec("SELECT pg_advisory_xact_lock(" + std::string(kPublishLock) + ", hashtext($1))",
              {checked.id}, what);
    Published p;
    p.id = checked.id;
    const std::vector<std::string> targets = chosen_wards(conn, wards, what);

    std::vector<std::pair<std::string, std::string>> audio;  // stored path, sha256
    for (const auto& a : checked.audio) {
        const auto sha = sha256_file(a.file);
        if (!sha) throw std::runtime_error(what + ": cannot read " + a.file.string());
        audio.emplace_back(a.path, *sha);
        const std::int64_t stored = store_audio(conn, a, *sha, what);
        if (stored > 0) {
            p.bytes_new += stored;
            ++p.audio_new;
        }
    }
    p.audio_files = static_cast<int>(audio.size());

    const pg::Result latest = conn.exec(
        "SELECT version, sha256 FROM public.campaign_files WHERE campaign = $1"
        " ORDER BY version DESC LIMIT 1",
        {checked.id}, what);
    bool same = false;
    if (latest.rows() > 0 && latest.text(0, 1) == checked.sha256) {
        const pg::Result held = conn.exec(
            "SELECT path, sha256 FROM public.campaign_file_audio"
            " WHERE campaign = $1 AND version = $2 ORDER BY path",
            {checked.id, latest.text(0, 0)}, what);
        same = held.rows() == static_cast<int>(audio.size());
        for (int i = 0; same && i < held.rows(); ++i)
            same = held.text(i, 0) == audio[i].first && held.text(i, 1) == audio[i].second;
    }
    if (same) {
        p.version = static_cast<int>(latest.int64(0, 0));
    } else {
        p.new_version = true;
        p.version = latest.rows() > 0 ? static_cast<int>(latest.int64(0, 0)) + 1 : 1;
        const std::string version = std::to_string(p.version);
        conn.exec(
            "INSERT INTO public.campaign_files (campaign, version, file_name, sha256, text)"
            " VALUES ($1, $2, $3, $4, $5)",
            {checked.id, version, checked.file_name, checked.sha256, checked.text}, what);
        for (const auto& [path, sha] : audio) {
            conn.exec(
                "INSERT INTO public.campaign_file_audio (campaign, version, path, sha256)"
                " VALUES ($1, $2, $3, $4)",
                {checked.id, version, path, sha}, what);
        }
    }
    const std::string version = std::to_string(p.version);
    for (const auto& ward : targets) {
        const pg::Result held = conn.exec(
            "SELECT version, withdrawn FROM public.campaign_assignments"
            " WHERE ward = $1 AND campaign = $2 ORDER BY id DESC LIMIT 1",
            {ward, checked.id}, what);
        if (held.rows() > 0 && held.text(0, 0) == version && held.text(0, 1) == "f") {
            p.already.push_back(ward);
            continue;
        }
        conn.exec(
            "INSERT INTO public.campaign_assignments (campaign, version, ward) VALUES ($1, $2, $3)",
            {checked.id, version, ward}, what);
        p.wards.push_back(ward);
    }
    tx.commit();
    return p;
}

std::vector<WardCampaign> ward_campaigns(pg::Connection& conn) {
    const pg::Result rows = conn.exec(
        "SELECT a.ward, a.campaign, a.version, a.withdrawn, " + utc_text("a.assigned_at") +
            ", r.version, r.state, r.errors::text, r.warnings::text, r.schedule_sha256, " +
            utc_text("r.received_at") +
            " FROM (SELECT DISTINCT ON (ward, campaign) * FROM public.campaign_assignments"
            "       ORDER BY ward, campaign, id DESC) a"
            " LEFT JOIN LATERAL (SELECT * FROM public.campaign_reports r"
            "   WHERE r.ward = a.ward AND r.campaign = a.campaign ORDER BY id DESC LIMIT 1) r"
            "   ON true"
            " ORDER BY a.campaign, a.ward",
        {}, "reading the campaigns' state");
    std::vector<WardCampaign> out;
    for (int i = 0; i < rows.rows(); ++i) {
        WardCampaign w;
        w.ward = rows.text(i, 0);
        w.campaign = rows.text(i, 1);
        w.version = static_cast<int>(rows.int64(i, 2));
        w.withdrawn = rows.text(i, 3) == "t";
        w.assigned_at = rows.text(i, 4);
        if (!rows.is_null(i, 5)) {
            w.reported_version = static_cast<int>(rows.int64(i, 5));
            w.reported_state = rows.text(i, 6);
            w.errors = string_list(rows.text(i, 7));
            w.warnings = string_list(rows.text(i, 8));
            w.schedule_sha256 = rows.text(i, 9);
            w.reported_at = rows.text(i, 10);
        }
        if (w.withdrawn) {
            w.state = w.reported_state == "withdrawn" ? "withdrawn" : "withdrawing";
        } else if (w.reported_version == w.version && w.reported_state != "withdrawn") {
            w.state = w.reported_state;
        } else {
            w.state = "pending";
        }
        out.push_back(std::move(w));
    }
    return out;
}

int run_campaign_add(const std::string& conninfo, const fs::path& file,
                     const std::optional<std::string>& id, const std::vector<std::string>& wards,
                     schedules::AudioLengths& audio, std::ostream& out, std::ostream& err) {
    const CheckedCampaign checked = check_campaign(file, id, audio);
    for (const auto& d : checked.diagnostics) err << d.to_string() << '\n';
    if (!checked.ok()) {
        std::size_t errors = 0;
        for (const auto& d : checked.diagnostics)
            errors += d.severity == schedules::Diagnostic::Severity::error ? 1 : 0;
        err << file.string() << ": " << errors << (errors == 1 ? " error" : " errors")
            << "; nothing was published\n";
        return 1;
    }
    pg::Connection conn(conninfo, kApplicationName);
    const Published p = publish_campaign(conn, checked, wards);
    out << "campaign " << p.id << " version " << p.version
        << (p.new_version ? " published" : " (the same file and audio as before)");
    if (p.wards.empty()) {
        out << "; every ward asked for has this version already (" << join(p.already)
            << "): nothing to do\n";
        return 0;
    } else {
        out << " for " << p.wards.size() << (p.wards.size() == 1 ? " ward" : " wards") << ": "
            << join(p.wards);
        if (!p.already.empty()) out << " (" << join(p.already) << " had it already)";
        out << "\n";
    }
    std::ostringstream size;
    size.precision(1);
    if (p.bytes_new >= 1000000)
        size << std::fixed << static_cast<double>(p.bytes_new) / 1e6 << " MB";
    else
        size << (p.bytes_new + 999) / 1000 << " kB";
    out << p.audio_files << (p.audio_files == 1 ? " audio file" : " audio files") << ", "
        << p.audio_new << " new (" << size.str() << " stored); the wards install it at their "
        << "next round (wardcast-district status shows how it went)\n";
    return 0;
}

int run_campaign_list(const std::string& conninfo, bool as_json, std::ostream& out) {
    pg::Connection conn(conninfo, kApplicationName);
    require_current_schema(conn);
    set_wards_time_zone(conn);
    const pg::Result files = conn.exec(
        "SELECT f.campaign, f.version, f.file_name, to_char(f.published_at, "
        "'YYYY-MM-DD HH24:MI'), f.published_by, " +
            utc_text("f.published_at") +
            ", (SELECT count(*) FROM public.campaign_file_audio fa"
            "   WHERE fa.campaign = f.campaign AND fa.version = f.version)"
            " FROM (SELECT DISTINCT ON (campaign) * FROM public.campaign_files"
            "       ORDER BY campaign, version DESC) f ORDER BY f.campaign",
        {}, "reading the campaigns");
    const std::vector<WardCampaign> states = ward_campaigns(conn);
    ctl::Table table({"CAMPAIGN", "VERSION", "FILE", "PUBLISHED", "BY", "WARDS"});
    for (int i = 0; i < files.rows(); ++i) {
        const std::string campaign = files.text(i, 0);
        std::vector<std::string> cells;
        json wards = json::array();
        for (const auto& w : states) {
            if (w.campaign != campaign) continue;
            cells.push_back(w.ward + " v" + std::to_string(w.version) + " " + w.state);
            wards.push_back({{"ward", w.ward},
                             {"version", w.version},
                             {"state", w.state},
                             {"errors", w.errors}});
        }
        if (as_json) {
            out << json{{"campaign", campaign},
                        {"version", files.int64(i, 1)},
                        {"file", files.text(i, 2)},
                        {"published_at", files.text(i, 5)},
                        {"published_by", files.text(i, 4)},
                        {"audio_files", files.int64(i, 6)},
                        {"wards", wards}}
                       .dump()
                << '\n';
            continue;
        }
        table.add_row({campaign, files.text(i, 1), files.text(i, 2), files.text(i, 3),
                       files.text(i, 4), cells.empty() ? "-" : join(cells)});
    }
    if (!as_json) {
        if (table.empty())
            out << "no campaigns in the district's store yet (wardcast-district campaign add "
                   "publishes one)\n";
        else
            table.print(out);
    }
    return 0;
}

int run_campaign_withdraw(const std::string& conninfo, const std::string& id,
                          const std::vector<std::string>& wards, std::ostream& out) {
    pg::Connection conn(conninfo, kApplicationName);
    require_current_schema(conn);
    const std::string what = "cannot withdraw campaign " + id;
    pg::Transaction tx(conn, what);
    conn.exec("SELECT pg_advisory_xact_lock(" + std::string(kPublishLock) + ", hashtext($1))", {id},
              what);
    if (conn.exec("SELECT 1 FROM public.campaign_files WHERE campaign = $1", {id}, what).rows() ==
        0)
        throw std::runtime_error(what + ": there is no such campaign (campaign list shows them)");
    const std::vector<std::string> asked =
        wards.empty() ? std::vector<std::string>{} : chosen_wards(conn, wards, what);
    const pg::Result held = conn.exec(
        "SELECT ward, version FROM (SELECT DISTINCT ON (ward) ward, version, withdrawn"
        " FROM public.campaign_assignments WHERE campaign = $1 ORDER BY ward, id DESC) a"
        " WHERE NOT withdrawn ORDER BY ward",
        {id}, what);
    std::vector<std::string> done;
    for (int i = 0; i < held.rows(); ++i) {
        const std::string ward = held.text(i, 0);
        if (!asked.empty() && std::find(asked.begin(), asked.end(), ward) == asked.end()) continue;
        conn.exec(
            "INSERT INTO public.campaign_assignments (campaign, version, ward, withdrawn)"
            " VALUES ($1, $2, $3, true)",
            {id, held.text(i, 1), ward}, what);
        done.push_back(ward);
    }
    tx.commit();
    if (done.empty()) {
        out << "campaign " << id << " is not assigned to "
            << (asked.empty() ? "any ward" : join(asked)) << "; nothing to withdraw\n";
    } else {
        out << "campaign " << id << " withdrawn from " << done.size()
            << (done.size() == 1 ? " ward" : " wards") << ": " << join(done)
            << "; each removes it at its next round\n";
    }
    return 0;
}

}  // namespace wardcast::district
