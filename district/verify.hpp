#pragma once
// `wardcast-district verify [--ward WARD]` (SPEC §9): every ward's chain as the district holds
// it, walked with the same rules and words as `wardcastctl verify` on the ward's own file
// (log/chain_check.hpp). The store checked each entry as it arrived; this checks again what
// it holds now, against the documented recipe, so a change made later inside the database
// (by its owner, or by hand) is found too.

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "district/pg.hpp"
#include "log/log_reader.hpp"

namespace wardcast::district {

/// One ward's chain as received.
struct WardChain {
    std::string ward;
    log::VerifyResult result;   ///< last_recorded_at: the ward's clock; see received
    std::string last_received;  ///< when the district received the last entry ("" when none)
};

/// Walks the chain of `ward`, or of every ward (by name) when none is given, reading in
/// batches. Throws pg::Error, or std::runtime_error when `ward` is not a ward of the district.
std::vector<WardChain> verify_chains(pg::Connection& conn, const std::optional<std::string>& ward);

/// The command: one line per ward on `out` ("long-bien: intact: 10 entries, last #10 recorded
/// …, received …, hash …") or `err` ("long-bien: broken: entry 6 was changed: …"), or one JSON
/// object per ward with --json. Exit 0 when every chain is intact, 1 otherwise.
int run_verify(const std::string& conninfo, const std::optional<std::string>& ward, bool json,
               std::ostream& out, std::ostream& err);

}  // namespace wardcast::district
