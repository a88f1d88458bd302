#include "sync/campaigns.hpp"

#include <fcntl.h>
#include <stdio.h>  // renameat2
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "common/protocol.hpp"
#include "common/sha256.hpp"
#include "ctl/client.hpp"
#include "district/campaigns.hpp"
#include "schedules/diagnostic.hpp"
#include "schedules/loader.hpp"

namespace wardcast::sync {

namespace fs = std::filesystem;
using nlohmann::json;

const char* state_name(CampaignState state) {
    switch (state) {
        case CampaignState::installed:
            return "installed";
        case CampaignState::refused:
            return "refused";
        case CampaignState::failed:
            return "failed";
        case CampaignState::withdrawn:
            return "withdrawn";
    }
    return "failed";
}

std::optional<CampaignState> parse_state(const std::string& name) {
    for (auto s : {CampaignState::installed, CampaignState::refused, CampaignState::failed,
                   CampaignState::withdrawn})
        if (name == state_name(s)) return s;
    return std::nullopt;
}

SocketDaemon::SocketDaemon(std::string socket) : socket_(std::move(socket)) {}

std::optional<fs::path> SocketDaemon::schedule_path() {
    try {
        ctl::Client client({socket_}, std::chrono::seconds(2));
        const json reply =
            client.request(protocol::cmd::status, json::object(), std::chrono::seconds(5));
        if (!reply.value("ok", false)) return std::nullopt;
        const json& result = reply.at("result");
        if (auto it = result.find("schedule_path");
            it != result.end() && it->is_string() && !it->get<std::string>().empty())
            return fs::path(it->get<std::string>());
    } catch (const std::exception&) {
    }
    return std::nullopt;
}

Daemon::Reload SocketDaemon::reload() {
    Reload r;
    try {
        ctl::Client client({socket_}, std::chrono::seconds(5));
        // Generous: the daemon may synthesize speech for the new schedule first.
        const json reply =
            client.request(protocol::cmd::reload, json::object(), std::chrono::seconds(60));
        if (reply.value("ok", false)) {
            r.ok = true;
            r.sha256 = reply.at("result").value("sha256", "");
            return r;
        }
        const json error = reply.value("error", json::object());
        if (auto it = error.find("errors"); it != error.end() && it->is_array())
            for (const auto& line : *it)
                if (line.is_string()) r.errors.push_back(line.get<std::string>());
        if (r.errors.empty())
            r.errors.push_back("wardcastd refused to reload: " +
                               error.value("message", std::string("no reason given")));
    } catch (const std::exception& e) {
        r.unreachable = true;
        r.errors = {e.what()};
    }
    return r;
}

namespace {

constexpr const char* kManifest = ".wardcast-campaign.json";
constexpr mode_t kFileMode = 0640;
constexpr mode_t kDirMode = 0750;

/// A file system operation of the installer failed: the campaign is `failed`, retried.
class DiskError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

[[noreturn]] void disk_error(const std::string& what, const fs::path& path, int err = errno) {
    throw DiskError("cannot " + what + " " + path.string() + ": " + std::strerror(err));
}

class Fd {
  public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const noexcept { return fd_; }
    /// Closes, reporting a failure (a delayed write error) as one.
    int close() noexcept {
        const int rc = ::close(fd_);
        fd_ = -1;
        return rc;
    }

