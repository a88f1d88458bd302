// A large district's broadcast log over three years, read through the real wardcastctl:
// one month of `log --json`, a whole `verify`, and the file's size per entry.
//   build/bench/bench_log [ENTRIES] [DB]
// ENTRIES defaults to 1,000,000. DB keeps the file (and reuses it when it exists) instead of a
// temporary one. Each row is the median of several runs beside its target (issue 15, on a
// 2-core machine): one month --json <= 50 ms, verify >= 600,000 entries/s; verify also beside
// python3 running docs/log-format.md's checker on the same file. Fails only on wrong results
// (a command that does not exit 0), never on time.

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/bulk_log.hpp"
#include "bench/measure.hpp"
#include "log/broadcast_log.hpp"
#include "tests/schedules/schedule_files.hpp"

namespace {

using wardcast::log::BroadcastLog;
using wardcast::log::Instant;
using wardcast::log::LogEntry;
using wardcast::names::EntryKind;
using wardcast::names::Status;
using wardcast::names::Trigger;
namespace names = wardcast::names;
using namespace std::chrono_literals;

using wardcast::bench::Measure;
using wardcast::bench::measure;

using wardcast::bench::BulkWriter;
using wardcast::bench::check;
using wardcast::bench::hex;

/// Three years of a district: 200 announcements over 40 zones, about 450 firings a day from
/// 05:30 local, mostly played; some failed, skipped, missed, preempted, cancelled; operator
/// commands and ad-hoc broadcasts every day.
void make_log(const std::filesystem::path& path, std::int64_t target) {
    const std::string schedule =
        "version: 1\nstation: { name: \"Quận Long Biên\", timezone: Asia/Ho_Chi_Minh }\n"
        "zones: [{ id: all, output: auto }]\nannouncements: []\n";
    std::mt19937_64 rng(20270301);
    const std::string schedule_sha = hex(rng);
    {
        BroadcastLog log(path);
        log.remember_schedule(schedule_sha, schedule, "/etc/wardcast/schedule.yaml");
    }
    std::vector<std::string> titles, audio;
    for (int a = 0; a < 200; ++a) {
        titles.push_back("Thông báo số " + std::to_string(a) +
                         ": lịch tiêm chủng, vệ sinh môi trường");
    }
    for (int a = 0; a < 200; ++a) audio.push_back(hex(rng));
    const std::string chime = hex(rng);
    const char* users[] = {"tuan", "lan", "minh"};
    const char* commands[] = {"pause", "resume", "play a17", "volume all 0.6", "stop"};

    BulkWriter w(path);
    const Instant first_day = wardcast::log::parse_utc("2026-01-01T00:00:00.000Z").value();
    for (Instant day = first_day; w.count() < target; day += 24h) {
        for (int k = 0; k < 450 && w.count() < target; ++k) {
            const int a = static_cast<int>(rng() % 200);
            LogEntry e;
            e.station = "Quận Long Biên";
            e.announcement_id = "a" + std::to_string(a);
            e.title = titles[a];
            e.trigger = k % 100 == 0 ? Trigger::catch_up : Trigger::schedule;
            for (int z = 0, n = 1 + static_cast<int>(rng() % 3); z < n; ++z) {
                e.zones.push_back("to-dan-pho-" + std::to_string(rng() % 40));
            }
            e.scheduled = day - 90min + std::chrono::seconds(k * 128);  // 05:30 local onwards
            e.schedule_sha256 = schedule_sha;
            e.audio_sha256 = {chime, audio[a]};
            const int roll = static_cast<int>(rng() % 100);
            if (roll < 4) {  // never aired
                e.kind = EntryKind::broadcast;
                e.status = roll < 3 ? Status::skipped : Status::missed;
                e.error = roll < 3 ? "zones busy with a" + std::to_string(rng() % 200) +
                                         " until 06:31; waited longer than max_delay 10m"
                                   : "the daemon was down; later than catch_up 5m";
                e.recorded_at = *e.scheduled + 11min;
                w.append(e, true);
                continue;
            }
            const auto late =
                std::chrono::milliseconds(rng() % 20 == 0 ? rng() % 300000 : rng() % 900);
            e.kind = EntryKind::on_air;
            e.started = *e.scheduled + late;
            e.lateness_ms = late.count();
            e.recorded_at = *e.started;
            const std::int64_t on_air = w.append(e, true);
            e.kind = EntryKind::broadcast;
            e.on_air_seq = on_air;
            e.ended = *e.started + std::chrono::seconds(40 + rng() % 120);
            e.recorded_at = *e.ended;
            e.status = roll < 94   ? Status::played
                       : roll < 97 ? Status::failed
                       : roll < 98 ? Status::preempted
                                   : Status::cancelled;
            if (e.status == Status::failed) e.error = "alsa:hw:1: device busy";
            w.append(e, false);
        }
        for (int k = 0; k < 5 && w.count() < target; ++k) {
            LogEntry op;
            op.kind = EntryKind::operator_command;
            op.station = "Quận Long Biên";
            op.trigger = Trigger::operator_request;
            op.uid = 1000 + k % 3;
            op.user = users[k % 3];
            op.command = commands[rng() % 5];
            op.result = "ok";
            op.schedule_sha256 = schedule_sha;
            op.recorded_at = day + std::chrono::minutes(60 + rng() % 600);
            w.append(op, false);
        }
    }
    w.commit();
}

std::int64_t count_entries(const std::filesystem::path& db) {
    sqlite3* raw = nullptr;
    sqlite3_stmt* q = nullptr;
    sqlite3_open_v2(db.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
    check(sqlite3_prepare_v2(raw, "SELECT max(seq) FROM entries", -1, &q, nullptr), raw, "count");
    check(sqlite3_step(q), raw, "count");
    const std::int64_t n = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(raw);
    return n;
}

// docs/log-format.md's checker, as documented.
constexpr const char* kPythonChecker = R"py(import hashlib, json, sqlite3, sys

db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
columns = [c[1] for c in db.execute("PRAGMA table_info(entries)")]
aired = "aired_ms" if "aired_ms" in columns else "NULL"  # schema 1 files have none
prev, expected_seq = "0" * 64, 1
for row in db.execute(
        "SELECT seq, kind, recorded_at, station, announcement_id, title, trigger, uid, user,"
        " zones, scheduled, started, ended, lateness_ms, status, error, audio_sha256,"
        " schedule_sha256, on_air_seq, command, result, prev_hash, hash, " + aired +
        " FROM entries ORDER BY seq"):
    fields = list(row[:21])
    fields[9] = json.loads(fields[9])    # zones
    fields[16] = json.loads(fields[16])  # audio_sha256
    if row[23] is not None:
        fields.append(row[23])           # aired_ms, only when set
    fields.append(prev)
    text = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if row[0] != expected_seq or row[21] != prev or row[22] != digest:
        sys.exit(f"entry {row[0]}: the chain is broken here")
    prev, expected_seq = row[22], expected_seq + 1
print(f"{expected_seq - 1} entries, chain intact, last hash {prev}")
)py";

bool failed = false;

// The median of `runs` runs; a run that does not exit 0 is a wrong result.
Measure median(const std::vector<std::string>& argv, int runs) {
    std::vector<Measure> all;
    for (int i = 0; i < runs; ++i) {
        all.push_back(measure(argv));
        if (all.back().exit_code != 0) {
            std::fprintf(stderr, "bench_log: %s exited %d\n", argv[1].c_str(),
                         all.back().exit_code);
            failed = true;
        }
    }
    std::sort(all.begin(), all.end(),
              [](const Measure& a, const Measure& b) { return a.seconds < b.seconds; });
    return all[all.size() / 2];
}

// "1,234,567"
std::string grouped(double value) {
    std::string digits = std::to_string(static_cast<long long>(value + 0.5)), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

void print_ms(const char* what, const Measure& m, const char* target) {
    std::printf("%-40s median %5.0f ms (cpu %5.0f ms)   %s\n", what, m.seconds * 1e3,
                m.cpu_seconds * 1e3, target);
}

}  // namespace

int main(int argc, char** argv) {
    const std::int64_t target = argc > 1 ? std::atoll(argv[1]) : 1000000;
    wardcast::test::TempDir dir;
    const std::filesystem::path db = argc > 2 ? argv[2] : dir.path() / "broadcasts.db";
    if (!std::filesystem::exists(db)) {
        // Made in a child, so that the commands measured below do not inherit its memory.
        const auto start = std::chrono::steady_clock::now();
        const pid_t pid = fork();
        if (pid == 0) {
            try {
                make_log(db, target);
            } catch (const std::exception& e) {
                std::fprintf(stderr, "bench_log: %s\n", e.what());
                _exit(1);
            }
            _exit(0);
        }
        int status = 0;
        waitpid(pid, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return 1;
        std::printf(
            "made %lld entries in %.1f s\n", static_cast<long long>(target),
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    const double entries = static_cast<double>(count_entries(db));
    const auto bytes = static_cast<double>(std::filesystem::file_size(db));
    std::printf("log: %s, %.0f entries, %.1f MB, %.0f bytes per entry\n", db.c_str(), entries,
                bytes / 1e6, bytes / entries);

    const std::vector<std::string> month = {WARDCASTCTL, "log",        "--db", db.string(),
                                            "--from",    "2027-03-01", "--to", "2027-04-01"};
    auto with = [&](std::vector<std::string> argv, std::initializer_list<const char*> more) {
        argv.insert(argv.end(), more.begin(), more.end());
        return argv;
    };
    print_ms("log one month (2027-03) --json", median(with(month, {"--json"}), 5),
             "target <= 50 ms");
    print_ms("log one month (2027-03), table", median(month, 5), "");
    print_ms("log one announcement, one month --csv",
             median(with(month, {"--announcement", "a17", "--csv"}), 5), "");
    const Measure v = median({WARDCASTCTL, "verify", "--db", db.string()}, 3);
    const std::filesystem::path script = dir.path() / "check_chain.py";
    std::ofstream(script) << kPythonChecker;
    const Measure py = median({"/usr/bin/python3", script.string(), db.string()}, 1);
    std::printf(
        "%-40s %s entries/s (cpu %.2f s)   target >= 600,000 entries/s   baseline (python3 "
        "reading the same log, the docs' checker) %s entries/s\n",
        "verify (whole chain)", grouped(entries / v.seconds).c_str(), v.cpu_seconds,
        grouped(entries / py.seconds).c_str());
    return failed ? 1 : 0;
}
