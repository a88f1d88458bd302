// wardcast-sync: ships the ward's broadcast log to the district's store (SPEC §9), round after
// round, and says what it did in the journal (stderr) and in the district's status.

#include <signal.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "common/protocol.hpp"
#include "ctl/client.hpp"
#include "schedules/duration.hpp"
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

// Sleeps up to `span`, in small steps so that SIGTERM ends the wait at once.
void pause_for(milliseconds span) {
    const auto until = std::chrono::steady_clock::now() + span;
    while (!stopping && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::min<milliseconds>(milliseconds(100), span));
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

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"wardcast-sync: ships the ward's broadcast log to the district's store"};
    app.set_version_flag("--version", std::string("wardcast-sync ") + wardcast::version);
    std::string district, district_file = default_district_file;
    std::string db = "/var/lib/wardcast/broadcasts.db";
    std::string socket = protocol::default_socket_path();
    std::string ward, interval_text = "10s";
    std::size_t batch = 500;
    bool once = false;
    app.add_option("--district", district,
                   "libpq connection string of the district's store (default: the file " +
                       std::string(default_district_file) + ")");
    app.add_option("--district-file", district_file,
                   "where --district is read from when not given");
    app.add_option("--db", db, "the ward's broadcast log, read-only")->capture_default_str();
    app.add_option("--socket", socket, "wardcastd's control socket")->capture_default_str();
    app.add_option("--ward", ward, "the ward's name at the district (default: its login's ward)");
    app.add_option("--interval", interval_text, "time between rounds")->capture_default_str();
    app.add_option("--batch", batch, "entries per transaction")
        ->capture_default_str()
        ->check(CLI::Range(1, 100000));
    app.add_flag("--once", once, "one round, then exit: 0 when everything was shipped, 1 if not");
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
    milliseconds backoff = *interval;
    std::string last_error;
    while (!stopping) {
        sync::Round r;
        bool reached = false;
        try {
            sync::DistrictLink link(district, ward);
            reached = true;
            r = shipper.round(link);
            nlohmann::json status = {
                {"sync",
                 {{"waiting", r.waiting},
                  {"district_seq", r.district_seq},
                  {"error", r.error},
                  {"refused_seq", r.refused_seq ? nlohmann::json(*r.refused_seq) : nullptr},
                  {"parted_at", r.parted_at ? nlohmann::json(*r.parted_at) : nullptr}}},
                {"daemon", daemon_status(socket)}};
            link.report(status);
        } catch (const std::exception& e) {
            r.error = e.what();
        }
        if (r.refused_seq) {
            std::cerr << "wardcast-sync: the district refused entry " << *r.refused_seq << ": "
                      << r.error << "; this ward's log and the district's copy part at entry "
                      << r.parted_at.value_or(*r.refused_seq) << "\n";
        } else if (!r.error.empty()) {
            if (r.error != last_error) std::cerr << "wardcast-sync: " << r.error << " (retrying)\n";
        } else if (r.shipped > 0 || !last_error.empty()) {
            std::cerr << "wardcast-sync: " << round_line(r) << "\n";
        }
        last_error = r.error;
        if (once) return r.error.empty() && r.waiting == 0 ? 0 : 1;
        // The district unreachable: wait longer each time (up to 10 rounds), then every round
        // as usual once it answers again. Airing never waits for any of this.
        backoff = reached && r.error.empty() ? *interval : std::min(backoff * 2, *interval * 10);
        pause_for(r.error.empty() ? *interval : backoff);
    }
    return 0;
}
