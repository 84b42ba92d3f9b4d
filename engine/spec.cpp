// Loading a pipeline: parse, override (--set/--var), substitute ${env.X}/${vars.x}, apply mode
// sugar, and turn every node into a typed, defaulted NodeConfig. Problems become diagnostics at
// file:line:column; graph-level checks (inputs, ports, cycles) are in validate.cpp.
#include <yaml-cpp/eventhandler.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "engine/pipeline.hpp"
#include "engine/redact.hpp"
#include "engine/resources.hpp"
#include "engine/yaml_util.hpp"

namespace flowrun {

void validate_graph(Graph& g, const Registry& registry, Diagnostics& diags, bool strict,
                    const std::set<std::string>& declared);  // validate.cpp

namespace {

const std::vector<std::string> kTopLevelKeys = {
    "name", "description", "vars", "resources", "store", "mode", "nodes", "max_error_rate",
    "buffer", "settings", "tests", "dead_letter", "version"};

struct Loader {
  std::string file;
  const Registry& registry;
  Diagnostics& diags;
  YAML::Node vars;
  std::string pipeline_dir;
  std::vector<std::string> secrets;

  Location at(const YAML::Node& n) const { return location_of(file, n); }

  // ---- substitution -------------------------------------------------------------------------

  // Looks up "env.X", "vars.a.b" or "pipeline.dir"; returns an undefined node when missing.
  YAML::Node lookup(const std::string& ref, bool& found) const {
    found = false;
    auto colon = ref.find(":-");
    std::string key = colon == std::string::npos ? ref : ref.substr(0, colon);
    if (key.rfind("env.", 0) == 0) {
      // As in the shell, `:-` also replaces an empty value (CI systems export unset secrets as "").
      const char* v = std::getenv(key.substr(4).c_str());
      if (v && (*v || colon == std::string::npos)) return found = true, YAML::Node(std::string(v));
    } else if (key.rfind("vars.", 0) == 0) {
      YAML::Node cur = YAML::Clone(vars);
      std::stringstream path(key.substr(5));
      std::string part;
      bool ok = true;
      while (std::getline(path, part, '.')) {
        if (!cur.IsMap() || !cur[part]) { ok = false; break; }
        cur = cur[part];
      }
      if (ok) return found = true, cur;
    } else if (key == "pipeline.dir") {
      return found = true, YAML::Node(pipeline_dir.empty() ? std::string(".") : pipeline_dir);
    }
    if (colon != std::string::npos) return found = true, YAML::Node(ref.substr(colon + 2));
    return YAML::Node();
  }

  static std::string scalar_text(const YAML::Node& n) {
    if (n.IsScalar()) return n.Scalar();
    if (n.IsSequence()) {
      std::string s;
      for (const auto& i : n) s += (s.empty() ? "" : ",") + (i.IsScalar() ? i.Scalar() : std::string("?"));
      return s;
    }
    return "";
  }

  // Substitutes inside one scalar; a scalar that is exactly one reference takes the referenced
  // value's shape (so `zips: "${vars.zips}"` becomes a list).
  YAML::Node substitute_scalar(const YAML::Node& n, bool track_secret) {
    const std::string& s = n.Scalar();
    if (s.find("${") == std::string::npos) return n;
    std::string out;
    std::size_t i = 0;
    while (i < s.size()) {
      auto open = s.find("${", i);
      if (open == std::string::npos) { out += s.substr(i); break; }
      auto close = s.find('}', open);
      if (close == std::string::npos) {
        diags.error(at(n), "unterminated reference in '" + s + "' (missing '}')");
        return n;
      }
      out += s.substr(i, open - i);
      std::string ref = s.substr(open + 2, close - open - 2);
      bool found = false;
      YAML::Node val = lookup(ref, found);
      if (!found) {
        std::string key = ref.substr(0, ref.find(":-"));
        if (key.rfind("env.", 0) == 0)
          diags.error(at(n), "environment variable " + key.substr(4) + " is not set (referenced as ${" + ref + "})");
        else if (key.rfind("vars.", 0) == 0)
          diags.error(at(n), "undefined variable '" + key.substr(5) + "' (referenced as ${" + ref + "}); define it under vars: or pass --var");
        else
          diags.error(at(n), "unknown reference ${" + ref + "}: use ${env.NAME}, ${vars.name} or ${pipeline.dir}");
        return n;
      }
      if (open == 0 && close == s.size() - 1 && !val.IsScalar()) return YAML::Clone(val);
      std::string text = scalar_text(val);
      // A value read from the environment is treated as a secret; a `:-fallback` written in the
      // file is not (it is in the file for anyone to read, and redacting it would mangle output).
      if (track_secret && ref.rfind("env.", 0) == 0 && !text.empty()) {
        const char* from_env = std::getenv(ref.substr(4, ref.find(":-") - (ref.find(":-") == std::string::npos ? 0 : 4)).c_str());
        if (from_env && *from_env) secrets.push_back(text);
      }
      out += text;
      i = close + 1;
    }
    return YAML::Node(out);
  }

