// wardcastctl log and verify, run as an auditor runs them on a real log file, and the file
// tampered with by the real sqlite3 tool.

#include <sqlite3.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "log/broadcast_log.hpp"
#include "tests/e2e/ctl.hpp"
#include "tests/names_strings.hpp"
#include "tests/schedules/schedule_files.hpp"
#include "tests/skip.hpp"

using namespace wardcast::test;
using namespace wardcast::log;
using nlohmann::json;
namespace names = wardcast::names;

namespace {

ProcessResult sqlite(const std::string& db, const std::string& sql) {
    return run_process({"/usr/bin/sqlite3", db, sql});
}

Instant local(const std::string& text) {  // "2031-03-01T06:00:01.234" at +07:00
    auto utc = parse_utc(text + "Z");
    REQUIRE(utc);
    return *utc - std::chrono::hours(7);
}

/// Appends entries with chosen recorded_at instants (BroadcastLog takes its own clock's) to a
/// file BroadcastLog created, chained by the same recipe.
class FixedClockWriter {
  public:
    explicit FixedClockWriter(const std::string& path) {
        REQUIRE(sqlite3_open(path.c_str(), &db_) == SQLITE_OK);
    }
    ~FixedClockWriter() { sqlite3_close(db_); }
    FixedClockWriter(const FixedClockWriter&) = delete;
    FixedClockWriter& operator=(const FixedClockWriter&) = delete;

    /// Appends `e` (seq, prev_hash, hash set here); returns it as stored.
    LogEntry append(LogEntry e) {
        e.seq = static_cast<std::int64_t>(entries.size()) + 1;
        e.prev_hash = entries.empty() ? std::string(64, '0') : entries.back().hash;
        e.hash = BroadcastLog::entry_hash(e, e.prev_hash);
        auto text = [](std::string_view s) { return "'" + quoted(std::string(s)) + "'"; };
        auto opt = [](const auto& v, auto show) { return v ? show(*v) : std::string("NULL"); };
        auto instant = [&](Instant i) { return text(format_utc(i)); };
        auto number = [](std::int64_t n) { return std::to_string(n); };
        const std::string sql =
            "INSERT INTO entries VALUES (" + number(e.seq) + "," + text(names::name(e.kind)) + "," +
            instant(e.recorded_at) + "," + text(e.station) + "," + text(e.announcement_id) + "," +
            text(e.title) + "," + text(names::name_or_empty(e.trigger)) + "," + opt(e.uid, number) +
            "," + text(e.user) + "," + text(json(e.zones).dump()) + "," +
            opt(e.scheduled, instant) + "," + opt(e.started, instant) + "," +
            opt(e.ended, instant) + "," + opt(e.lateness_ms, number) + "," +
            text(names::name_or_empty(e.status)) + "," + text(e.error) + "," +
            text(json(e.audio_sha256).dump()) + "," + text(e.schedule_sha256) + "," +
            opt(e.on_air_seq, number) + "," + text(e.command) + "," + text(e.result) + "," +
            text(e.prev_hash) + "," + text(e.hash) + "," + opt(e.aired_ms, number) + ")";
        char* error = nullptr;
        sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
        INFO((error ? error : ""));
        sqlite3_free(error);
        REQUIRE(error == nullptr);
        if (e.scheduled && (e.kind == EntryKind::on_air || !e.on_air_seq)) {
            sqlite3_exec(db_,
                         ("INSERT INTO claims VALUES (" + text(e.announcement_id) + "," +
                          instant(*e.scheduled) + "," + number(e.seq) + ")")
                             .c_str(),
                         nullptr, nullptr, nullptr);
        }
        entries.push_back(e);
        return e;
    }

    std::vector<LogEntry> entries;

  private:
    static std::string quoted(const std::string& s) {
        std::string out;
        for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
        return out;
    }
    sqlite3* db_ = nullptr;
};

const std::string kSchedule = R"(version: 1
station:
  name: "Phường Bồ Đề"
  timezone: Asia/Ho_Chi_Minh
zones: [{ id: to-dan-pho-1 }, { id: cho-phuong }]
announcements: []
)";

