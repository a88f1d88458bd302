// Campaigns from the district to the wards' air (SPEC §9, issue 14), end to end: a real
// PostgreSQL 15, the real wardcast-district, wardcast-sync, wardcastd and wardcastctl.

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "common/sha256.hpp"
#include "district/pg.hpp"
#include "schedules/timefmt.hpp"
#include "tests/district/district_test_support.hpp"
#include "tests/e2e/ctl.hpp"
#include "tests/e2e/daemon_process.hpp"
#include "tests/e2e/fixtures.hpp"
#include "tests/e2e/process.hpp"
#include "tests/e2e/text_lines.hpp"
#include "tests/skip.hpp"
#include "tests/sync/sync_process.hpp"

namespace fs = std::filesystem;
using namespace wardcast;
using namespace std::chrono_literals;
using nlohmann::json;
using test::Clock;

namespace {

constexpr const char* kNoPostgres = "PostgreSQL 15 is not installed (apt install postgresql-15)";

using test::read_file;
using test::write_file;

// A fixed-offset zone where it is about noon now, so that the day's windows below (10:00 to
// 14:00, 17:00) never wrap midnight whenever the test runs. Etc/GMT-7 is UTC+7.
std::string noon_zone() {
    const auto now = std::chrono::system_clock::now();
    const auto day = std::chrono::floor<date::days>(now);
    const int hour = static_cast<int>(std::chrono::floor<std::chrono::hours>(now - day).count());
    const int offset = ((12 - hour) % 24 + 24 + 11) % 24 - 11;  // -11 .. 12
    if (offset == 0) return "Etc/GMT";
    return std::string("Etc/GMT") + (offset > 0 ? "-" : "+") + std::to_string(std::abs(offset));
}

// A ward's station: its schedule (one zone, its own announcement every few seconds around
// noon, `extra` top-level keys), its log, its socket, its campaigns folder, its daemon.
struct Ward {
    std::string name;
    fs::path dir, schedule, db, socket, campaigns;
    std::unique_ptr<test::Daemon> daemon;

    Ward(const std::string& ward, const fs::path& root, const std::string& zone,
         const std::string& extra = "")
        : name(ward),
          dir(root / ward),
          schedule(dir / "schedule.yaml"),
          db(dir / "broadcasts.db"),
          socket(dir / "control.sock"),
          campaigns(dir / "campaigns") {
        test::write_tone_wav(dir / "rieng.wav", 400);
        write_file(schedule, "version: 1\nstation: { name: \"Phường " + ward + "\", timezone: " +
                                 zone + " }\nzones:\n  - { id: all, output: \"null\" }\n" + extra +
                                 "include: [campaigns/*/*.yaml]\n"
                                 "announcements:\n"
                                 "  - id: rieng\n"
                                 "    title: \"Tin riêng của phường\"\n"
                                 "    audio: rieng.wav\n"
                                 "    every: 4s\n"
                                 "    between: [\"10:00\", \"14:00\"]\n");
    }
    void start() {
        daemon = std::make_unique<test::Daemon>(
            std::vector<std::string>{"--schedule", schedule.string(), "--db", db.string(),
                                     "--socket", socket.string()},
            dir / "wardcastd.log",
            std::map<std::string, std::string>{{"WARDCAST_CACHE", (dir / "cache").string()}});
        INFO(daemon->output());
        REQUIRE(daemon->wait_for_output("next: ", test::startup_margin + 20s));
    }
    // One round of the real wardcast-sync.
    test::ProcessResult sync(const std::string& conninfo) const {
        return test::run_process(
            {WARDCAST_SYNC, "--once", "--db", db.string(), "--district", conninfo, "--socket",
             socket.string(), "--campaigns", campaigns.string()},
            {{"WARDCAST_CACHE", (dir / "sync-cache").string()}});
    }
    // How many times the daemon said `text` so far.
    std::size_t said(const std::string& text) const {
        const std::string out = daemon->output();
        std::size_t n = 0;
        for (auto at = out.find(text); at != std::string::npos; at = out.find(text, at + 1)) ++n;
        return n;
    }
    // Waits until the daemon said `text` more than `before` times.
    bool says_again(const std::string& text, std::size_t before,
                    std::chrono::seconds deadline) const {
        const auto until = std::chrono::steady_clock::now() + deadline;
        while (std::chrono::steady_clock::now() < until) {
            if (said(text) > before) return true;
            std::this_thread::sleep_for(50ms);
        }
        return false;
    }
    // What `wardcastctl next 30` lists.
    std::string next() const {
        const auto r = test::ctl({"next", "30", "--socket", socket.string()});
        REQUIRE(r.exit_code == 0);
        return r.out;
    }
};

// The district's campaign: an announcement every 5 s around noon and one at 17:10 (in
// gia-thuy's quiet hours), with its audio in its own folder.
std::string campaign_text(const std::string& title) {
    return "announcements:\n"
           "  - id: cchc-dvc\n"
           "    title: \"" +
           title +
           "\"\n"
           "    audio: [audio/dvc.wav]\n"
           "    every: 5s\n"
           "    between: [\"10:00\", \"14:00\"]\n"
           "  - id: cchc-chieu\n"
           "    title: \"Một cửa liên thông\"\n"
           "    audio: audio/mot-cua.wav\n"
           "    at: [\"17:10\"]\n";
}

test::ProcessResult district_cmd(const test::District& d, std::vector<std::string> args) {
    args.insert(args.begin(), {WARDCAST_DISTRICT, "--db", d.db.local_conninfo()});
    return test::run_process(args);
}

// The line of `status`'s table for `ward`.
std::string status_row(const std::string& status, const std::string& ward) {
    return test::line_starting(status, ward + " ");
}

}  // namespace

