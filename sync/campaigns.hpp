#pragma once
// The campaign part of wardcast-sync's round (SPEC §9): the campaign files the district assigns
// to this ward, with their audio, installed under the campaigns folder (which the ward's
// schedule includes), checked with the ward's whole schedule by the same engine as
// `wardcastctl validate`, and put in force by asking wardcastd to reload. A campaign that
// would break the ward's schedule is refused and the previous version stays in place; every
// outcome is reported to the district.
//
// The folder, DIR (default /var/lib/wardcast-sync/campaigns), holds one folder per campaign:
//   DIR/<id>/<id>.yaml          the campaign file, byte for byte as published
//   DIR/<id>/<audio paths>      each audio file it names, at the relative path it names
//   DIR/<id>/.wardcast-campaign.json   what is installed: {"id", "version", "sha256",
//       "audio": [{"path", "sha256"}], "schedule_sha256", "warnings"}; schedule_sha256 (the
//       schedule wardcastd put in force with it) is "" until wardcastd has reloaded with it
// The ward's schedule takes them with `include: [DIR/*/*.yaml]`. Files starting with '.' in
// DIR are the sync's own (DIR/.staging, DIR/.check); wardcastd never reads them: the glob's
// '*' does not match them.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "schedules/validator.hpp"

namespace wardcast::sync {

/// An audio file a campaign file names (its `audio:` lists and `chime:` fields).
struct CampaignAudio {
    std::string path;    ///< as the file names it: relative, inside the campaign's folder
    std::string sha256;  ///< of its bytes, hex
    std::int64_t size = 0;
};

/// One version of a campaign, as the district stores it.
struct CampaignFile {
    std::string id;  ///< the campaign's id: [a-z0-9][a-z0-9._-]*
    std::int64_t version = 0;
    std::string sha256;  ///< of `text`
    std::string text;    ///< the `announcements:` file, byte for byte
    std::vector<CampaignAudio> audio;
};

/// What the district asks of this ward for one campaign: the version to have installed, or
/// that it be removed (withdrawn; `version` is then the last version assigned).
struct Assignment {
    std::string id;
    std::int64_t version = 0;
    bool withdrawn = false;
    /// The version's file's SHA-256 when the district gives it: an installed copy with the
    /// same id and version but another hash is installed again. "" = not compared.
    std::string sha256;
};

/// What a ward did with a campaign version, as reported to the district.
enum class CampaignState {
    installed,  ///< in place and in force (wardcastd reloaded with it)
    refused,    ///< the ward's schedule with it has errors: the previous version stays
    failed,     ///< could not be fetched, written or put in force: retried every round
    withdrawn,  ///< removed from the ward, wardcastd reloaded without it
};

/// "installed", "refused", "failed", "withdrawn".
const char* state_name(CampaignState state);
/// The state named so, or nullopt.
std::optional<CampaignState> parse_state(const std::string& name);

struct CampaignReport {
    std::string id;
    std::int64_t version = 0;
    CampaignState state = CampaignState::failed;
    /// refused: every error line of the check ("FILE:LINE:COLUMN: error: …", with the files'
    /// paths as installed); failed: the reason, one line.
    std::vector<std::string> errors;
    std::vector<std::string> warnings;  ///< installed: the check's warnings (collisions)
    std::string schedule_sha256;        ///< installed/withdrawn: wardcastd's schedule now in force
    /// The SHA-256 of the ward's main schedule file when checked: a refused version is
    /// checked again once the ward's own schedule changes.
    std::string checked_against;
};

/// The district's side, for this ward's login. Every call throws std::runtime_error (one line)
/// when the district cannot be reached or fails.
class CampaignSource {
  public:
    virtual ~CampaignSource() = default;
    /// For every campaign ever assigned to this ward, the latest assignment.
    virtual std::vector<Assignment> assignments() = 0;
    /// A version's file and the list of its audio.
    virtual CampaignFile file(const std::string& id, std::int64_t version) = 0;
    /// The bytes stored under `sha256` (not checked here: the caller checks them).
    virtual std::string audio(const std::string& sha256) = 0;
    /// The latest report this ward sent for each campaign (any version).
    virtual std::vector<CampaignReport> reports() = 0;
    /// Records a report.
    virtual void report(const CampaignReport& report) = 0;
};

/// What the installer needs of wardcastd.
class Daemon {
  public:
    virtual ~Daemon() = default;
    struct Reload {
        bool ok = false;
        std::string sha256;               ///< ok: the schedule now in force
        std::vector<std::string> errors;  ///< not ok: the daemon's error lines, or why it did
                                          ///< not answer (one line)
        bool unreachable = false;         ///< the daemon did not answer at all
    };
    /// The schedule file wardcastd runs (its status's schedule_path); nullopt when it does not
    /// answer.
    virtual std::optional<std::filesystem::path> schedule_path() = 0;
    /// Asks wardcastd to reload and waits for its answer.
    virtual Reload reload() = 0;
};

/// wardcastd over its control socket (ctl::Client).
class SocketDaemon : public Daemon {
  public:
    explicit SocketDaemon(std::string socket);
    std::optional<std::filesystem::path> schedule_path() override;
    Reload reload() override;

  private:
    std::string socket_;
};

/// What one campaign round did.
struct CampaignRound {
    std::vector<CampaignReport> reported;  ///< sent to the district this round, in order
    /// Every assignment is handled: installed, refused (and not to be checked again yet) or
    /// withdrawn as the district asks, and reported. False when something failed (retried).
    bool all_handled = true;
    std::string error;  ///< the first failure, one line ("" when none)
};

class CampaignInstaller {
  public:
    /// Installs under `dir` (created at each round when missing, with mode 0750: wardcastd's
    /// group reads it; files are written 0640); `schedule` overrides the schedule path
    /// wardcastd reports. `audio` measures audio and speech for the check
    /// (audio::AudioLibrary in the program). Does not touch the disk.
    CampaignInstaller(std::filesystem::path dir, std::optional<std::filesystem::path> schedule,
                      Daemon& daemon, schedules::AudioLengths& audio);

    /// Brings the folder to what the district assigns: for each assignment whose version is
    /// not installed (nor refused against the ward's current schedule): fetch the file and
    /// the audio it lacks (each checked against its hash), stage them (written, fsynced),
    /// check the ward's whole schedule as it would be, and when it has no error put the new
    /// folder in place (rename), ask wardcastd to reload, and report installed; otherwise
    /// leave the previous version in place and report refused with every error line. A
    /// withdrawn campaign is removed, wardcastd reloaded, and withdrawn reported. Withdrawals
    /// are handled first, then the other assignments in the district's order, one campaign at
    /// a time (each checked with what is installed by then). A report identical to the
    /// district's latest (a failure that persists) is not sent again. Throws
    /// std::runtime_error only when the district cannot be reached (what the source throws:
    /// the caller retries; what was put in place is reported at the next round).
    CampaignRound round(CampaignSource& source);

  private:
    std::filesystem::path dir_;
    std::optional<std::filesystem::path> schedule_;
    Daemon& daemon_;
    schedules::AudioLengths& audio_;
};

}  // namespace wardcast::sync