/// Ten entries over three local days of March 2031 (+07:00):
///  1 operator volume        2 on_air dvc 06:00      3 played (closes 2)
///  4 tiem-chung skipped     5 on_air tiem-chung (2nd, 06:30)   6 failed (closes 5)
///  7 operator announce      8 on_air emergency (ad hoc)        9 played (closes 8)
/// 10 tiem-chung missed (3rd, 06:30)
class LogFixture {
  public:
    LogFixture() {
        const std::string sha(64, '5');
        {
            BroadcastLog log(db);
            log.remember_schedule(sha, kSchedule, "/etc/wardcast/schedule.yaml");
        }
        FixedClockWriter w(db);
        LogEntry op;
        op.kind = EntryKind::operator_command, op.station = "Phường Bồ Đề",
        op.trigger = Trigger::operator_request;
        op.uid = 1000, op.user = "tuan", op.command = "volume all 0.8", op.result = "ok";
        op.schedule_sha256 = sha, op.recorded_at = local("2031-03-01T05:50:00.250");
        w.append(op);

        LogEntry dvc;
        dvc.kind = EntryKind::on_air, dvc.station = "Phường Bồ Đề", dvc.announcement_id = "dvc";
        dvc.title = "Dịch vụ công trực tuyến mức độ 3, 4", dvc.trigger = Trigger::schedule;
        dvc.zones = {"to-dan-pho-1", "cho-phuong"}, dvc.schedule_sha256 = sha;
        dvc.audio_sha256 = {std::string(64, 'a'), std::string(64, 'b')};
        dvc.scheduled = local("2031-03-01T06:00:00.000");
        dvc.started = local("2031-03-01T06:00:01.234"), dvc.lateness_ms = 1234;
        dvc.recorded_at = *dvc.started;
        w.append(dvc);
        dvc.kind = EntryKind::broadcast, dvc.on_air_seq = 2, dvc.status = Status::played;
        dvc.ended = local("2031-03-01T06:01:30.734"), dvc.recorded_at = *dvc.ended;
        dvc.aired_ms = 89500;
        w.append(dvc);

        LogEntry tc = dvc;
        tc.announcement_id = "tiem-chung", tc.title = "Lịch tiêm chủng \"mở rộng\"";
        tc.zones = {"cho-phuong"}, tc.audio_sha256 = {std::string(64, 'c')};
        tc.on_air_seq.reset(), tc.started.reset(), tc.ended.reset(), tc.lateness_ms.reset();
        tc.scheduled = local("2031-03-01T06:01:00.000"), tc.status = Status::skipped;
        tc.aired_ms = 0;
        tc.error = "zones busy with dvc until 06:01:30; waited longer than max_delay 0s";
        tc.recorded_at = local("2031-03-01T06:01:00.010");
        w.append(tc);
        tc.kind = EntryKind::on_air, tc.status.reset(), tc.error = "", tc.aired_ms.reset();
        tc.scheduled = local("2031-03-02T06:30:00.000"),
        tc.started = local("2031-03-02T06:30:00.500");
        tc.lateness_ms = 500, tc.recorded_at = *tc.started;
        w.append(tc);
        tc.kind = EntryKind::broadcast, tc.on_air_seq = 5, tc.status = Status::failed;
        tc.error = "alsa: cannot open \"hw:1,0\": Device or resource busy";
        tc.ended = local("2031-03-02T06:30:00.900"), tc.recorded_at = *tc.ended;
        tc.aired_ms = 400;  // the device failed after 0.4 s of sound
        w.append(tc);

        op.uid = 1001, op.user = "lan", op.recorded_at = local("2031-03-02T09:15:00.000");
        op.command = "announce --tts \"Kính thưa bà con, mất điện\" --priority emergency";
        w.append(op);
        LogEntry em;
        em.kind = EntryKind::on_air, em.station = "Phường Bồ Đề",
        em.title = "Kính thưa bà con, mất điện";
        em.trigger = Trigger::emergency, em.uid = 1001, em.user = "lan";
        em.zones = {"to-dan-pho-1", "cho-phuong"}, em.schedule_sha256 = sha;
        em.audio_sha256 = {std::string(64, 'd')};
        em.started = local("2031-03-02T09:15:00.100"), em.recorded_at = *em.started;
        w.append(em);
        em.kind = EntryKind::broadcast, em.on_air_seq = 8, em.status = Status::played;
        em.ended = local("2031-03-02T09:15:20.100"), em.recorded_at = *em.ended;
        em.aired_ms = 20000;
        w.append(em);

        tc.kind = EntryKind::broadcast, tc.on_air_seq.reset(), tc.started.reset(), tc.ended.reset();
        tc.lateness_ms.reset(), tc.status = Status::missed, tc.aired_ms = 0;
        tc.scheduled = local("2031-03-03T06:30:00.000");
        tc.error = "the daemon was down; later than catch_up 5m";
        tc.recorded_at = local("2031-03-03T07:00:00.000");
        w.append(tc);
        entries = w.entries;
    }

