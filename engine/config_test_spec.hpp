// Loading the `tests:` of a config test file (`flowrun test`) into a model: what to insert where,
// what to expect at which output. Every problem is a diagnostic at file:line:column, and a test
// with one is marked invalid rather than run. Part of engine/config_tests.cpp's implementation.
#pragma once
#include <yaml-cpp/yaml.h>

#include <boost/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "engine/diagnostics.hpp"
#include "engine/graph.hpp"
#include "engine/yaml_util.hpp"

namespace flowrun::config_test {

namespace json = boost::json;

struct InputSpec {
  std::string node;
  std::string source;  // the envelope's source (default: the node inserted at), for routing by source
  Location where;
  std::vector<json::object> records;
};

struct Condition {
  std::string field, op;
  json::value value;
  std::optional<std::regex> re;
  Location where;
};

struct Expected {
  std::vector<std::pair<std::string, json::value>> fields;  // in file order, for messages
  Location where;
};

struct OutputSpec {
  PortRef at;
  std::vector<Expected> expect;
  std::vector<Condition> conditions;
  std::optional<std::int64_t> count;
  bool none = false;  // from no_output_from
};

struct TestSpec {
  std::string name;
  Location where;
  std::vector<InputSpec> inputs;
  std::vector<OutputSpec> outputs;
  std::vector<PortRef> stubs;
  bool valid = true;
};

// Plain scalars get YAML 1.2 core types (null, bool, int, float); quoted ones stay strings.
json::value to_json(const YAML::Node& n);

// Reads one test after another, reporting into `diags`; `ok` says whether the last one was clean.
struct SpecParser {
  std::string file;
  Diagnostics& diags;
  bool ok = true;

  Location at(const YAML::Node& n) const { return location_of(file, n); }
  void error(const YAML::Node& n, const std::string& msg);
  // Reports every key of map `m` not in `allowed`, with a did-you-mean.
  bool check_keys(const YAML::Node& m, const std::vector<std::string>& allowed, const std::string& what);
  std::optional<PortRef> port_ref(const YAML::Node& n, const std::string& what);
  std::vector<YAML::Node> list_of(const YAML::Node& n, const std::string& what);
  // The test at tests[index]; `valid` is false when it has a problem (reported).
  TestSpec test(const YAML::Node& t, std::size_t index);
  InputSpec input(const YAML::Node& in, const std::string& what);
  std::optional<OutputSpec> output(const YAML::Node& o, const std::string& what);
  std::optional<Condition> condition(const YAML::Node& c, const std::string& what);
};

}  // namespace flowrun::config_test
