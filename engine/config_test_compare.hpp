// Comparing what a config test captured with what it expects: field values (5 == 5.0), conditions
// (equals, matches, gt ...) and whole expected records, each matched to a distinct record. Every
// mismatch becomes one failure line naming the output, the record and the field. Part of
// engine/config_tests.cpp's implementation.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "engine/config_test_spec.hpp"
#include "engine/record.hpp"

namespace flowrun::config_test {

// A value as failure lines show it (cut at 160 characters).
std::string show(const json::value& v);
// A number, or a string that is one.
std::optional<double> as_number(const json::value& v);
// Compares what one capture point got with its spec; appends failure lines.
void compare(const OutputSpec& o, const std::vector<Record>& got, std::vector<std::string>& failures);

}  // namespace flowrun::config_test