  void substitute(YAML::Node n) {
    if (n.IsMap()) {
      for (auto kv : n) {
        if (kv.second.IsScalar()) {
          YAML::Node r = substitute_scalar(kv.second, true);
          if (r.Scalar() != kv.second.Scalar() || !r.IsScalar()) n[kv.first.Scalar()] = r;
        } else {
          substitute(kv.second);
        }
      }
    } else if (n.IsSequence()) {
      for (std::size_t i = 0; i < n.size(); ++i) {
        if (n[i].IsScalar()) {
          YAML::Node r = substitute_scalar(n[i], true);
          if (!r.IsScalar() || r.Scalar() != n[i].Scalar()) n[i] = r;
        } else {
          substitute(n[i]);
        }
      }
    }
  }

  // ---- option checking ----------------------------------------------------------------------

  bool check_type(const std::string& node_id, const OptionSpec& spec, const YAML::Node& v,
                  const YAML::Node& resources) {
    const std::string what = "node '" + node_id + "': option '" + spec.name + "'";
    auto bad = [&](const std::string& expected) {
      std::string got = v.IsScalar() ? "'" + v.Scalar() + "'" : std::string(kind_name(v));
      diags.error(at(v), what + " must be " + expected + ", got " + got);
      return false;
    };
    if (v.IsNull()) return true;  // explicit null = use the default
    switch (spec.type) {
      case OptionType::string:
      case OptionType::secret:
      case OptionType::path:
        if (!v.IsScalar()) return bad("a string");
        if (!spec.choices.empty() &&
            std::find(spec.choices.begin(), spec.choices.end(), v.Scalar()) == spec.choices.end()) {
          std::string all;
          for (const auto& c : spec.choices) all += (all.empty() ? "" : ", ") + c;
          std::string hint = closest_match(v.Scalar(), spec.choices);
          diags.error(at(v), what + " must be one of " + all + ", got '" + v.Scalar() + "'" +
                                 (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
          return false;
        }
        return true;
      case OptionType::integer: {
        long long x;
        if (!v.IsScalar() || !YAML::convert<long long>::decode(v, x)) return bad("an integer");
        return true;
      }
      case OptionType::number: {
        double x;
        if (!v.IsScalar() || !YAML::convert<double>::decode(v, x)) return bad("a number");
        return true;
      }
      case OptionType::boolean: {
        bool x;
        if (!v.IsScalar() || !YAML::convert<bool>::decode(v, x)) return bad("true or false");
        return true;
      }
      case OptionType::duration:
        if (!v.IsScalar() || !parse_duration(v.Scalar())) return bad("a duration like 500ms, 30s, 5m or 1h");
        return true;
      case OptionType::string_list:
        if (v.IsScalar()) return true;
        if (!v.IsSequence()) return bad("a list of strings");
        for (const auto& i : v)
          if (!i.IsScalar()) return bad("a list of strings");
        return true;
      case OptionType::object:
        if (!v.IsMap()) return bad("a map");
        return true;
      case OptionType::any:
        return true;
      case OptionType::rate_limit:
      case OptionType::breaker:
      case OptionType::budget: {
        const char* section = spec.type == OptionType::rate_limit ? "rate_limits"
                              : spec.type == OptionType::breaker  ? "breakers"
                                                                  : "budgets";
        if (!v.IsScalar()) return bad(std::string("the name of an entry in resources.") + section);
        if (!resources.IsMap() || !resources[section] || !resources[section][v.Scalar()]) {
          std::vector<std::string> names;
          if (resources.IsMap() && resources[section] && resources[section].IsMap())
            for (const auto& kv : resources[section]) names.push_back(kv.first.Scalar());
          std::string hint = closest_match(v.Scalar(), names);
          diags.error(at(v), what + " names undefined resource '" + v.Scalar() + "' (not in resources." +
                                 section + ")" + (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
          return false;
        }
        return true;
      }
    }
    return true;
  }

  std::vector<PortRef> port_refs(const std::string& node_id, const char* key, const YAML::Node& v) {
    std::vector<PortRef> out;
    if (!v || v.IsNull()) return out;
    auto one = [&](const YAML::Node& item) {
      if (!item.IsScalar() || item.Scalar().empty()) {
        diags.error(at(item), "node '" + node_id + "': " + key + " must list node ids");
        return;
      }
      PortRef r;
      const std::string& s = item.Scalar();
      auto dot = s.find('.');
      r.node = s.substr(0, dot);
      if (dot != std::string::npos) r.port = s.substr(dot + 1);
      r.where = at(item);
      out.push_back(r);
    };
    if (v.IsScalar()) one(v);
    else if (v.IsSequence()) for (const auto& i : v) one(i);
    else diags.error(at(v), "node '" + node_id + "': " + key + " must be a node id or a list of them");
    return out;
  }

  void load_node(Graph& g, const YAML::Node& key, const YAML::Node& body, std::set<std::string>& seen) {
    const std::string id = key.Scalar();
    if (id.empty() || id.find_first_of(". \t\"") != std::string::npos) {
      diags.error(at(key), "node id '" + id + "' must be non-empty and contain no dots, spaces or quotes");
      return;
    }
    if (!seen.insert(id).second) {
      diags.error(at(key), "duplicate node id '" + id + "'");
      return;
    }
    if (!body.IsMap()) {
      diags.error(at(body), "node '" + id + "' must be a map with at least `type:`");
      return;
    }
    GraphNode n;
    n.id = id;
    n.where = at(key);
    const YAML::Node type = body["type"];
    if (!type || !type.IsScalar()) {
      diags.error(at(body), "node '" + id + "' has no `type:`");
      return;
    }
    n.type = type.Scalar();
    n.desc = registry.find(n.type);
    if (!n.desc) {
      std::string hint = closest_match(n.type, registry.types());
      diags.error(at(type), "node '" + id + "': unknown node type '" + n.type + "'" +
                                (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
                                "; `flowrun nodes` lists the types");
      return;
    }
    n.concurrency = n.desc->default_concurrency;
    n.buffer = g.default_buffer;

    YAML::Node options(YAML::NodeType::Map);
    std::set<std::string> given;
    for (const auto& kv : body) {
      const std::string k = kv.first.Scalar();
      const YAML::Node& v = kv.second;
      if (!given.insert(k).second) {
        diags.error(at(kv.first), "node '" + id + "': option '" + k + "' given twice");
        continue;
      }
      auto is_common = std::find_if(common_options().begin(), common_options().end(),
                                    [&](const OptionSpec& s) { return s.name == k; }) != common_options().end();
      if (is_common) {
        if (k == "inputs") n.inputs = port_refs(id, "inputs", v);
        else if (k == "after") n.after = port_refs(id, "after", v);
        else if (k == "concurrency") read_concurrency(n, v, g.resources, file, diags);  // adaptive_config.cpp
        else if (k == "buffer") {
          long long b;
          if (!v.IsScalar() || !YAML::convert<long long>::decode(v, b) || b < 1 || b > 10'000'000)
            diags.error(at(v), "node '" + id + "': buffer must be an integer from 1 to 10000000");
          else n.buffer = static_cast<int>(b);
        } else if (k == "fatal") {
          bool f;
          if (!v.IsScalar() || !YAML::convert<bool>::decode(v, f)) diags.error(at(v), "node '" + id + "': fatal must be true or false");
          else n.fatal = f;
        }
        continue;
      }
      auto spec = std::find_if(n.desc->options.begin(), n.desc->options.end(),
                               [&](const OptionSpec& s) { return s.name == k; });
      if (spec == n.desc->options.end()) {
        std::vector<std::string> names;
        for (const auto& s : n.desc->options) names.push_back(s.name);
        for (const auto& s : common_options()) names.push_back(s.name);
        std::string hint = closest_match(k, names);
        diags.error(at(kv.first), "node '" + id + "': unknown option '" + k + "' for type '" + n.type + "'" +
                                      (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
        continue;
      }
      if (check_type(id, *spec, v, g.resources)) options[k] = v;
    }
    for (const auto& spec : n.desc->options) {
      if (given.count(spec.name) && !body[spec.name].IsNull()) continue;
      if (spec.required) {
        diags.error(at(body), "node '" + id + "': missing required option '" + spec.name + "' (" + spec.doc + ")");
      } else if (!spec.default_value.empty()) {
        options[spec.name] = YAML::Load(spec.default_value);
      }
    }
    if (n.desc->role == Role::source && !n.inputs.empty())
      diags.error(n.inputs.front().where, "node '" + id + "' is a source (" + n.type + ") and takes no inputs");
    n.config = NodeConfig(id, n.type, options, "", n.where);
    g.nodes.push_back(std::move(n));
  }
};

// --set a.b.c=value: walks maps, creating them as needed; the value is parsed as YAML.
bool apply_set(YAML::Node root, const std::string& assignment, Diagnostics& diags) {
  auto eq = assignment.find('=');
  Location cli{"<command line>", 0, 0};
  if (eq == std::string::npos || eq == 0) {
    diags.error(cli, "--set expects path.to.key=value, got '" + assignment + "'");
    return false;
  }
  std::string path = assignment.substr(0, eq);
  YAML::Node value;
  try {
    value = YAML::Load(assignment.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    diags.error(cli, "--set " + path + ": value is not valid YAML: " + e.msg);
    return false;
  }
  std::vector<std::string> parts;
  std::stringstream ss(path);
  for (std::string p; std::getline(ss, p, '.');) parts.push_back(p);
  std::vector<YAML::Node> chain{root};
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    YAML::Node next = chain.back()[parts[i]];
    if (!next.IsMap()) {
      if (next.IsDefined() && !next.IsNull()) {
        diags.error(cli, "--set " + path + ": '" + parts[i] + "' is not a map");
        return false;
      }
      chain.back()[parts[i]] = YAML::Node(YAML::NodeType::Map);
      next = chain.back()[parts[i]];
    }
    chain.push_back(next);
  }
  chain.back()[parts.back()] = value;
  return true;
}

// mode: sugar for `after:` and `concurrency:` defaults; see docs/pipeline.md.
// Whether `from` already waits, through data or control edges, on `target`.
bool waits_on(const Graph& g, const std::string& from, const std::string& target) {
  std::map<std::string, const GraphNode*> by_id;
  for (const auto& n : g.nodes) by_id[n.id] = &n;
  std::set<std::string> seen;
  std::vector<std::string> todo{from};
  while (!todo.empty()) {
    const std::string id = todo.back();
    todo.pop_back();
    if (id == target) return true;
    if (!seen.insert(id).second) continue;
    auto it = by_id.find(id);
    if (it == by_id.end()) continue;
    for (const auto& r : it->second->inputs) todo.push_back(r.node);
    for (const auto& r : it->second->after) todo.push_back(r.node);
  }
  return false;
}

void apply_mode(Graph& g, const std::set<std::string>& explicit_concurrency, Diagnostics& diags,
                const Location& mode_at) {
  if (g.mode.empty() || g.mode == "parallel") return;
  if (g.mode == "adaptive") return apply_adaptive_mode(g, explicit_concurrency);  // adaptive_config.cpp
  if (g.mode != "sequential" && g.mode != "mixed") {
    diags.error(mode_at, "mode must be sequential, parallel, mixed or adaptive, got '" + g.mode + "'");
    return;
  }
  std::map<std::string, std::string> last_of_group;  // group -> last source id
  for (auto& n : g.nodes) {
    if (g.mode == "sequential" && !explicit_concurrency.count(n.id)) n.concurrency = 1;
    if (n.role() != Role::source) continue;
    const std::string group = g.mode == "sequential" ? "" : n.type;
    auto it = last_of_group.find(group);
    // A source with its own `after:` keeps it; and the chain never waits on a source that
    // itself waits on this one (that would be a cycle the user never wrote).
    if (it != last_of_group.end() && n.after.empty() && !waits_on(g, it->second, n.id)) {
      n.after.push_back(PortRef{it->second, "out", n.where});
      n.after_from_mode = true;
    }
    last_of_group[group] = n.id;
  }
}

// Where a second YAML document starts, if the text has one. Not YAML::LoadAll: yaml-cpp 0.7's
// parser can report an endless run of empty documents at the same position for some malformed
// input (the fuzzer found `, pahb]on,[l}`), and LoadAll then never returns. A real second
// document starts after the first one.
class DocumentStart final : public YAML::EventHandler {
 public:
  YAML::Mark at;
  void OnDocumentStart(const YAML::Mark& mark) override { at = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

std::optional<YAML::Mark> second_document(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStart first, second;
  if (!parser.HandleNextDocument(first) || !parser.HandleNextDocument(second)) return std::nullopt;
  if (second.at.pos <= first.at.pos) return std::nullopt;
  return second.at;
}

// YAML aliases make a document a graph, not a tree: `a: &a [*a]` contains itself and nine
// nested aliases of nine items each expand to 9^9 nodes. Every later pass walks the document as a
// tree, so bound it first: depth (which also catches self-reference) and total nodes visited.
constexpr int kMaxDepth = 256;
constexpr long kMaxNodes = 1'000'000;

bool bounded(const YAML::Node& n, int depth, long& budget, const std::string& file, Diagnostics& diags) {
  if (--budget < 0) {
    diags.error(location_of(file, n), "the document expands to more than 1000000 YAML nodes (an alias bomb?)");
    return false;
  }
  if (depth > kMaxDepth) {
    diags.error(location_of(file, n), "nesting deeper than 256 levels (or an alias that contains itself)");
    return false;
  }
  if (n.IsMap()) {
    for (const auto& kv : n)
      if (!bounded(kv.second, depth + 1, budget, file, diags)) return false;
  } else if (n.IsSequence()) {
    for (const auto& item : n)
      if (!bounded(item, depth + 1, budget, file, diags)) return false;
  }
  return true;
}

// Top-level keys: no duplicates (yaml-cpp would silently keep one), and the right shapes.
bool top_level_shape(const YAML::Node& root, const std::string& file, Diagnostics& diags) {
  const std::size_t before = diags.error_count();
  std::map<std::string, Location> seen;
  for (const auto& kv : root) {
    const std::string k = kv.first.IsScalar() ? kv.first.Scalar() : "";
    auto [it, fresh] = seen.emplace(k, location_of(file, kv.first));
    if (!fresh) diags.error(location_of(file, kv.first), "duplicate top-level key '" + k + "' (first at " + it->second.str() + ")");
  }
  for (const char* k : {"name", "description", "store", "mode", "version"})
    if (root[k] && !root[k].IsScalar() && !root[k].IsNull())
      diags.error(location_of(file, root[k]), std::string(k) + " must be a string, got " + kind_name(root[k]));
  if (root["vars"] && !root["vars"].IsMap() && !root["vars"].IsNull())
    diags.error(location_of(file, root["vars"]), std::string("vars must be a map of names to values, got ") + kind_name(root["vars"]));
  return diags.error_count() == before;
}

LoadResult load_unredacted(const std::string& text, const std::string& file, const Registry& registry,
                           const LoadOptions& opts) {
  LoadResult result;
  Diagnostics& diags = result.diagnostics;
  Graph& g = result.graph;
  g.file = file;
  YAML::Node root;
  try {
    if (auto second = second_document(text)) {
      diags.error(location_of(file, *second), "a pipeline file holds one YAML document; found another after `---`");
      return result;
    }
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    diags.error(location_of(file, e.mark), "invalid YAML: " + e.msg);
    return result;
  } catch (const std::exception& e) {
    diags.error(Location{file, 0, 0}, std::string("cannot read pipeline: ") + e.what());
    return result;
  }
  if (!root.IsMap()) {
    diags.error(location_of(file, root), std::string("a pipeline must be a YAML map with `nodes:`, got ") + kind_name(root));
    return result;
  }
  {
    long budget = kMaxNodes;
    if (!bounded(root, 0, budget, file, diags)) return result;
  }
  if (!top_level_shape(root, file, diags)) return result;
  try {
    for (const auto& s : opts.sets) apply_set(root, s, diags);
    if (!opts.vars.empty()) {
      if (!root["vars"].IsMap()) root["vars"] = YAML::Node(YAML::NodeType::Map);
      for (const auto& [k, v] : opts.vars) {
        if (v.find(',') == std::string::npos) {
          root["vars"][k] = v;
        } else {
          YAML::Node list(YAML::NodeType::Sequence);
          std::stringstream ss(v);
          for (std::string item; std::getline(ss, item, ',');) list.push_back(item);
          root["vars"][k] = list;
        }
      }
    }

    Loader L{file, registry, diags, root["vars"] ? YAML::Clone(root["vars"]) : YAML::Node(YAML::NodeType::Map),
             std::filesystem::path(file).parent_path().string(), {}};
    for (const auto& kv : root) {
      const std::string k = kv.first.IsScalar() ? kv.first.Scalar() : "";
      if (std::find(kTopLevelKeys.begin(), kTopLevelKeys.end(), k) == kTopLevelKeys.end()) {
        std::string hint = closest_match(k, kTopLevelKeys);
        diags.error(location_of(file, kv.first), "unknown top-level key '" + k + "'" +
                                                     (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
      }
    }
    // Substitute everything except vars (their own references are not expanded) and tests.
    for (const char* k : {"name", "description", "resources", "store", "mode", "nodes", "max_error_rate", "buffer", "settings"})
      if (root[k] && !root[k].IsScalar()) L.substitute(root[k]);
      else if (root[k] && root[k].IsScalar()) root[k] = L.substitute_scalar(root[k], false);

    auto scalar = [&](const char* k) { return root[k] && root[k].IsScalar() ? root[k].Scalar() : std::string(); };
    g.name = scalar("name");
    if (g.name.empty()) g.name = std::filesystem::path(file).stem().string();
    g.description = scalar("description");
    g.store = scalar("store");
    g.mode = scalar("mode");
    if (root["max_error_rate"]) {
      double r;
      if (!root["max_error_rate"].IsScalar() || !YAML::convert<double>::decode(root["max_error_rate"], r) || r < 0 || r > 1)
        diags.error(location_of(file, root["max_error_rate"]), "max_error_rate must be a number from 0 to 1");
      else g.max_error_rate = r;
    }
    if (root["buffer"]) {
      long long b;
      if (!root["buffer"].IsScalar() || !YAML::convert<long long>::decode(root["buffer"], b) || b < 1 || b > 10'000'000)
        diags.error(location_of(file, root["buffer"]), "buffer must be an integer from 1 to 10000000");
      else g.default_buffer = static_cast<int>(b);
    }
    if (root["settings"]) {
      if (!root["settings"].IsMap()) diags.error(location_of(file, root["settings"]), "settings must be a map of strings");
      else for (const auto& kv : root["settings"]) g.settings[kv.first.Scalar()] = kv.second.IsScalar() ? kv.second.Scalar() : "";
    }
    g.resources = root["resources"] ? root["resources"] : YAML::Node(YAML::NodeType::Map);
    if (root["resources"]) {
      if (!g.resources.IsMap()) {
        diags.error(location_of(file, g.resources), "resources must be a map (rate_limits, breakers, budgets, concurrency)");
        g.resources = YAML::Node(YAML::NodeType::Map);
      } else {
        for (const auto& kv : g.resources) {
          const std::string k = kv.first.Scalar();
          if (k != "rate_limits" && k != "breakers" && k != "budgets" && k != "concurrency") {
            std::string hint = closest_match(k, {"rate_limits", "breakers", "budgets", "concurrency"});
            diags.error(location_of(file, kv.first), "unknown resource kind '" + k + "'" + (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
          } else if (!kv.second.IsMap()) {
            diags.error(location_of(file, kv.second), "resources." + k + " must be a map of named entries");
          }
        }
        check_concurrency_resources(g.resources, file, diags);  // adaptive_config.cpp
        try {
          Resources::from_yaml(g.resources);
        } catch (const std::exception& e) {
          diags.error(location_of(file, g.resources), std::string("resources: ") + e.what());
        }
      }
    }

    const YAML::Node nodes = root["nodes"];
    if (!nodes || !nodes.IsMap() || nodes.size() == 0) {
      diags.error(location_of(file, nodes.IsDefined() ? nodes : root), "a pipeline needs a non-empty `nodes:` map");
    } else {
      std::set<std::string> seen, explicit_concurrency;
      for (const auto& kv : nodes) {
        if (kv.second.IsMap() && kv.second["concurrency"]) explicit_concurrency.insert(kv.first.Scalar());
        L.load_node(g, kv.first, kv.second, seen);
      }
      apply_mode(g, explicit_concurrency, diags, location_of(file, root["mode"]));
    }
    g.secrets = L.secrets;
    for (const auto& n : g.nodes)  // values given directly to secret options count too
      for (const auto& spec : n.desc->options)
        if (spec.type == OptionType::secret && n.config.has(spec.name) &&
            n.config.get_string(spec.name).find("${") == std::string::npos)  // an unresolved reference is no secret
          g.secrets.push_back(n.config.get_string(spec.name));
    g.secrets.erase(std::remove(g.secrets.begin(), g.secrets.end(), std::string()), g.secrets.end());
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
    else clean.warning(d.where, d.message);
  }
  r.diagnostics = std::move(clean);
  return r;
}

LoadResult load_pipeline_file(const std::string& path, const Registry& registry, const LoadOptions& opts) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadResult r;
    r.diagnostics.error(Location{path, 0, 0}, "cannot open pipeline file");
    return r;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return load_pipeline_string(ss.str(), path, registry, opts);
}

}  // namespace flowrun
