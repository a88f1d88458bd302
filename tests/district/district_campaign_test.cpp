// Publishing campaigns (SPEC §9, issue 14) with the real wardcast-district on a real
// PostgreSQL 15: what `campaign add` checks before storing anything, how audio is stored,
// versions, `list`, `withdraw`, and who may do which.

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/sha256.hpp"
#include "district/pg.hpp"
#include "tests/district/district_test_support.hpp"
#include "tests/e2e/fixtures.hpp"
#include "tests/e2e/process.hpp"
#include "tests/e2e/text_lines.hpp"
#include "tests/skip.hpp"

using namespace wardcast;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kNoPostgres = "PostgreSQL 15 is not installed (apt install postgresql-15)";

using test::read_file;
using test::write_file;

// A campaign in its own folder, with its audio beside it.
std::string campaign_text(const std::string& title = "Dịch vụ công trực tuyến") {
    return "# Chiến dịch cải cách hành chính, tháng 12\n"
           "announcements:\n"
           "  - id: cchc-dvc\n"
           "    title: \"" +
           title +
           "\"\n"
           "    audio: [audio/dvc.wav]\n"
           "    zones: [all]\n"
           "    at: [\"07:15\"]\n"
           "  - id: cchc-mot-cua\n"
           "    title: \"Một cửa\"\n"
           "    audio: audio/mot-cua.wav\n"
           "    days: [mon, wed, fri]\n"
           "    at: [\"17:30\"]\n";
}

struct Publisher {
    test::District district{{"bo-de", "gia-thuy", "ngoc-lam"}};
    fs::path folder = district.dir.path / "cchc-12";
    fs::path file = folder / "cchc-12.yaml";

    Publisher() {
        write_file(file, campaign_text());
        test::write_tone_wav(folder / "audio/dvc.wav", 30000);  // 2.6 MB: three chunks
        test::write_tone_wav(folder / "audio/mot-cua.wav", 1500);
    }
    test::ProcessResult run(std::vector<std::string> args, const std::string& conninfo = "") {
        std::vector<std::string> argv = {
            WARDCAST_DISTRICT, "--db", conninfo.empty() ? district.db.local_conninfo() : conninfo};
        argv.insert(argv.end(), args.begin(), args.end());
        return test::run_process(argv);
    }
    std::string value(const std::string& sql) {
        district::pg::Connection admin(district.db.local_conninfo(), "wardcast-test");
        return test::value(admin, sql);
    }
    // A login role in `group` with a password, and its connection string over TCP.
    std::string login(const std::string& role, const std::string& group) {
        district::pg::Connection admin(district.db.local_conninfo(), "wardcast-test");
        admin.exec("CREATE ROLE " + role + " LOGIN PASSWORD 'pw-" + role + "' IN ROLE " + group, {},
                   "create a login");
        district.db.drop_later(role);
        std::string conninfo = district.db.tcp_conninfo();
        conninfo.replace(conninfo.find("user="), std::string::npos,
                         "user=" + role + " password=pw-" + role + " dbname=" + district.db.name());
        return conninfo;
    }
};

}  // namespace

TEST_CASE("campaign add: a file with errors is refused whole, each error on its line",
          "[district][campaign]") {
    if (!test::PgServer::installed()) WARDCAST_SKIP(kNoPostgres);
    Publisher p;
    write_file(p.folder / "hong.yaml",
               "announcements:\n"
               "  - id: hong\n"
               "    title: \"Sai\"\n"
               "    audio: [audio/khong-co.wav]\n"
               "    at: [\"25:00\"]\n"
               "  - id: ngoai\n"
               "    title: \"Ngoài thư mục\"\n"
               "    audio: [../ngoai.wav]\n"
               "    at: [\"07:00\"]\n"
               "    colour: red\n");
    test::write_tone_wav(p.district.dir.path / "ngoai.wav", 500);
    const auto r = p.run({"campaign", "add", (p.folder / "hong.yaml").string()});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    const std::string f = (p.folder / "hong.yaml").string();
    const auto lines = r.err_lines();
    REQUIRE(lines.size() == 5);
    CHECK(lines[0].rfind(f + ":4:13: error: audio file 'audio/khong-co.wav' not found", 0) == 0);
    CHECK(lines[1].rfind(f + ":5:10: error: ", 0) == 0);
    CHECK(lines[2].rfind(f + ":8:13: error: audio '../ngoai.wav' is outside the campaign file's "
                             "folder",
                         0) == 0);
    CHECK(lines[3].rfind(f + ":10:5: error: ", 0) == 0);
    CHECK(lines[3].find("colour") != std::string::npos);
    CHECK(lines[4] == f + ": 4 errors; nothing was published");
    CHECK(r.out.empty());
    CHECK(p.value("SELECT count(*) FROM campaign_files") == "0");
    CHECK(p.value("SELECT count(*) FROM campaign_audio") == "0");

    const auto bad_id = p.run({"campaign", "add", p.file.string(), "--id", "Chiến dịch"});
    CHECK(bad_id.exit_code == 2);
    CHECK(bad_id.err_lines().size() == 1);
    CHECK(bad_id.err.find("campaign id \"Chiến dịch\" is not valid") != std::string::npos);
    const auto unknown = p.run({"campaign", "add", p.file.string(), "--ward", "long-bien"});
    CHECK(unknown.exit_code == 1);
    REQUIRE(unknown.err_lines().size() == 1);
    CHECK(unknown.err_lines()[0] ==
          "wardcast-district: cannot publish campaign cchc-12: there is no ward long-bien in the "
          "district's store (wards: bo-de, gia-thuy, ngoc-lam)");
    CHECK(p.value("SELECT count(*) FROM campaign_files") == "0");
}

