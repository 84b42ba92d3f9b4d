#include "engine/registry.hpp"

#include <stdexcept>

namespace flowrun {

const char* to_string(Role r) {
  switch (r) {
    case Role::source: return "source";
    case Role::transform: return "transform";
    case Role::sink: return "sink";
  }
  return "?";
}

void Registry::add(NodeDescriptor d) {
  if (d.ports.size() > 4) throw std::logic_error("node type '" + d.type + "' declares more than 4 extra ports");
  if (!d.factory) throw std::logic_error("node type '" + d.type + "' has no factory");
  std::string type = d.type;
  if (!types_.emplace(type, std::move(d)).second)
    throw std::logic_error("node type '" + type + "' registered twice");
}

const NodeDescriptor* Registry::find(const std::string& type) const {
  auto it = types_.find(type);
  return it == types_.end() ? nullptr : &it->second;
}

std::vector<std::string> Registry::types() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : types_) out.push_back(k);
  return out;
}

std::vector<const NodeDescriptor*> Registry::all() const {
  std::vector<const NodeDescriptor*> out;
  for (const auto& [k, v] : types_) out.push_back(&v);
  return out;
}

const std::vector<OptionSpec>& common_options() {
  static const std::vector<OptionSpec> specs = {
      {"type", OptionType::string, "", "The node type (see `flowrun nodes`).", true, {}},
      {"inputs", OptionType::string_list, "",
       "Data edges: node ids whose records this node consumes; `node.port` picks a non-default "
       "output port such as `errors` or `rejected`.", false, {}},
      {"after", OptionType::string_list, "",
       "Control edges: this node starts only after these nodes have finished.", false, {}},
      {"concurrency", OptionType::any, "",
       "Records processed at once: 1 (serial), N, or `unlimited`. Default from the node type or "
       "`mode:`. Nodes on I/O threads may say `adaptive` (or {adaptive: true, min, max, initial}, "
       "or {adaptive: NAME} to share resources.concurrency.NAME): a limit learnt from the "
       "server's round trips and 429/503 answers (docs/pipeline.md).", false, {}},
      {"buffer", OptionType::integer, "",
       "Capacity of this node's input edge in records (default: the pipeline's `buffer`, 1024). "
       "A full edge blocks its producers.", false, {}},
      {"fatal", OptionType::boolean, "false",
       "An exception in this node stops the whole run (exit 1); the record in hand still goes to dead letters.", false, {}},
      {"description", OptionType::string, "", "Free text shown in `flowrun dot`.", false, {}},
  };
  return specs;
}

}  // namespace flowrun
