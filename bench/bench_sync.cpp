// wardcast-sync against a PostgreSQL 15 of its own on 127.0.0.1 (tests/district/pg_server.hpp),
// the ward logging in over TCP with its password, as a ward does:
//   build/bench/bench_sync [ENTRIES]
// (a) a backlog of ENTRIES (default 100,000) realistic entries, shipped whole by the real
//     wardcast-sync --once, batch 500 and 5000, and by sync::Shipper in this process (the same
//     SQL, without the program's start and heartbeat): entries/s.
// (b) wardcast-sync running (--interval 1m): 200 entries appended one at a time by
//     log::BroadcastLog, 50 to 100 ms apart; the delay from the append's return to the entry
//     being visible at the district (polled every millisecond), and to its received_at (the
//     server's clock at insert, same machine): p50, p99, max. Also the CPU wardcast-sync spends
//     watching the file while idle.
// (c) wardcast-district report for a month of WARDS (default 200) wards.
// (d) a campaign with 40 MB of audio (four 10 MB WAV files): `wardcast-district campaign add`
//     (the check, hashing, storing in 1 MiB chunks), then the ward's `wardcast-sync --once`
//     installing it beside a real wardcastd (fetching, hashing, writing with fsync, the check
//     of the ward's whole schedule, the reload), then a round with nothing new to install.
// Prints figures and their targets; never fails on time.

#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>  // pg_server.hpp uses chmod without including it
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench/bulk_log.hpp"
#include "bench/measure.hpp"
#include "common/sha256.hpp"
#include "district/pg.hpp"
#include "district/schema.hpp"
#include "district/store.hpp"
#include "district/wards.hpp"
#include "log/broadcast_log.hpp"
#include "sync/district_link.hpp"
#include "sync/shipper.hpp"
#include "tests/audio/wav_fixtures.hpp"
#include "tests/district/pg_server.hpp"
#include "tests/e2e/daemon_process.hpp"
#include "tests/e2e/process.hpp"
#include "tests/schedules/schedule_files.hpp"

