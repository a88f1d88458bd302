#pragma once
// A Controller that records what it was asked and answers from fixed data: for the command
// table, control server and benchmark. Thread-safe, so tests may look from another thread.

#include <date/date.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "daemon/controller.hpp"

namespace wardcast::test {

using log::Instant;

/// 2026-12-07 (a Monday) `hh:mm:ss` in Hanoi (+07:00).
inline Instant hanoi(int hh, int mm, int ss = 0) {
    using namespace std::chrono;
    return time_point_cast<milliseconds>(date::sys_days(date::year(2026) / 12 / 7) + hours(hh - 7) +
                                         minutes(mm) + seconds(ss));
}

class FakeController : public daemon::Controller {
  public:
    FakeController() {
        status_info.station = "Phường Bồ Đề";
        status_info.timezone = "Asia/Ho_Chi_Minh";
        status_info.version = "0.1.0";
        daemon::OnAirInfo on_air;
        on_air.announcement = "cchc-dvc";
        on_air.title = "Dịch vụ công trực tuyến";
        on_air.trigger = names::Trigger::schedule;
        on_air.zones = {"to-dan-pho-1", "to-dan-pho-2"};
        on_air.scheduled = hanoi(6, 0);
        on_air.started = hanoi(6, 0);
        on_air.length = std::chrono::milliseconds(89'000);
        status_info.on_air.push_back(on_air);
        status_info.next = daemon::NextInfo{"van-hoa", "Quy tắc ứng xử", {"all"}, hanoi(17, 30)};
        status_info.schedule_path = "/etc/wardcast/schedule.yaml";
        status_info.schedule_sha256 =
            "3f2a9c1d00000000000000000000000000000000000000000000000000000000";
        status_info.schedule_since = hanoi(5, 59);
        status_info.daemon_since = hanoi(6, 0) - std::chrono::hours(72);
        status_info.now = hanoi(6, 0, 42);
    }

    // What the fake answers; set before use.
    daemon::StatusInfo status_info;
    std::vector<daemon::NextInfo> firings;
    daemon::ReloadResult reload_result{true, {}, {"a", "b"}, {"c"}, {"d"}, "abcdef0123", ""};
    std::vector<std::string> known_ids{"cchc-dvc", "van-hoa"};

    /// When set, reload() keeps its callback until finish_reload() (a reload read off the loop).
    bool reload_later = false;

    // What it was asked (read with calls() / last_who()).
    struct Call {
        std::string what;  ///< "play cchc-dvc zone=all", "pause until=…", …
        daemon::Who who;
    };
    /// An operator entry it was asked to record.
    struct Recorded {
        daemon::Who who;
        std::string command;
        std::string result;
    };

    std::vector<Call> calls() const {
        std::lock_guard lock(mutex_);
        return calls_;
    }
    std::vector<Recorded> recorded() const {
        std::lock_guard lock(mutex_);
        return recorded_;
    }
    /// Ends a reload held by `reload_later` with `reload_result`; false when none waits.
    bool finish_reload() {
        daemon::ReloadDone done;
        {
            std::lock_guard lock(mutex_);
            done = std::move(reload_done_);
            reload_done_ = nullptr;
        }
        if (!done) return false;
        done(reload_result);
        return true;
    }
    std::size_t subscribers() const {
        std::lock_guard lock(mutex_);
        return sinks_.size();
    }
    daemon::AnnounceRequest last_announce() const {
        std::lock_guard lock(mutex_);
        return announce_;
    }
    /// Calls every subscriber's sink; call it on the server's event loop thread.
    void emit(const nlohmann::json& event) {
        std::map<int, EventSink> sinks;
        {
            std::lock_guard lock(mutex_);
            sinks = sinks_;
        }
        for (auto& [token, sink] : sinks) sink(event);
    }

    daemon::StationClock clock() override { return {status_info.now, status_info.timezone}; }
    void record_operator(const daemon::Who& who, const std::string& command,
                         const std::string& result) override {
        std::lock_guard lock(mutex_);
        recorded_.push_back({who, command, result});
    }
    daemon::StatusInfo status() override { return status_info; }
    std::vector<daemon::NextInfo> next(std::size_t n) override {
        record("next " + std::to_string(n), {});
        auto f = firings;
        if (f.size() > n) f.resize(n);
        return f;
    }
    void play(const std::string& id, const std::optional<std::string>& zone,
              const daemon::Who& who) override {
        if (std::find(known_ids.begin(), known_ids.end(), id) == known_ids.end())
            throw daemon::ControlError("not_found",
                                       "no announcement \"" + id + "\" in the schedule");
        record("play " + id + (zone ? " zone=" + *zone : ""), who);
    }
    std::string live(const daemon::LiveRequest& r, const daemon::Who& who) override {
        const std::string source = r.source.value_or("alsa:default");
        record("live " + source, who);
        return source;
    }
    void announce(const daemon::AnnounceRequest& r, const daemon::Who& who) override {
        {
            std::lock_guard lock(mutex_);
            announce_ = r;
        }
        record("announce " + std::string(names::name(r.priority)), who);
    }
    std::vector<std::string> stop(const daemon::Who& who) override {
        record("stop", who);
        return {"cchc-dvc"};
    }
    void pause(const std::optional<Instant>& until, const daemon::Who& who) override {
        record(until ? "pause until=" + std::to_string(until->time_since_epoch().count())
                     : std::string("pause"),
               who);
    }
    void resume(const daemon::Who& who) override { record("resume", who); }
    void reload(const daemon::Who& who, daemon::ReloadDone done) override {
        record("reload", who);
        if (reload_later) {
            std::lock_guard lock(mutex_);
            reload_done_ = std::move(done);
            return;
        }
        done(reload_result);
    }
    void volume(const std::optional<std::string>& zone, double level,
                const daemon::Who& who) override {
        if (zone && *zone == "nowhere") throw std::runtime_error("the output is gone");
        record("volume " + (zone ? *zone : std::string("*")) + " " + std::to_string(level), who);
    }
    int subscribe(EventSink sink) override {
        std::lock_guard lock(mutex_);
        sinks_[++last_token_] = std::move(sink);
        return last_token_;
    }
    void unsubscribe(int token) override {
        std::lock_guard lock(mutex_);
        sinks_.erase(token);
    }

  private:
    void record(std::string what, const daemon::Who& who) {
        std::lock_guard lock(mutex_);
        calls_.push_back({std::move(what), who});
    }

    mutable std::mutex mutex_;
    std::vector<Call> calls_;
    std::vector<Recorded> recorded_;
    daemon::ReloadDone reload_done_;
    daemon::AnnounceRequest announce_;
    std::map<int, EventSink> sinks_;
    int last_token_ = 0;
};

}  // namespace wardcast::test
