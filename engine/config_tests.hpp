// Config unit tests (`flowrun test`), in the style of Vector's and Benthos' pipeline tests: records
// are inserted at a node, captured at another, and compared; sources and sinks are stubbed so a
// test runs offline in milliseconds. The file format is in docs/testing-pipelines.md.
#pragma once
#include <string>
#include <vector>

#include "engine/diagnostics.hpp"
#include "engine/registry.hpp"

namespace flowrun {

struct ConfigTestResult {
  std::string name;
  bool passed = false;
  std::vector<std::string> failures;  // one line each: which output, which record/field, expected vs got
};

// Runs every test in `file`: either a pipeline with a `tests:` block, or a test file with
// `pipeline: path/to/pipeline.yaml` (relative to the test file) and `tests:`. Problems with the
// pipeline or the test specs become error diagnostics at file:line:column (and those tests are
// not run); a file without tests gives a warning. Environment variables the pipeline references
// (${env.X}) that are unset get a placeholder (or the test file's `env:` value), because the
// sources and sinks that would use them are stubbed.
std::vector<ConfigTestResult> run_config_tests(const std::string& file, const Registry& registry,
                                               Diagnostics& diags);

}  // namespace flowrun
