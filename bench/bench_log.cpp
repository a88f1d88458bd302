// A large district's broadcast log over three years, read through the real wardcastctl:
// one month of `log --json`, a whole `verify`, and the file's size per entry.
//   build/bench/bench_log [ENTRIES] [DB]
// ENTRIES defaults to 1,000,000. DB keeps the file (and reuses it when it exists) instead of a
// temporary one. Targets on a 2-core machine: one month < 100 ms, verify > 200,000 entries/s.

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
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

void print(const char* what, const Measure& m, const std::string& extra = "") {
    std::printf("%-40s %7.3f s (cpu %6.3f s)  peak %6.1f MB  exit %d%s\n", what, m.seconds,
                m.cpu_seconds, m.peak_kib / 1024.0, m.exit_code, extra.c_str());
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

    print("log one month (2027-03) --json",
          measure({WARDCASTCTL, "log", "--db", db.string(), "--from", "2027-03-01", "--to",
                   "2027-04-01", "--json"}));
    print("log one month (2027-03), table",
          measure({WARDCASTCTL, "log", "--db", db.string(), "--from", "2027-03-01", "--to",
                   "2027-04-01"}));
    print("log one announcement, one month --csv",
          measure({WARDCASTCTL, "log", "--db", db.string(), "--from", "2027-03-01", "--to",
                   "2027-04-01", "--announcement", "a17", "--csv"}));
    const Measure v = measure({WARDCASTCTL, "verify", "--db", db.string()});
    char rate[80];
    std::snprintf(rate, sizeof rate, "  %.0f entries/s (%.0f per cpu s)", entries / v.seconds,
                  entries / v.cpu_seconds);
    print("verify (whole chain)", v, rate);
    return 0;
}
