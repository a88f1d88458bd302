#pragma once
// A test that cannot run here says so: it prints the marker below and returns, and CTest
// (tests/CMakeLists.txt, SKIP_REGULAR_EXPRESSION) reports it "Skipped" instead of "Passed".

#include <iostream>

/// The line CTest looks for.
#define WARDCAST_SKIP_MARKER "wardcast-test-skipped:"

/// Ends the test here, reported skipped with `why`.
#define WARDCAST_SKIP(why)                                           \
    do {                                                             \
        std::cout << WARDCAST_SKIP_MARKER " " << (why) << std::endl; \
        WARN("skipped: " << (why));                                  \
        return;                                                      \
    } while (false)