    TempDir dir;
    const std::string db = (dir.path() / "broadcasts.db").string();
    std::vector<LogEntry> entries;
};

std::vector<std::int64_t> seqs_of(const ProcessResult& r) {
    std::vector<std::int64_t> out;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) out.push_back(json::parse(line)["seq"]);
    return out;
}

using Seqs = std::vector<std::int64_t>;

}  // namespace

TEST_CASE("log shows an auditor outcomes and commands in the station's time", "[e2e][log]") {
    LogFixture fx;
    auto r = ctl({"log", "--db", fx.db});
    CHECK(r.exit_code == 0);
    CHECK(r.err.empty());
    const std::vector<std::string> expected = {
        "Phường Bồ Đề — " + fx.db + " (Asia/Ho_Chi_Minh)",
        "SEQ  SCHEDULED            STARTED              ENDED     LATE (ms)  AIRED "
        "(s)  ANNOUNCEMENT                TRIGGER    ZONES                    STATUS "
        "  WHO   NOTE",
        "1    -                    2031-03-01 05:50:00  -         -          - "
        "                                     operator                         "
        "   -        tuan  volume all 0.8 → ok",
        "3    2031-03-01 06:00:00  06:00:01             06:01:30  1234       89.5 "
        "      dvc                         schedule   to-dan-pho-1,cho-phuong  "
        "played",
        "4    2031-03-01 06:01:00  -                    -         -          0.0 "
        "       tiem-chung                  schedule   cho-phuong              "
        " skipped        zones busy with dvc until 06:01:30; waited longer than "
        "max_delay 0s",
        "6    2031-03-02 06:30:00  06:30:00             06:30:00  500        0.4 "
        "       tiem-chung                  schedule   cho-phuong              "
        " failed         alsa: cannot open \"hw:1,0\": Device or resource busy",
        "7    -                    2031-03-02 09:15:00  -         -          - "
        "                                     operator                         "
        "   -        lan   announce --tts \"Kính thưa bà con, mất điện\" --priority "
        "emergency → ok",
        "9    -                    2031-03-02 09:15:00  09:15:20  -          20.0 "
        "      Kính thưa bà con, mất điện  emergency  to-dan-pho-1,cho-phuong  "
        "played   lan",
        "10   2031-03-03 06:30:00  -                    -         -          0.0 "
        "       tiem-chung                  schedule   cho-phuong              "
        " missed         the daemon was down; later than catch_up 5m",
        "7 entries: 2 played, 1 failed, 1 skipped, 1 missed, 2 commands",
    };
    CHECK(r.out_lines() == expected);
}

