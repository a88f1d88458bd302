#pragma once
// One row of a libpq result as log::EntryRowReader reads rows (the district's copy of a ward's
// entries, columns in log::entry_columns order).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "district/pg.hpp"

namespace wardcast::district {

struct PgRow {
    const pg::Result& result;
    int row;
    bool is_null(int col) const { return result.is_null(row, col); }
    std::int64_t int64(int col) const { return result.int64(row, col); }
    std::optional<std::int64_t> opt_int64(int col) const {
        return is_null(col) ? std::nullopt : std::optional(int64(col));
    }
    std::string_view view(int col) const { return result.view(row, col); }
    void text(int col, std::string& out) const { out.assign(view(col)); }
};

}  // namespace wardcast::district