TEST_CASE(
    "a district day: a campaign published in the morning reaches the two wards it is for, one "
    "refuses it for its quiet hours and goes on airing, the other airs it and the report shows "
    "it",
    "[district][campaign][e2e]") {
    if (!test::PgServer::installed()) WARDCAST_SKIP(kNoPostgres);
    test::District d({"bo-de", "gia-thuy", "ngoc-lam"});
    const std::string zone = noon_zone();
    Ward bo_de("bo-de", d.dir.path, zone);
    Ward gia_thuy("gia-thuy", d.dir.path, zone,
                  "quiet_hours:\n  - { from: \"17:00\", to: \"17:30\" }\n");
    Ward ngoc_lam("ngoc-lam", d.dir.path, zone);
    const auto morning = std::chrono::floor<std::chrono::milliseconds>(Clock::now());
    bo_de.start();
    gia_thuy.start();
    ngoc_lam.start();

    // The district publishes for bo-de and gia-thuy, not ngoc-lam.
    const fs::path file = d.dir.path / "district" / "cchc-12" / "cchc-12.yaml";
    write_file(file, campaign_text("Dịch vụ công trực tuyến"));
    test::write_tone_wav(file.parent_path() / "audio/dvc.wav", 700);
    test::write_tone_wav(file.parent_path() / "audio/mot-cua.wav", 500);
    const auto published = district_cmd(
        d, {"campaign", "add", file.string(), "--ward", "bo-de", "--ward", "gia-thuy"});
    INFO(published.out << published.err);
    REQUIRE(published.exit_code == 0);

    const std::size_t rieng_before = gia_thuy.said("played rieng");
    const auto at_bo_de = bo_de.sync(d.conninfo.at("bo-de"));
    const auto at_gia_thuy = gia_thuy.sync(d.conninfo.at("gia-thuy"));
    const auto at_ngoc_lam = ngoc_lam.sync(d.conninfo.at("ngoc-lam"));
    INFO(at_bo_de.err << at_gia_thuy.err << at_ngoc_lam.err);
    CHECK(at_bo_de.exit_code == 0);
    CHECK(at_gia_thuy.exit_code == 0);  // a refusal is an outcome, reported
    CHECK(at_ngoc_lam.exit_code == 0);

    // bo-de: the file byte for byte with its audio, and in force.
    const fs::path installed = bo_de.campaigns / "cchc-12" / "cchc-12.yaml";
    CHECK(read_file(installed) == read_file(file));
    CHECK(sha256_file(bo_de.campaigns / "cchc-12/audio/dvc.wav") ==
          sha256_file(file.parent_path() / "audio/dvc.wav"));
    const auto status_b = test::ctl({"status", "--json", "--socket", bo_de.socket.string()});
    const std::string in_force = json::parse(status_b.out)["schedule_sha256"];
    CHECK(test::contains(
        at_bo_de.err,
        "wardcast-sync: campaign cchc-12 version 1: installed, schedule " + in_force));
    CHECK(test::contains(bo_de.next(), "cchc-dvc"));
    // The ward's schedule file now plans the campaign's firings (17:10 every day too).
    const auto week = test::ctl({"simulate", bo_de.schedule.string()});
    CHECK(week.exit_code == 0);
    CHECK(test::contains(week.out, "17:10     Một cửa liên thông"));
    CHECK_FALSE(test::contains(test::ctl({"simulate", gia_thuy.schedule.string()}).out,
                               "Một cửa liên thông"));
    // gia-thuy: refused with the check's error line naming the installed path; nothing put in
    // place, its own schedule still in force.
    CHECK(test::contains(at_gia_thuy.err, "campaign cchc-12 version 1: refused (1 error)"));
    const std::string refusal_line =
        (gia_thuy.campaigns / "cchc-12" / "cchc-12.yaml").string() + ":10:10: error: ";
    CHECK(test::contains(at_gia_thuy.err, refusal_line));
    CHECK(test::contains(at_gia_thuy.err, "quiet hours"));
    CHECK_FALSE(fs::exists(gia_thuy.campaigns / "cchc-12"));
    CHECK_FALSE(test::contains(gia_thuy.next(), "cchc-dvc"));
    // ngoc-lam: nothing.
    CHECK((!fs::exists(ngoc_lam.campaigns) || fs::is_empty(ngoc_lam.campaigns)));
    CHECK_FALSE(test::contains(ngoc_lam.next(), "cchc-dvc"));

    // It airs at bo-de; gia-thuy goes on airing its own.
    CHECK(bo_de.says_again("played cchc-dvc", 0, 30s));
    CHECK(gia_thuy.says_again("played rieng", rieng_before, 30s));

    const auto status = district_cmd(d, {"status"});
    INFO(status.out << status.err);
    REQUIRE(status.exit_code == 0);
    CHECK(test::contains(status_row(status.out, "bo-de"), "cchc-12 v1 installed"));
    CHECK(test::contains(status_row(status.out, "gia-thuy"), "cchc-12 v1 refused"));
    CHECK(test::contains(status.out, "gia-thuy refused campaign cchc-12 version 1 (reported "));
    CHECK(test::contains(status.out, "\n  " + refusal_line));
    CHECK_FALSE(test::contains(status_row(status.out, "ngoc-lam"), "cchc-12"));
    // bo-de's own announcement and the campaign's share its zone: it airs them, and says where
    // they collide.
    CHECK(test::contains(status_row(status.out, "bo-de"), "installed ("));
    CHECK(
        test::contains(status.out, "bo-de installed campaign cchc-12 version 1 with warnings:\n  " +
                                       (bo_de.campaigns / "cchc-12" / "cchc-12.yaml").string()));

    // The outcomes shipped: the district's report counts the campaign's broadcasts at bo-de.
    const auto shipped = bo_de.sync(d.conninfo.at("bo-de"));
    REQUIRE(shipped.exit_code == 0);
    const auto report =
        district_cmd(d, {"report", "--ward", "bo-de", "--json", "--from",
                         schedules::format_instant(morning, *date::locate_zone("UTC")), "--to",
                         schedules::format_instant(
                             std::chrono::floor<std::chrono::milliseconds>(Clock::now()) + 1min,
                             *date::locate_zone("UTC"))});
    INFO(report.out << report.err);
    REQUIRE(report.exit_code == 0);
    bool counted = false;
    for (const json& line : test::json_lines(report.out)) {
        if (line.value("announcement", "") != "cchc-dvc") continue;
        counted = line.value("aired", 0) >= 1;
    }
    CHECK(counted);
}