TEST_CASE("log --csv is RFC 4180 with every field an auditor needs", "[e2e][log]") {
    LogFixture fx;
    auto r = ctl({"log", "--db", fx.db, "--csv", "--status", "failed"});
    CHECK(r.exit_code == 0);
    const LogEntry& failed = fx.entries[5];
    CHECK(r.out ==
          "seq,kind,recorded_at,station,announcement_id,title,trigger,uid,user,zones,scheduled,"
          "started,ended,lateness_ms,aired_ms,status,error,command,result,schedule_sha256,"
          "audio_sha256,hash\r\n"
          "6,broadcast,2031-03-02T06:30:00+07:00,Phường Bồ Đề,tiem-chung,\"Lịch tiêm chủng "
          "\"\"mở rộng\"\"\",schedule,,,cho-phuong,2031-03-02T06:30:00+07:00,"
          "2031-03-02T06:30:00+07:00,2031-03-02T06:30:00+07:00,500,400,failed,\"alsa: cannot open "
          "\"\"hw:1,0\"\": Device or resource busy\",,," +
              std::string(64, '5') + "," + std::string(64, 'c') + "," + failed.hash + "\r\n");

    r = ctl({"log", "--db", fx.db, "--csv", "--from", "2031-03-02", "--to", "2031-03-03"});
    const auto lines = r.out_lines();
    REQUIRE(lines.size() == 4);
    CHECK(lines[2] ==
          "7,operator,2031-03-02T09:15:00+07:00,Phường Bồ Đề,,,operator,1001,lan,,,,,,,"
          ",,\"announce --tts \"\"Kính thưa bà con, mất điện\"\" --priority emergency\","
          "ok," +
              std::string(64, '5') + ",," + fx.entries[6].hash + "\r");
    CHECK(lines[3].rfind("9,broadcast,2031-03-02T09:15:20+07:00,Phường Bồ Đề,,\"Kính thưa bà con, "
                         "mất điện\",emergency,1001,lan,to-dan-pho-1;cho-phuong,,",
                         0) == 0);
}

TEST_CASE("log --json prints one object a line, null for what is absent", "[e2e][log]") {
    LogFixture fx;
    auto r = ctl({"log", "--db", fx.db, "--json", "--announcement", "dvc"});
    CHECK(r.exit_code == 0);
    CHECK(r.out ==
          "{\"seq\":3,\"kind\":\"broadcast\",\"recorded_at\":\"2031-03-01T06:01:30+07:00\","
          "\"station\":\"Phường Bồ Đề\",\"announcement_id\":\"dvc\",\"title\":\"Dịch vụ công trực "
          "tuyến mức độ 3, 4\",\"trigger\":\"schedule\",\"uid\":null,\"user\":\"\",\"zones\":["
          "\"to-dan-pho-1\",\"cho-phuong\"],\"scheduled\":\"2031-03-01T06:00:00+07:00\","
          "\"started\":\"2031-03-01T06:00:01+07:00\",\"ended\":\"2031-03-01T06:01:30+07:00\","
          "\"lateness_ms\":1234,\"aired_ms\":89500,\"status\":\"played\",\"error\":\"\","
          "\"command\":\"\","
          "\"result\":\"\",\"schedule_sha256\":\"" +
              std::string(64, '5') + "\",\"audio_sha256\":[\"" + std::string(64, 'a') + "\",\"" +
              std::string(64, 'b') + "\"],\"hash\":\"" + fx.entries[2].hash + "\"}\n");

    r = ctl({"log", "--db", fx.db, "--json", "--status", "failed"});
    const json failed = json::parse(r.out);
    CHECK(failed["error"] == "alsa: cannot open \"hw:1,0\": Device or resource busy");
    CHECK(failed["title"] == "Lịch tiêm chủng \"mở rộng\"");
}

TEST_CASE("log filters by local dates or instants, announcement and status", "[e2e][log]") {
    LogFixture fx;
    struct Case {
        std::vector<std::string> args;
        Seqs expected;
    };
    const std::vector<Case> cases = {
        {{}, {1, 3, 4, 6, 7, 9, 10}},
        {{"--from", "2031-03-02", "--to", "2031-03-03"}, {6, 7, 9}},  // commands by when recorded
        {{"--from", "2031-03-01T06:01:00+07:00"}, {4, 6, 7, 9, 10}},  // inclusive
        {{"--to", "2031-02-28T23:01:00Z"}, {1, 3}},                   // exclusive
        {{"--from", "2031-03-03T06:30"}, {10}},                       // local, no offset
        {{"--announcement", "tiem-chung"}, {4, 6, 10}},
        {{"--announcement", "tiem-chung", "--status", "missed"}, {10}},
        {{"--status", "played", "--to", "2031-03-02"}, {3}},
        {{"--from", "2031-04-01"}, {}},
        {{"--all", "--from", "2031-03-02", "--to", "2031-03-03"}, {5, 6, 7, 8, 9}},
    };
    for (const Case& c : cases) {
        std::vector<std::string> args = {"log", "--db", fx.db, "--json"};
        args.insert(args.end(), c.args.begin(), c.args.end());
        auto r = ctl(args);
        INFO(r.err);
        CHECK(r.exit_code == 0);
        CHECK(seqs_of(r) == c.expected);
    }
    auto none = ctl({"log", "--db", fx.db, "--from", "2031-04-01"});
    CHECK(none.exit_code == 0);
    CHECK(none.out_lines().back() == "no entries");
    auto env = ctl({"log", "--json", "--status", "skipped"}, {{"WARDCAST_DB", fx.db}});
    CHECK(seqs_of(env) == Seqs{4});
}

