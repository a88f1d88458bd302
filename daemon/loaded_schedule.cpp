#include "daemon/loaded_schedule.hpp"


#include "common/sha256.hpp"
#include "schedules/bundle.hpp"
#include "schedules/validator.hpp"

namespace wardcast::daemon {

namespace sch = wardcast::schedules;

std::unique_ptr<LoadedSchedule> load_for_air(const std::filesystem::path& path,
                                             audio::AudioLibrary& library) {
    auto loaded = std::make_unique<LoadedSchedule>();
    // Collisions only ever warn, and need a notion of "today": the daemon does not look for them.
    auto checked = sch::check_schedule(path, library, std::nullopt);
    const auto& diagnostics = checked.diagnostics;
    loaded->durations = std::move(checked.validation.durations);
    std::size_t errors = 0;
    for (const auto& d : diagnostics) {
        if (d.severity == sch::Diagnostic::Severity::error)
            ++errors;
        else
            loaded->warnings.push_back(d);
    }
    if (errors) {
        throw InvalidSchedule(path.string() + ": invalid: " + std::to_string(errors) +
                                  (errors == 1 ? " error" : " errors"),
                              diagnostics);
    }

    loaded->schedule = std::move(checked.load.schedule);
    loaded->text = sch::bundle_from_disk(loaded->schedule.files);
    loaded->sha256 = wardcast::sha256_hex(loaded->text);

    auto hash = [&](const std::filesystem::path& file) {
        return library.content_hash(file).value_or("");
    };
    loaded->audio.resize(loaded->schedule.announcements.size());
    for (const auto& a : loaded->schedule.announcements) {
        auto& out = loaded->audio[a.order];
        if (a.chime) {
            out.chime = a.chime->path;
            out.sha256.push_back(hash(a.chime->path));
        }
        // A relay (a.relay) has no items: only its chime is a file; the player opens its source.
        for (const auto& ref : a.audio) out.items.push_back(ref.path);
        if (a.tts) out.items.push_back(library.tts_file(*a.tts));  // rendered by validate already
        for (const auto& item : out.items) out.sha256.push_back(hash(item));
    }
    return loaded;
}

}  // namespace wardcast::daemon
