// Running one config test needs a graph of its own: the pipeline cut down to what the inserted
// records can reach, with sources replaced by nodes that emit the test's records, sinks (and the
// nodes named in `stub:`) by nodes that keep or pass what they receive, and a capture node on
// every port an output reads. Part of engine/config_tests.cpp's implementation.
#pragma once
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/config_test_spec.hpp"
#include "engine/registry.hpp"

namespace flowrun::config_test {

struct Capture {
  std::mutex mu;
  std::vector<Record> records;
};

// Per-test state the synthetic nodes' factories read (by node id).
struct TestState {
  std::map<std::string, std::vector<const InputSpec*>> inputs;
  std::map<std::string, std::shared_ptr<Capture>> captures;
};

// Registers the synthetic node types (input, capture, stub) into a registry of their own.
void register_synthetic(Registry& reg, TestState& st);

struct TestGraph {
  Graph graph;
  std::map<std::size_t, std::string> capture_of;  // output index -> capture node id ("" = unreachable)
};

// The graph that runs test `t` against pipeline `g`; nullopt after reporting why it cannot be built
// (a reference to no node or port, an output no inserted record can reach).
std::optional<TestGraph> build_test_graph(const Graph& g, const TestSpec& t, const Registry& synth, TestState& st,
                                          Diagnostics& diags);

}  // namespace flowrun::config_test
