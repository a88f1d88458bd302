#include "district/verify.hpp"

#include <nlohmann/json.hpp>
#include <ostream>
#include <stdexcept>

#include "district/pg_row.hpp"
#include "log/chain_check.hpp"
#include "log/entry_row.hpp"

namespace wardcast::district {

namespace {

constexpr int batch_rows = 10000;
constexpr int received_column = log::entry_aired_column + 1;

WardChain verify_one(pg::Connection& conn, const std::string& ward) {
    WardChain chain{ward, {}, ""};
    log::VerifyResult& result = chain.result;
    log::ChainCheck check;
    log::EntryRowReader<PgRow> reader;
    log::LogEntry e;
    std::int64_t after = 0;
    std::string last_recorded;
    while (true) {
        const pg::Result rows = conn.exec(
            std::string("SELECT ") + log::entry_columns +
                ", to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
                " FROM public.entries WHERE ward = $1 AND seq > $2 ORDER BY seq LIMIT $3",
            {ward, std::to_string(after), std::to_string(batch_rows)},
            "reading the entries of ward " + ward);
        for (int i = 0; i < rows.rows(); ++i) {
            const PgRow row{rows, i};
            log::ChainCheck::Step step;
            step.seq = row.int64(0);
            step.on_air = row.view(1) == names::name(names::EntryKind::on_air);
            step.closes = row.opt_int64(18);
            step.prev_hash = row.view(21);
            step.hash = row.view(22);
            const auto broken = check.next(step, [&]() -> std::string {
                const std::string malformed = reader.read(row, e);
                if (!malformed.empty()) return malformed;
                if (log::BroadcastLog::entry_hash(e, check.last_hash()) != e.hash)
                    return "its hash does not match its content";
                return "";
            });
            if (broken) {
                result.intact = false;
                result.bad_seq = broken->seq;
                result.problem = broken->problem;
                return chain;
            }
            last_recorded.assign(row.view(2));
            chain.last_received.assign(row.view(received_column));
            result.entries = result.last_seq = step.seq;
            ++result.rechecked;  // every entry is hashed again by the recipe here
            after = step.seq;
        }
        if (rows.rows() < batch_rows) break;
    }
    if (result.entries > 0) {
        result.last_hash = check.last_hash();
        result.last_recorded_at = log::parse_utc(last_recorded).value_or(log::Instant{});
    }
    return chain;
}

}  // namespace

std::vector<WardChain> verify_chains(pg::Connection& conn, const std::optional<std::string>& ward) {
    const pg::Result wards =
        ward ? conn.exec("SELECT name FROM public.wards WHERE name = $1", {*ward},
                         "finding the ward")
             : conn.exec("SELECT name FROM public.wards ORDER BY name", {}, "listing the wards");
    if (ward && wards.rows() == 0) {
        throw std::runtime_error("no ward " + *ward + " in the district's store");
    }
    std::vector<WardChain> out;
    for (int i = 0; i < wards.rows(); ++i) out.push_back(verify_one(conn, wards.text(i, 0)));
    return out;
}

int run_verify(const std::string& conninfo, const std::optional<std::string>& ward, bool json,
               std::ostream& out, std::ostream& err) {
    pg::Connection conn(conninfo, "wardcast-district");
    const std::vector<WardChain> chains = verify_chains(conn, ward);
    bool intact = true;
    for (const WardChain& c : chains) {
        const log::VerifyResult& r = c.result;
        intact = intact && r.intact;
        if (json) {
            nlohmann::json line = {
                {"ward", c.ward},
                {"intact", r.intact},
                {"entries", r.entries},
                {"last_seq", r.last_seq},
                {"last_recorded_at",
                 r.entries > 0 ? nlohmann::json(log::format_utc(r.last_recorded_at)) : nullptr},
                {"last_received_at", c.last_received.empty() ? nlohmann::json(nullptr)
                                                             : nlohmann::json(c.last_received)},
                {"last_hash", r.entries > 0 ? nlohmann::json(r.last_hash) : nullptr},
                {"bad_seq", r.bad_seq ? nlohmann::json(*r.bad_seq) : nullptr},
                {"problem", r.intact ? nlohmann::json(nullptr) : nlohmann::json(r.problem)}};
            out << line.dump() << '\n';
        } else if (!r.intact) {
            err << c.ward << ": broken: " << r.problem << '\n';
        } else if (r.entries == 0) {
            out << c.ward << ": intact: no entries received yet\n";
        } else {
            out << c.ward << ": intact: " << r.entries << (r.entries == 1 ? " entry" : " entries")
                << ", last #" << r.last_seq << " recorded " << log::format_utc(r.last_recorded_at)
                << ", received " << c.last_received << ", hash " << r.last_hash << '\n';
        }
    }
    if (chains.empty() && !json) out << "no wards in the district's store yet\n";
    return intact ? 0 : 1;
}

}  // namespace wardcast::district