TEST_CASE(
    "a campaign's life at a ward: a new version replaces the old, a corrupted download is "
    "refused and retried, the district down while it is pending, then withdrawn",
    "[district][campaign][e2e]") {
    if (!test::PgServer::installed()) WARDCAST_SKIP(kNoPostgres);
    test::PgServer server;  // this test's own: it stops it
    test::District d(server, {"bo-de"});
    Ward bo_de("bo-de", d.dir.path, noon_zone());
    bo_de.start();
    const fs::path file = d.dir.path / "district" / "cchc-12" / "cchc-12.yaml";
    const fs::path audio = file.parent_path() / "audio";
    const auto publish = [&](const std::string& title) {
        write_file(file, campaign_text(title));
        const auto r = district_cmd(d, {"campaign", "add", file.string()});
        INFO(r.out << r.err);
        REQUIRE(r.exit_code == 0);
    };
    const auto admin = [&](const std::string& sql) {
        district::pg::Connection conn(d.db.local_conninfo(), "wardcast-test");
        conn.exec(sql, {}, "test");
    };
    const fs::path installed = bo_de.campaigns / "cchc-12";

    test::write_tone_wav(audio / "dvc.wav", 700);
    test::write_tone_wav(audio / "mot-cua.wav", 500);
    publish("Dịch vụ công trực tuyến");
    const auto v1 = bo_de.sync(d.conninfo.at("bo-de"));
    INFO(v1.err);
    REQUIRE(v1.exit_code == 0);
    REQUIRE(test::contains(v1.err, "campaign cchc-12 version 1: installed"));

    // Version 2: another text and another dvc.wav; mot-cua.wav is the same.
    test::write_tone_wav(audio / "dvc.wav", 900);
    publish("Dịch vụ công trực tuyến mức độ 4");
    const auto v2 = bo_de.sync(d.conninfo.at("bo-de"));
    INFO(v2.err);
    REQUIRE(v2.exit_code == 0);
    CHECK(test::contains(v2.err, "campaign cchc-12 version 2: installed"));
    CHECK(read_file(installed / "cchc-12.yaml") == read_file(file));
    CHECK(sha256_file(installed / "audio/dvc.wav") == sha256_file(audio / "dvc.wav"));
    CHECK(test::contains(bo_de.daemon->output(), "reload"));

    // Version 3 with a new audio file whose stored bytes were damaged at the district: refused
    // and retried, version 2 stays in place and in force.
    test::write_tone_wav(audio / "dvc.wav", 1100);
    publish("Dịch vụ công trực tuyến — bản 3");
    const std::string v3_sha = *sha256_file(audio / "dvc.wav");
    admin("CREATE TABLE public.kept AS SELECT * FROM campaign_audio_chunks WHERE sha256 = '" +
          v3_sha + "'");
    admin(
        "UPDATE campaign_audio_chunks SET data = overlay(data placing '\\x5a5a5a5a'::bytea from "
        "100)"
        " WHERE sha256 = '" +
        v3_sha + "'");
    const std::string v2_text = read_file(installed / "cchc-12.yaml");
    const auto damaged = bo_de.sync(d.conninfo.at("bo-de"));
    INFO(damaged.err);
    CHECK(damaged.exit_code == 1);
    CHECK(test::contains(damaged.err, "campaign cchc-12 version 3: failed"));
    CHECK(test::contains(damaged.err, v3_sha));
    CHECK(read_file(installed / "cchc-12.yaml") == v2_text);
    const auto status = district_cmd(d, {"status"});
    CHECK(test::contains(status_row(status.out, "bo-de"), "cchc-12 v3 failed"));
    CHECK(test::contains(status.out, "bo-de could not install campaign cchc-12 version 3"));
    admin(
        "UPDATE campaign_audio_chunks c SET data = k.data FROM public.kept k"
        " WHERE c.sha256 = k.sha256 AND c.n = k.n");
    const auto repaired = bo_de.sync(d.conninfo.at("bo-de"));
    INFO(repaired.err);
    CHECK(repaired.exit_code == 0);
    CHECK(test::contains(repaired.err, "campaign cchc-12 version 3: installed"));
    CHECK(sha256_file(installed / "audio/dvc.wav") == v3_sha);

    // Version 4 published, then the district goes down before the ward's next round: the ward
    // keeps airing version 3 and installs 4 once the district is back.
    publish("Dịch vụ công trực tuyến — bản 4");
    server.stop();
    const fs::path err = d.dir.path / "sync.err";
    {
        test::SyncProcess sync("--db " + bo_de.db.string() + " --socket " + bo_de.socket.string() +
                                   " --campaigns " + bo_de.campaigns.string() +
                                   " --interval 200ms --district '" + d.conninfo.at("bo-de") + "'",
                               err);
        const auto says = [&](const std::string& text, std::chrono::seconds deadline) {
            const auto until = std::chrono::steady_clock::now() + deadline;
            while (std::chrono::steady_clock::now() < until) {
                if (test::contains(read_file(err), text)) return true;
                std::this_thread::sleep_for(50ms);
            }
            return false;
        };
        CHECK(says("cannot connect to PostgreSQL", 30s));
        CHECK(read_file(installed / "cchc-12.yaml") != read_file(file));
        server.start_again();
        CHECK(says("campaign cchc-12 version 4: installed", 60s));
        CHECK(sync.stop(10s));
    }
    INFO(read_file(err));
    CHECK(read_file(installed / "cchc-12.yaml") == read_file(file));

    // Withdrawn: the folder goes, the daemon reloads without it.
    const auto withdrawn = district_cmd(d, {"campaign", "withdraw", "cchc-12"});
    REQUIRE(withdrawn.exit_code == 0);
    const auto removed = bo_de.sync(d.conninfo.at("bo-de"));
    INFO(removed.err);
    CHECK(removed.exit_code == 0);
    CHECK(test::contains(removed.err, "campaign cchc-12 version 4: withdrawn"));
    CHECK_FALSE(fs::exists(installed));
    CHECK_FALSE(test::contains(bo_de.next(), "cchc-dvc"));
    const auto list = district_cmd(d, {"campaign", "list"});
    CHECK(test::contains(list.out, "bo-de v4 withdrawn"));
}
