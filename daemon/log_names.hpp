#pragma once
// The broadcast log's names as the daemon's code uses them: the log is a library of its own
// (log/), which wardcastctl, wardcast-sync and wardcast-district link too.

#include "log/broadcast_log.hpp"

namespace wardcast::daemon {

using log::BroadcastLog;
using log::format_utc;
using log::Instant;
using log::LogEntry;
using log::LogFault;
using log::LogOverflow;
using log::parse_utc;

}  // namespace wardcast::daemon
