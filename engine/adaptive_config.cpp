#include "engine/adaptive_config.hpp"

#include <algorithm>

#include "engine/graph.hpp"
#include "engine/yaml_util.hpp"

namespace flowrun {

namespace {

const std::vector<std::string> kBoundKeys = {"min", "max", "initial"};

// Reads min/max/initial from a map (a node's `concurrency:` or a resources.concurrency entry)
// over `b`, reporting each bad value where it is. `what` prefixes messages.
bool read_bounds(const YAML::Node& map, AdaptiveBounds& b, bool initial_given_default, const std::string& what,
                 const std::string& file, Diagnostics& diags) {
  const std::size_t before = diags.error_count();
  auto integer = [&](const char* key, int& into) {
    const YAML::Node v = map[key];
    if (!v) return false;
    long long x;
    if (!v.IsScalar() || !YAML::convert<long long>::decode(v, x) || x < 1 || x > kMaxConcurrency) {
      diags.error(location_of(file, v), what + ": " + key + " must be an integer from 1 to " +
                                            std::to_string(kMaxConcurrency) + ", got " +
                                            (v.IsScalar() ? "'" + v.Scalar() + "'" : std::string(kind_name(v))));
      return false;
    }
    into = static_cast<int>(x);
    return true;
  };
  const bool has_min = integer("min", b.min);
  const bool has_max = integer("max", b.max);
  const bool has_initial = integer("initial", b.initial);
  if (!has_max && has_min) b.max = std::max(b.max, b.min);
  if (has_min && has_max && b.max < b.min)
    diags.error(location_of(file, map["max"]), what + ": max (" + std::to_string(b.max) + ") is below min (" +
                                                   std::to_string(b.min) + ")");
  if (has_initial && (b.initial < b.min || b.initial > b.max))
    diags.error(location_of(file, map["initial"]), what + ": initial (" + std::to_string(b.initial) +
                                                       ") must be from min (" + std::to_string(b.min) +
                                                       ") to max (" + std::to_string(b.max) + ")");
  if (!has_initial) b.initial = initial_given_default ? std::clamp(b.initial, b.min, b.max) : b.min;
  return diags.error_count() == before;
}

AdaptiveBounds node_default_bounds(const GraphNode& n) {
  AdaptiveBounds b;
  b.max = kAdaptiveDefaultMax;
  b.initial = std::clamp(n.desc ? n.desc->default_concurrency : 1, 1, b.max);
  return b;
}

std::vector<std::string> concurrency_names(const YAML::Node& resources) {
  std::vector<std::string> names;
  if (resources.IsMap() && resources["concurrency"] && resources["concurrency"].IsMap())
    for (const auto& kv : resources["concurrency"]) names.push_back(kv.first.Scalar());
  return names;
}

// Only nodes whose bodies run on I/O threads can be paced by a server: a CPU node's concurrency
// is the number of TBB workers it may use, which no server answer says anything about.
bool io_node(const GraphNode& n, const YAML::Node& v, const std::string& file, Diagnostics& diags) {
  if (n.desc && n.desc->blocking_io) return true;
  diags.error(location_of(file, v), "node '" + n.id + "': concurrency: adaptive is for node types that run on I/O "
                                        "threads (HTTP, LLM, database); '" + n.type +
                                        "' runs on CPU workers, so give it a number");
  return false;
}

void read_adaptive_map(GraphNode& n, const YAML::Node& v, const YAML::Node& resources, const std::string& file,
                       Diagnostics& diags) {
  const std::string what = "node '" + n.id + "': concurrency";
  for (const auto& kv : v) {
    const std::string k = kv.first.Scalar();
    if (k != "adaptive" && std::find(kBoundKeys.begin(), kBoundKeys.end(), k) == kBoundKeys.end())
      diags.error(location_of(file, kv.first), what + ": unknown key '" + k + "'" +
                                                   did_you_mean(k, {"adaptive", "min", "max", "initial"}) +
                                                   "; the keys are adaptive, min, max and initial");
  }
  const YAML::Node a = v["adaptive"];
  if (!a || !a.IsScalar()) {
    diags.error(location_of(file, a ? a : v), what + " as a map needs `adaptive: true` (a limit of the node's "
                                                     "own) or `adaptive: NAME` (one of resources.concurrency)");
    return;
  }
  if (!io_node(n, v, file, diags)) return;
  bool flag = false;
  AdaptiveConcurrency c;
  if (YAML::convert<bool>::decode(a, flag)) {
    if (!flag) {
      diags.error(location_of(file, a), what + ": adaptive: false is not a limit; write a number instead");
      return;
    }
    c.bounds = node_default_bounds(n);
    if (!read_bounds(v, c.bounds, true, what, file, diags)) return;
  } else {
    c.shared = a.Scalar();
    const auto names = concurrency_names(resources);
    if (std::find(names.begin(), names.end(), c.shared) == names.end()) {
      diags.error(location_of(file, a), what + ": adaptive names undefined resource '" + c.shared +
                                            "' (not in resources.concurrency)" + did_you_mean(c.shared, names));
      return;
    }
    for (const auto& k : kBoundKeys)
      if (v[k])
        diags.error(location_of(file, v[k]), what + ": " + k + " belongs to resources.concurrency." + c.shared +
                                                 ", which every node sharing it uses");
    c.bounds = adaptive_bounds_of(resources["concurrency"][c.shared]);
  }
  n.concurrency = c.bounds.max;  // the node's I/O threads; the limit decides how many work
  n.adaptive = c;
}

}  // namespace

void read_concurrency(GraphNode& n, const YAML::Node& v, const YAML::Node& resources, const std::string& file,
                      Diagnostics& diags) {
  if (v.IsMap()) return read_adaptive_map(n, v, resources, file, diags);
  if (v.IsScalar()) {
    if (v.Scalar() == "unlimited") {
      n.concurrency = 0;
      n.adaptive.reset();
      return;
    }
    if (v.Scalar() == "adaptive") {
      if (!io_node(n, v, file, diags)) return;
      n.adaptive = AdaptiveConcurrency{node_default_bounds(n), ""};
      n.concurrency = n.adaptive->bounds.max;
      return;
    }
    long long x;
    if (YAML::convert<long long>::decode(v, x) && x >= 1 && x <= kMaxConcurrency) {
      n.concurrency = static_cast<int>(x);
      n.adaptive.reset();
      return;
    }
  }
  diags.error(location_of(file, v), "node '" + n.id + "': concurrency must be a positive integer (at most " +
                                        std::to_string(kMaxConcurrency) +
                                        "), 'unlimited', 'adaptive' or {adaptive: true|NAME, min, max, initial}, got " +
                                        (v.IsScalar() ? "'" + v.Scalar() + "'" : std::string(kind_name(v))));
}

void check_concurrency_resources(const YAML::Node& resources, const std::string& file, Diagnostics& diags) {
  if (!resources.IsMap() || !resources["concurrency"] || !resources["concurrency"].IsMap()) return;
  for (const auto& kv : resources["concurrency"]) {
    const std::string what = "resources.concurrency." + kv.first.Scalar();
    const YAML::Node& entry = kv.second;
    if (!entry.IsMap()) {
      diags.error(location_of(file, entry), what + " must be a map {min, max, initial}");
      continue;
    }
    for (const auto& k : entry)
      if (std::find(kBoundKeys.begin(), kBoundKeys.end(), k.first.Scalar()) == kBoundKeys.end())
        diags.error(location_of(file, k.first), what + ": unknown key '" + k.first.Scalar() + "'" +
                                                    did_you_mean(k.first.Scalar(), kBoundKeys) +
                                                    "; the keys are min, max and initial");
    AdaptiveBounds b;
    read_bounds(entry, b, false, what, file, diags);
  }
}

AdaptiveBounds adaptive_bounds_of(const YAML::Node& entry) {
  AdaptiveBounds b;
  Diagnostics ignored;  // check_concurrency_resources reported them at load time
  if (entry.IsMap()) read_bounds(entry, b, false, "", "", ignored);
  b.max = std::max(b.max, b.min);
  b.initial = std::clamp(b.initial, b.min, b.max);
  return b;
}

void apply_adaptive_mode(Graph& g, const std::set<std::string>& explicit_concurrency) {
  for (auto& n : g.nodes) {
    if (!n.desc || !n.desc->blocking_io || explicit_concurrency.count(n.id)) continue;
    n.adaptive = AdaptiveConcurrency{node_default_bounds(n), ""};
    n.concurrency = n.adaptive->bounds.max;
  }
}

}  // namespace flowrun
