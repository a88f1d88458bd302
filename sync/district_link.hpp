#pragma once
// wardcast-sync's connection to the district's store: sync::District over libpq
// (district/store.hpp), with connection options that give up fast on a dead 4G link.

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "district/pg.hpp"
#include "sync/campaigns.hpp"
#include "sync/shipper.hpp"

namespace wardcast::sync {

/// `conninfo` with what a ward's link needs unless it sets them already: connect_timeout=10,
/// TCP keepalives (idle 30 s, every 10 s, 3 probes) and tcp_user_timeout=30000, so that a
/// link that died mid-statement fails in about half a minute instead of hanging for hours.
/// Works for key=value strings and for postgresql:// URIs.
std::string with_link_options(const std::string& conninfo);

/// A connection to the store, kept from round to round. The constructor throws
/// std::runtime_error (one line) when the store cannot be reached, or when this login belongs
/// to no ward (or not to `ward`, when given).
class DistrictLink : public District, public CampaignSource {
  public:
    DistrictLink(const std::string& conninfo, const std::string& ward);

    /// The ward this login ships for.
    const std::string& ward() const { return ward_; }

    /// False once the connection is broken (the server restarted, the link died): every call
    /// would fail, a new DistrictLink is needed. True does not promise the next call succeeds.
    bool usable() const noexcept;

    std::int64_t last_seq() override;
    std::vector<std::string> schedules() override;
    void ship(const std::vector<log::ScheduleVersion>& schedules,
              const std::vector<log::LogEntry>& entries) override;
    std::vector<std::pair<std::int64_t, std::string>> hashes(std::int64_t after_seq,
                                                             std::size_t limit) override;

    /// The heartbeat: `status` recorded at the district with the ward's clock's time.
    void report(const nlohmann::json& status);

    // The campaigns assigned to this ward (row-level security shows it no others).
    std::vector<Assignment> assignments() override;
    CampaignFile file(const std::string& id, std::int64_t version) override;
    std::string audio(const std::string& sha256) override;
    std::vector<CampaignReport> reports() override;
    void report(const CampaignReport& report) override;

  private:
    std::unique_ptr<district::pg::Connection> conn_;
    std::string ward_;
};

}  // namespace wardcast::sync
