// wardcast-sync's campaign installer against an in-memory district and a wardcastd stand-in that
// reloads as wardcastd does (the same check of the real schedule files, no redirect): real WAV
// audio measured by audio::AudioLibrary, real folders, renames and hard links.

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "audio/audio_library.hpp"
#include "common/sha256.hpp"
#include "schedules/bundle.hpp"
#include "schedules/validator.hpp"
#include "sync/campaigns.hpp"
#include "tests/audio/wav_fixtures.hpp"
#include "tests/schedules/schedule_files.hpp"

namespace fs = std::filesystem;
using namespace wardcast;
using sync::CampaignState;

namespace {

std::string read_all(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

void write_text(const fs::path& file, const std::string& text) {
    std::ofstream out(file, std::ios::binary);
    out << text;
    REQUIRE(out);
}

unsigned mode_of(const fs::path& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

ino_t inode_of(const fs::path& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_ino;
}

// The district, in memory: what it assigns, stores and was told.
class FakeSource : public sync::CampaignSource {
  public:
    std::vector<sync::Assignment> assigned;
    std::map<std::pair<std::string, std::int64_t>, sync::CampaignFile> files;
    std::map<std::string, std::string> blobs;  // sha256 -> bytes
    std::vector<sync::CampaignReport> sent;    // every report, in order
    std::vector<std::string> fetched;          // audio asked for, by sha256

    std::vector<sync::Assignment> assignments() override { return assigned; }
    sync::CampaignFile file(const std::string& id, std::int64_t version) override {
        return files.at({id, version});
    }
    std::string audio(const std::string& sha256) override {
        fetched.push_back(sha256);
        return blobs.at(sha256);
    }
    std::vector<sync::CampaignReport> reports() override {
        std::map<std::string, sync::CampaignReport> latest;
        for (const auto& r : sent) latest[r.id] = r;
        std::vector<sync::CampaignReport> out;
        for (auto& [id, r] : latest) out.push_back(r);
        return out;
    }
    void report(const sync::CampaignReport& r) override { sent.push_back(r); }

    // Stores a version with its audio (name -> bytes) and assigns it.
    void publish(const std::string& id, std::int64_t version, const std::string& text,
                 const std::map<std::string, std::string>& audio) {
        sync::CampaignFile f{id, version, sha256_hex(text), text, {}};
        for (const auto& [path, bytes] : audio) {
            f.audio.push_back({path, sha256_hex(bytes), static_cast<std::int64_t>(bytes.size())});
            blobs[sha256_hex(bytes)] = bytes;
        }
        files[{id, version}] = f;
        assign(id, version, false);
    }
    void assign(const std::string& id, std::int64_t version, bool withdrawn) {
        std::erase_if(assigned, [&](const sync::Assignment& a) { return a.id == id; });
        assigned.push_back({id, version, withdrawn, ""});
    }
};

// wardcastd as far as the installer sees it: a reload reads the real schedule files with the
// same check wardcastd runs and puts them in force when they have no error.
class FakeDaemon : public sync::Daemon {
  public:
    FakeDaemon(fs::path schedule, schedules::AudioLengths& audio)
        : schedule_(std::move(schedule)), audio_(audio) {}
    bool answers = true;
    std::vector<std::string> refuse_with;  // when set, the reload is refused with these lines
    int reloads = 0;
    std::string in_force;                  // the sha256 of what is in force
    std::vector<fs::path> in_force_files;  // its files

    std::optional<fs::path> schedule_path() override {
        return answers ? std::optional<fs::path>(schedule_) : std::nullopt;
    }
    Reload reload() override {
        Reload r;
        if (!answers) {
            r.unreachable = true;
            r.errors = {"cannot reach wardcastd at /run/wardcast/control.sock: no such file"};
            return r;
        }
        ++reloads;
        if (!refuse_with.empty()) {
            r.errors = refuse_with;
            return r;
        }
        const auto checked = schedules::check_schedule(schedule_, audio_, std::nullopt);
        for (const auto& d : checked.diagnostics)
            if (d.severity == schedules::Diagnostic::Severity::error)
                r.errors.push_back(d.to_string());
        if (!r.errors.empty()) return r;
        r.ok = true;
        in_force_files = checked.load.schedule.files;
        in_force = r.sha256 = sha256_hex(schedules::bundle_from_disk(in_force_files));
        return r;
    }

  private:
    fs::path schedule_;
    schedules::AudioLengths& audio_;
};

const char* kMainSchedule = R"(version: 1
station: { name: "Phường Bồ Đề", timezone: Asia/Ho_Chi_Minh }
zones:
  - { id: all, output: "null" }
quiet_hours:
  - { from: "21:30", to: "05:30" }
include: [campaigns/*/*.yaml]
announcements:
  - id: phuong-sang
    title: "Bản tin sáng"
    audio: [sang.wav]
    at: ["06:00"]
)";

// A campaign file: one announcement `id`-a airing at `at` with the given audio.
std::string campaign_text(const std::string& id, const std::string& at,
                          const std::vector<std::string>& audio) {
    std::string list;
    for (const auto& a : audio) list += (list.empty() ? "" : ", ") + a;
    return "announcements:\n"
           "  - id: " +
           id +
           "-a\n"
           "    title: \"Tiêm chủng\"\n"
           "    at: [\"" +
           at +
           "\"]\n"
           "    audio: [" +
           list + "]\n";
}

struct Ward {
    test::TempDir root;
    fs::path main = root.path() / "schedule.yaml";
    fs::path dir = root.path() / "campaigns";
    audio::AudioLibrary library{root.path() / "cache"};
    FakeDaemon daemon{main, library};
    FakeSource district;
    std::map<int, std::string> tones;  // by length in ms: distinct contents

    explicit Ward(const std::string& schedule = kMainSchedule) {
        write_text(main, schedule);
        test::write_tone(root.path() / "sang.wav", 300);
    }

    // The bytes of a WAV tone `ms` long.
    std::string tone(int ms) {
        if (!tones.count(ms)) {
            const fs::path file = root.path() / ("tone-" + std::to_string(ms) + ".wav");
            test::write_tone(file, ms);
            tones[ms] = read_all(file);
        }
        return tones[ms];
    }

    sync::CampaignRound round(std::optional<fs::path> schedule_override = std::nullopt) {
        sync::CampaignInstaller installer(dir, schedule_override ? schedule_override : main, daemon,
                                          library);
        return installer.round(district);
    }
};

nlohmann::json manifest_of(const fs::path& folder) {
    return nlohmann::json::parse(read_all(folder / ".wardcast-campaign.json"));
}

}  // namespace

TEST_CASE("a new campaign is installed with its audio, wardcastd reloads and it is reported",
          "[campaign-install]") {
    Ward w;
    const std::string text = campaign_text("tiem-chung", "07:00", {"audio/loi-moi.wav"});
    w.district.publish("tiem-chung", 1, text, {{"audio/loi-moi.wav", w.tone(700)}});

    const mode_t before = ::umask(077);  // modes are set whatever the umask
    const sync::CampaignRound r = w.round();
    ::umask(before);

    INFO(r.error);
    CHECK(r.all_handled);
    const fs::path folder = w.dir / "tiem-chung";
    CHECK(read_all(folder / "tiem-chung.yaml") == text);
    CHECK(read_all(folder / "audio/loi-moi.wav") == w.tone(700));
    CHECK(mode_of(w.dir) == 0750);
    CHECK(mode_of(folder) == 0750);
    CHECK(mode_of(folder / "audio") == 0750);
    CHECK(mode_of(folder / "tiem-chung.yaml") == 0640);
    CHECK(mode_of(folder / "audio/loi-moi.wav") == 0640);
    CHECK(mode_of(folder / ".wardcast-campaign.json") == 0640);
    const auto m = manifest_of(folder);
    CHECK(m["id"] == "tiem-chung");
    CHECK(m["version"] == 1);
    CHECK(m["sha256"] == sha256_hex(text));
    CHECK(m["audio"] == nlohmann::json::parse(R"([{"path": "audio/loi-moi.wav", "sha256": ")" +
                                              sha256_hex(w.tone(700)) + "\"}]"));
    CHECK(m["schedule_sha256"] == w.daemon.in_force);
    CHECK_FALSE(fs::exists(w.dir / ".staging" / "tiem-chung"));
    CHECK_FALSE(fs::exists(w.dir / ".check"));

    CHECK(w.daemon.reloads == 1);
    CHECK(std::find(w.daemon.in_force_files.begin(), w.daemon.in_force_files.end(),
                    folder / "tiem-chung.yaml") != w.daemon.in_force_files.end());
    REQUIRE(w.district.sent.size() == 1);
    const auto& report = w.district.sent[0];
    CHECK(report.id == "tiem-chung");
    CHECK(report.version == 1);
    CHECK(report.state == CampaignState::installed);
    CHECK(report.errors.empty());
    CHECK(report.schedule_sha256 == w.daemon.in_force);
    CHECK(report.checked_against == sha256_hex(read_all(w.main)));

    // Nothing to do the next round: no reload, no report.
    const sync::CampaignRound again = w.round();
    CHECK(again.all_handled);
    CHECK(again.reported.empty());
    CHECK(w.daemon.reloads == 1);
}

TEST_CASE("in a setgid campaigns folder everything installed stays in its group (wardcastd's)",
          "[campaign-install]") {
    Ward w;
    // As the package makes it: 2750, group wardcast (here another group than the writer's).
    fs::create_directories(w.dir);
    const gid_t group = ::getegid() == 1 ? 2 : 1;
    REQUIRE(::chown(w.dir.c_str(), static_cast<uid_t>(-1), group) == 0);
    REQUIRE(::chmod(w.dir.c_str(), 02750) == 0);
    const std::string text = campaign_text("tiem-chung", "07:00", {"audio/loi-moi.wav"});
    w.district.publish("tiem-chung", 1, text, {{"audio/loi-moi.wav", w.tone(700)}});
    const sync::CampaignRound r = w.round();
    INFO(r.error);
    REQUIRE(r.all_handled);
    const fs::path folder = w.dir / "tiem-chung";
    for (const fs::path& p :
         {folder, folder / "audio", folder / "tiem-chung.yaml", folder / "audio/loi-moi.wav"}) {
        INFO(p);
        struct stat st {};
        REQUIRE(::stat(p.c_str(), &st) == 0);
        CHECK(st.st_gid == group);
    }
    struct stat st {};
    REQUIRE(::stat(folder.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 02750);
}

TEST_CASE("a new version replaces the old and links the audio it shares with it",
          "[campaign-install]") {
    Ward w;
    w.district.publish("tiem-chung", 1,
                       campaign_text("tiem-chung", "07:00", {"audio/chung.wav", "audio/cu.wav"}),
                       {{"audio/chung.wav", w.tone(500)}, {"audio/cu.wav", w.tone(600)}});
    REQUIRE(w.round().all_handled);
    const fs::path folder = w.dir / "tiem-chung";
    const ino_t shared = inode_of(folder / "audio/chung.wav");
    w.district.fetched.clear();

    const std::string v2 = campaign_text("tiem-chung", "08:00", {"audio/chung.wav", "moi/moi.wav"});
    w.district.publish("tiem-chung", 2, v2,
                       {{"audio/chung.wav", w.tone(500)}, {"moi/moi.wav", w.tone(800)}});
    const sync::CampaignRound r = w.round();
    INFO(r.error);
    CHECK(r.all_handled);
    CHECK(read_all(folder / "tiem-chung.yaml") == v2);
    CHECK_FALSE(fs::exists(folder / "audio/cu.wav"));
    CHECK(read_all(folder / "moi/moi.wav") == w.tone(800));
    CHECK(read_all(folder / "audio/chung.wav") == w.tone(500));
    CHECK(inode_of(folder / "audio/chung.wav") == shared);  // the same file, linked
    CHECK(w.district.fetched == std::vector<std::string>{sha256_hex(w.tone(800))});
    CHECK(manifest_of(folder)["version"] == 2);
    CHECK_FALSE(fs::exists(w.dir / ".staging" / "tiem-chung"));
    REQUIRE(r.reported.size() == 1);
    CHECK(r.reported[0].version == 2);
    CHECK(r.reported[0].state == CampaignState::installed);
    CHECK(r.reported[0].schedule_sha256 == w.daemon.in_force);
}

TEST_CASE(
    "a version that airs in quiet hours is refused and the previous one stays until the "
    "ward's schedule changes",
    "[campaign-install]") {
    Ward w;
    const std::string v1 = campaign_text("tiem-chung", "07:00", {"audio/a.wav"});
    w.district.publish("tiem-chung", 1, v1, {{"audio/a.wav", w.tone(500)}});
    REQUIRE(w.round().all_handled);
    const std::string in_force = w.daemon.in_force;

    w.district.publish("tiem-chung", 2, campaign_text("tiem-chung", "22:00", {"audio/b.wav"}),
                       {{"audio/b.wav", w.tone(600)}});
    const sync::CampaignRound r = w.round();
    CHECK(r.all_handled);  // refused is an answer: nothing to retry
    REQUIRE(r.reported.size() == 1);
    const auto& refused = r.reported[0];
    CHECK(refused.state == CampaignState::refused);
    CHECK(refused.version == 2);
    CHECK(refused.errors ==
          std::vector<std::string>{(w.dir / "tiem-chung/tiem-chung.yaml").string() +
                                   ":4:10: error: announcement 'tiem-chung-a' fires at 22:00, "
                                   "inside quiet hours 21:30-05:30 (only priority emergency may "
                                   "air then)"});
    CHECK(refused.checked_against == sha256_hex(read_all(w.main)));
    CHECK(read_all(w.dir / "tiem-chung/tiem-chung.yaml") == v1);
    CHECK(fs::exists(w.dir / "tiem-chung/audio/a.wav"));
    CHECK_FALSE(fs::exists(w.dir / "tiem-chung/audio/b.wav"));
    CHECK(manifest_of(w.dir / "tiem-chung")["version"] == 1);
    CHECK(w.daemon.reloads == 1);
    CHECK(w.daemon.in_force == in_force);

    // Not checked again while the ward's own schedule is the same.
    w.district.fetched.clear();
    const sync::CampaignRound same = w.round();
    CHECK(same.all_handled);
    CHECK(same.reported.empty());
    CHECK(w.district.fetched.empty());

    // The ward moves its quiet hours: the campaign now fits.
    std::string moved = kMainSchedule;
    moved.replace(moved.find("21:30"), 5, "22:30");
    write_text(w.main, moved);
    const sync::CampaignRound after = w.round();
    INFO(after.error);
    REQUIRE(after.reported.size() == 1);
    CHECK(after.reported[0].state == CampaignState::installed);
    CHECK(after.reported[0].version == 2);
    CHECK(fs::exists(w.dir / "tiem-chung/audio/b.wav"));
    CHECK(w.daemon.reloads == 2);
}

TEST_CASE("audio whose bytes do not match its hash fails, installs nothing and is retried",
          "[campaign-install]") {
    Ward w;
    w.district.publish("tiem-chung", 1, campaign_text("tiem-chung", "07:00", {"audio/a.wav"}),
                       {{"audio/a.wav", w.tone(500)}});
    const std::string sha = sha256_hex(w.tone(500));
    w.district.blobs[sha] = w.tone(600);  // damaged on the way

    const sync::CampaignRound r = w.round();
    CHECK_FALSE(r.all_handled);
    const std::string line =
        "audio audio/a.wav of campaign tiem-chung version 1: the bytes "
        "received hash to " +
        sha256_hex(w.tone(600)) + ", not " + sha + " (retrying)";
    CHECK(r.error == line);
    REQUIRE(r.reported.size() == 1);
    CHECK(r.reported[0].state == CampaignState::failed);
    CHECK(r.reported[0].errors == std::vector<std::string>{line});
    CHECK_FALSE(fs::exists(w.dir / "tiem-chung"));
    CHECK_FALSE(fs::exists(w.dir / ".staging"));  // no working folder left behind
    CHECK(w.daemon.reloads == 0);

    // Still damaged: tried again, the same failure is not reported twice.
    w.district.fetched.clear();
    const sync::CampaignRound again = w.round();
    CHECK_FALSE(again.all_handled);
    CHECK(again.error == line);
    CHECK(again.reported.empty());
    CHECK(w.district.fetched.size() == 1);

    w.district.blobs[sha] = w.tone(500);
    const sync::CampaignRound fixed = w.round();
    INFO(fixed.error);
    CHECK(fixed.all_handled);
    REQUIRE(fixed.reported.size() == 1);
    CHECK(fixed.reported[0].state == CampaignState::installed);
    CHECK(read_all(w.dir / "tiem-chung/audio/a.wav") == w.tone(500));
}

TEST_CASE("a withdrawn campaign is removed, wardcastd reloads without it, and it is reported",
          "[campaign-install]") {
    Ward w;
    w.district.publish("tiem-chung", 3, campaign_text("tiem-chung", "07:00", {"audio/a.wav"}),
                       {{"audio/a.wav", w.tone(500)}});
    REQUIRE(w.round().all_handled);
    w.district.assign("tiem-chung", 3, true);

    const sync::CampaignRound r = w.round();
    INFO(r.error);
    CHECK(r.all_handled);
    CHECK_FALSE(fs::exists(w.dir / "tiem-chung"));
    CHECK_FALSE(fs::exists(w.dir / ".staging"));  // no working folder left behind
    CHECK(w.daemon.reloads == 2);
    CHECK(std::none_of(w.daemon.in_force_files.begin(), w.daemon.in_force_files.end(),
                       [](const fs::path& f) { return f.filename() == "tiem-chung.yaml"; }));
    REQUIRE(r.reported.size() == 1);
    CHECK(r.reported[0].state == CampaignState::withdrawn);
    CHECK(r.reported[0].version == 3);
    CHECK(r.reported[0].schedule_sha256 == w.daemon.in_force);

    CHECK(w.round().reported.empty());  // said once
    CHECK(w.daemon.reloads == 2);
}

TEST_CASE("a withdrawal wardcastd does not take puts the campaign back and is retried",
          "[campaign-install]") {
    Ward w;
    w.district.publish("tiem-chung", 1, campaign_text("tiem-chung", "07:00", {"audio/a.wav"}),
                       {{"audio/a.wav", w.tone(500)}});
    REQUIRE(w.round().all_handled);
    w.district.assign("tiem-chung", 1, true);
    w.daemon.refuse_with = {"/etc/wardcast/schedule.yaml:3:5: error: something else"};

    const sync::CampaignRound r = w.round();
    CHECK_FALSE(r.all_handled);
    CHECK(r.error ==
          "wardcastd did not reload without campaign tiem-chung: "
          "/etc/wardcast/schedule.yaml:3:5: error: something else (retrying)");
    CHECK(fs::exists(w.dir / "tiem-chung/audio/a.wav"));
    REQUIRE(r.reported.size() == 1);
    CHECK(r.reported[0].state == CampaignState::failed);
}

TEST_CASE("a ward schedule that does not include the campaigns folder refuses the campaign",
          "[campaign-install]") {
    std::string schedule = kMainSchedule;
    schedule.erase(schedule.find("include:"),
                   std::string("include: [campaigns/*/*.yaml]\n").size());
    Ward w(schedule);
    w.district.publish("tiem-chung", 1, campaign_text("tiem-chung", "07:00", {"audio/a.wav"}),
                       {{"audio/a.wav", w.tone(500)}});

    const sync::CampaignRound r = w.round();
    CHECK(r.all_handled);
    REQUIRE(r.reported.size() == 1);
    CHECK(r.reported[0].state == CampaignState::refused);
    CHECK(r.reported[0].errors ==
          std::vector<std::string>{w.main.string() + ": error: it does not include " +
                                   w.dir.string() +
                                   "/*/*.yaml, so campaign tiem-chung would never air (add it "
                                   "under include:)"});
    CHECK_FALSE(fs::exists(w.dir / "tiem-chung"));
    CHECK(w.daemon.reloads == 0);
}

TEST_CASE("wardcastd refusing the reload restores the previous version", "[campaign-install]") {
    Ward w;
    const std::string v1 = campaign_text("tiem-chung", "07:00", {"audio/a.wav"});
    w.district.publish("tiem-chung", 1, v1, {{"audio/a.wav", w.tone(500)}});
    REQUIRE(w.round().all_handled);
    w.district.publish("tiem-chung", 2, campaign_text("tiem-chung", "08:00", {"audio/b.wav"}),
                       {{"audio/b.wav", w.tone(600)}});
    w.daemon.refuse_with = {"x.yaml:1:1: error: one", "x.yaml:2:1: error: two"};

    const sync::CampaignRound r = w.round();
    REQUIRE(r.reported.size() == 1);
    CHECK(r.reported[0].state == CampaignState::refused);
    CHECK(r.reported[0].version == 2);
    CHECK(r.reported[0].errors == w.daemon.refuse_with);
    CHECK(read_all(w.dir / "tiem-chung/tiem-chung.yaml") == v1);
    CHECK(fs::exists(w.dir / "tiem-chung/audio/a.wav"));
    CHECK_FALSE(fs::exists(w.dir / "tiem-chung/audio/b.wav"));
    CHECK(manifest_of(w.dir / "tiem-chung")["version"] == 1);
    CHECK_FALSE(fs::exists(w.dir / ".staging"));  // no working folder left behind

    // A new campaign wardcastd refuses leaves no folder behind.
    w.district.publish("mua-lu", 1, campaign_text("mua-lu", "09:00", {"audio/c.wav"}),
                       {{"audio/c.wav", w.tone(700)}});
    w.round();
    CHECK_FALSE(fs::exists(w.dir / "mua-lu"));
}

TEST_CASE("wardcastd not answering fails the campaign, retried", "[campaign-install]") {
    Ward w;
    w.district.publish("tiem-chung", 1, campaign_text("tiem-chung", "07:00", {"audio/a.wav"}),
                       {{"audio/a.wav", w.tone(500)}});
    w.daemon.answers = false;
    sync::CampaignInstaller installer(w.dir, std::nullopt, w.daemon, w.library);
    const sync::CampaignRound r = installer.round(w.district);
    CHECK_FALSE(r.all_handled);
    CHECK(r.error == "wardcastd is not answering: cannot tell which schedule it runs");
    CHECK_FALSE(fs::exists(w.dir / "tiem-chung"));

    // Given the schedule, checked, but the reload does not get through: not left in place.
    const sync::CampaignRound r2 = w.round();
    CHECK_FALSE(r2.all_handled);
    CHECK(r2.error ==
          "wardcastd is not answering: cannot reach wardcastd at /run/wardcast/control.sock: no "
          "such file (retrying)");
    CHECK_FALSE(fs::exists(w.dir / "tiem-chung"));

    w.daemon.answers = true;
    const sync::CampaignRound r3 = installer.round(w.district);
    INFO(r3.error);
    CHECK(r3.all_handled);
    CHECK(fs::exists(w.dir / "tiem-chung/tiem-chung.yaml"));
}

TEST_CASE("an audio path outside the campaign's folder is refused", "[campaign-install]") {
    const auto [path, why] = GENERATE(table<std::string, std::string>({
        {"../x.wav", "goes up a folder ('..'): it must stay inside the campaign's folder"},
        {"/etc/x.wav", "is absolute: it must be relative to the campaign's folder"},
        {"audio/../../x.wav", "goes up a folder ('..'): it must stay inside the campaign's folder"},
        {".wardcast-campaign.json",
         "has a part starting with '.' ('.wardcast-campaign.json'): such names are "
         "wardcast-sync's own"},
        {"tiem-chung.yaml", "is the campaign file's own name"},
    }));
    Ward w;
    w.district.publish("tiem-chung", 1, campaign_text("tiem-chung", "07:00", {path}),
                       {{path, w.tone(500)}});
    const sync::CampaignRound r = w.round();
    REQUIRE(r.reported.size() == 1);
    CHECK(r.reported[0].state == CampaignState::refused);
    CHECK(r.reported[0].errors ==
          std::vector<std::string>{(w.dir / "tiem-chung/tiem-chung.yaml").string() +
                                   ": error: audio path '" + path + "' " + why +
                                   "; the campaign cannot be installed"});
    CHECK_FALSE(fs::exists(w.dir / "tiem-chung"));
    CHECK_FALSE(fs::exists(w.root.path() / "x.wav"));
    CHECK(w.district.fetched.empty());
}

TEST_CASE("a round clears what a cut-short round left and reports an install it did not report",
          "[campaign-install]") {
    Ward w;
    w.district.publish("tiem-chung", 1, campaign_text("tiem-chung", "07:00", {"audio/a.wav"}),
                       {{"audio/a.wav", w.tone(500)}});
    REQUIRE(w.round().all_handled);
    // A crash mid-round: a staged folder and a check folder whose broken campaign would
    // otherwise be read; and the district never got the report.
    fs::create_directories(w.dir / ".staging/mua-lu");
    write_text(w.dir / ".staging/mua-lu/mua-lu.yaml", "announcements: [");
    fs::create_directories(w.dir / ".check");
    fs::create_directory_symlink("../.staging/mua-lu", w.dir / ".check/mua-lu");
    w.district.sent.clear();

    const sync::CampaignRound r = w.round();
    INFO(r.error);
    CHECK(r.all_handled);
    CHECK_FALSE(fs::exists(w.dir / ".check"));
    CHECK_FALSE(fs::exists(w.dir / ".staging"));  // no working folder left behind
    REQUIRE(r.reported.size() == 1);
    CHECK(r.reported[0].state == CampaignState::installed);
    CHECK(r.reported[0].schedule_sha256 == w.daemon.in_force);
    CHECK(w.daemon.reloads == 1);  // nothing installed again
}

TEST_CASE("campaign states have names and back", "[campaign-install]") {
    for (auto s : {CampaignState::installed, CampaignState::refused, CampaignState::failed,
                   CampaignState::withdrawn})
        CHECK(sync::parse_state(sync::state_name(s)) == s);
    CHECK(std::string(sync::state_name(CampaignState::refused)) == "refused");
    CHECK_FALSE(sync::parse_state("Installed"));
}
