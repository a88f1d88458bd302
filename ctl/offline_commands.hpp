#pragma once
// Commands that need no daemon: `validate` and `simulate` (SPEC §5).

#include <optional>
#include <ostream>
#include <string>

namespace wardcast::ctl {

/// Exit codes, SPEC §5.
enum ExitCode { exit_ok = 0, exit_failed = 1, exit_usage = 2, exit_unreachable = 3 };

struct ValidateOptions {
    std::string file;
    bool json = false;
};

/// `wardcastctl validate FILE`: every error and warning to `err` (or JSON lines to `out`),
/// a one-line summary; exit_failed when the schedule has errors.
int run_validate(const ValidateOptions& options, std::ostream& out, std::ostream& err);

struct SimulateOptions {
    std::string file;
    std::optional<std::string> from;  ///< DATE or INSTANT; default: today's local midnight
    std::optional<std::string> to;    ///< DATE or INSTANT; default: seven days after `from`
    bool json = false;
};

/// `wardcastctl simulate FILE --from --to`: every firing in the span, conflicts resolved.
/// An invalid schedule is refused as by validate (exit_failed); a bad --from/--to is a
/// usage error.
int run_simulate(const SimulateOptions& options, std::ostream& out, std::ostream& err);

}  // namespace wardcast::ctl
