// Helpers for driving listing sources directly (no engine run): a collecting emitter and a run
// context with empty resources.
#pragma once
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "engine/context.hpp"
#include "engine/node.hpp"
#include "engine/options.hpp"
#include "engine/registry.hpp"
#include "engine/resources.hpp"
#include "tests/shared/temp_dir.hpp"

namespace listings_test {

inline std::string source_dir() { return FLOWRUN_SOURCE_DIR; }
inline std::string fixture_path(const std::string& name) { return source_dir() + "/tests/fixtures/listings/" + name; }
inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Collector : flowrun::Emitter {
  std::mutex mu;
  std::map<std::string, std::vector<flowrun::Record>> ports;
  int filtered_count = 0;
  using flowrun::Emitter::emit;
  void emit(std::string_view port, flowrun::Record r) override {
    std::lock_guard lock(mu);
    ports[std::string(port)].push_back(std::move(r));
  }
  void filtered() override { ++filtered_count; }
  std::vector<flowrun::Record>& out() { return ports["out"]; }
  std::vector<flowrun::Record>& errors() { return ports["errors"]; }
};

struct TestRun {
  std::unique_ptr<flowrun::Resources> resources = flowrun::Resources::from_yaml(YAML::Node());
  flowrun::RunContext ctx{"test", "run-1", *resources, {}};
};

// A listing source made the way the loader makes it: options bound and checked by the type's
// table (a bad option or site file throws PipelineError), then created.
template <class T>
std::unique_ptr<T> make_source(const flowrun::NodeDescriptor& d, const std::string& id, const std::string& yaml,
                               const std::string& base_dir = "") {
  auto node = flowrun::make_node(d, id, YAML::Load(yaml), base_dir);
  auto* typed = dynamic_cast<T*>(node.get());
  if (!typed) throw std::logic_error("make_source: wrong node class for " + d.type);
  node.release();
  return std::unique_ptr<T>(typed);
}

// A scratch directory removed at the end of the test.
using flowrun::testing::TempDir;

inline std::string str(const boost::json::value& v) {
  return v.is_string() ? std::string(v.as_string()) : boost::json::serialize(v);
}

}  // namespace listings_test