namespace {

using namespace std::chrono_literals;
using wardcast::log::BroadcastLog;
using wardcast::log::Instant;
using wardcast::log::LogEntry;
using wardcast::names::EntryKind;
using wardcast::names::Status;
using wardcast::names::Trigger;
namespace fs = std::filesystem;
namespace names = wardcast::names;
namespace pg = wardcast::district::pg;
using Clock = std::chrono::steady_clock;

using wardcast::bench::BulkWriter;
using wardcast::bench::hex;

/// A ward's days as bench_log makes them: 200 announcements over 40 zones, about 450 firings a
/// day, mostly played (an on_air entry and its outcome), some not aired or failed, five
/// operator commands a day.
void make_log(const fs::path& path, std::int64_t target) {
    const std::string schedule =
        "version: 1\nstation: { name: \"Phường Bồ Đề\", timezone: Asia/Ho_Chi_Minh }\n"
        "zones: [{ id: all, output: auto }]\nannouncements: []\n";
    std::mt19937_64 rng(20270301);
    const std::string schedule_sha = wardcast::sha256_hex(schedule);
    {
        BroadcastLog log(path);  // the schema, WAL mode, and the -wal/-shm that stay
        log.remember_schedule(schedule_sha, schedule, "/etc/wardcast/schedule.yaml");
    }
    std::vector<std::string> titles, audio;
    for (int a = 0; a < 200; ++a) {
        titles.push_back("Thông báo số " + std::to_string(a) +
                         ": lịch tiêm chủng, vệ sinh môi trường");
        audio.push_back(hex(rng));
    }
    const std::string chime = hex(rng);
    const char* users[] = {"tuan", "lan", "minh"};
    const char* commands[] = {"pause", "resume", "play a17", "volume all 0.6", "stop"};

    BulkWriter w(path);
    const Instant first_day = wardcast::log::parse_utc("2026-01-01T00:00:00.000Z").value();
    for (Instant day = first_day; w.count() < target; day += 24h) {
        for (int k = 0; k < 450 && w.count() < target; ++k) {
            const int a = static_cast<int>(rng() % 200);
            LogEntry e;
            e.station = "Phường Bồ Đề";
            e.announcement_id = "a" + std::to_string(a);
            e.title = titles[a];
            e.trigger = k % 100 == 0 ? Trigger::catch_up : Trigger::schedule;
            for (int z = 0, n = 1 + static_cast<int>(rng() % 3); z < n; ++z) {
                e.zones.push_back("to-dan-pho-" + std::to_string(rng() % 40));
            }
            e.scheduled = day - 90min + std::chrono::seconds(k * 128);
            e.schedule_sha256 = schedule_sha;
            e.audio_sha256 = {chime, audio[a]};
            const int roll = static_cast<int>(rng() % 100);
            if (roll < 4) {
                e.kind = EntryKind::broadcast;
                e.status = roll < 3 ? Status::skipped : Status::missed;
                e.error = roll < 3 ? "zones busy with a" + std::to_string(rng() % 200) +
                                         " until 06:31; waited longer than max_delay 10m"
                                   : "the daemon was down; later than catch_up 5m";
                e.aired_ms = 0;
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
            e.aired_ms =
                std::chrono::duration_cast<std::chrono::milliseconds>(*e.ended - *e.started)
                    .count();
            w.append(e, false);
        }
        for (int k = 0; k < 5 && w.count() < target; ++k) {
            LogEntry op;
            op.kind = EntryKind::operator_command;
            op.station = "Phường Bồ Đề";
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

/// The district: its own server, a database, the schema, and wards added on demand, each with
/// its connection string over 127.0.0.1 and its password file.
class District {
  public:
    explicit District(const fs::path& dir) : dir_(dir) {
        pg::Connection admin(server_.local_conninfo("postgres"), "bench_sync");
        admin.exec("CREATE DATABASE wardcast ENCODING 'UTF8' TEMPLATE template0", {}, "createdb");
        pg::Connection db(local(), "bench_sync");
        wardcast::district::init_schema(db);
    }
    std::string local() const { return server_.local_conninfo("wardcast"); }

    /// Adds `ward`; the connection string its wardcast-sync uses.
    std::string add_ward(const std::string& ward) {
        pg::Connection db(local(), "bench_sync");
        wardcast::district::AddWardOptions options;
        options.host = "127.0.0.1";
        options.sslmode = "require";
        const auto added = wardcast::district::add_ward(db, ward, options);
        const fs::path passfile = dir_ / ("pgpass-" + ward);
        {
            std::ofstream out(passfile);
            out << added.passfile_line << '\n';
        }
        fs::permissions(passfile, fs::perms::owner_read | fs::perms::owner_write);
        // The server has no TLS here: the printed string with sslmode overridden.
        return added.conninfo + " sslmode=disable passfile=" + passfile.string();
    }

  private:
    wardcast::test::PgServer server_;
    fs::path dir_;
};

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

void backlog(District& district, const fs::path& db, double entries) {
    std::printf("(a) a backlog of %.0f entries shipped to an empty district's copy, over TCP\n",
                entries);
    std::printf(
        "    target: > 2,000 entries/s (100,000 entries, some 100 days of a ward, in a "
        "minute)\n");
    for (const int batch : {500, 5000}) {
        const std::string ward = "once-" + std::to_string(batch);
        const std::string conninfo = district.add_ward(ward);
        const wardcast::bench::Measure m = wardcast::bench::measure(
            {WARDCAST_SYNC, "--once", "--db", db.string(), "--socket", "/nonexistent/control.sock",
             "--district", conninfo, "--batch", std::to_string(batch)});
        std::printf(
            "    wardcast-sync --once --batch %-5d %7.2f s  %7.0f entries/s  (its cpu %.2f "
            "s, the rest is the server's)  exit %d\n",
            batch, m.seconds, entries / m.seconds, m.cpu_seconds, m.exit_code);
    }
    for (const std::size_t batch : {500, 5000}) {
        const std::string ward = "shipper-" + std::to_string(batch);
        const std::string conninfo = district.add_ward(ward);
        wardcast::sync::Shipper shipper(db, batch);
        const auto start = Clock::now();
        wardcast::sync::DistrictLink link(conninfo, ward);
        const wardcast::sync::Round r = shipper.round(link);
        const double s = seconds_since(start);
        std::printf(
            "    sync::Shipper, batch %-5zu         %7.2f s  %7.0f entries/s  (%lld shipped%s%s)\n",
            batch, s, static_cast<double>(r.shipped) / s, static_cast<long long>(r.shipped),
            r.error.empty() ? "" : "; ", r.error.c_str());
    }
}

/// wardcast-sync in the background; SIGTERM when done.
class Running {
  public:
    explicit Running(const std::vector<std::string>& argv) {
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        pid_ = fork();
        if (pid_ == 0) {
            const int null = open("/dev/null", O_WRONLY);
            dup2(null, 2);
            execv(args[0], args.data());
            _exit(127);
        }
    }
    ~Running() {
        kill(pid_, SIGTERM);
        waitpid(pid_, nullptr, 0);
    }
    Running(const Running&) = delete;
    Running& operator=(const Running&) = delete;

    /// The CPU time it used so far (user + system), from /proc.
    double cpu_seconds() const {
        std::ifstream in("/proc/" + std::to_string(pid_) + "/stat");
        std::string stat((std::istreambuf_iterator<char>(in)), {});
        const auto close = stat.rfind(')');
        std::istringstream fields(stat.substr(close + 2));
        std::string field;
        long long utime = 0, stime = 0;
        for (int i = 3; fields >> field; ++i) {
            if (i == 14) utime = std::stoll(field);
            if (i == 15) {
                stime = std::stoll(field);
                break;
            }
        }
        return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
    }

  private:
    pid_t pid_ = -1;
};

double percentile(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
}

void prompt(District& district, const fs::path& dir) {
    constexpr int count = 200;
    std::printf(
        "\n(b) wardcast-sync running (--interval 1m); %d entries appended one at a time, "
        "50-100 ms apart\n",
        count);
    std::printf(
        "    target: p99 < 250 ms from the append's return (it looks at the file every "
        "100 ms, then one round: a few round trips)\n");
    const std::string conninfo = district.add_ward("prompt");
    const fs::path db = dir / "prompt.db";
    BroadcastLog log(db);  // kept open, as wardcastd keeps it
    LogEntry op;
    op.station = "Phường Bồ Đề";
    op.trigger = Trigger::operator_request;
    op.uid = 1001;
    op.user = "lan";
    op.result = "ok";
    op.command = "volume all 0.6";
    log.record_operator(op);

    Running sync({WARDCAST_SYNC, "--db", db.string(), "--socket", "/nonexistent/control.sock",
                  "--district", conninfo, "--interval", "1m"});
    pg::Connection watcher(district.local(), "bench_sync");
    auto held = [&] {
        return watcher
            .exec("SELECT coalesce(max(seq), 0) FROM public.entries WHERE ward = 'prompt'", {},
                  "poll")
            .int64(0, 0);
    };
    const auto ready_by = Clock::now() + 60s;
    while (held() < 1 && Clock::now() < ready_by) std::this_thread::sleep_for(10ms);
    if (held() < 1) {
        std::printf("    wardcast-sync did not ship its first entry within 60 s\n");
        return;
    }
    // Idle: what watching the file costs.
    const double cpu_before = sync.cpu_seconds();
    std::this_thread::sleep_for(5s);
    const double idle_cpu = (sync.cpu_seconds() - cpu_before) / 5.0;

    // The appends keep their own pace (as wardcastd's do), on a thread of their own, whatever
    // the district does; this thread polls the district and notes when each entry appears.
    std::vector<Clock::time_point> committed(count);
    std::vector<double> committed_wall_ms(count);
    std::atomic<int> appended{0};
    const std::int64_t first_seq = held() + 1;
    std::thread appender([&] {
        std::mt19937 rng(7);
        LogEntry e = op;
        for (int i = 0; i < count; ++i) {
            const auto next = Clock::now() + std::chrono::milliseconds(50 + rng() % 51);
            e.command = "volume loa-" + std::to_string(i % 7) + " 0.80";
            log.record_operator(e);
            committed[static_cast<std::size_t>(i)] = Clock::now();
            committed_wall_ms[static_cast<std::size_t>(i)] =
                std::chrono::duration<double, std::milli>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
            appended.store(i + 1, std::memory_order_release);
            std::this_thread::sleep_until(next);
        }
    });
    std::vector<double> polled;
    const auto give_up = Clock::now() + std::chrono::seconds(count / 10 + 30);
    for (std::int64_t seen = first_seq - 1;
         seen < first_seq - 1 + count && Clock::now() < give_up;) {
        const std::int64_t now_held = held();
        const auto at = Clock::now();
        const int done = appended.load(std::memory_order_acquire);
        for (; seen < now_held && seen - first_seq + 1 < done; ++seen) {
            const auto i = static_cast<std::size_t>(seen - first_seq + 1);
            polled.push_back(std::chrono::duration<double, std::milli>(at - committed[i]).count());
        }
        std::this_thread::sleep_for(1ms);
    }
    appender.join();
    const int lost = count - static_cast<int>(polled.size());
    std::vector<double> received;
    const auto rows = watcher.exec(
        "SELECT seq, extract(epoch FROM received_at) * 1000 FROM public.entries WHERE ward = "
        "'prompt' AND seq >= $1 ORDER BY seq",
        {std::to_string(first_seq)}, "received_at");
    for (int r = 0; r < rows.rows() && r < count; ++r) {
        received.push_back(
            std::stod(rows.text(r, 1)) -
            committed_wall_ms[static_cast<std::size_t>(rows.int64(r, 0) - first_seq)]);
    }
    const auto heartbeats =
        watcher.exec("SELECT count(*) FROM public.ward_status WHERE ward = 'prompt'", {}, "count")
            .int64(0, 0);
    if (polled.empty() || received.empty()) {
        std::printf("    no entry arrived\n");
        return;
    }
    std::printf(
        "    append -> visible at the district (polled every 1 ms): p50 %6.1f ms  p99 "
        "%6.1f ms  max %6.1f ms\n",
        percentile(polled, 0.5), percentile(polled, 0.99), percentile(polled, 1.0));
    std::printf(
        "    append -> received_at (server's clock at insert):     p50 %6.1f ms  p99 "
        "%6.1f ms  max %6.1f ms\n",
        percentile(received, 0.5), percentile(received, 0.99), percentile(received, 1.0));
    std::printf(
        "    %zu of %d arrived (%d did not in time); heartbeats sent meanwhile: %lld "
        "(one a minute)\n",
        polled.size(), count, lost, static_cast<long long>(heartbeats));
    std::printf("    watching the file while idle: %.2f%% of a core\n", idle_cpu * 100);
}

}  // namespace

/// (c) `wardcast-district report` for one month of `wards` wards, each with 30 announcements
/// airing daily (their on_air and outcome entries, as wardcastd writes them: 3,721 entries a
/// ward), stored through the store's own insert path (the chain trigger on every row).
void district_report(District& district, int wards) {
    std::printf(
        "\n(c) wardcast-district report --month 2026-12 for %d wards x 30 announcements "
        "a day\n",
        wards);
    std::string yaml =
        "version: 1\nstation: { name: \"Phường\", timezone: Asia/Ho_Chi_Minh }\n"
        "zones: [{ id: loa, output: auto }]\nannouncements:\n";
    for (int a = 0; a < 30; ++a) {
        char at[8];
        std::snprintf(at, sizeof at, "%02d:%02d", 6 + a / 4, (a % 4) * 15);
        yaml += "  - { id: a" + std::to_string(a) + ", title: \"Tuyên truyền cải cách hành chính " +
                std::to_string(a) + "\", zones: [loa], audio: a" + std::to_string(a) +
                ".ogg, at: [\"" + at + "\"] }\n";
    }
    const std::string sha = wardcast::sha256_hex(yaml);
    const Instant loaded = wardcast::log::parse_utc("2026-11-30T10:00:00.000Z").value();
    const Instant first =
        wardcast::log::parse_utc("2026-11-30T17:00:00.000Z").value();  // 00:00 +07
    pg::Connection admin(district.local(), "bench_sync");
    const auto start = Clock::now();
    std::int64_t stored = 0;
    for (int w = 0; w < wards; ++w) {
        const std::string ward = "phuong-" + std::to_string(w);
        district.add_ward(ward);
        wardcast::district::insert_schedules(admin, ward,
                                             {{sha, yaml, "/etc/wardcast/schedule.yaml", loaded}});
        std::vector<LogEntry> entries;
        std::string prev = std::string(64, '0');
        std::int64_t seq = 0;
        auto add = [&](LogEntry e) {
            e.seq = ++seq;
            e.prev_hash = prev;
            e.hash = BroadcastLog::entry_hash(e, prev);
            prev = e.hash;
            entries.push_back(std::move(e));
            return e.seq;
        };
        LogEntry load;
        load.kind = EntryKind::operator_command;
        load.station = "Phường " + std::to_string(w);
        load.recorded_at = loaded;
        load.command =
            names::load_schedule_entry("/etc/wardcast/schedule.yaml", names::LoadReason::start);
        load.result = "ok";
        load.user = "wardcast";
        load.schedule_sha256 = sha;
        add(load);
        for (int day = 0; day < 31; ++day) {
            for (int a = 0; a < 30; ++a) {
                LogEntry e;
                e.station = load.station;
                e.announcement_id = "a" + std::to_string(a);
                e.title = "Tuyên truyền cải cách hành chính " + std::to_string(a);
                e.trigger = Trigger::schedule;
                e.zones = {"loa"};
                e.scheduled = first + std::chrono::hours(24 * day + 6 + a / 4) +
                              std::chrono::minutes((a % 4) * 15);
                e.schedule_sha256 = sha;
                e.kind = EntryKind::on_air;
                e.started = *e.scheduled + 2ms;
                e.lateness_ms = 2;
                e.recorded_at = *e.started;
                const auto on_air = add(e);
                e.kind = EntryKind::broadcast;
                e.on_air_seq = on_air;
                e.ended = *e.started + 90s;
                e.recorded_at = *e.ended;
                e.aired_ms = 90000;
                e.status = (day * 30 + a + w) % 50 == 0 ? Status::failed : Status::played;
                if (e.status == Status::failed) e.error = "alsa:hw:1: device busy";
                add(e);
            }
        }
        for (std::size_t i = 0; i < entries.size(); i += 2000) {
            std::vector<LogEntry> batch(
                entries.begin() + static_cast<std::ptrdiff_t>(i),
                entries.begin() + static_cast<std::ptrdiff_t>(std::min(i + 2000, entries.size())));
            wardcast::district::insert_entries(admin, ward, batch);
        }
        stored += static_cast<std::int64_t>(entries.size());
    }
    std::printf("    stored %lld entries of %d wards in %.1f s\n", static_cast<long long>(stored),
                wards, seconds_since(start));
    std::printf(
        "    target: none given; a district auditor's monthly page should come in seconds\n");
    for (const char* form : {"", "--json", "--csv"}) {
        std::vector<std::string> argv = {WARDCAST_DISTRICT, "--db",    district.local(),
                                         "report",          "--month", "2026-12"};
        if (*form) argv.push_back(form);
        // Best of three runs, to the null device.
        double best = 1e9, cpu = 0;
        int code = 0;
        for (int run = 0; run < 3; ++run) {
            const auto m = wardcast::bench::measure(argv, {});
            if (m.seconds < best) best = m.seconds, cpu = m.cpu_seconds;
            code = m.exit_code;
        }
        std::printf("    report %-7s %6.2f s (best of 3; its cpu %.2f s)  exit %d\n",
                    *form ? form : "(table)", best, cpu, code);
    }
    const std::string r = wardcast::test::run_process({WARDCAST_DISTRICT, "--db", district.local(),
                                                       "report", "--month", "2026-12", "--json"})
                              .out;
    const auto last = r.substr(r.rfind('\n', r.size() - 2) + 1);
    std::printf("    district total: %s", last.c_str());
}

// Runs `argv` and returns its wall time in seconds; throws when it fails.
double timed_run(const std::vector<std::string>& argv, const std::string& what,
                 const std::map<std::string, std::string>& env = {}) {
    const auto start = Clock::now();
    const auto r = wardcast::test::run_process(argv, env);
    const double took = seconds_since(start);
    if (r.exit_code != 0)
        throw std::runtime_error(what + " failed (exit " + std::to_string(r.exit_code) +
                                 "): " + r.err);
    return took;
}

void campaign(District& district, const fs::path& dir) {
    std::printf(
        "\n(d) a campaign with 40 MB of audio (four 10 MB WAV files), published and installed at "
        "a ward beside a real wardcastd\n");
    const fs::path folder = dir / "district" / "cchc-lon";
    std::string text = "announcements:\n";
    for (int i = 0; i < 4; ++i) {
        const std::string name = "audio/phan-" + std::to_string(i) + ".wav";
        fs::create_directories(folder / "audio");
        wardcast::test::write_tone(folder / name, 113000);  // 44.1 kHz mono 16-bit: 10 MB
        text += "  - id: cchc-lon-" + std::to_string(i) + "\n    title: \"Phần " +
                std::to_string(i) + "\"\n    audio: [" + name + "]\n    at: [\"0" +
                std::to_string(6 + i) + ":00\"]\n";
    }
    std::ofstream(folder / "cchc-lon.yaml") << text;
    const std::string conninfo = district.add_ward("cam-bench");
    const fs::path ward = dir / "cam-bench";
    fs::create_directories(ward);
    std::ofstream(ward / "schedule.yaml")
        << "station: { name: \"Phường thử\", timezone: UTC }\nzones:\n"
           "  - { id: all, output: \"null\" }\ninclude: [campaigns/*/*.yaml]\n";
    const std::map<std::string, std::string> cache = {
        {"WARDCAST_CACHE", (ward / "cache").string()}};
    wardcast::test::Daemon daemon(
        {"--schedule", (ward / "schedule.yaml").string(), "--db", (ward / "broadcasts.db").string(),
         "--socket", (ward / "control.sock").string()},
        ward / "wardcastd.log", cache);
    if (!daemon.wait_for_output("next: ", 60s) && !daemon.wait_for_output("nothing", 1s))
        std::printf("    (wardcastd said: %s)\n", daemon.output().c_str());
    const double add = timed_run({WARDCAST_DISTRICT, "--db", district.local(), "campaign", "add",
                                  (folder / "cchc-lon.yaml").string()},
                                 "campaign add", cache);
    std::printf("    campaign add (check, hash, store):   %6.2f s  (%.0f MB/s)\n", add, 40.0 / add);
    const std::vector<std::string> sync = {WARDCAST_SYNC, "--once",
                                           "--db",        (ward / "broadcasts.db").string(),
                                           "--district",  conninfo,
                                           "--socket",    (ward / "control.sock").string(),
                                           "--campaigns", (ward / "campaigns").string()};
    const double install = timed_run(sync, "wardcast-sync --once (install)", cache);
    std::printf("    wardcast-sync --once installing it:  %6.2f s  (%.0f MB/s, with the reload)\n",
                install, 40.0 / install);
    const double idle = timed_run(sync, "wardcast-sync --once (nothing new)", cache);
    std::printf(
        "    wardcast-sync --once, nothing new:   %6.2f s  (the program's start included)\n", idle);
    std::printf(
        "    (no target: for reference; a ward's 4G link, not these, bounds a real install)\n");
}

int main(int argc, char** argv) {
    try {
        const std::int64_t target = argc > 1 ? std::atoll(argv[1]) : 100000;
        wardcast::test::TempDir dir;
        if (!wardcast::test::PgServer::installed()) {
            std::printf("bench_sync: PostgreSQL 15 is not installed (apt install postgresql-15)\n");
            return 0;
        }
        const fs::path db = dir.path() / "broadcasts.db";
        auto start = Clock::now();
        make_log(db, target);
        std::printf("ward log: %lld entries written in %.1f s\n", static_cast<long long>(target),
                    seconds_since(start));
        start = Clock::now();
        District district(dir.path());
        std::printf(
            "district: PostgreSQL 15 started and initialised in %.1f s (fsync=off, as "
            "the tests' server: a real one adds a WAL flush per batch)\n\n",
            seconds_since(start));
        backlog(district, db, static_cast<double>(target));
        prompt(district, dir.path());
        district_report(district, argc > 2 ? std::atoi(argv[2]) : 200);
        campaign(district, dir.path());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_sync: %s\n", e.what());
        return 1;
    }
    return 0;
}
