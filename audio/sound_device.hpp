#pragma once
// Whether output `auto` has a sound device to play to: the PulseAudio (or PipeWire) server
// libpulse would reach, else an ALSA playback device, looked for as autoaudiosink and libpulse
// look for them, so that wardcastd's start-up verdict agrees with what `auto` opens.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace wardcast::audio {

/// Where and how to look. this_process_search() describes this process; tests build their own
/// and point `root` at a temporary folder.
struct SoundSearch {
    /// The variables that matter, unset when missing: PULSE_SERVER, PULSE_RUNTIME_PATH,
    /// XDG_RUNTIME_DIR, HOME, XDG_CONFIG_HOME.
    std::map<std::string, std::string> env;
    /// The system's fixed paths are read under it: dev/snd, var/run/pulse/native,
    /// var/lib/dbus/machine-id and etc/machine-id.
    std::filesystem::path root = "/";
    /// The user libpulse runs as: it uses XDG_RUNTIME_DIR and HOME only when they are theirs.
    uid_t uid = 0;
    /// This machine's name: what `{NAME}` prefixes in PULSE_SERVER match when the machine has
    /// no machine id (with one, they match the id, as in libpulse).
    std::string hostname;
    /// Whether GStreamer has the sink autoaudiosink would use for each kind of device.
    bool have_pulsesink = true;
    bool have_alsasink = true;
    /// How long a TCP server named in PULSE_SERVER has to accept a connection (a local socket
    /// answers at once, or never).
    std::chrono::milliseconds tcp_timeout{500};
};

/// What find_sound_device found.
struct SoundDevice {
    enum class Kind { none, pulse, alsa };
    Kind kind = Kind::none;
    /// What `auto` will play to, e.g. "PulseAudio at unix:/run/user/1000/pulse/native
    /// (XDG_RUNTIME_DIR)" or "ALSA device /dev/snd/pcmC0D0p"; empty for none.
    std::string where;
    /// Each place looked at that was not it, in order, with why, e.g. "PulseAudio at
    /// unix:/run/pulse/native (system-wide): no server listens on it (a stale socket)".
    std::vector<std::string> tried;

    bool present() const noexcept { return kind != Kind::none; }
};

/// Looks in autoaudiosink's order (pulsesink ranks above alsasink) and libpulse's:
///  1. PulseAudio: when PULSE_SERVER is set, only its servers (a space-separated list of
///     `unix:PATH`, `/PATH`, `tcp:HOST[:PORT]`, `tcp4:`, `tcp6:`, `HOST[:PORT]`, `[HOST]:PORT`,
///     each may be prefixed by `{MACHINE-ID}` to apply on that machine only; port 4713 when
///     left out); else the user's socket, $PULSE_RUNTIME_PATH/native, or when that is unset
///     $XDG_RUNTIME_DIR/pulse/native, or when that is unset too
///     $HOME/.config/pulse/MACHINE-ID-runtime/native; then the system-wide
///     /var/run/pulse/native. A server counts when its socket accepts a connection now (a
///     socket file nobody listens on does not) and GStreamer has pulsesink.
///  2. ALSA: a playback device /dev/snd/pcmC*D*p this process may open, when GStreamer has
///     alsasink.
/// Never throws; blocks at most `tcp_timeout` for each TCP server (plus name resolution).
SoundDevice find_sound_device(const SoundSearch& search);

/// The search for this process: its environment (HOME from the password database when
/// unset, as libpulse does), "/", getuid(), gethostname() and the sinks in GStreamer's
/// registry (initialising GStreamer if needed; with no GStreamer, neither sink).
SoundSearch this_process_search();

/// True when output `auto` has a sound device here: find_sound_device(this_process_search()).
bool sound_device_present();

}  // namespace wardcast::audio
