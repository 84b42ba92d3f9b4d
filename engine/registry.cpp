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
  if (!d.factory && !d.create) throw std::logic_error("node type '" + d.type + "' has no factory");
  if (d.create && !d.schema) throw std::logic_error("node type '" + d.type + "' has a typed factory but no option table");
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

const StoreScheme* Registry::store_scheme(const std::string& url) const {
  const auto colon = url.find(':');
  if (colon == std::string::npos) return nullptr;
  for (const auto& s : store_schemes_)
    if (s.scheme == url.substr(0, colon)) return &s;
  return nullptr;
}

bool Registry::store_on_one_machine(const std::string& url) const {
  const StoreScheme* s = store_scheme(url);
  return s && s->one_machine;
}

std::string Registry::resolve_store(const std::string& url, const std::string& base_dir, std::string& why) const {
  if (const StoreScheme* s = store_scheme(url)) return s->resolve(url, base_dir, why);
  std::string known;
  for (const auto& s : store_schemes_) known += (known.empty() ? "" : ", ") + s.scheme + ":";
  why = known.empty() ? "this build of flowrun has no store backend"
                      : "unsupported store URL '" + url + "'; flowrun stores in " + known;
  return url;
}

std::unique_ptr<Node> make_node(const NodeDescriptor& d, const std::string& id, const YAML::Node& options,
                                const std::string& base_dir, const YAML::Node& resources) {
  NodeInfo info{id, d.type, base_dir, Location{"<" + id + ">", 0, 0}};
  Diagnostics diags;
  if (!d.schema) {
    YAML::Node opts(YAML::NodeType::Map);
    for (const auto& s : d.options)
      if (options[s.name]) opts[s.name] = options[s.name];
      else if (!s.default_value.empty()) opts[s.name] = YAML::Load(s.default_value);
    return d.factory(NodeConfig(id, d.type, opts, base_dir, info.where));
  }
  BindContext ctx{info, resources, diags, info.where.file};
  BoundOptions bound = d.schema->bind(options.IsDefined() ? options : YAML::Node(YAML::NodeType::Map), ctx);
  if (!diags.has_errors()) d.schema->validate(bound, info, diags);
  if (diags.has_errors()) throw PipelineError(diags);
  return d.create(bound, info);
}

}  // namespace flowrun
