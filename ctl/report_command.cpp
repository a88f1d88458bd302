#include "ctl/report_command.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>

#include "log/log_reader.hpp"
#include "report/report_printer.hpp"

namespace wardcast::ctl {

namespace {

/// True when another process has the log open: normally a running wardcastd. Every SQLite
/// connection to a WAL database holds a read lock on byte 128 of its -shm file (the "DMS" lock of
/// sqlite.org/walformat.html) while open; SQLite itself asks F_GETLK there to learn whether it
/// is the first. A copy (made with .backup, or with cp and no process on it) has no such lock.
/// Call it before this process opens the log: closing a descriptor of the -shm file drops
/// every lock this process holds on it, SQLite's included.
bool open_elsewhere(const std::string& db) {
    const int fd = ::open((db + "-shm").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;  // no -shm: nobody has it open in WAL mode
    struct flock lock {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    lock.l_start = 128;
    lock.l_len = 1;
    const bool held = ::fcntl(fd, F_GETLK, &lock) == 0 && lock.l_type != F_UNLCK;
    ::close(fd);
    return held;
}

}  // namespace

int run_report(const ReportOptions& options, std::ostream& out, std::ostream& err) {
    const report::SpanRequest span{options.month, options.from, options.to};
    std::string why = options.csv && options.json ? "--csv and --json cannot be used together"
                                                  : report::span_problem(span);
    if (!why.empty()) {
        err << "wardcastctl report: " << why << '\n';
        return exit_usage;
    }
    try {
        // Before the log is opened here: see open_elsewhere.
        const bool live = open_elsewhere(options.db);
        const auto now =
            std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
        log::LogReader reader(options.db);
        report::Report r = report::build_report(reader, span, live, now);
        r.db = options.db;
        if (options.csv)
            report::print_report_csv(r, out);
        else if (options.json)
            report::print_report_json(r, out);
        else
            report::print_report_table(r, out);
        return exit_ok;
    } catch (const report::SpanError& e) {
        err << "wardcastctl report: " << e.what() << '\n';
        return exit_usage;
    } catch (const std::exception& e) {
        err << "wardcastctl report: " << e.what() << '\n';
        return exit_failed;
    }
}

CLI::App* add_report_command(CLI::App& app, ReportOptions& options) {
    auto* cmd = app.add_subcommand(
        "report", "Planned against aired, per announcement, from the broadcast log (read-only)");
    cmd->add_option("--db", options.db, "the broadcast log")
        ->envname("WARDCAST_DB")
        ->capture_default_str();
    cmd->add_option("--month", options.month, "a local month, YYYY-MM");
    cmd->add_option("--from", options.from, "start, inclusive: DATE (local midnight) or INSTANT");
    cmd->add_option("--to", options.to, "end, exclusive: DATE or INSTANT");
    cmd->add_flag("--csv", options.csv, "RFC 4180 CSV with a header row");
    cmd->add_flag("--json", options.json, "one JSON object a line, the total last");
    return cmd;
}

}  // namespace wardcast::ctl
