#include "audio/pipeline_builder.hpp"

#include <gst/app/gstappsink.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <map>
#include <numeric>
#include <set>
#include <stdexcept>
#include <string_view>
#include <system_error>

namespace wardcast::audio {

namespace {

using PadPtr = std::unique_ptr<GstPad, ObjectUnref>;

constexpr const char* base_package = "gstreamer1.0-plugins-base";
constexpr const char* good_package = "gstreamer1.0-plugins-good";
// Every source is brought to this one format so that concat's inputs match.
constexpr const char* mix_caps = relay_mix_caps;
constexpr int mix_rate = relay_mix_rate;

ElementPtr make(const char* factory, const std::string& name, const char* package = nullptr) {
    ElementPtr element = make_element(factory, package);
    gst_object_set_name(GST_OBJECT(element.get()), name.c_str());
    return element;
}

ElementPtr make_capsfilter(const std::string& name, const char* caps_text) {
    ElementPtr element = make("capsfilter", name);
    GstCaps* caps = gst_caps_from_string(caps_text);
    g_object_set(element.get(), "caps", caps, nullptr);
    gst_caps_unref(caps);
    return element;
}

std::string name_of(GstElement* element) {
    CharPtr name(gst_object_get_name(GST_OBJECT(element)));
    return name ? name.get() : "?";
}

// Adds the elements to the pipeline and links each to the next.
void add_chain(GstElement* pipeline, std::initializer_list<GstElement*> chain) {
    for (GstElement* element : chain) gst_bin_add(GST_BIN(pipeline), element);
    for (auto it = chain.begin(); it + 1 < chain.end(); ++it) {
        if (!gst_element_link(it[0], it[1])) {
            throw std::runtime_error("cannot link " + name_of(it[0]) + " to " + name_of(it[1]));
        }
    }
}

// Links `from` to `to`, one of the two through a new request pad (concat's inputs, tee's outputs).
void link_pads(GstElement* from, GstElement* to, bool request_source) {
    PadPtr source(request_source ? gst_element_request_pad_simple(from, "src_%u")
                                 : gst_element_get_static_pad(from, "src"));
    PadPtr sink(request_source ? gst_element_get_static_pad(to, "sink")
                               : gst_element_request_pad_simple(to, "sink_%u"));
    if (!source || !sink || gst_pad_link(source.get(), sink.get()) != GST_PAD_LINK_OK) {
        throw std::runtime_error("cannot link " + name_of(from) + " to " + name_of(to));
    }
}

// A file: filesrc ! decodebin ! audioconvert ! audioresample ! mix caps ! audioamplify.
GstElement* add_file_source(GstElement* pipeline, const std::string& prefix,
                            const std::filesystem::path& file, std::optional<double> gain_db) {
    ElementPtr source = make("filesrc", prefix + "file");
    g_object_set(source.get(), "location", file.c_str(), nullptr);
    ElementPtr decode = make("decodebin", prefix + "decode", base_package);
    ElementPtr convert = make("audioconvert", prefix + "convert", base_package);
    ElementPtr resample = make("audioresample", prefix + "resample", base_package);
    ElementPtr caps = make_capsfilter(prefix + "caps", mix_caps);
    // audioamplify, unlike volume (at most x10), reaches +24 dB; the gain is capped so that
    // the file's peak stays below full scale, so it never needs to clip.
    ElementPtr gain = make("audioamplify", prefix + "gain", good_package);
    g_object_set(gain.get(), "amplification",
                 static_cast<gfloat>(std::pow(10.0, gain_db.value_or(0.0) / 20.0)), nullptr);
    gst_util_set_object_arg(G_OBJECT(gain.get()), "clipping-method", "none");

    add_chain(pipeline, {source.get(), decode.get()});
    add_chain(pipeline, {convert.get(), resample.get(), caps.get(), gain.get()});
    g_signal_connect(decode.get(), "pad-added", G_CALLBACK(link_decoded_audio_pad), convert.get());
    return gain.get();  // the pipeline holds a reference
}

// Silence of exactly `gap`, in buffers of whole milliseconds.
GstElement* add_silence(GstElement* pipeline, const std::string& prefix,
                        std::chrono::milliseconds gap) {
    const auto ms = gap.count();
    const auto buffer_ms = std::gcd(ms, decltype(gap.count()){20});
    ElementPtr source = make("audiotestsrc", prefix + "silence", base_package);
    gst_util_set_object_arg(G_OBJECT(source.get()), "wave", "silence");
    g_object_set(source.get(), "samplesperbuffer", static_cast<gint>(mix_rate / 1000 * buffer_ms),
                 "num-buffers", static_cast<gint>(ms / buffer_ms), nullptr);
    ElementPtr caps = make_capsfilter(prefix + "caps", mix_caps);
    add_chain(pipeline, {source.get(), caps.get()});
    return caps.get();
}

// The output end of a zone's branch; returns {first element, sink}.
std::pair<GstElement*, ElementPtr> add_output(GstElement* pipeline, const std::string& prefix,
                                              const BroadcastPipeline::Zone& zone) {
    using Kind = OutputSpec::Kind;
    const auto& spec = zone.spec;
    switch (spec.kind) {
        case Kind::automatic: {
            ElementPtr sink = make("autoaudiosink", prefix + "sink", good_package);
            add_chain(pipeline, {sink.get()});
            return {sink.get(), std::move(sink)};
        }
        case Kind::alsa:
        case Kind::pulse: {
            const bool alsa = spec.kind == Kind::alsa;
            ElementPtr sink = make(alsa ? "alsasink" : "pulsesink", prefix + "sink",
                                   alsa ? "gstreamer1.0-alsa" : "gstreamer1.0-pulseaudio");
            g_object_set(sink.get(), "device", spec.target.c_str(), nullptr);
            add_chain(pipeline, {sink.get()});
            return {sink.get(), std::move(sink)};
        }
        case Kind::file: {
            ElementPtr caps = make_capsfilter(prefix + "caps", "audio/x-raw,format=S16LE");
            // wavenc ignores the new segment concat starts for each source, so timestamps would
            // restart at 0 and filesink would stop pacing: make it one segment first.
            ElementPtr one_segment = make("identity", prefix + "segment");
            g_object_set(one_segment.get(), "single-segment", TRUE, nullptr);
            ElementPtr encode = make("wavenc", prefix + "encode", good_package);
            ElementPtr sink = make("filesink", prefix + "sink");
            // sync: written at the pace it would air, so a broadcast lasts as long as on air.
            g_object_set(sink.get(), "location", zone.file->c_str(), "sync", TRUE, nullptr);
            add_chain(pipeline, {caps.get(), one_segment.get(), encode.get(), sink.get()});
            return {caps.get(), std::move(sink)};
        }
        case Kind::rtp: {
            // rtpL16pay takes big-endian samples only; 44.1 kHz mono is L16's usual format.
            ElementPtr caps =
                make_capsfilter(prefix + "caps", "audio/x-raw,format=S16BE,rate=44100,channels=1");
            ElementPtr pay = make("rtpL16pay", prefix + "pay", good_package);
            // RFC 3551's static payload type for L16 44.1 kHz mono: receivers need no SDP.
            g_object_set(pay.get(), "pt", 11u, nullptr);
            ElementPtr sink = make("udpsink", prefix + "sink", good_package);
            g_object_set(sink.get(), "host", spec.target.c_str(), "port",
                         static_cast<gint>(spec.port), "sync", TRUE, nullptr);
            add_chain(pipeline, {caps.get(), pay.get(), sink.get()});
            return {caps.get(), std::move(sink)};
        }
        case Kind::discard: {
            ElementPtr sink = make("fakesink", prefix + "sink");
            g_object_set(sink.get(), "sync", TRUE, nullptr);
            add_chain(pipeline, {sink.get()});
            return {sink.get(), std::move(sink)};
        }
    }
    throw std::logic_error("unknown output kind");
}

std::filesystem::path unused_name(const std::filesystem::path& wanted,
                                  std::set<std::filesystem::path>& taken) {
    std::filesystem::path candidate = wanted;
    std::error_code ec;
    for (int n = 2; taken.count(candidate) || std::filesystem::exists(candidate, ec); ++n) {
        candidate = wanted;
        candidate.replace_filename(wanted.stem().string() + "-" + std::to_string(n) + ".wav");
    }
    taken.insert(candidate);
    return candidate;
}

// The number after `prefix` at the start of `name`, as in "source3-decode".
std::optional<std::size_t> index_after(std::string_view name, std::string_view prefix) {
    if (name.substr(0, prefix.size()) != prefix) return std::nullopt;
    std::size_t index = 0;
    const char* first = name.data() + prefix.size();
    const auto [end, ec] = std::from_chars(first, name.data() + name.size(), index);
    if (ec != std::errc() || end == first || end == name.data() + name.size() || *end != '-') {
        return std::nullopt;
    }
    return index;
}

// Per zone, after the tee: queue ! volume (zone) ! audioconvert ! audioresample ! <output>.
void add_zones(BroadcastPipeline& built, const BroadcastRequest& request, GstElement* tee) {
    GstElement* pipeline = built.pipeline.get();
    std::set<std::filesystem::path> taken;
    for (std::size_t i = 0; i < request.zones.size(); ++i) {
        const ZoneOutput& wanted = request.zones[i];
        BroadcastPipeline::Zone zone;
        zone.id = wanted.zone;
        zone.output = wanted.output;
        try {
            zone.spec = parse_output(wanted.output);
        } catch (const std::invalid_argument& e) {
            throw std::runtime_error("zone " + wanted.zone + ": " + e.what());
        }
        if (zone.spec.kind == OutputSpec::Kind::file) {
            // An archive folder named in the schedule is made when first needed, as an
            // operator would expect; failing that, filesink reports why.
            std::error_code ignored;
            std::filesystem::create_directories(
                std::filesystem::path(zone.spec.target).parent_path(), ignored);
            zone.file = unused_name(
                broadcast_wav_path(zone.spec.target, request.label, request.scheduled), taken);
        }
        const std::string prefix = "zone" + std::to_string(i) + "-";
        ElementPtr queue = make("queue", prefix + "queue");
        zone.volume = make("volume", prefix + "volume", base_package);
        g_object_set(zone.volume.get(), "volume", std::clamp(wanted.volume, 0.0, 1.0), nullptr);
        ElementPtr convert = make("audioconvert", prefix + "convert", base_package);
        ElementPtr resample = make("audioresample", prefix + "resample", base_package);
        add_chain(pipeline, {queue.get(), zone.volume.get(), convert.get(), resample.get()});
        auto [first, sink] = add_output(pipeline, prefix, zone);
        if (!gst_element_link(resample.get(), first)) {
            throw std::runtime_error("cannot link the output of zone " + zone.id);
        }
        link_pads(tee, queue.get(), true);
        zone.sink = std::move(sink);
        built.zones.push_back(std::move(zone));
    }
}

}  // namespace

std::string BroadcastPipeline::describe(GstObject* element) const {
    GstObject* object = element ? GST_OBJECT(gst_object_ref(element)) : nullptr;
    std::string found;
    while (object && found.empty()) {
        CharPtr name(gst_object_get_name(object));
        const std::string_view text = name ? name.get() : "";
        if (auto k = index_after(text, "source"); k && *k < sources.size()) {
            found = sources[*k].empty() ? "the gap" : sources[*k].string();
        } else if (auto z = index_after(text, "zone"); z && *z < zones.size()) {
            found = "zone " + zones[*z].id + " (" + zones[*z].output + ")";
        }
        GstObject* parent = gst_object_get_parent(object);
        gst_object_unref(object);
        object = parent;
    }
    if (object) gst_object_unref(object);
    return found;
}

BroadcastPipeline build_pipeline(const BroadcastRequest& request, const GainLookup& gain_db) {
    if (request.zones.empty()) throw std::runtime_error("the broadcast has no zone");
    const auto unnamed = [](const std::filesystem::path& file) { return file.empty(); };
    if (std::any_of(request.items.begin(), request.items.end(), unnamed) ||
        (request.chime && request.chime->empty())) {
        throw std::runtime_error("an audio file of the broadcast has no name");
    }
    std::vector<std::filesystem::path> sources;
    if (request.chime) sources.push_back(*request.chime);
    for (int round = 0; round < std::max(request.repeat, 1); ++round) {
        if (round > 0 && request.gap.count() > 0) sources.emplace_back();
        sources.insert(sources.end(), request.items.begin(), request.items.end());
    }
    if (sources.empty()) throw std::runtime_error("the broadcast has nothing to play");
    std::map<std::filesystem::path, std::optional<double>> gains;
    for (const auto& file : sources) {
        if (file.empty() || gains.count(file)) continue;
        std::error_code ec;
        if (!std::filesystem::is_regular_file(file, ec)) {
            throw std::runtime_error("no such file: " + file.string());
        }
        gains[file] = gain_db ? gain_db(file) : std::nullopt;
    }

    BroadcastPipeline built;
    built.pipeline = make_pipeline();
    built.sources = sources;
    GstElement* pipeline = built.pipeline.get();

    ElementPtr concat = make("concat", "concat");
    ElementPtr level = make("volume", "announcement-volume", base_package);
    g_object_set(level.get(), "volume", std::clamp(request.volume, 0.0, 1.0), nullptr);
    ElementPtr tee = make("tee", "tee");
    add_chain(pipeline, {concat.get(), level.get(), tee.get()});

    for (std::size_t k = 0; k < sources.size(); ++k) {
        const std::string prefix = "source" + std::to_string(k) + "-";
        GstElement* last = sources[k].empty()
                               ? add_silence(pipeline, prefix, request.gap)
                               : add_file_source(pipeline, prefix, sources[k], gains[sources[k]]);
        link_pads(last, concat.get(), false);
    }

    add_zones(built, request, tee.get());
    return built;
}

BroadcastPipeline build_relay_pipeline(const BroadcastRequest& request, const GainLookup& gain_db) {
    if (!request.relay) throw std::logic_error("build_relay_pipeline: not a relay");
    if (request.zones.empty()) throw std::runtime_error("the broadcast has no zone");
    BroadcastPipeline built;
    if (request.chime) {
        std::error_code ec;
        if (request.chime->empty() || !std::filesystem::is_regular_file(*request.chime, ec)) {
            throw std::runtime_error("no such file: " + request.chime->string());
        }
        built.chime =
            decode_to_mix(*request.chime, gain_db ? gain_db(*request.chime) : std::nullopt,
                          std::chrono::seconds(30));
    }
    built.pipeline = make_pipeline();
    // describe() names the program's errors after the relay's source.
    built.sources = {std::filesystem::path(request.relay->source)};
    GstElement* pipeline = built.pipeline.get();
    // A live source of silence sets the pace (the system clock's) and keeps the outputs
    // running whatever the relayed source does; the relay writes its samples into it.
    built.program = make("audiotestsrc", "source0-program", base_package);
    gst_util_set_object_arg(G_OBJECT(built.program.get()), "wave", "silence");
    g_object_set(built.program.get(), "is-live", TRUE, "samplesperbuffer",
                 static_cast<gint>(relay_buffer_frames), nullptr);
    ElementPtr caps = make_capsfilter("source0-caps", mix_caps);
    ElementPtr level = make("volume", "announcement-volume", base_package);
    g_object_set(level.get(), "volume", std::clamp(request.volume, 0.0, 1.0), nullptr);
    ElementPtr tee = make("tee", "tee");
    add_chain(pipeline, {built.program.get(), caps.get(), level.get(), tee.get()});
    add_zones(built, request, tee.get());
    return built;
}

std::vector<float> decode_to_mix(const std::filesystem::path& file, std::optional<double> gain_db,
                                 std::chrono::milliseconds timeout) {
    PipelinePtr pipeline = make_pipeline();
    GstElement* last = add_file_source(pipeline.get(), "source0-", file, gain_db);
    ElementPtr sink = make("appsink", "decoded", base_package);
    g_object_set(sink.get(), "sync", FALSE, nullptr);
    add_chain(pipeline.get(), {sink.get()});
    if (!gst_element_link(last, sink.get())) throw std::runtime_error("cannot link the decoder");
    std::vector<float> samples;
    // appsink keeps what arrives until pulled: pulling here, from this thread, is enough.
    GstAppSink* app = GST_APP_SINK(sink.get());
    if (gst_element_set_state(pipeline.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        throw std::runtime_error(file.string() + ": cannot be decoded");
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    BusPtr bus(gst_element_get_bus(pipeline.get()));
    while (!gst_app_sink_is_eos(app)) {
        GstSample* sample = gst_app_sink_try_pull_sample(app, 20 * GST_MSECOND);
        if (sample) {
            GstBuffer* buffer = gst_sample_get_buffer(sample);
            GstMapInfo map;
            if (buffer && gst_buffer_map(buffer, &map, GST_MAP_READ)) {
                const auto* data = reinterpret_cast<const float*>(map.data);
                samples.insert(samples.end(), data, data + map.size / sizeof(float));
                gst_buffer_unmap(buffer, &map);
            }
            gst_sample_unref(sample);
        }
        if (MessagePtr error{gst_bus_pop_filtered(bus.get(), GST_MESSAGE_ERROR)}) {
            GError* raw = nullptr;
            gst_message_parse_error(error.get(), &raw, nullptr);
            ErrorPtr e(raw);
            throw std::runtime_error(file.string() + ": " + (e ? e->message : "cannot be decoded"));
        }
        if (std::chrono::steady_clock::now() > deadline) {
            throw std::runtime_error(file.string() + ": decoding took too long");
        }
    }
    return samples;
}

bool picked_fake_sink(GstElement* autoaudiosink) {
    bool fake = false;
    GstIterator* children = gst_bin_iterate_elements(GST_BIN(autoaudiosink));
    GValue item = G_VALUE_INIT;
    for (bool more = true; more;) {
        switch (gst_iterator_next(children, &item)) {
            case GST_ITERATOR_OK: {
                GstElementFactory* factory =
                    gst_element_get_factory(GST_ELEMENT(g_value_get_object(&item)));
                if (factory && std::strcmp(GST_OBJECT_NAME(factory), "fakesink") == 0) {
                    fake = true;
                }
                g_value_reset(&item);
                break;
            }
            case GST_ITERATOR_RESYNC:
                fake = false;
                gst_iterator_resync(children);
                break;
            default:
                more = false;
        }
    }
    g_value_unset(&item);
    gst_iterator_free(children);
    return fake;
}

}  // namespace wardcast::audio