TEST_CASE("campaign add stores the file and its audio by SHA-256 in chunks, with versions",
          "[district][campaign]") {
    if (!test::PgServer::installed()) WARDCAST_SKIP(kNoPostgres);
    Publisher p;
    const auto first =
        p.run({"campaign", "add", p.file.string(), "--ward", "bo-de", "--ward", "gia-thuy"});
    INFO(first.out << first.err);
    REQUIRE(first.exit_code == 0);
    const auto out = first.out_lines();
    REQUIRE(out.size() == 2);
    CHECK(out[0] == "campaign cchc-12 version 1 published for 2 wards: bo-de, gia-thuy");
    CHECK(out[1].rfind("2 audio files, 2 new (2.8 MB stored); the wards install it", 0) == 0);

    // The file byte for byte, the audio once per hash, in chunks of at most 1 MiB whose
    // concatenation is the file.
    CHECK(p.value("SELECT text FROM campaign_files WHERE campaign = 'cchc-12'") ==
          read_file(p.file));
    const std::string dvc = *sha256_file(p.folder / "audio/dvc.wav");
    CHECK(p.value("SELECT sha256 FROM campaign_file_audio WHERE path = 'audio/dvc.wav'") == dvc);
    CHECK(p.value("SELECT count(*) FROM campaign_audio_chunks WHERE sha256 = '" + dvc + "'") ==
          "3");
    CHECK(p.value("SELECT max(length(data)) FROM campaign_audio_chunks") == "1048576");
    CHECK(p.value("SELECT encode(sha256(string_agg(data, ''::bytea ORDER BY n)), 'hex')"
                  " FROM campaign_audio_chunks WHERE sha256 = '" +
                  dvc + "'") == dvc);

    // The same file again for another ward: the same version, no audio stored twice.
    const auto again =
        p.run({"campaign", "add", p.file.string(), "--ward", "ngoc-lam", "--ward", "bo-de"});
    INFO(again.err);
    REQUIRE(again.exit_code == 0);
    CHECK(again.out_lines()[0] ==
          "campaign cchc-12 version 1 (the same file and audio as before) for 1 ward: ngoc-lam "
          "(bo-de had it already)");
    CHECK(again.out_lines()[1].rfind("2 audio files, 0 new (0 kB stored)", 0) == 0);
    CHECK(p.value("SELECT count(*) FROM campaign_audio") == "2");

    // A changed file is version 2, for the wards it is published for; the others keep 1.
    write_file(p.file, campaign_text("Dịch vụ công trực tuyến mức độ 4"));
    const auto second = p.run({"campaign", "add", p.file.string(), "--ward", "bo-de"});
    REQUIRE(second.exit_code == 0);
    CHECK(second.out_lines()[0] == "campaign cchc-12 version 2 published for 1 ward: bo-de");
    CHECK(second.out_lines()[1].rfind("2 audio files, 0 new", 0) == 0);

    const auto list = p.run({"campaign", "list"});
    INFO(list.out << list.err);
    REQUIRE(list.exit_code == 0);
    const auto rows = list.out_lines();
    REQUIRE(rows.size() == 2);
    CHECK(test::words(rows[0]) ==
          std::vector<std::string>{"CAMPAIGN", "VERSION", "FILE", "PUBLISHED", "BY", "WARDS"});
    CHECK(rows[1].rfind("cchc-12 ", 0) == 0);
    CHECK(rows[1].find(" 2 ") != std::string::npos);
    CHECK(rows[1].find("bo-de v2 pending, gia-thuy v1 pending, ngoc-lam v1 pending") !=
          std::string::npos);

    const auto withdrawn = p.run({"campaign", "withdraw", "cchc-12", "--ward", "gia-thuy"});
    REQUIRE(withdrawn.exit_code == 0);
    CHECK(withdrawn.out ==
          "campaign cchc-12 withdrawn from 1 ward: gia-thuy; each removes it at its next round\n");
    const auto as_json = p.run({"campaign", "list", "--json"});
    REQUIRE(as_json.exit_code == 0);
    const json line = json::parse(as_json.out);
    CHECK(line["campaign"] == "cchc-12");
    CHECK(line["version"] == 2);
    CHECK(line["audio_files"] == 2);
    REQUIRE(line["wards"].size() == 3);
    CHECK(line["wards"][1] == json{{"ward", "gia-thuy"},
                                   {"version", 1},
                                   {"state", "withdrawing"},
                                   {"errors", json::array()}});
    const auto none = p.run({"campaign", "withdraw", "khong-co"});
    CHECK(none.exit_code == 1);
    CHECK(none.err ==
          "wardcast-district: cannot withdraw campaign khong-co: there is no such campaign "
          "(campaign list shows them)\n");
    // Nothing was changed in place: every step is a row of its own.
    CHECK(p.value("SELECT count(*) FROM campaign_assignments") == "5");
}

