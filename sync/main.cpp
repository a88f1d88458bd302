// wardcast-sync: ships the ward's broadcast log to the district's store (SPEC §9) as soon as
// wardcastd writes it, sends a heartbeat every --interval, and says what it did in the journal
// (stderr) and in the district's status.

#include <signal.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "audio/audio_library.hpp"
#include "common/protocol.hpp"
#include "ctl/client.hpp"
#include "schedules/duration.hpp"
#include "sync/campaigns.hpp"
#include "sync/district_link.hpp"
#include "sync/shipper.hpp"
#include "wardcast/version.hpp"

namespace {

using namespace wardcast;
using std::chrono::milliseconds;

std::atomic<bool> stopping{false};
void on_signal(int) { stopping = true; }

constexpr const char* default_district_file = "/etc/wardcast/district.conf";

// The connection string in `path`: its lines without comments and blank lines, joined.
std::string read_conninfo(const std::string& path) {
    std::ifstream in(path);
    if (!in)
        throw std::runtime_error("cannot read " + path + " (the district's connection string)");
    std::string line, conninfo;
    while (std::getline(in, line)) {
        const auto first = line.find_first_not_of(" \t\r");
        if (first == std::string::npos || line[first] == '#') continue;
        conninfo += (conninfo.empty() ? "" : " ") + line.substr(first);
    }
    if (conninfo.empty()) throw std::runtime_error(path + ": no connection string in it");
    return conninfo;
}

using Clock = std::chrono::steady_clock;

// How often the ward's file is looked at between rounds: an entry wardcastd commits is
// shipped within this (plus the round's own round trips), not at the next heartbeat.
constexpr milliseconds watch_every{100};

// Sleeps until `until`, in small steps so that SIGTERM ends the wait at once.
void pause_until(Clock::time_point until) {
    while (!stopping) {
        const auto now = Clock::now();
        if (now >= until) return;
        std::this_thread::sleep_for(std::min<Clock::duration>(watch_every, until - now));
    }
}

// Returns once the ward's file holds an entry after `held`, at `until` (the next heartbeat), or
// on SIGTERM. A file that cannot be read now is left to the next round to report.
void wait_for_entries(sync::Shipper& shipper, std::int64_t held, Clock::time_point until) {
    while (!stopping && Clock::now() < until) {
        try {
            if (shipper.file_seq() > held) return;
        } catch (const std::exception&) {
            pause_until(until);
            return;
        }
        pause_until(std::min(until, Clock::now() + watch_every));
    }
}

// What wardcastd says of itself, for the district's status; an "unreachable" note when it
// does not answer (the sync goes on: shipping does not need the daemon).
nlohmann::json daemon_status(const std::string& socket) {
    try {
        ctl::Client client({socket}, std::chrono::seconds(2));
        nlohmann::json reply = client.request(protocol::cmd::status, nlohmann::json::object(),
                                              std::chrono::seconds(5));
        if (reply.value("ok", false) && reply.contains("result")) return reply["result"];
        return {{"unreachable", reply.value("error", nlohmann::json::object()).dump()}};
    } catch (const std::exception& e) {
        return {{"unreachable", e.what()}};
    }
}

std::string round_line(const sync::Round& r) {
    std::ostringstream out;
    out << "shipped " << r.shipped << (r.shipped == 1 ? " entry" : " entries")
        << ", the district holds up to " << r.district_seq << ", " << r.waiting << " waiting";
    return out.str();
}

struct Options {
    std::string district;  // the connection string
    std::string ward;      // "" or the ward the login must belong to
    std::string socket;    // wardcastd's
    milliseconds interval;
    bool once = false;
};

// What a round did: the log's shipping, then the campaigns (only when the district answered).
struct FullRound {
    sync::Round log;
    std::optional<sync::CampaignRound> campaigns;
    std::string campaign_error;  // the campaign step could not reach the district
};

// The heartbeat: the sync's state after `r` and what wardcastd says of itself. interval_ms
// lets the district tell a ward that went silent from one that reports rarely.
nlohmann::json heartbeat(const sync::Round& r, const std::string& campaign_error,
                         const Options& o) {
    return {{"sync",
             {{"waiting", r.waiting},
              {"campaign_error", campaign_error},
              {"district_seq", r.district_seq},
              {"error", r.error},
              {"refused_seq", r.refused_seq ? nlohmann::json(*r.refused_seq) : nullptr},
              {"parted_at", r.parted_at ? nlohmann::json(*r.parted_at) : nullptr},
              {"found_here", r.found_here},
              {"interval_ms", o.interval.count()}}},
            {"daemon", daemon_status(o.socket)}};
}

// One round on the kept connection (opened when there is none): the log's entries, then (with
// the heartbeat, when `with_heartbeat`) the campaigns and the status. A broken connection is
// dropped, to be opened again next round.
FullRound ship_round(sync::Shipper& shipper, sync::CampaignInstaller& installer,
                     std::unique_ptr<sync::DistrictLink>& link, const Options& o,
                     bool with_heartbeat) {
    FullRound full;
    sync::Round& r = full.log;
    try {
        const bool fresh = !link;
        if (!link) link = std::make_unique<sync::DistrictLink>(o.district, o.ward);
        r = shipper.round(*link);
        if (!fresh && !link->usable()) {
            // The kept connection broke while idle (the server restarted, a NAT forgot it):
            // once more on a new one before calling the district unreachable.
            const std::int64_t shipped = r.shipped;
            link = std::make_unique<sync::DistrictLink>(o.district, o.ward);
            r = shipper.round(*link);
            r.shipped += shipped;
        }
        if (with_heartbeat && link->usable()) {
            try {
                full.campaigns = installer.round(*link);
            } catch (const std::exception& e) {
                full.campaign_error = e.what();
            }
            link->report(
                heartbeat(r, full.campaigns ? full.campaigns->error : full.campaign_error, o));
        }
    } catch (const std::exception& e) {
        r.error = e.what();
    }
    if (link && !link->usable()) link.reset();
    return full;
}

// Says what the campaign step did: each report it sent, and a failure to reach the district.
void say_campaigns(const FullRound& full) {
    if (!full.campaign_error.empty())
        std::cerr << "wardcast-sync: campaigns: " << full.campaign_error << " (retrying)\n";
    if (!full.campaigns) return;
    for (const sync::CampaignReport& c : full.campaigns->reported) {
        std::cerr << "wardcast-sync: campaign " << c.id << " version " << c.version << ": "
                  << sync::state_name(c.state);
        if (!c.schedule_sha256.empty()) std::cerr << ", schedule " << c.schedule_sha256;
        if (!c.errors.empty())
            std::cerr << " (" << c.errors.size() << (c.errors.size() == 1 ? " error" : " errors")
                      << ")";
        std::cerr << "\n";
        for (const std::string& line : c.errors) std::cerr << "wardcast-sync:   " << line << "\n";
    }
}

// Says what a round did, only when something changed: entries shipped, a new error, a
// refusal (every time: someone must look), or the district back after an error.
void say(const sync::Round& r, const std::string& last_error) {
    if (r.refused_seq && r.found_here) {
        std::cerr << "wardcast-sync: " << r.error
                  << "; this ward's log and the district's copy part at entry "
                  << r.parted_at.value_or(*r.refused_seq) << "\n";
    } else if (r.refused_seq) {
        std::cerr << "wardcast-sync: the district refused entry " << *r.refused_seq << ": "
                  << r.error << "; this ward's log and the district's copy part at entry "
                  << r.parted_at.value_or(*r.refused_seq) << "\n";
    } else if (!r.error.empty()) {
        if (r.error != last_error) std::cerr << "wardcast-sync: " << r.error << " (retrying)\n";
    } else if (r.shipped > 0 || !last_error.empty()) {
        std::cerr << "wardcast-sync: " << round_line(r) << "\n";
    }
}

// Rounds until SIGTERM: one at each heartbeat (every interval), and one as soon as the ward's
// file holds entries the district lacks; the connection is kept between them. While the
// district cannot be reached (or refuses), each wait is twice the last, up to ten intervals.
// Airing never waits for any of this.
int run(sync::Shipper& shipper, sync::CampaignInstaller& installer, const Options& o) {
    std::unique_ptr<sync::DistrictLink> link;
    milliseconds backoff = o.interval;
    std::string last_error;
    Clock::time_point next_heartbeat = Clock::now();
    while (!stopping) {
        const Clock::time_point started = Clock::now();
        const bool with_heartbeat = started >= next_heartbeat;
        if (with_heartbeat) next_heartbeat = started + o.interval;
        const FullRound full = ship_round(shipper, installer, link, o, with_heartbeat);
        const sync::Round& r = full.log;
        say(r, last_error);
        say_campaigns(full);
        last_error = r.error;
        if (o.once) {
            const bool campaigns_done = full.campaigns && full.campaigns->all_handled;
            return r.error.empty() && r.waiting == 0 && campaigns_done ? 0 : 1;
        }
        if (!r.error.empty()) {
            backoff = std::min(backoff * 2, o.interval * 10);
            pause_until(Clock::now() + backoff);
            continue;
        }
        backoff = o.interval;
        wait_for_entries(shipper, r.district_seq, next_heartbeat);
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"wardcast-sync: ships the ward's broadcast log to the district's store"};
    app.set_version_flag("--version", std::string("wardcast-sync ") + wardcast::version);
    std::string district, district_file = default_district_file;
    std::string db = "/var/lib/wardcast/broadcasts.db";
    std::string socket = protocol::default_socket_path();
    std::string ward, interval_text = "10s";
    std::size_t batch = 500;
    std::string campaigns = "/var/lib/wardcast-sync/campaigns";
    std::optional<std::string> schedule;
    bool once = false;
    app.add_option("--district", district,
                   "libpq connection string of the district's store (default: the file " +
                       std::string(default_district_file) + ")");
    app.add_option("--district-file", district_file,
                   "where --district is read from when not given");
    app.add_option("--db", db, "the ward's broadcast log, read-only")->capture_default_str();
    app.add_option("--socket", socket, "wardcastd's control socket")->capture_default_str();
    app.add_option("--ward", ward, "the ward's name at the district (default: its login's ward)");
    app.add_option("--interval", interval_text,
                   "time between heartbeats (entries are shipped as soon as they are written)")
        ->capture_default_str();
    app.add_option("--batch", batch, "entries per transaction")
        ->capture_default_str()
        ->check(CLI::Range(1, 100000));
    app.add_option("--campaigns", campaigns,
                   "where the district's campaigns are installed (the ward's schedule includes "
                   "DIR/*/*.yaml)")
        ->capture_default_str();
    app.add_option("--schedule", schedule,
                   "the ward's schedule to check campaigns with (default: the one wardcastd runs)");
    app.add_flag("--once", once,
                 "one round, then exit: 0 when everything was shipped and every campaign "
                 "handled, 1 if not");
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::cerr << "wardcast-sync: " << e.what() << " (see wardcast-sync --help)\n";
        return 2;
    }

    const auto interval = schedules::parse_duration(interval_text);
    if (!interval || *interval < milliseconds(100)) {
        std::cerr << "wardcast-sync: --interval " << interval_text
                  << ": not a duration of at least 100ms (like 10s, 1m)\n";
        return 2;
    }
    try {
        if (district.empty()) district = read_conninfo(district_file);
    } catch (const std::exception& e) {
        std::cerr << "wardcast-sync: " << e.what() << "\n";
        return 2;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);

    sync::Shipper shipper(db, batch);
    sync::SocketDaemon daemon(socket);
    audio::AudioLibrary audio;
    sync::CampaignInstaller installer(
        campaigns, schedule ? std::optional<std::filesystem::path>(*schedule) : std::nullopt,
        daemon, audio);
    return run(shipper, installer, Options{district, ward, socket, *interval, once});
}
