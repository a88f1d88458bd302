#include "common/protocol.hpp"

#include <unistd.h>

#include <cstdlib>

namespace wardcast::protocol {

namespace {

constexpr const char* system_socket = "/run/wardcast/control.sock";

/// Deeper than max_depth? Scanned before parsing so that no input can make the parser or the
/// json destructor recurse deeply.
bool too_deep(std::string_view text) {
    std::size_t depth = 0;
    bool in_string = false, escaped = false;
    for (char c : text) {
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max_depth) return true;
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return false;
}

std::string type_name(const json& j) { return j.type_name(); }

}  // namespace

std::string frame(const json& message) {
    std::string line = message.dump(-1, ' ', false, json::error_handler_t::replace);
    line += '\n';
    return line;
}

json make_request(const json& id, std::string_view cmd, json args) {
    return {{"v", version}, {"id", id}, {"cmd", cmd}, {"args", std::move(args)}};
}

json make_result(const json& id, json result) {
    return {{"v", version}, {"id", id}, {"ok", true}, {"result", std::move(result)}};
}

json make_error(const json& id, std::string_view code, std::string_view message) {
    return {{"v", version},
            {"id", id},
            {"ok", false},
            {"error", {{"code", code}, {"message", message}}}};
}

json make_event(std::string_view name, json fields) {
    if (!fields.is_object()) fields = json::object();
    fields["v"] = version;
    fields["event"] = name;
    return fields;
}

std::variant<Request, json> parse_request(std::string_view line) {
    if (line.size() > max_line)
        return make_error(nullptr, err::too_large,
                          "request longer than " + std::to_string(max_line) + " bytes");
    if (too_deep(line))
        return make_error(nullptr, err::bad_request,
                          "request nested deeper than " + std::to_string(max_depth) + " levels");
    json j = json::parse(line.begin(), line.end(), nullptr, false);
    if (j.is_discarded()) return make_error(nullptr, err::bad_json, "the line is not valid JSON");
    if (!j.is_object())
        return make_error(nullptr, err::bad_request,
                          "a request is a JSON object, not " + type_name(j));

    Request r;
    if (auto id = j.find("id"); id != j.end() && !id->is_null()) {
        if (!id->is_number_integer())
            return make_error(nullptr, err::bad_request, "\"id\" must be an integer");
        r.id = *id;
    }
    auto v = j.find("v");
    if (v == j.end())
        return make_error(r.id, err::bad_request, "missing \"v\" (the protocol version, 1)");
    if (!v->is_number_integer() || *v != version)
        return make_error(
            r.id, err::unsupported_version,
            "protocol version " + v->dump(-1, ' ', false, json::error_handler_t::replace) +
                " is not supported; this wardcastd speaks version " + std::to_string(version));
    auto cmd = j.find("cmd");
    if (cmd == j.end() || !cmd->is_string())
        return make_error(r.id, err::bad_request, "missing \"cmd\" (a string)");
    r.cmd = cmd->get<std::string>();
    if (auto args = j.find("args"); args != j.end() && !args->is_null()) {
        if (!args->is_object())
            return make_error(r.id, err::bad_request,
                              "\"args\" must be an object, not " + type_name(*args));
        r.args = std::move(*args);
    }
    return r;
}

json parse_message(std::string_view line) {
    if (too_deep(line)) return json(json::value_t::discarded);
    json j = json::parse(line.begin(), line.end(), nullptr, false);
    if (!j.is_object()) return json(json::value_t::discarded);
    return j;
}

std::string default_socket_path() {
    if (::geteuid() == 0) return system_socket;
    const char* runtime = std::getenv("XDG_RUNTIME_DIR");
    if (runtime && *runtime) return std::string(runtime) + "/wardcast/control.sock";
    return "/tmp/wardcast-" + std::to_string(::geteuid()) + "/control.sock";
}

std::vector<std::string> client_socket_candidates() {
    const char* env = std::getenv("WARDCAST_SOCKET");
    if (env && *env) return {env};
    std::vector<std::string> paths{default_socket_path()};
    if (paths.front() != system_socket) paths.push_back(system_socket);
    return paths;
}

}  // namespace wardcast::protocol
