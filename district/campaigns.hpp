#pragma once
// Campaigns (SPEC §9): the district's operators publish `announcements:` files and their audio
// for the wards (`wardcast-district campaign add/list/withdraw`); each ward's wardcast-sync
// installs them and reports what it did. docs/district.md "Publishing a campaign".

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "district/pg.hpp"
#include "schedules/diagnostic.hpp"
#include "schedules/validator.hpp"

namespace wardcast::district {

/// Audio is stored in chunks of this many bytes (the last may be shorter).
inline constexpr std::size_t audio_chunk_bytes = 1024 * 1024;

/// Whether `id` may name a campaign: 1 to 64 of [a-z0-9._-], beginning with a letter or digit.
bool valid_campaign_id(std::string_view id) noexcept;

/// A campaign file checked alone, as far as it can be without a ward's schedule.
struct CheckedCampaign {
    std::string id;         ///< the campaign's id (the file's name without .yaml, or given)
    std::string file_name;  ///< the file's own name
    std::string text;       ///< byte for byte
    std::string sha256;     ///< of text
    struct Audio {
        std::string path;            ///< relative to the campaign file's folder, as stored
        std::filesystem::path file;  ///< where it is on this machine
    };
    std::vector<Audio> audio;            ///< every audio file and chime it names, once each, sorted
    schedules::Diagnostics diagnostics;  ///< the campaign file's errors and warnings
    bool ok() const noexcept { return !schedules::has_errors(diagnostics); }
};

/// Reads and checks `file` as an included file of a schedule that has every zone it names and
/// no quiet hours or holidays: syntax, keys, types, times and dates, duplicate ids, audio
/// present and decodable, speech that can be synthesized, and collisions among its own
/// announcements (warnings). Audio must lie inside the file's folder (a campaign travels with
/// its own audio folder). `id` overrides the id taken from the file's name. Throws
/// std::invalid_argument (one line) when the file cannot be read or the id is not valid.
CheckedCampaign check_campaign(const std::filesystem::path& file,
                               const std::optional<std::string>& id,
                               schedules::AudioLengths& audio);

/// What `campaign add` stored.
struct Published {
    std::string id;
    int version = 0;
    bool new_version = false;          ///< false: the same file and audio as the latest version
    std::vector<std::string> wards;    ///< assigned now (those that had it already are left out)
    std::vector<std::string> already;  ///< asked for but had this version already
    int audio_files = 0, audio_new = 0;
    std::int64_t bytes_new = 0;
};

/// Stores `checked` (which must be ok()) and its audio, by SHA-256, and assigns it to `wards`
/// (every ward when empty), in one transaction. Same text and audio as the campaign's latest
/// version: that version is assigned, no new one is made. Throws std::runtime_error for an
/// unknown ward or when the store refuses (a role that may not publish: "permission denied").
Published publish_campaign(pg::Connection& conn, const CheckedCampaign& checked,
                           const std::vector<std::string>& wards);

/// A ward's state for one campaign: the latest assignment and the latest report.
struct WardCampaign {
    std::string ward, campaign;
    int version = 0;  ///< assigned
    bool withdrawn = false;
    std::string assigned_at;  ///< UTC, ISO 8601
    /// "installed", "refused", "failed", "withdrawn" for the assigned version; "pending" when
    /// the ward has not reported on it yet ("withdrawing" for a withdrawal).
    std::string state;
    std::optional<int> reported_version;  ///< of the latest report, any version
    std::string reported_state;           ///< of the latest report ("" when none)
    std::vector<std::string> errors, warnings;
    std::string schedule_sha256;
    std::string reported_at;  ///< UTC, ISO 8601, when the district received it
};

/// Every ward's state for every campaign ever assigned to it, by campaign then ward.
std::vector<WardCampaign> ward_campaigns(pg::Connection& conn);

/// `campaign add FILE [--ward W]... [--id ID]`: exit 1 (errors to `err`, as `wardcastctl
/// validate` prints them) when the file has errors; warnings go to `err` too.
int run_campaign_add(const std::string& conninfo, const std::filesystem::path& file,
                     const std::optional<std::string>& id, const std::vector<std::string>& wards,
                     schedules::AudioLengths& audio, std::ostream& out, std::ostream& err);

/// `campaign list [--json]`: every campaign, its latest version and each ward's state.
int run_campaign_list(const std::string& conninfo, bool as_json, std::ostream& out);

/// `campaign withdraw ID [--ward W]...`: from the given wards (default every ward that has it).
int run_campaign_withdraw(const std::string& conninfo, const std::string& id,
                          const std::vector<std::string>& wards, std::ostream& out);

}  // namespace wardcast::district