  private:
    int fd_;
};

void fsync_dir(const fs::path& dir) {
    Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0) disk_error("open the folder", dir);
    if (::fsync(fd.get()) != 0) disk_error("sync the folder", dir);
}

bool is_dir(const fs::path& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool exists_no_follow(const fs::path& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

/// Creates `dir` with mode 0750 whatever the umask; an existing folder keeps its mode unless
/// `set_mode`.
void make_dir(const fs::path& dir, bool set_mode = true) {
    const bool fresh = ::mkdir(dir.c_str(), kDirMode) == 0;
    if (!fresh && errno != EEXIST) disk_error("create the folder", dir);
    Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
    if (fd.get() < 0) disk_error("open the folder", dir);
    // Keep the setgid bit a setgid parent gave it (the campaigns folder is 2750, group
    // wardcast): everything made below then stays in wardcastd's group, whoever writes it.
    struct stat parent {};
    const bool inherit =
        ::stat(dir.parent_path().c_str(), &parent) == 0 && (parent.st_mode & S_ISGID);
    if ((fresh || set_mode) && ::fchmod(fd.get(), kDirMode | (inherit ? S_ISGID : 0)) != 0)
        disk_error("set the mode of", dir);
}

void write_all(int fd, const char* data, std::size_t size, const fs::path& path) {
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) disk_error("write", path);
        data += n;
        size -= static_cast<std::size_t>(n);
    }
}

/// A new file `path` (mode 0640) holding `bytes`, synced to the disk.
void write_file(const fs::path& path, std::string_view bytes) {
    Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, kFileMode));
    if (fd.get() < 0) disk_error("create", path);
    if (::fchmod(fd.get(), kFileMode) != 0) disk_error("set the mode of", path);
    write_all(fd.get(), bytes.data(), bytes.size(), path);
    if (::fsync(fd.get()) != 0) disk_error("sync", path);
    if (fd.close() != 0) disk_error("write", path);
}

/// `to` as a hard link to `from` (same bytes, no copy) or, where links cannot be made (another
/// file system), a copy written like write_file.
void link_or_copy(const fs::path& from, const fs::path& to) {
    if (::link(from.c_str(), to.c_str()) == 0) return;
    if (errno == EEXIST) disk_error("create", to);
    Fd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
    if (in.get() < 0) disk_error("read", from);
    Fd out(::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, kFileMode));
    if (out.get() < 0) disk_error("create", to);
    if (::fchmod(out.get(), kFileMode) != 0) disk_error("set the mode of", to);
    char block[65536];
    for (;;) {
        const ssize_t n = ::read(in.get(), block, sizeof block);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) disk_error("read", from);
        if (n == 0) break;
        write_all(out.get(), block, static_cast<std::size_t>(n), to);
    }
    if (::fsync(out.get()) != 0) disk_error("sync", to);
    if (out.close() != 0) disk_error("write", to);
}

void rename_path(const fs::path& from, const fs::path& to) {
    if (::rename(from.c_str(), to.c_str()) != 0) disk_error("move " + from.string() + " to", to);
}

/// Swaps two folders in one step: a reader sees one or the other, never neither.
void exchange(const fs::path& a, const fs::path& b) {
    if (::renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE) != 0)
        disk_error("exchange " + a.string() + " with", b);
}

void remove_tree(const fs::path& path) {
    std::error_code ec;
    fs::remove_all(path, ec);
    if (ec) disk_error("remove", path, ec.value());
}

/// Every folder from `root` down, for syncing after the files in them were written.
void fsync_tree(const fs::path& root) {
    for (const auto& entry : fs::recursive_directory_iterator(root))
        if (entry.is_directory() && !entry.is_symlink()) fsync_dir(entry.path());
    fsync_dir(root);
}

struct Manifest {
    std::string id;
    std::int64_t version = 0;
    std::string sha256;
    std::vector<CampaignAudio> audio;
    std::string schedule_sha256;  ///< "" until wardcastd reloaded with it
    std::vector<std::string> warnings;
};

