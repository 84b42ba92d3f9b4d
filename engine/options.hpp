// Typed node options. A node type declares an option table; the engine validates YAML against it
// (types, unknown keys, required, defaults), `flowrun nodes` prints it, docs/nodes.md is made from it.
#pragma once
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/diagnostics.hpp"

namespace flowrun {

enum class OptionType {
  string,
  integer,
  number,
  boolean,
  duration,     // "250ms", "30s", "5m", "1h", or a bare number of seconds
  string_list,  // a YAML list of scalars, or one scalar (treated as a list of one)
  path,         // a string; relative paths are relative to the working directory (docs/pipeline.md)
  object,       // any YAML map, passed through
  any,          // any YAML value, passed through
  rate_limit,   // name of an entry in resources.rate_limits
  breaker,      // name of an entry in resources.breakers
  budget,       // name of an entry in resources.budgets
  secret,       // a string that must never be logged (use ${env.X}); redacted in DOT and reports
};

const char* to_string(OptionType t);

struct OptionSpec {
  std::string name;
  OptionType type = OptionType::string;
  std::string default_value;  // YAML text; "" = no default
  std::string doc;
  bool required = false;
  std::vector<std::string> choices;  // allowed values for string options (empty = any)
};

// The validated options of one node instance, with defaults applied. Getters throw
// std::invalid_argument naming the option when a value has the wrong shape.
class NodeConfig {
 public:
  NodeConfig() = default;
  NodeConfig(std::string id, std::string type, YAML::Node options, std::string base_dir,
             Location where);

  const std::string& id() const { return id_; }
  const std::string& type() const { return type_; }
  const std::string& base_dir() const { return base_dir_; }  // empty: paths stay relative to the working directory
  const Location& where() const { return where_; }
  const YAML::Node& raw() const { return options_; }

  bool has(const std::string& key) const;
  std::string get_string(const std::string& key, const std::string& fallback = "") const;
  std::int64_t get_int(const std::string& key, std::int64_t fallback = 0) const;
  double get_number(const std::string& key, double fallback = 0) const;
  bool get_bool(const std::string& key, bool fallback = false) const;
  std::chrono::milliseconds get_duration(const std::string& key,
                                         std::chrono::milliseconds fallback = {}) const;
  std::vector<std::string> get_list(const std::string& key) const;
  std::string get_path(const std::string& key, const std::string& fallback = "") const;
  YAML::Node get_node(const std::string& key) const;

 private:
  std::string id_, type_;
  YAML::Node options_;
  std::string base_dir_;
  Location where_;
};

// Parses "250ms", "30s", "1.5m", "2h", "1d" or a bare number of seconds.
std::optional<std::chrono::milliseconds> parse_duration(const std::string& text);
// Resolves `p` against `base_dir` unless it is absolute.
std::string resolve_path(const std::string& base_dir, const std::string& p);

}  // namespace flowrun