TEST_CASE("campaign roles: operators publish, auditors only read, wards read their own",
          "[district][campaign]") {
    if (!test::PgServer::installed()) WARDCAST_SKIP(kNoPostgres);
    Publisher p;
    const std::string op = p.login("cchc_quan", "wardcast_operator");
    const std::string auditor = p.login("kiem_toan_c", "wardcast_auditor");

    const auto by_auditor = p.run({"campaign", "add", p.file.string()}, auditor);
    CHECK(by_auditor.exit_code == 1);
    CHECK(by_auditor.err_lines().size() == 1);
    CHECK(by_auditor.err.find("permission denied") != std::string::npos);
    const auto by_operator = p.run({"campaign", "add", p.file.string(), "--ward", "bo-de"}, op);
    INFO(by_operator.err);
    REQUIRE(by_operator.exit_code == 0);
    CHECK(p.value("SELECT published_by FROM campaign_files") == "cchc_quan");
    CHECK(p.run({"campaign", "list"}, auditor).exit_code == 0);
    CHECK(p.run({"status"}, op).exit_code == 0);
    CHECK(p.run({"campaign", "withdraw", "cchc-12"}, auditor).exit_code == 1);

    district::pg::Connection as_op(op, "test");
    for (const char* sql : {"UPDATE campaign_files SET text = 'x'", "DELETE FROM campaign_audio",
                            "DELETE FROM campaign_assignments", "TRUNCATE campaign_audio_chunks",
                            "INSERT INTO entries (ward) VALUES ('bo-de')"}) {
        INFO(sql);
        CHECK(test::attempt(as_op, sql).first == "42501");
    }

    // bo-de sees its assignment, the file and the audio; gia-thuy sees nothing of it.
    district::pg::Connection bo_de(p.district.conninfo.at("bo-de"), "test");
    district::pg::Connection gia_thuy(p.district.conninfo.at("gia-thuy"), "test");
    CHECK(test::value(bo_de, "SELECT count(*) FROM campaign_assignments") == "1");
    CHECK(test::value(bo_de, "SELECT count(*) FROM campaign_files") == "1");
    CHECK(test::value(bo_de, "SELECT count(*) FROM campaign_audio_chunks") == "4");
    for (const char* table : {"campaign_assignments", "campaign_files", "campaign_file_audio",
                              "campaign_audio", "campaign_audio_chunks"}) {
        INFO(table);
        CHECK(test::value(gia_thuy, std::string("SELECT count(*) FROM ") + table) == "0");
    }
    // A ward cannot assign itself anything, nor report for another ward.
    CHECK(test::attempt(gia_thuy,
                        "INSERT INTO campaign_assignments (campaign, version, ward)"
                        " VALUES ('cchc-12', 1, 'gia-thuy')")
              .first == "42501");
    const auto as_other =
        test::attempt(gia_thuy,
                      "INSERT INTO campaign_reports (ward, campaign, version, state, reported_at)"
                      " VALUES ('bo-de', 'cchc-12', 1, 'installed', now())");
    CHECK(as_other.first == "WC001");  // the store's own check, before row-level security's
    CHECK(as_other.second ==
          "campaign report of ward bo-de: there is no ward bo-de, or role ward_gia_thuy may not "
          "write for it");
    CHECK(test::attempt(bo_de,
                        "INSERT INTO campaign_reports (ward, campaign, version, state, reported_at)"
                        " VALUES ('bo-de', 'cchc-12', 1, 'installed', now())")
              .first == "");
    CHECK(test::attempt(bo_de, "UPDATE campaign_reports SET state = 'refused'").first == "42501");
}
