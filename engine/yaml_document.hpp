// Reading a pipeline file's YAML safely: one document only, parse errors at file:line:column, and
// bounded size (aliases can make a tiny file expand to billions of nodes).
#pragma once
#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>

#include "engine/diagnostics.hpp"

namespace flowrun {

// The document's root, or nullopt after reporting why not.
std::optional<YAML::Node> read_yaml_document(const std::string& text, const std::string& file, Diagnostics& diags);

}  // namespace flowrun
