// Small helpers for yaml-cpp: locations from marks, and node-kind names for messages.
#pragma once
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "engine/diagnostics.hpp"

namespace flowrun {

inline Location location_of(const std::string& file, const YAML::Node& n) {
  Location l{file, 0, 0};
  if (n.IsDefined()) {
    const YAML::Mark m = n.Mark();
    if (m.line >= 0) l.line = m.line + 1, l.column = m.column + 1;
  }
  return l;
}

inline Location location_of(const std::string& file, const YAML::Mark& m) {
  Location l{file, 0, 0};
  if (m.line >= 0) l.line = m.line + 1, l.column = m.column + 1;
  return l;
}

inline const char* kind_name(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null: return "null";
    case YAML::NodeType::Scalar: return "a scalar";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a map";
    default: return "nothing";
  }
}

// "file:line:column: ", the prefix of a message thrown by code that reads a YAML file of its own
// (mappings, rules, site files).
inline std::string where_prefix(const std::string& file, const YAML::Node& n) {
  return location_of(file, n).str() + ": ";
}

// " (did you mean 'x'?)" when one of `names` is close to `word`, else "".
inline std::string did_you_mean(const std::string& word, const std::vector<std::string>& names) {
  const std::string close = closest_match(word, names);
  return close.empty() ? "" : " (did you mean '" + close + "'?)";
}

}  // namespace flowrun