std::string manifest_text(const Manifest& m) {
    json audio = json::array();
    for (const auto& a : m.audio) audio.push_back({{"path", a.path}, {"sha256", a.sha256}});
    const json j = {{"id", m.id},
                    {"version", m.version},
                    {"sha256", m.sha256},
                    {"audio", audio},
                    {"schedule_sha256", m.schedule_sha256},
                    {"warnings", m.warnings}};
    return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

/// The folder's manifest, or nullopt when it has none or it does not read as one.
std::optional<Manifest> read_manifest(const fs::path& folder) {
    std::ifstream in(folder / kManifest, std::ios::binary);
    if (!in) return std::nullopt;
    std::stringstream text;
    text << in.rdbuf();
    const json j = json::parse(text.str(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) return std::nullopt;
    try {
        Manifest m;
        m.id = j.at("id").get<std::string>();
        m.version = j.at("version").get<std::int64_t>();
        m.sha256 = j.at("sha256").get<std::string>();
        for (const auto& a : j.at("audio"))
            m.audio.push_back({a.at("path").get<std::string>(), a.at("sha256").get<std::string>()});
        m.schedule_sha256 = j.value("schedule_sha256", "");
        if (auto w = j.find("warnings"); w != j.end() && w->is_array())
            for (const auto& line : *w)
                if (line.is_string()) m.warnings.push_back(line.get<std::string>());
        return m;
    } catch (const json::exception&) {
        return std::nullopt;
    }
}

/// Why a campaign's audio path may not be written inside its folder, or "".
std::string unsafe_reason(const std::string& written, const std::string& own_file) {
    if (written.empty()) return "is empty";
    const fs::path p(written);
    if (p.is_absolute()) return "is absolute: it must be relative to the campaign's folder";
    if (!p.has_filename()) return "names a folder, not a file";
    for (const auto& part : p) {
        if (part == "..")
            return "goes up a folder ('..'): it must stay inside the campaign's folder";
        if (part.string().starts_with("."))
            return "has a part starting with '.' ('" + part.string() +
                   "'): such names are wardcast-sync's own";
    }
    if (p == own_file) return "is the campaign file's own name";
    return "";
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
    if (from.empty()) return;
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
}

/// One round: the installer's parts, the district and what it last heard.
class Round {
  public:
    Round(const fs::path& dir, const std::optional<fs::path>& schedule, Daemon& daemon,
          schedules::AudioLengths& audio, CampaignSource& source)
        : dir_(fs::absolute(dir).lexically_normal()),
          schedule_(schedule),
          daemon_(daemon),
          audio_(audio),
          source_(source) {
        if (!dir_.has_filename()) dir_ = dir_.parent_path();  // no trailing '/'
        staging_ = dir_ / ".staging";
        check_ = dir_ / ".check";
    }

    CampaignRound run() {
        const std::vector<Assignment> assignments = source_.assignments();
        // Nothing ever assigned and no folder yet: nothing to create or report.
        if (assignments.empty() && !exists_no_follow(dir_)) return std::move(out_);
        for (auto& r : source_.reports()) latest_[r.id] = r;
        prepare();
        for (const auto& a : assignments)
            if (a.withdrawn) handle(a);
        for (const auto& a : assignments)
            if (!a.withdrawn) handle(a);
        // wardcastd reads DIR/*/*.yaml only, but leave no working folders behind.
        try {
            remove_tree(staging_);
            remove_tree(check_);
        } catch (const std::exception&) {
        }
        return std::move(out_);
    }

  private:
    // The folder there, and nothing left of a round that was cut short.
    void prepare() {
        try {
            if (!dir_.parent_path().empty()) fs::create_directories(dir_.parent_path());
            make_dir(dir_, false);
            remove_tree(staging_);
            remove_tree(check_);
            make_dir(staging_);
        } catch (const std::exception& e) {
            prepare_error_ = e.what();
        }
    }

    void handle(const Assignment& a) {
        try {
            if (!district::valid_campaign_id(a.id)) {
                if (!a.withdrawn)
                    send({a.id,
                          a.version,
                          CampaignState::refused,
                          {dir_.string() + ": error: campaign id '" + a.id +
                           "' is not a valid id ([a-z0-9][a-z0-9._-]*): it cannot be installed"},
                          {},
                          "",
                          ""});
                return;
            }
            if (a.withdrawn)
                withdraw(a);
            else
                install(a);
        } catch (const DiskError& e) {
            fail(a, e.what());
        } catch (const fs::filesystem_error& e) {
            fail(a, e.what());
        }
    }

    const CampaignReport* latest(const std::string& id) const {
        auto it = latest_.find(id);
        return it == latest_.end() ? nullptr : &it->second;
    }

    // Sends a report, unless it only repeats a refusal or failure the district has already.
    void send(CampaignReport r) {
        if (r.state == CampaignState::failed || r.state == CampaignState::refused) {
            if (const auto* last = latest(r.id);
                last && last->state == r.state && last->version == r.version &&
                last->errors == r.errors && last->checked_against == r.checked_against)
                return;
        }
        source_.report(r);
        out_.reported.push_back(r);
        latest_[r.id] = std::move(r);
    }

    void fail(const Assignment& a, const std::string& line) {
        note_failure(line);
        send({a.id, a.version, CampaignState::failed, {line}, {}, "", ""});
    }

    void note_failure(const std::string& line) {
        out_.all_handled = false;
        if (out_.error.empty()) out_.error = line;
    }

    // The ward's main schedule, asked of wardcastd once a round when not given.
    const std::optional<fs::path>& main_schedule() {
        if (!main_) {
            auto path = schedule_ ? schedule_ : daemon_.schedule_path();
            if (path) path = fs::absolute(*path).lexically_normal();
            main_ = path;
        }
        return *main_;
    }

    void withdraw(const Assignment& a) {
        const fs::path folder = dir_ / a.id;
        if (!exists_no_follow(folder)) {
            const auto* last = latest(a.id);
            if (!last || last->state != CampaignState::withdrawn)
                send({a.id, a.version, CampaignState::withdrawn, {}, {}, "", ""});
            return;
        }
        if (!prepare_error_.empty()) return fail(a, prepare_error_);
        const fs::path away = staging_ / a.id;
        remove_tree(away);
        rename_path(folder, away);
        fsync_dir(dir_);
        const Daemon::Reload r = daemon_.reload();
        if (!r.ok) {
            rename_path(away, folder);
            fsync_dir(dir_);
            const std::string why = r.errors.empty() ? "no reason given" : r.errors.front();
            return fail(a, r.unreachable ? "wardcastd is not answering: " + why + "; campaign " +
                                               a.id + " stays (retrying)"
                                         : "wardcastd did not reload without campaign " + a.id +
                                               ": " + why + " (retrying)");
        }
        try {
            remove_tree(away);
        } catch (const DiskError&) {  // out of wardcastd's sight: the next round clears it
        }
        send({a.id, a.version, CampaignState::withdrawn, {}, {}, r.sha256, ""});
    }

    void install(const Assignment& a) {
        const fs::path folder = dir_ / a.id;
        const auto* last = latest(a.id);
        if (auto m = read_manifest(folder); m && m->id == a.id && m->version == a.version &&
                                            (a.sha256.empty() || a.sha256 == m->sha256) &&
                                            !m->schedule_sha256.empty()) {
            if (!last || last->state != CampaignState::installed || last->version != a.version)
                send({a.id,
                      a.version,
                      CampaignState::installed,
                      {},
                      m->warnings,
                      m->schedule_sha256,
                      ""});
            return;
        }
        const auto& main = main_schedule();
        if (last && last->state == CampaignState::refused && last->version == a.version) {
            if (!main) {  // keep the district's refusal: it says more than "not answering"
                note_failure("wardcastd is not answering: cannot tell which schedule it runs");
                return;
            }
            if (sha256_file(*main).value_or("") == last->checked_against) return;
        }
        if (!main) return fail(a, "wardcastd is not answering: cannot tell which schedule it runs");
        if (!prepare_error_.empty()) return fail(a, prepare_error_);
        const fs::path stage = staging_ / a.id;
        try {
            put_in_force(a, *main, stage);
        } catch (...) {
            std::error_code ignored;
            fs::remove_all(stage, ignored);
            fs::remove_all(check_, ignored);
            throw;
        }
    }

    std::string campaign_line(const Assignment& a) const {
        return "campaign " + a.id + " version " + std::to_string(a.version);
    }

    void refuse(const Assignment& a, std::vector<std::string> errors,
                const std::string& checked_against) {
        send({a.id, a.version, CampaignState::refused, std::move(errors), {}, "", checked_against});
    }

    // Fetches, stages, checks and puts in place one campaign version; reports what came of it.
    void put_in_force(const Assignment& a, const fs::path& main, const fs::path& stage) {
        const CampaignFile file = source_.file(a.id, a.version);
        const std::string file_sha = sha256_hex(file.text);
        if (file_sha != file.sha256)
            return fail(a, campaign_line(a) + ": the file received hashes to " + file_sha +
                               ", not " + file.sha256 + " (retrying)");
        const std::string own = a.id + ".yaml";
        const std::string installed_file = (dir_ / a.id / own).string();
        const std::string main_sha = sha256_file(main).value_or("");

        std::vector<std::string> unsafe;
        std::map<std::string, std::string> audio;  // path -> sha256
        for (const auto& item : file.audio) {
            if (auto why = unsafe_reason(item.path, own); !why.empty())
                unsafe.push_back(installed_file + ": error: audio path '" + item.path + "' " + why +
                                 "; the campaign cannot be installed");
            else if (auto [it, fresh] = audio.emplace(item.path, item.sha256);
                     !fresh && it->second != item.sha256)
                unsafe.push_back(installed_file + ": error: audio path '" + item.path +
                                 "' is listed twice with different contents");
        }
        if (!unsafe.empty()) return refuse(a, unsafe, main_sha);

        remove_tree(stage);
        make_dir(stage);
        write_file(stage / own, file.text);
        Manifest manifest{a.id, a.version, file.sha256, {}, "", {}};
        std::map<std::string, fs::path> have = local_audio();
        for (const auto& [path, sha] : audio) {
            const fs::path relative(path);
            const fs::path to = stage / relative;
            fs::path parent = stage;
            for (const auto& part : relative.parent_path()) make_dir(parent /= part);
            if (auto it = have.find(sha);
                it != have.end() && sha256_file(it->second).value_or("") == sha) {
                link_or_copy(it->second, to);
            } else {
                const std::string bytes = source_.audio(sha);
                const std::string got = sha256_hex(bytes);
                if (got != sha) {
                    remove_tree(stage);
                    return fail(a, "audio " + path + " of " + campaign_line(a) +
                                       ": the bytes received hash to " + got + ", not " + sha +
                                       " (retrying)");
                }
                write_file(to, bytes);
            }
            have[sha] = to;
            manifest.audio.push_back({path, sha, 0});
        }
        write_file(stage / kManifest, manifest_text(manifest));
        fsync_tree(stage);
        fsync_dir(staging_);

        auto [errors, warnings] = check(a.id, main);
        if (!errors.empty()) {
            remove_tree(stage);
            return refuse(a, errors, main_sha);
        }

        const fs::path folder = dir_ / a.id;
        const bool had = exists_no_follow(folder);
        if (had)
            exchange(stage, folder);
        else
            rename_path(stage, folder);
        fsync_dir(dir_);
        const Daemon::Reload r = daemon_.reload();
        if (!r.ok) {
            if (had)
                exchange(stage, folder);  // the previous version back where it was
            else
                rename_path(folder, stage);
            fsync_dir(dir_);
            remove_tree(stage);
            if (r.unreachable)
                return fail(
                    a, "wardcastd is not answering: " +
                           (r.errors.empty() ? std::string("no reason given") : r.errors.front()) +
                           " (retrying)");
            return refuse(a,
                          r.errors.empty()
                              ? std::vector<std::string>{main.string() + ": error: wardcastd "
                                                                         "refused to reload"}
                              : r.errors,
                          main_sha);
        }
        try {
            if (had) remove_tree(stage);  // the previous version, out of wardcastd's sight
            manifest.schedule_sha256 = r.sha256;
            manifest.warnings = warnings;
            const fs::path fresh = folder / (std::string(kManifest) + ".new");
            write_file(fresh, manifest_text(manifest));
            rename_path(fresh, folder / kManifest);
            fsync_dir(folder);
        } catch (const DiskError&) {
            // In force all the same; without its schedule_sha256 the next round installs it
            // again, which changes nothing.
        }
        send({a.id, a.version, CampaignState::installed, {}, warnings, r.sha256, main_sha});
    }

    // Audio of the installed campaigns by content, from their manifests.
    std::map<std::string, fs::path> local_audio() const {
        std::map<std::string, fs::path> out;
        for (const auto& entry : fs::directory_iterator(dir_)) {
            const std::string name = entry.path().filename().string();
            if (name.starts_with(".") || !is_dir(entry.path())) continue;
            if (auto m = read_manifest(entry.path()))
                for (const auto& item : m->audio)
                    if (unsafe_reason(item.path, "").empty())
                        out.emplace(item.sha256, entry.path() / item.path);
        }
        return out;
    }

    // The ward's schedule as it would be with the staged campaign `id`: every other installed
    // campaign and this one, seen through DIR/.check. Error and warning lines, naming the
    // files as they will be installed.
    std::pair<std::vector<std::string>, std::vector<std::string>> check(const std::string& id,
                                                                        const fs::path& main) {
        remove_tree(check_);
        make_dir(check_);
        for (const auto& entry : fs::directory_iterator(dir_)) {
            const std::string name = entry.path().filename().string();
            if (name.starts_with(".") || name == id || !is_dir(entry.path())) continue;
            if (::symlink(("../" + name).c_str(), (check_ / name).c_str()) != 0)
                disk_error("create the link", check_ / name);
        }
        if (::symlink(("../.staging/" + id).c_str(), (check_ / id).c_str()) != 0)
            disk_error("create the link", check_ / id);

        const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(
            std::chrono::system_clock::now());
        const schedules::CheckedSchedule checked =
            schedules::check_schedule(main, audio_, now, schedules::IncludeRedirect{dir_, check_});
        const fs::path checked_file = check_ / id / (id + ".yaml");
        bool included = false;
        for (const auto& f : checked.load.schedule.files)
            included = included || f.lexically_normal() == checked_file;
        remove_tree(check_);

        auto as_installed = [&](std::string line) {
            replace_all(line, check_.string() + "/", dir_.string() + "/");
            replace_all(line, staging_.string() + "/", dir_.string() + "/");
            return line;
        };
        std::vector<std::string> errors, warnings;
        for (const auto& d : checked.diagnostics)
            (d.severity == schedules::Diagnostic::Severity::error ? errors : warnings)
                .push_back(as_installed(d.to_string()));
        if (!included)
            errors.push_back(main.string() + ": error: it does not include " + dir_.string() +
                             "/*/*.yaml, so campaign " + id +
                             " would never air (add it under include:)");
        return {errors, warnings};
    }

    fs::path dir_;
    fs::path staging_;
    fs::path check_;
    const std::optional<fs::path>& schedule_;
    Daemon& daemon_;
    schedules::AudioLengths& audio_;
    CampaignSource& source_;

    std::map<std::string, CampaignReport> latest_;  ///< the district's latest, by campaign
    std::optional<std::optional<fs::path>> main_;   ///< once asked
    std::string prepare_error_;                     ///< the folder could not be prepared
    CampaignRound out_;
};

}  // namespace

CampaignInstaller::CampaignInstaller(fs::path dir, std::optional<fs::path> schedule, Daemon& daemon,
                                     schedules::AudioLengths& audio)
    : dir_(std::move(dir)), schedule_(std::move(schedule)), daemon_(daemon), audio_(audio) {}

CampaignRound CampaignInstaller::round(CampaignSource& source) {
    return Round(dir_, schedule_, daemon_, audio_, source).run();
}

}  // namespace wardcast::sync
