// wardcastctl: check and preview schedules; later, talk to wardcastd.

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>

#include "ctl/log_commands.hpp"
#include "ctl/offline_commands.hpp"
#include "ctl/online_commands.hpp"
#include "ctl/report_command.hpp"
#include "schedules/diagnostic.hpp"
#include "wardcast/version.hpp"

using namespace wardcast::ctl;

int main(int argc, char** argv) {
    std::ios::sync_with_stdio(false);  // simulate can print half a million lines
    CLI::App app{"wardcastctl — check, preview and control the ward's loudspeaker schedule"};
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string("wardcastctl ") + wardcast::version);

    ValidateOptions validate;
    auto* validate_cmd = app.add_subcommand(
        "validate", "Check a schedule file: every error as FILE:LINE:COLUMN, exit 1 when any");
    validate_cmd->add_option("FILE", validate.file, "the schedule file")->required();
    validate_cmd->add_flag("--json", validate.json, "one JSON object a line");

    SimulateOptions simulate;
    auto* simulate_cmd = app.add_subcommand(
        "simulate", "Show every firing in a span as the daemon would air it, conflicts resolved");
    simulate_cmd->add_option("FILE", simulate.file, "the schedule file")->required();
    simulate_cmd->add_option("--from", simulate.from,
                             "start, inclusive: DATE (local midnight) or INSTANT; default today");
    simulate_cmd->add_option("--to", simulate.to,
                             "end, exclusive: DATE or INSTANT; default 7 days after --from");
    simulate_cmd->add_flag("--json", simulate.json, "one JSON object a line");

    // The log file, read directly (auditors): log, verify.
    LogOptions log_options;
    auto* log_cmd = add_log_command(app, log_options);
    VerifyOptions verify_options;
    auto* verify_cmd = add_verify_command(app, verify_options);

    ReportOptions report;  // report: the log against the schedule in force (auditors)
    auto* report_cmd = add_report_command(app, report);

    OnlineOptions online;  // through the daemon: one subcommand per row of its table
    for (const auto& command : online_commands()) add_online_command(app, command, online);

    if (argc > 1 && argv[1][0] != '-') {
        std::vector<std::string> names;
        for (const auto* sub : app.get_subcommands({})) names.push_back(sub->get_name());
        if (std::find(names.begin(), names.end(), argv[1]) == names.end()) {
            std::string hint = wardcast::schedules::closest_match(argv[1], names), list;
            for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
            std::cerr << "wardcastctl: unknown command '" << argv[1] << "' ("
                      << (hint.empty() ? "commands: " + list : "did you mean '" + hint + "'?")
                      << ")\n";
            return exit_usage;
        }
    }

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::cerr << "wardcastctl: " << e.what() << " (see wardcastctl --help)\n";
        return exit_usage;
    }

    try {
        if (*validate_cmd) return run_validate(validate, std::cout, std::cerr);
        if (*simulate_cmd) return run_simulate(simulate, std::cout, std::cerr);
        if (*report_cmd) return run_report(report, std::cout, std::cerr);
        if (*log_cmd) return run_log(log_options, std::cout, std::cerr);
        if (*verify_cmd) return run_verify(verify_options, std::cout, std::cerr);
        if (online.command) return run_online(online, std::cout, std::cerr);
    } catch (const std::exception& e) {
        std::cerr << "wardcastctl: " << e.what() << '\n';
        return exit_failed;
    }
    return exit_usage;
}
