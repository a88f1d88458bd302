#pragma once
// What the relay tests share: the real GstPlayer on an io loop (RelayBench), relay requests to
// file: outputs, and the pitch of a relayed WAV file's tone (its length and how much of it is
// tone: wav_fixtures.hpp). The same shape as tests/audio/relay_test.cpp's own Bench.

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "audio/gst_player.hpp"
#include "tests/audio/wav_fixtures.hpp"

namespace wardcast::test {

/// What the player told about one broadcast.
struct RelaySeen {
    audio::Player::Id id = 0;
    std::optional<audio::WallTime> started;
    std::optional<audio::BroadcastOutcome> outcome;
};

/// A loop and a player; prepares broadcasts and runs the loop until they end.
class RelayBench {
  public:
    RelayBench() : player_(io_) {}
    const std::filesystem::path& dir() const { return dir_.path(); }
    audio::GstPlayer& player() { return player_; }

    /// A relay of `source` for `duration` to the one zone `output`, no chime.
    static audio::BroadcastRequest relay(const std::string& source,
                                         std::chrono::milliseconds duration,
                                         std::chrono::milliseconds start_timeout,
                                         const std::string& output) {
        audio::BroadcastRequest r;
        r.label = "relay";
        r.scheduled = audio::WallTime{std::chrono::milliseconds(1796079600000)};
        r.normalize = false;
        r.zones = {{"a", output, 1.0}};
        r.relay = audio::RelaySource{source, duration, start_timeout};
        return r;
    }
    std::string file_output(const std::string& name) const {
        return "file:" + (dir() / name).string();
    }

    void prepare(const audio::BroadcastRequest& request, RelaySeen& seen) {
        seen.id = player_.prepare(
            request, [&seen](audio::Player::Id, audio::WallTime at) { seen.started = at; },
            [&seen](audio::Player::Id, const audio::BroadcastOutcome& outcome) {
                seen.outcome = outcome;
            });
    }
    /// Prepares, and starts the outputs `lead` from now, as the daemon does at an instant.
    std::chrono::system_clock::time_point prepare_and_start(
        const audio::BroadcastRequest& request, RelaySeen& seen,
        std::chrono::milliseconds lead = std::chrono::milliseconds(1500)) {
        prepare(request, seen);
        const auto at = std::chrono::system_clock::now() + lead;
        REQUIRE(run_until([&] { return player_.prerolled(seen.id) || seen.outcome; }));
        player_.start_at(seen.id, at);
        return at;
    }

    /// Runs the loop until `done()` or `timeout`; returns done().
    template <class Done>
    bool run_until(Done done,
                   std::chrono::milliseconds timeout = std::chrono::milliseconds(40000)) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!done() && std::chrono::steady_clock::now() < deadline)
            io_.run_for(std::chrono::milliseconds(10));
        return done();
    }
    bool run_until_done(const RelaySeen& seen,
                        std::chrono::milliseconds timeout = std::chrono::milliseconds(40000)) {
        return run_until([&] { return seen.outcome.has_value(); }, timeout);
    }

  private:
    TempDir dir_;
    boost::asio::io_context io_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
        boost::asio::make_work_guard(io_);
    audio::GstPlayer player_;
};

// length_ms and tone_ms: tests/audio/wav_fixtures.hpp.

/// The pitch of the first channel from `from_ms` to `to_ms`, in Hz, by counting its upward
/// zero crossings: a pure tone's frequency; 0 for silence.
inline double tone_hz(const Wav& wav, int from_ms, int to_ms) {
    const auto per_ms = static_cast<std::size_t>(wav.rate / 1000 * wav.channels);
    const std::size_t first = std::min(wav.samples.size(), from_ms * per_ms);
    const std::size_t last = std::min(wav.samples.size(), to_ms * per_ms);
    const auto step = static_cast<std::size_t>(wav.channels);
    int crossings = 0;
    for (std::size_t i = first + step; i < last; i += step) {
        if (wav.samples[i - step] < 0 && wav.samples[i] >= 0) ++crossings;
    }
    const double seconds = static_cast<double>(last - first) / static_cast<double>(per_ms) / 1000;
    return seconds > 0 ? crossings / seconds : 0;
}

}  // namespace wardcast::test