TEST_CASE("log refuses bad options (exit 2) and unreadable files (exit 1) in one line",
          "[e2e][log]") {
    LogFixture fx;
    struct Case {
        std::vector<std::string> args;
        int exit_code;
        std::string err;
    };
    const std::string missing = (fx.dir.path() / "khong-co.db").string();
    const std::string text = fx.dir.write("notes.txt", std::string(3000, 'x')).string();
    const std::vector<Case> cases = {
        {{"--db", fx.db, "--from", "hôm qua"},
         2,
         "wardcastctl log: --from 'hôm qua' is not a DATE (2026-12-01) or an INSTANT "
         "(2026-12-01T06:00:00+07:00)"},
        {{"--db", fx.db, "--from", "2031-03-02", "--to", "2031-03-01"},
         2,
         "wardcastctl log: --to 2031-03-01T00:00:00+07:00 is not after --from "
         "2031-03-02T00:00:00+07:00"},
        {{"--db", fx.db, "--status", "aired"},
         2,
         "wardcastctl log: --status 'aired' is not one of played, failed, skipped, missed, "
         "preempted, cancelled, interrupted"},
        {{"--db", missing},
         1,
         "wardcastctl log: cannot open the broadcast log " + missing + ": no such file"},
        {{"--db", text},
         1,
         "wardcastctl log: cannot open the broadcast log " + text +
             ": not a wardcast broadcast log (file is not a database)"},
    };
    for (const Case& c : cases) {
        std::vector<std::string> args = {"log"};
        args.insert(args.end(), c.args.begin(), c.args.end());
        auto r = ctl(args);
        CHECK(r.exit_code == c.exit_code);
        CHECK(r.err == c.err + "\n");
        CHECK(r.out.empty());
    }
    auto both = ctl({"log", "--db", fx.db, "--csv", "--json"});
    CHECK(both.exit_code == 2);
    CHECK(both.err_lines().size() == 1);
}

TEST_CASE("verify: an untouched log is intact, its last hash the anchor", "[e2e][verify]") {
    LogFixture fx;
    auto r = ctl({"verify", "--db", fx.db});
    CHECK(r.exit_code == 0);
    CHECK(r.err.empty());
    CHECK(r.out == fx.db +
                       ": intact: 10 entries, last #10 recorded 2031-03-03T07:00:00+07:00, hash " +
                       fx.entries.back().hash + "\n");
    r = ctl({"verify", "--db", fx.db, "--json"});
    CHECK(r.exit_code == 0);
    CHECK(json::parse(r.out) == json{{"file", fx.db},
                                     {"intact", true},
                                     {"entries", 10},
                                     {"last_seq", 10},
                                     {"last_recorded_at", "2031-03-03T07:00:00+07:00"},
                                     {"last_hash", fx.entries.back().hash},
                                     {"bad_seq", nullptr},
                                     {"problem", nullptr}});
}

