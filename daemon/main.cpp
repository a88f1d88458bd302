// wardcastd: airs the ward's schedule through GStreamer and records every broadcast.

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/systemd_sink.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <iostream>

#include "common/protocol.hpp"
#include "daemon/instance.hpp"
#include "wardcast/version.hpp"

namespace {

/// Logs to the journal when systemd started us (JOURNAL_STREAM), else to stderr.
void set_up_logging(const std::string& level) {
    std::shared_ptr<spdlog::logger> logger;
    if (std::getenv("JOURNAL_STREAM")) {
        logger = std::make_shared<spdlog::logger>("wardcastd",
                                                  std::make_shared<spdlog::sinks::systemd_sink_mt>());
        logger->set_pattern("%v");
    } else {
        logger = std::make_shared<spdlog::logger>("wardcastd",
                                                  std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
        logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
    }
    logger->set_level(spdlog::level::from_str(level));
    logger->flush_on(spdlog::level::trace);
    spdlog::set_default_logger(logger);
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"wardcastd — airs the ward's loudspeaker schedule and records every broadcast"};
    app.set_version_flag("--version", std::string("wardcastd ") + wardcast::version);
    wardcast::daemon::Options options;
    std::string schedule = "/etc/wardcast/schedule.yaml", db = "/var/lib/wardcast/broadcasts.db";
    std::string socket = wardcast::protocol::default_socket_path(), level = "info";
    app.add_option("--schedule", schedule, "the schedule file")
        ->envname("WARDCAST_SCHEDULE")
        ->capture_default_str();
    app.add_option("--db", db, "the broadcast log (SQLite)")->envname("WARDCAST_DB")->capture_default_str();
    app.add_option("--socket", socket, "the control socket")->envname("WARDCAST_SOCKET")->capture_default_str();
    app.add_option("--log-level", level, "trace, debug, info, warn or error")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
        ->capture_default_str();
    app.add_option("--fallback-output", options.fallback_output,
                   "where zones with output auto play when there is no sound device, e.g. "
                   "file:/var/lib/wardcast/air/broadcast.wav");
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::cerr << "wardcastd: " << e.what() << " (see wardcastd --help)\n";
        return 2;
    }
    options.schedule = schedule;
    options.db = db;
    options.socket = socket;
    set_up_logging(level);

    try {
        wardcast::daemon::Instance instance(options);
        return instance.run();
    } catch (const wardcast::daemon::InvalidSchedule& e) {
        for (const auto& d : e.diagnostics) std::cerr << d.to_string() << '\n';
        spdlog::critical("{}; not starting", e.what());
        return 1;
    } catch (const std::exception& e) {
        spdlog::critical("{}", e.what());
        return 1;
    }
}
