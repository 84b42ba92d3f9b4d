// What an option is: its type, default, doc, range, choices and aliases (OptionSpec), where a node
// instance lives (NodeInfo), and what a node's `validate` hook reports through (Check). The typed
// tables that bind options to a node's struct are in engine/option_table.hpp.
#pragma once
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
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
  path,         // a file or folder; relative paths resolve from the pipeline file's folder
  data_file,    // a shipped file found by name (mappings, rules, prompts ...) or a path
  object,       // a YAML map
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
  std::string default_value;  // as documented; derived from the options struct's own default
  std::string doc;
  bool required = false;
  std::vector<std::string> choices;  // allowed values (each item, for lists); empty = any
  std::optional<double> min, max;    // numbers and integers; durations in seconds
  std::vector<std::string> aliases;  // other names accepted for this option
  std::string data_kind;             // data_file: the folder it is found in ("mappings")
  std::string data_ext;              // data_file: the extension added to a bare name (".yaml")
  bool output = false;               // path: the node writes it, so its folder must be creatable
};

// Where a node instance sits: relative paths resolve from `base_dir`, the pipeline file's folder.
struct NodeInfo {
  std::string id, type;
  std::string base_dir;  // "" = the working directory (a pipeline given as text, in tests)
  Location where;        // the node's id in the pipeline file
};

// Per-option facts the loader learnt while binding: where each value was written, and which
// options the file gave (the rest hold their defaults).
struct OptionSites {
  std::map<std::string, Location> where;
  std::map<std::string, std::vector<Location>> items;  // each item of a list value
  std::set<std::string> given;
};

class FieldSet;  // engine/fields.hpp

// What a node type's `validate` hook reports through: errors land at the option's value in the
// pipeline file (file:line:column), prefixed with the node and option names.
class Check {
 public:
  Check(const NodeInfo& node, const OptionSites& sites, Diagnostics& diags, const FieldSet* input_fields = nullptr)
      : node_(node), sites_(sites), diags_(diags), input_fields_(input_fields) {}

  void error(const std::string& option, const std::string& message);
  void warning(const std::string& option, const std::string& message);
  // At item `index` of a list option (a csv sink's column), else at the option.
  void error_at_item(const std::string& option, std::size_t index, const std::string& message);
  // For problems inside a referenced file, which have a location of their own.
  void error_at(const Location& where, const std::string& message) { diags_.error(where, message); }
  void warning_at(const Location& where, const std::string& message) { diags_.warning(where, message); }

  const NodeInfo& node() const { return node_; }
  bool given(const std::string& option) const { return sites_.given.count(option) > 0; }
  Location where(const std::string& option) const;
  Diagnostics& diagnostics() { return diags_; }
  // The fields every record reaching the node may carry, when the pipeline upstream declares
  // them (engine/fields.hpp); null when unknown: then nothing about fields can be checked.
  const FieldSet* input_fields() const { return input_fields_; }

 private:
  const NodeInfo& node_;
  const OptionSites& sites_;
  Diagnostics& diags_;
  const FieldSet* input_fields_;
};

// Parses "250ms", "30s", "1.5m", "2h", "1d" or a bare number of seconds.
std::optional<std::chrono::milliseconds> parse_duration(const std::string& text);
// The shortest of those forms that says `d` exactly: "500ms", "30s", "5m", "1h", "1d".
std::string format_duration(std::chrono::milliseconds d);
// Resolves `p` against `base_dir` unless it is absolute or base_dir is empty.
std::string resolve_path(const std::string& base_dir, const std::string& p);

// ---- until every node family binds typed options (issue 13) ---------------------------------

// The validated raw options of one node instance, with defaults applied. Getters throw
// std::invalid_argument naming the option when a value has the wrong shape.
class NodeConfig {
 public:
  NodeConfig() = default;
  NodeConfig(std::string id, std::string type, YAML::Node options, std::string base_dir,
             Location where);

  const std::string& id() const { return id_; }
  const std::string& type() const { return type_; }
  const std::string& base_dir() const { return base_dir_; }
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

}  // namespace flowrun
