// Small helpers for yaml-cpp: locations from marks, and node-kind names for messages.
#pragma once
#include <yaml-cpp/yaml.h>

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

}  // namespace flowrun