TEST_CASE("verify finds rows changed, removed, inserted or reordered with sqlite3",
          "[e2e][verify]") {
    const std::string columns =
        "kind, recorded_at, station, announcement_id, title, trigger, uid, user, zones, "
        "scheduled, started, ended, lateness_ms, status, error, audio_sha256, schedule_sha256, "
        "on_air_seq, command, result, prev_hash, hash, aired_ms";
    struct Case {
        const char* what;
        std::string sql;
        std::string problem;
    };
    const std::vector<Case> cases = {
        {"a failure made a success", "UPDATE entries SET status = 'played' WHERE seq = 6",
         "entry 6 was changed: its hash does not match its content"},
        {"an operator's name changed", "UPDATE entries SET user = 'admin' WHERE seq = 7",
         "entry 7 was changed: its hash does not match its content"},
        {"a skipped firing deleted", "DELETE FROM entries WHERE seq = 4",
         "entry 4 was removed: entries jump from 3 to 5"},
        {"a row added at the end",
         "INSERT INTO entries SELECT 11, " + columns + " FROM entries WHERE seq = 7",
         "entry 11 was inserted or reordered: its prev_hash does not match entry 10"},
        {"a row slipped into the middle",
         "UPDATE entries SET seq = seq + 100 WHERE seq >= 4;"
         " UPDATE entries SET seq = seq - 99 WHERE seq >= 104;"
         " INSERT INTO entries SELECT 4, " +
             columns + " FROM entries WHERE seq = 1",
         "entry 4 was inserted or reordered: its prev_hash does not match entry 3"},
        {"two rows swapped",
         "UPDATE entries SET seq = 100 WHERE seq = 6; UPDATE entries SET seq = 6 WHERE seq = 7;"
         " UPDATE entries SET seq = 7 WHERE seq = 100",
         "entry 6 was inserted or reordered: its prev_hash does not match entry 5"},
    };
    for (const Case& c : cases) {
        INFO(c.what);
        LogFixture fx;
        auto tamper = sqlite(
            fx.db, "DROP TRIGGER entries_no_update; DROP TRIGGER entries_no_delete; " + c.sql);
        REQUIRE(tamper.exit_code == 0);
        auto r = ctl({"verify", "--db", fx.db});
        CHECK(r.exit_code == 1);
        CHECK(r.out.empty());
        CHECK(r.err == fx.db + ": broken: " + c.problem + "\n");
        // --json: the problem, and no "last entry" to anchor to (null, not a made-up one).
        auto j = ctl({"verify", "--db", fx.db, "--json"});
        CHECK(j.exit_code == 1);
        auto parsed = json::parse(j.out);
        CHECK(parsed["intact"] == false);
        CHECK(parsed["problem"] == c.problem);
        CHECK(parsed["last_recorded_at"].is_null());
        CHECK(parsed["last_hash"].is_null());
    }
}

TEST_CASE("verify refuses what is not a wardcast log, exit 1", "[e2e][verify]") {
    TempDir dir;
    const std::string other = (dir.path() / "songs.db").string();
    REQUIRE(sqlite(other, "CREATE TABLE songs (title TEXT)").exit_code == 0);
    auto r = ctl({"verify", "--db", other});
    CHECK(r.exit_code == 1);
    CHECK(r.err == "wardcastctl verify: cannot open the broadcast log " + other +
                       ": not a wardcast broadcast log (an SQLite database of another kind, "
                       "application_id 0x00000000)\n");
}

TEST_CASE("an auditor's .backup copy in a folder they cannot write reads and verifies",
          "[e2e][verify]") {
    if (::geteuid() != 0) WARDCAST_SKIP("needs root to act as another user (runuser)");
    LogFixture fx;
    TempDir dir;  // root's: 0755, the copy 0644, read by `nobody`
    std::filesystem::permissions(dir.path(), std::filesystem::perms(0755));
    const std::string copy = (dir.path() / "copy.db").string();
    REQUIRE(sqlite(fx.db, ".backup " + copy).exit_code == 0);
    std::filesystem::permissions(copy, std::filesystem::perms(0644));
    const auto tool = dir.path() / "wardcastctl";
    std::filesystem::copy_file(WARDCASTCTL, tool);
    std::filesystem::permissions(tool, std::filesystem::perms(0755));
    auto r = run_process(
        {"/usr/sbin/runuser", "-u", "nobody", "--", tool.string(), "verify", "--db", copy});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find(": intact: 10 entries") != std::string::npos);
    r = run_process(
        {"/usr/sbin/runuser", "-u", "nobody", "--", tool.string(), "log", "--db", copy, "--json"});
    CHECK(r.exit_code == 0);
    CHECK_FALSE(r.out.empty());
    CHECK_FALSE(std::filesystem::exists(copy + "-shm"));  // read as it is, nothing written
}
