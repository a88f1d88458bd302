#pragma once
// What the broadcast log's tests share: a private folder for log files, instants from text.

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "log/broadcast_log.hpp"
#include "tests/names_strings.hpp"

namespace wardcast::test {

/// A fresh folder, removed (whatever its permissions became) at the end of the test.
struct LogDir {
    std::filesystem::path path;
    LogDir() {
        std::string templ = std::filesystem::temp_directory_path() / "wardcast-log-XXXXXX";
        REQUIRE(::mkdtemp(templ.data()));
        path = templ;
    }
    ~LogDir() {
        std::error_code ignored;
        std::filesystem::permissions(path, std::filesystem::perms::owner_all, ignored);
        std::filesystem::remove_all(path, ignored);
    }
    LogDir(const LogDir&) = delete;
    LogDir& operator=(const LogDir&) = delete;
};

/// The instant stored as `utc` ("2026-12-01T00:00:00.000Z").
inline log::Instant at(const std::string& utc) {
    auto parsed = log::parse_utc(utc);
    REQUIRE(parsed);
    return *parsed;
}

}  // namespace wardcast::test
