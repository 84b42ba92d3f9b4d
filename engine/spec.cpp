// Loading a pipeline: read the YAML, apply --set/--var, substitute ${env.X}/${vars.x}, bind the
// top-level keys and every node through their option tables, apply mode sugar, then check the
// graph (validate.cpp) and each node's own rules. Problems become diagnostics at file:line:column.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "engine/adaptive_config.hpp"
#include "engine/cluster.hpp"
#include "engine/node_spec.hpp"
#include "engine/pipeline.hpp"
#include "engine/redact.hpp"
#include "engine/resources.hpp"
#include "engine/substitute.hpp"
#include "engine/yaml_document.hpp"
#include "engine/yaml_util.hpp"

namespace flowrun {

void validate_graph(Graph& g, const Registry& registry, Diagnostics& diags, bool strict,
                    const std::set<std::string>& declared);  // validate.cpp
void apply_mode(Graph& g, const std::set<std::string>& explicit_concurrency);  // mode.cpp
bool apply_set(YAML::Node root, const std::string& assignment, Diagnostics& diags);  // overrides.cpp
void apply_vars(YAML::Node root, const std::map<std::string, std::string>& vars);  // overrides.cpp

namespace {

namespace fs = std::filesystem;

struct TopLevel {
  std::string name, description, mode, store;
  int buffer = 1024;
  std::optional<double> max_error_rate;
  std::map<std::string, std::string> settings;
  YAML::Node vars, resources, nodes, tests, retention, cluster;
};

// The store tables `retention:` may name (nodes/store/prune.hpp's prunable_tables(); a test ties
// the two lists together).
const std::vector<std::string> kRetentionTables = {"runs",      "dead_letters",     "raw_records", "llm_cache",
                                                   "property_history", "crawl_items", "crawl_pages"};

const TypedSchema<TopLevel>& top_level_schema() {
  static const TypedSchema<TopLevel> schema([] {
    auto t = std::make_shared<OptionTable<TopLevel>>();
    t->add("name", &TopLevel::name, "Shown in summaries, DOT and the run ledger (default: the file name).");
    t->add("description", &TopLevel::description, "Free text shown in `flowrun dot`.");
    t->add("mode", &TopLevel::mode, "Sugar that only sets `after:` and `concurrency:` defaults (docs/pipeline.md).")
        .choices({"sequential", "parallel", "mixed", "adaptive"});
    t->add("buffer", &TopLevel::buffer, "Default capacity, in records, of every node's input edge.").range(1, 10'000'000);
    t->add("max_error_rate", &TopLevel::max_error_rate,
           "0..1: fail the run (exit 1) when dead letters / source records exceed it; unset: dead letters never fail the run.")
        .range(0, 1);
    t->add("store", &TopLevel::store, "The store URL (sqlite:PATH or postgresql://...), the run setting `store`.");
    t->add("vars", &TopLevel::vars, "Values for ${vars.name}; `--var name=a,b` overrides.").object();
    t->add("settings", &TopLevel::settings, "Free-form strings for nodes (`ctx.setting(key)`).");
    t->add("resources", &TopLevel::resources, "Named rate limits, circuit breakers, budgets and shared adaptive concurrency limits.").object();
    t->add("nodes", &TopLevel::nodes, "The map of node id to node.").object();
    t->add("tests", &TopLevel::tests, "Config unit tests, run by `flowrun test`.");
    t->add("retention", &TopLevel::retention,
           "How long the store keeps each table's rows (`runs`, `dead_letters`, `raw_records`, `llm_cache`, "
           "`property_history`, and the crawl checkpoints `crawl_items`, `crawl_pages`), e.g. `{dead_letters: 90d}`; "
           "the run prunes at its end.")
        .object();
    t->add("cluster", &TopLevel::cluster,
           "Runs the pipeline over several processes: the NATS server, the stream and the worker groups that "
           "nodes name in `group:` (docs/cluster.md).")
        .object();
    t->validate([](const TopLevel& top, Check& c) {
      const std::string& file = c.node().where.file;
      for (const auto& kv : top.retention) {
        const std::string table = kv.first.Scalar();
        if (std::find(kRetentionTables.begin(), kRetentionTables.end(), table) == kRetentionTables.end())
          c.error_at(location_of(file, kv.first), "retention: unknown table '" + table + "'" + did_you_mean(table, kRetentionTables));
        else if (auto d = kv.second.IsScalar() ? parse_duration(kv.second.Scalar()) : std::nullopt; !d || d->count() <= 0)
          c.error_at(location_of(file, kv.second), "retention." + table + " must be a duration like 90d or 12h");
      }
    });
    return t;
  }());
  return schema;
}

// The pipeline file's folder, absolute: relative paths in the pipeline resolve from it. A pipeline
// given as text with a bare file name resolves from the working directory.
std::string folder_of(const std::string& file) {
  const fs::path parent = fs::path(file).parent_path();
  if (parent.empty()) return "";
  std::error_code ec;
  auto abs = fs::absolute(parent, ec);
  return ec ? parent.string() : abs.lexically_normal().string();
}

// Top-level keys: no duplicates (yaml-cpp would silently keep one) and no unknown ones.
void check_top_level_keys(const YAML::Node& root, const std::string& file, Diagnostics& diags) {
  std::map<std::string, Location> seen;
  std::vector<std::string> known;
  for (const auto& s : top_level_schema().specs()) known.push_back(s.name);
  for (const auto& kv : root) {
    const std::string k = kv.first.IsScalar() ? kv.first.Scalar() : "";
    auto [it, fresh] = seen.emplace(k, location_of(file, kv.first));
    if (!fresh) diags.error(location_of(file, kv.first), "duplicate top-level key '" + k + "' (first at " + it->second.str() + ")");
    else if (!top_level_schema().knows(k))
      diags.error(location_of(file, kv.first), "unknown top-level key '" + k + "'" + did_you_mean(k, known));
  }
}

void check_resources(const YAML::Node& resources, const std::string& file, Diagnostics& diags) {
  if (!resources.IsMap()) return;
  for (const auto& kv : resources) {
    const std::string k = kv.first.Scalar();
    if (k != "rate_limits" && k != "breakers" && k != "budgets" && k != "concurrency")
      diags.error(location_of(file, kv.first), "unknown resource kind '" + k + "'" +
                                                   did_you_mean(k, {"rate_limits", "breakers", "budgets", "concurrency"}));
    else if (!kv.second.IsMap())
      diags.error(location_of(file, kv.second), "resources." + k + " must be a map of named entries");
  }
  check_concurrency_resources(resources, file, diags);  // adaptive_config.cpp
  try {
    Resources::from_yaml(resources);
  } catch (const std::exception& e) {
    diags.error(location_of(file, resources), std::string("resources: ") + e.what());
  }
}

void load_nodes(Graph& g, const TopLevel& top, const Registry& registry, const std::string& file,
                const Location& nodes_at, Diagnostics& diags) {
  if (!top.nodes.IsMap() || top.nodes.size() == 0) {
    diags.error(nodes_at, "a pipeline needs a non-empty `nodes:` map");
    return;
  }
  std::set<std::string> seen, explicit_concurrency;
  for (const auto& kv : top.nodes) {
    const std::string id = kv.first.Scalar();
    if (!seen.insert(id).second) {
      diags.error(location_of(file, kv.first), "duplicate node id '" + id + "'");
      continue;
    }
    if (kv.second.IsMap() && kv.second["concurrency"]) explicit_concurrency.insert(id);
    NodeLoad in{kv.first, kv.second, file, g.base_dir, g.resources, registry, g.default_buffer};
    if (auto n = load_node(in, diags)) g.nodes.push_back(std::move(*n));
  }
  apply_mode(g, explicit_concurrency);
}

void collect_secrets(Graph& g, const Substituter& subst, const Registry& registry) {
  g.secrets = subst.secrets();
  for (const auto& n : g.nodes) {  // values given directly to secret options count too
    if (n.desc->schema && n.options.value) {
      for (auto& s : n.desc->schema->secrets(n.options))
        if (s.find("${") == std::string::npos) g.secrets.push_back(std::move(s));  // an unresolved reference is no secret
      continue;
    }
    for (const auto& spec : n.desc->options)
      if (spec.type == OptionType::secret && n.config.has(spec.name) &&
          n.config.get_string(spec.name).find("${") == std::string::npos)
        g.secrets.push_back(n.config.get_string(spec.name));
  }
  if (g.clustered && g.cluster.value && registry.cluster())  // `cluster:`'s password and token
    for (auto& s : registry.cluster()->schema->secrets(g.cluster))
      if (s.find("${") == std::string::npos) g.secrets.push_back(std::move(s));
  g.secrets.erase(std::remove(g.secrets.begin(), g.secrets.end(), std::string()), g.secrets.end());
}

LoadResult load_unredacted(const std::string& text, const std::string& file, const Registry& registry,
                           const LoadOptions& opts) {
  LoadResult result;
  Diagnostics& diags = result.diagnostics;
  Graph& g = result.graph;
  g.file = file;
  g.base_dir = folder_of(file);
  auto doc = read_yaml_document(text, file, diags);
  if (!doc) return result;
  YAML::Node root = *doc;
  if (!root.IsMap()) {
    diags.error(location_of(file, root), std::string("a pipeline must be a YAML map with `nodes:`, got ") + kind_name(root));
    return result;
  }
  check_top_level_keys(root, file, diags);
  try {
    for (const auto& s : opts.sets) apply_set(root, s, diags);
    apply_vars(root, opts.vars);
    Substituter subst(file, root["vars"] ? YAML::Clone(root["vars"]) : YAML::Node(YAML::NodeType::Map), g.base_dir,
                      opts.need_env, diags);
    // Everything but vars (their own references are not expanded) and tests (substituted when run).
    for (const char* k : {"resources", "store", "mode", "nodes", "max_error_rate", "buffer", "settings", "retention", "cluster"})
      if (root[k]) subst.substitute(root[k]);
    for (const char* k : {"name", "description"})
      if (root[k] && root[k].IsScalar()) root[k] = subst.substitute_scalar(root[k], false);
    if (root["store"] && root["store"].IsScalar()) root["store"] = subst.substitute_scalar(root["store"], true);

    NodeInfo top_info{"", "", g.base_dir, Location{file, 1, 1}};
    const YAML::Node no_resources;
    BindContext ctx{top_info, no_resources, diags, file};
    const auto bound = top_level_schema().bind(root, ctx);
    const auto& top = bound.as<TopLevel>();
    g.name = top.name.empty() ? fs::path(file).stem().string() : top.name;
    g.description = top.description;
    g.mode = top.mode;
    g.max_error_rate = top.max_error_rate.value_or(-1);
    g.default_buffer = top.buffer;
    g.settings = top.settings;
    top_level_schema().validate(bound, top_info, diags);
    // The store family prunes at the end of a run from the settings "retention.<table>".
    if (top.retention.IsMap())
      for (const auto& kv : top.retention)
        if (kv.second.IsScalar()) g.settings["retention." + kv.first.Scalar()] = kv.second.Scalar();
    g.resources = top.resources.IsMap() ? top.resources : YAML::Node(YAML::NodeType::Map);
    check_resources(g.resources, file, diags);
    if (!top.store.empty()) {
      std::string why;
      g.store = registry.resolve_store(top.store, g.base_dir, why);
      if (!why.empty()) diags.error(bound.sites.where.at("store"), "store: " + why);
    }
    bind_cluster(g, top.cluster, registry, ctx, bound.sites.where.count("cluster") ? bound.sites.where.at("cluster") : top_info.where);
    load_nodes(g, top, registry, file, bound.sites.where.count("nodes") ? bound.sites.where.at("nodes") : location_of(file, root), diags);
    collect_secrets(g, subst, registry);
  } catch (const YAML::Exception& e) {
    diags.error(location_of(file, e.mark), "invalid pipeline: " + e.msg);
    return result;
  }
  // Graph checks run even after node errors so that one `check` reports every problem; ids that
  // were declared but failed to load are not reported again as unknown inputs.
  std::set<std::string> declared;
  if (root["nodes"].IsMap())
    for (const auto& kv : root["nodes"]) declared.insert(kv.first.Scalar());
  if (!g.nodes.empty()) validate_graph(g, registry, diags, opts.strict, declared);
  if (!diags.has_errors()) check_placement(g, registry, diags);
  if (!diags.has_errors()) infer_record_fields(g);  // engine/fields.hpp: for the checks below
  for (const auto& n : g.nodes) check_node_options(n, diags);
  return result;
}

}  // namespace

LoadResult load_pipeline_string(const std::string& text, const std::string& file,
                                const Registry& registry, const LoadOptions& opts) {
  LoadResult r = load_unredacted(text, file, registry, opts);
  // A diagnostic may quote a value that came from ${env.X} (e.g. a key given to the wrong option):
  // never show it.
  Diagnostics clean;
  for (auto d : r.diagnostics.all()) {
    d.message = redact_secrets(std::move(d.message), r.graph.secrets);
    if (d.severity == Severity::error) clean.error(d.where, d.message);
    else if (d.severity == Severity::warning) clean.warning(d.where, d.message);
    else clean.note(d.where, d.message);
  }
  r.diagnostics = std::move(clean);
  return r;
}

LoadResult load_pipeline_file(const std::string& path, const Registry& registry, const LoadOptions& opts) {
  std::error_code ec;
  LoadResult r;
  if (fs::is_directory(path, ec)) {
    r.diagnostics.error(Location{path, 0, 0}, "cannot read pipeline file: Is a directory");
    return r;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    r.diagnostics.error(Location{path, 0, 0}, std::string("cannot read pipeline file: ") + std::strerror(errno));
    return r;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return load_pipeline_string(ss.str(), path, registry, opts);
}

}  // namespace flowrun
