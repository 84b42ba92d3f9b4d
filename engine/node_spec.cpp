// One node of a pipeline: its common options (type, inputs, after, concurrency, buffer, fatal,
// description, group) through the engine's own option table, its type's options through the type's table.
#include <algorithm>
#include <set>

#include "engine/adaptive_config.hpp"
#include "engine/graph.hpp"
#include "engine/node_spec.hpp"
#include "engine/registry.hpp"
#include "engine/yaml_util.hpp"

namespace flowrun {

namespace {

struct CommonOptions {
  std::string type, description;
  std::vector<PortRef> inputs, after;
  YAML::Node concurrency;  // as written; read by read_concurrency (engine/adaptive_config.hpp)
  std::optional<int> buffer;
  bool fatal = false;
  std::string group = "main";
};

std::string show_refs(const std::vector<PortRef>& refs) {
  std::string s;
  for (const auto& r : refs) s += (s.empty() ? "" : ", ") + r.str();
  return s.empty() ? "" : "[" + s + "]";
}

// `inputs:`/`after:`: a node id, `node.port`, or a list of them.
OptionTable<CommonOptions>::Reader port_refs(std::vector<PortRef> CommonOptions::*member) {
  return [member](CommonOptions& o, const YAML::Node& v, const OptionSpec& s, BindContext& c) {
    std::vector<YAML::Node> items;
    if (v.IsScalar()) items.push_back(v);
    else if (v.IsSequence()) for (const auto& i : v) items.push_back(i);
    else {
      c.diags.error(location_of(c.file, v), "node '" + c.node.id + "': " + s.name + " must be a node id or a list of them");
      return false;
    }
    for (const auto& item : items) {
      if (!item.IsScalar() || item.Scalar().empty()) {
        c.diags.error(location_of(c.file, item), "node '" + c.node.id + "': " + s.name + " must list node ids");
        return false;
      }
      PortRef r;
      const std::string& text = item.Scalar();
      const auto dot = text.find('.');
      r.node = text.substr(0, dot);
      if (dot != std::string::npos) r.port = text.substr(dot + 1);
      r.where = location_of(c.file, item);
      (o.*member).push_back(std::move(r));
    }
    return true;
  };
}

// Kept as written: `adaptive` needs the node's type (only I/O nodes may adapt), which is known
// only after the common options are bound. engine/adaptive_config.cpp reads and checks it.
bool keep_concurrency(CommonOptions& o, const YAML::Node& v, const OptionSpec&, BindContext&) {
  o.concurrency = v;
  return true;
}

const TypedSchema<CommonOptions>& common_schema() {
  static const TypedSchema<CommonOptions> schema([] {
    auto t = std::make_shared<OptionTable<CommonOptions>>();
    t->add("type", &CommonOptions::type, "The node type (see `flowrun nodes`).").required();
    t->add_custom("inputs", OptionType::string_list,
                  "Data edges: node ids whose records this node consumes; `node.port` picks a non-default "
                  "output port such as `errors` or `rejected`.",
                  port_refs(&CommonOptions::inputs), [](const CommonOptions& o) { return show_refs(o.inputs); });
    t->add_custom("after", OptionType::string_list,
                  "Control edges: this node starts only after these nodes have finished.",
                  port_refs(&CommonOptions::after), [](const CommonOptions& o) { return show_refs(o.after); });
    t->add_custom("concurrency", OptionType::any,
                  "Records processed at once: 1 (serial), N (at most 4096), or `unlimited`. Default from the node type or "
                  "`mode:`. Nodes on I/O threads may say `adaptive` (or {adaptive: true, min, max, initial}, or "
                  "{adaptive: NAME} to share resources.concurrency.NAME): a limit learnt from the server's round trips "
                  "and 429/503 answers (docs/pipeline.md).",
                  keep_concurrency, [](const CommonOptions&) { return std::string(); });
    t->add("buffer", &CommonOptions::buffer,
           "Capacity of this node's input edge in records (default: the pipeline's `buffer`, 1024). A full edge blocks its producers.")
        .range(1, 10'000'000);
    t->add("fatal", &CommonOptions::fatal,
           "An exception in this node stops the whole run (exit 1); the record in hand still goes to dead letters.");
    t->add("description", &CommonOptions::description, "Free text shown in `flowrun dot`.");
    t->add("group", &CommonOptions::group,
           "Which processes run this node in a clustered pipeline: `main` (`flowrun run`) or a group of "
           "`cluster.groups` (`flowrun worker --group NAME`); see docs/cluster.md.");
    return t;
  }());
  return schema;
}

// Every key of the node's map must be a common option or one of its type's; a typo is an error.
void reject_unknown_keys(const GraphNode& n, const YAML::Node& body, const std::string& file, Diagnostics& diags) {
  std::set<std::string> seen;
  for (const auto& kv : body) {
    const std::string k = kv.first.Scalar();
    if (!seen.insert(k).second) {
      diags.error(location_of(file, kv.first), "node '" + n.id + "': option '" + k + "' given twice");
      continue;
    }
    if (common_schema().knows(k)) continue;
    const bool typed = n.desc->schema != nullptr;
    if (typed ? n.desc->schema->knows(k)
              : std::any_of(n.desc->options.begin(), n.desc->options.end(), [&](const OptionSpec& s) { return s.name == k; }))
      continue;
    std::vector<std::string> names;
    for (const auto& s : n.desc->option_specs()) {
      names.push_back(s.name);
      names.insert(names.end(), s.aliases.begin(), s.aliases.end());
    }
    for (const auto& s : common_options()) names.push_back(s.name);
    diags.error(location_of(file, kv.first),
                "node '" + n.id + "': unknown option '" + k + "' for type '" + n.type + "'" + did_you_mean(k, names));
  }
}

// The untyped path, for types that have no typed table yet: shape-checked raw YAML + defaults.
NodeConfig legacy_config(const GraphNode& n, const YAML::Node& body, BindContext& ctx) {
  YAML::Node options(YAML::NodeType::Map);
  for (const auto& spec : n.desc->options) {
    const YAML::Node v = body[spec.name];
    if (v && !v.IsNull()) {
      YAML::Node probe;
      bool ok = true;
      switch (spec.type) {
        case OptionType::integer: { std::int64_t x; ok = option_detail::read(x, v, spec, ctx); break; }
        case OptionType::number: { double x; ok = option_detail::read(x, v, spec, ctx); break; }
        case OptionType::boolean: { bool x; ok = option_detail::read(x, v, spec, ctx); break; }
        case OptionType::duration: { std::chrono::milliseconds x; ok = option_detail::read(x, v, spec, ctx); break; }
        case OptionType::string_list: { std::vector<std::string> x; ok = option_detail::read(x, v, spec, ctx); break; }
        case OptionType::object:
        case OptionType::any: ok = option_detail::read(probe, v, spec, ctx); break;
        default: { std::string x; ok = option_detail::read(x, v, spec, ctx); break; }
      }
      if (ok) options[spec.name] = v;
    } else if (spec.required) {
      ctx.diags.error(n.where, "node '" + n.id + "': missing required option '" + spec.name + "' (" + spec.doc + ")");
    } else if (!spec.default_value.empty()) {
      options[spec.name] = YAML::Load(spec.default_value);
    }
  }
  return NodeConfig(n.id, n.type, options, n.info.base_dir, n.where);
}

}  // namespace

const std::vector<OptionSpec>& common_options() { return common_schema().specs(); }

std::optional<GraphNode> load_node(const NodeLoad& in, Diagnostics& diags) {
  const std::string id = in.key.Scalar();
  const Location at = location_of(in.file, in.key);
  if (id.empty() || id.find_first_of(". \t\"") != std::string::npos) {
    diags.error(at, "node id '" + id + "' must be non-empty and contain no dots, spaces or quotes");
    return std::nullopt;
  }
  if (!in.body.IsMap()) {
    diags.error(location_of(in.file, in.body), "node '" + id + "' must be a map with at least `type:`");
    return std::nullopt;
  }
  GraphNode n;
  n.id = id;
  n.where = at;
  n.info = NodeInfo{id, "", in.base_dir, at};
  BindContext ctx{n.info, in.resources, diags, in.file};
  const auto before = diags.error_count();
  BoundOptions common = common_schema().bind(in.body, ctx);
  if (diags.error_count() > before && !common.sites.given.count("type")) return std::nullopt;
  const auto& c = common.as<CommonOptions>();
  n.type = n.info.type = c.type;
  n.desc = in.registry.find(n.type);
  if (!n.desc) {
    diags.error(common.sites.where.count("type") ? common.sites.where.at("type") : at,
                "node '" + id + "': unknown node type '" + n.type + "'" + did_you_mean(n.type, in.registry.types()) +
                    "; `flowrun nodes` lists the types");
    return std::nullopt;
  }
  n.description = c.description;
  n.inputs = c.inputs;
  n.after = c.after;
  n.fatal = c.fatal;
  n.group = c.group;
  n.concurrency = n.desc->default_concurrency;
  if (!c.concurrency.IsNull()) read_concurrency(n, c.concurrency, in.resources, in.file, diags);  // adaptive_config.cpp
  n.buffer = c.buffer.value_or(in.default_buffer);
  reject_unknown_keys(n, in.body, in.file, diags);
  if (n.desc->schema) {
    n.options = n.desc->schema->bind(in.body, ctx);
    if (n.desc->instance_ports && diags.error_count() == before) n.instance_ports = n.desc->instance_ports(n.options);
  } else {
    n.config = legacy_config(n, in.body, ctx);
  }
  if (n.desc->role == Role::source && !n.inputs.empty())
    diags.error(n.inputs.front().where, "node '" + id + "' is a source (" + n.type + ") and takes no inputs");
  return n;
}

void check_node_options(const GraphNode& n, Diagnostics& diags) {
  if (n.desc && n.desc->schema && n.options.value)
    n.desc->schema->validate(n.options, n.info, diags, n.input_fields ? &*n.input_fields : nullptr);
}

}  // namespace flowrun
