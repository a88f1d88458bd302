// wardcast-district: the district's commands on its PostgreSQL store (SPEC §9).

#include <CLI/CLI.hpp>
#include <iostream>

#include "audio/audio_library.hpp"
#include "district/campaigns.hpp"
#include "district/commands.hpp"
#include "district/report.hpp"
#include "district/status.hpp"
#include "district/verify.hpp"
#include "wardcast/version.hpp"

using namespace wardcast::district;

int main(int argc, char** argv) {
    CLI::App app{"wardcast-district — the district's store of every ward's broadcast log"};
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string("wardcast-district ") + wardcast::version);

    std::optional<std::string> db;
    app.add_option("--db", db,
                   "libpq connection string or URI of the district's database (default "
                   "$WARDCAST_DISTRICT_DB, then libpq's PG* variables)");

    auto* init_cmd =
        app.add_subcommand("init", "Create or upgrade the schema and the group roles (idempotent)");

    std::string ward;
    AddWardOptions add;
    auto* add_cmd = app.add_subcommand(
        "add-ward", "Create a ward's login role and print the connection string it will use");
    add_cmd->add_option("WARD", ward, "the ward's name: lowercase letters, digits and '-'")
        ->required();
    add_cmd->add_option("--host", add.host,
                        "the server's name as the wards reach it (default: this connection's "
                        "host)");
    add_cmd->add_option("--sslmode", add.sslmode, "libpq sslmode for the ward")
        ->capture_default_str();

    std::optional<std::string> verify_ward;
    bool verify_json = false;
    auto* verify_cmd = app.add_subcommand(
        "verify", "Walk every ward's hash chain as the district holds it (as wardcastctl verify)");
    verify_cmd->add_option("--ward", verify_ward, "only this ward");
    verify_cmd->add_flag("--json", verify_json, "one JSON object per ward");

    bool status_json = false;
    auto* status_cmd = app.add_subcommand(
        "status", "Every ward: last heard from, entries held and waiting, on air, next, faults");
    status_cmd->add_flag("--json", status_json, "one JSON object per ward");

    DistrictReportOptions report_options;
    auto* report_cmd = app.add_subcommand(
        "report",
        "Planned against aired, per ward and announcement (as wardcastctl report), and the "
        "district's total");
    report_cmd->add_option("--month", report_options.span.month, "a local month, YYYY-MM");
    report_cmd->add_option("--from", report_options.span.from,
                           "start, inclusive: DATE (local midnight) or INSTANT");
    report_cmd->add_option("--to", report_options.span.to, "end, exclusive: DATE or INSTANT");
    report_cmd->add_option("--ward", report_options.ward, "only this ward");
    report_cmd->add_flag("--csv", report_options.csv, "RFC 4180 CSV with a header row");
    report_cmd->add_flag("--json", report_options.json,
                         "one JSON object a line, the district's total last");

    auto* campaign_cmd = app.add_subcommand(
        "campaign", "Publish campaign files to the wards, list them, withdraw them");
    campaign_cmd->require_subcommand(1);
    std::string campaign_file;
    std::optional<std::string> campaign_id;
    std::vector<std::string> campaign_wards;
    auto* campaign_add = campaign_cmd->add_subcommand(
        "add",
        "Check an announcements: file and publish it with its audio for the wards (a new "
        "version when the campaign exists)");
    campaign_add->add_option("FILE", campaign_file, "the campaign file (announcements: only)")
        ->required();
    campaign_add->add_option("--ward", campaign_wards,
                             "a ward to publish for (repeatable; default every ward)");
    campaign_add->add_option("--id", campaign_id,
                             "the campaign's id (default: the file's name without .yaml)");
    bool campaign_json = false;
    auto* campaign_list = campaign_cmd->add_subcommand(
        "list", "Every campaign, its latest version, and each ward's state");
    campaign_list->add_flag("--json", campaign_json, "one JSON object per campaign");
    std::string withdraw_id;
    auto* campaign_withdraw = campaign_cmd->add_subcommand(
        "withdraw", "Remove a campaign from the wards at their next round");
    campaign_withdraw->add_option("ID", withdraw_id, "the campaign's id")->required();
    campaign_withdraw->add_option("--ward", campaign_wards,
                                  "only from this ward (repeatable; default every ward)");

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::cerr << "wardcast-district: " << e.what() << " (see wardcast-district --help)\n";
        return exit_usage;
    }

    try {
        const std::string conninfo = district_conninfo(db);
        if (*init_cmd) return run_init(conninfo, std::cout);
        if (*add_cmd) return run_add_ward(conninfo, ward, add, std::cout);
        if (*status_cmd) return run_status(conninfo, status_json, std::cout);
        if (*campaign_add) {
            wardcast::audio::AudioLibrary audio;
            return run_campaign_add(conninfo, campaign_file, campaign_id, campaign_wards, audio,
                                    std::cout, std::cerr);
        }
        if (*campaign_list) return run_campaign_list(conninfo, campaign_json, std::cout);
        if (*campaign_withdraw)
            return run_campaign_withdraw(conninfo, withdraw_id, campaign_wards, std::cout);
        if (*report_cmd) return run_report(conninfo, report_options, std::cout, std::cerr);
        if (*verify_cmd)
            return run_verify(conninfo, verify_ward, verify_json, std::cout, std::cerr);
    } catch (const std::invalid_argument& e) {
        std::cerr << "wardcast-district: " << e.what() << '\n';
        return exit_usage;
    } catch (const std::exception& e) {
        std::cerr << "wardcast-district: " << e.what() << '\n';
        return exit_failed;
    }
    return exit_usage;
}
