#pragma once
// Catch2 prints the shared names (common/names.hpp) by name: a failed CHECK on a status,
// a kind or a trigger says "played", not "{?}".

#include <catch2/catch.hpp>
#include <optional>
#include <string>

#include "common/names.hpp"

namespace wardcast::test {

/// The names a test writes most, unqualified.
using names::EntryKind;
using names::Priority;
using names::Status;
using names::Trigger;

template <class E>
struct NameString {
    static std::string convert(E value) { return std::string(names::name(value)); }
};

template <class E>
struct OptionalNameString {
    static std::string convert(const std::optional<E>& value) {
        return value ? std::string(names::name(*value)) : std::string("(none)");
    }
};

}  // namespace wardcast::test

namespace Catch {
template <>
struct StringMaker<wardcast::names::Status> : wardcast::test::NameString<wardcast::names::Status> {
};
template <>
struct StringMaker<wardcast::names::EntryKind>
    : wardcast::test::NameString<wardcast::names::EntryKind> {};
template <>
struct StringMaker<wardcast::names::Trigger>
    : wardcast::test::NameString<wardcast::names::Trigger> {};
template <>
struct StringMaker<wardcast::names::Priority>
    : wardcast::test::NameString<wardcast::names::Priority> {};
template <>
struct StringMaker<std::optional<wardcast::names::Status>>
    : wardcast::test::OptionalNameString<wardcast::names::Status> {};
template <>
struct StringMaker<std::optional<wardcast::names::Trigger>>
    : wardcast::test::OptionalNameString<wardcast::names::Trigger> {};
}  // namespace Catch
