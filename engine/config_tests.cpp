// Config unit tests: parse the `tests:` specs, cut the pipeline down to what the inserted records
// can reach, stub its sources and sinks with in-memory nodes, run it, compare. See
// docs/testing-pipelines.md for the file format and engine/config_tests.hpp for the API.
#include "engine/json_text.hpp"
#include "engine/config_tests.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include "engine/context.hpp"
#include "engine/node_type.hpp"
#include "engine/pipeline.hpp"
#include "engine/redact.hpp"
#include "engine/yaml_util.hpp"

namespace flowrun {

namespace {

// Types of the synthetic nodes; the leading underscores keep them out of any real registry.
const char* const kInputType = "__config_test_input";
const char* const kCaptureType = "__config_test_capture";
const char* const kStubType = "__config_test_stub";

const std::vector<std::string> kOps = {"equals", "not_equals", "exists", "missing",
                                       "matches", "gt", "lt", "contains"};

// ---- spec model ------------------------------------------------------------------------------

struct InputSpec {
  std::string node;
  std::string source;  // the envelope's source (default: the node inserted at), for routing by source
  Location where;
  std::vector<json::object> records;
};

struct Condition {
  std::string field, op;
  json::value value;
  std::optional<std::regex> re;
  Location where;
};

struct Expected {
  std::vector<std::pair<std::string, json::value>> fields;  // in file order, for messages
  Location where;
};

struct OutputSpec {
  PortRef at;
  std::vector<Expected> expect;
  std::vector<Condition> conditions;
  std::optional<std::int64_t> count;
  bool none = false;  // from no_output_from
};

struct TestSpec {
  std::string name;
  Location where;
  std::vector<InputSpec> inputs;
  std::vector<OutputSpec> outputs;
  std::vector<PortRef> stubs;
  bool valid = true;
};

// ---- YAML -> JSON ----------------------------------------------------------------------------

// Plain scalars get YAML 1.2 core types (null, bool, int, float); quoted ones stay strings.
json::value to_json(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null: return nullptr;
    case YAML::NodeType::Sequence: {
      json::array a;
      for (const auto& i : n) a.push_back(to_json(i));
      return a;
    }
    case YAML::NodeType::Map: {
      json::object o;
      for (const auto& kv : n) o[kv.first.Scalar()] = to_json(kv.second);
      return o;
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = n.Scalar();
      if (n.Tag() == "!") return json::string(s);  // quoted
      if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
      if (s == "true" || s == "True" || s == "TRUE") return true;
      if (s == "false" || s == "False" || s == "FALSE") return false;
      std::int64_t i = 0;
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), i);
      if (ec == std::errc() && p == s.data() + s.size()) return i;
      char* end = nullptr;
      double d = std::strtod(s.c_str(), &end);
      if (end == s.c_str() + s.size() && s.find_first_of("0123456789") != std::string::npos) return d;
      return json::string(s);
    }
    default: return nullptr;
  }
}

std::string show(const json::value& v) {
  std::string s = to_json_text(v);
  if (s.size() > 160) s = s.substr(0, 157) + "...";
  return s;
}

std::string type_name(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "bool";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: return "number";
    case json::kind::string: return "string";
    case json::kind::array: return "list";
    case json::kind::object: return "map";
  }
  return "?";
}

// Equality where 5 == 5.0; maps and lists compare element-wise.
bool same(const json::value& a, const json::value& b) {
  if (a.is_number() && b.is_number()) return a.to_number<double>() == b.to_number<double>();
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const auto &x = a.as_array(), &y = b.as_array();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i)
      if (!same(x[i], y[i])) return false;
    return true;
  }
  if (a.is_object()) {
    const auto &x = a.as_object(), &y = b.as_object();
    if (x.size() != y.size()) return false;
    for (const auto& kv : x) {
      const auto* o = y.if_contains(kv.key());
      if (!o || !same(kv.value(), *o)) return false;
    }
    return true;
  }
  return a == b;
}

// "a.b.0.c" into the record's data; "$meta.error.rule" into its annotations. A key that itself
// contains dots is found before the path is split.
const json::value* lookup(const Record& r, const std::string& path) {
  const json::object* root = &r.data;
  std::string p = path;
  if (p.rfind("$meta.", 0) == 0) root = &r.meta, p = p.substr(6);
  if (const auto* v = root->if_contains(p)) return v;
  const json::value* cur = nullptr;
  std::stringstream ss(p);
  bool first = true;
  for (std::string part; std::getline(ss, part, '.');) {
    if (first) {
      cur = root->if_contains(part);
      first = false;
    } else if (cur->is_object()) {
      cur = cur->as_object().if_contains(part);
    } else if (cur->is_array()) {
      std::size_t i = 0;
      auto [e, ec] = std::from_chars(part.data(), part.data() + part.size(), i);
      cur = (ec == std::errc() && e == part.data() + part.size() && i < cur->as_array().size()) ? &cur->as_array()[i] : nullptr;
    } else {
      cur = nullptr;
    }
    if (!cur) return nullptr;
  }
  return cur;
}

std::optional<double> as_number(const json::value& v) {
  if (v.is_number()) return v.to_number<double>();
  if (v.is_string()) {
    std::string s(v.as_string());
    char* end = nullptr;
    double d = std::strtod(s.c_str(), &end);
    if (!s.empty() && end == s.c_str() + s.size()) return d;
  }
  return std::nullopt;
}

// "" when the record satisfies the condition, else what it got.
std::string check_condition(const Condition& c, const Record& r) {
  const json::value* v = lookup(r, c.field);
  const std::string got = v ? show(*v) + " (" + type_name(*v) + ")" : "no such field";
  if (c.op == "exists") return v ? "" : "field is missing";
  if (c.op == "missing") return v ? "field is present: " + show(*v) : "";
  if (!v) return "expected " + c.op + " " + show(c.value) + ", got no such field";
  if (c.op == "equals") return same(*v, c.value) ? "" : "expected " + show(c.value) + ", got " + got;
  if (c.op == "not_equals") return same(*v, c.value) ? "expected anything but " + show(c.value) + ", got it" : "";
  if (c.op == "matches") {
    if (!v->is_string()) return "expected a string matching /" + std::string(c.value.as_string()) + "/, got " + got;
    return std::regex_search(std::string(v->as_string()), *c.re) ? ""
           : "expected to match /" + std::string(c.value.as_string()) + "/, got " + got;
  }
  if (c.op == "gt" || c.op == "lt") {
    auto x = as_number(*v), y = as_number(c.value);
    if (!x) return "expected a number " + c.op + " " + show(c.value) + ", got " + got;
    bool ok = c.op == "gt" ? *x > *y : *x < *y;
    return ok ? "" : "expected " + std::string(c.op == "gt" ? "> " : "< ") + show(c.value) + ", got " + got;
  }
  if (c.op == "contains") {
    if (v->is_string() && c.value.is_string())
      return std::string_view(v->as_string()).find(std::string_view(c.value.as_string())) != std::string_view::npos
                 ? "" : "expected to contain " + show(c.value) + ", got " + got;
    if (v->is_array()) {
      for (const auto& e : v->as_array())
        if (same(e, c.value)) return "";
      return "expected a list containing " + show(c.value) + ", got " + got;
    }
    return "expected a string or list containing " + show(c.value) + ", got " + got;
  }
  return "unknown op " + c.op;
}

// Field-by-field differences between an expectation and one record ("" entries are matches).
std::vector<std::string> diff(const Expected& e, const Record& r) {
  std::vector<std::string> out;
  for (const auto& [field, want] : e.fields) {
    const json::value* v = lookup(r, field);
    if (!v) out.push_back("field '" + field + "': expected " + show(want) + ", got no such field");
    else if (!same(*v, want))
      out.push_back("field '" + field + "': expected " + show(want) + " (" + type_name(want) + "), got " + show(*v) +
                    " (" + type_name(*v) + ")");
  }
  return out;
}

std::string describe(const Record& r, std::size_t index) {
  std::string s = "record #" + std::to_string(index + 1);
  if (!r.env.source.empty()) s += " (inserted at " + r.env.source + (r.env.source_id.empty() ? "" : " " + r.env.source_id) + ")";
  return s;
}

// Kuhn's matching: each expectation takes a distinct record; returns match[expectation] or -1.
std::vector<int> match_expectations(const std::vector<std::vector<bool>>& ok, std::size_t records) {
  std::vector<int> owner(records, -1), match(ok.size(), -1);
  std::function<bool(std::size_t, std::vector<bool>&)> try_assign = [&](std::size_t e, std::vector<bool>& seen) {
    for (std::size_t r = 0; r < records; ++r) {
      if (!ok[e][r] || seen[r]) continue;
      seen[r] = true;
      if (owner[r] < 0 || try_assign(static_cast<std::size_t>(owner[r]), seen)) {
        owner[r] = static_cast<int>(e);
        match[e] = static_cast<int>(r);
        return true;
      }
    }
    return false;
  };
  for (std::size_t e = 0; e < ok.size(); ++e) {
    std::vector<bool> seen(records, false);
    try_assign(e, seen);
  }
  return match;
}

// ---- synthetic nodes -------------------------------------------------------------------------

struct Capture {
  std::mutex mu;
  std::vector<Record> records;
};

// Per-test state the synthetic nodes' factories read (by node id).
struct TestState {
  std::map<std::string, std::vector<const InputSpec*>> inputs;
  std::map<std::string, std::shared_ptr<Capture>> captures;
};

class InputSource : public SourceNode {
 public:
  explicit InputSource(std::vector<const InputSpec*> in) : in_(std::move(in)) {}
  void run(RunContext& ctx, Emitter& out) override {
    for (const InputSpec* in : in_)
      for (std::size_t i = 0; i < in->records.size() && !ctx.stopping(); ++i) {
        Record r(in->records[i]);
        r.env.source = in->source.empty() ? in->node : in->source;
        r.env.source_id = "#" + std::to_string(i + 1);
        out.emit(std::move(r));
      }
  }

 private:
  std::vector<const InputSpec*> in_;
};

class CaptureSink : public ProcessNode {
 public:
  explicit CaptureSink(std::shared_ptr<Capture> c) : c_(std::move(c)) {}
  void process(Record in, RunContext&, Emitter&) override {
    std::lock_guard lock(c_->mu);
    c_->records.push_back(std::move(in));
  }

 private:
  std::shared_ptr<Capture> c_;
};

class Passthrough : public ProcessNode {
 public:
  void process(Record in, RunContext&, Emitter& out) override { out.emit(std::move(in)); }
};

struct NoOptions {};

void register_synthetic(Registry& reg, TestState& st) {
  NodeType<NoOptions> in(kInputType, Role::source, "config test: emits the records of an `inputs:` entry");
  in.create([&st](const NoOptions&, const NodeInfo& n) -> std::unique_ptr<Node> {
    return std::make_unique<InputSource>(st.inputs.at(n.id));
  });
  reg.add(in.descriptor());
  NodeType<NoOptions> cap(kCaptureType, Role::sink, "config test: keeps every record it receives");
  cap.create([&st](const NoOptions&, const NodeInfo& n) -> std::unique_ptr<Node> {
    auto& slot = st.captures[n.id];
    if (!slot) slot = std::make_shared<Capture>();
    return std::make_unique<CaptureSink>(slot);
  });
  reg.add(cap.descriptor());
  NodeType<NoOptions> stub(kStubType, Role::transform, "config test: passes records through unchanged (a node named in `stub:`)");
  stub.create([](const NoOptions&, const NodeInfo&) -> std::unique_ptr<Node> { return std::make_unique<Passthrough>(); });
  reg.add(stub.descriptor());
}

// ---- parsing the specs -----------------------------------------------------------------------

struct SpecParser {
  std::string file;
  Diagnostics& diags;
  bool ok = true;

  Location at(const YAML::Node& n) const { return location_of(file, n); }
  void error(const YAML::Node& n, const std::string& msg) {
    diags.error(at(n), msg);
    ok = false;
  }

  bool check_keys(const YAML::Node& m, const std::vector<std::string>& allowed, const std::string& what) {
    bool good = true;
    for (const auto& kv : m) {
      const std::string k = kv.first.Scalar();
      if (std::find(allowed.begin(), allowed.end(), k) != allowed.end()) continue;
      std::string hint = closest_match(k, allowed);
      error(kv.first, what + ": unknown key '" + k + "'" + (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
      good = false;
    }
    return good;
  }

  std::optional<PortRef> port_ref(const YAML::Node& n, const std::string& what) {
    if (!n.IsScalar() || n.Scalar().empty()) {
      error(n, what + " must be NODE or NODE.port");
      return std::nullopt;
    }
    PortRef r;
    const std::string& s = n.Scalar();
    auto dot = s.find('.');
    r.node = s.substr(0, dot);
    if (dot != std::string::npos) r.port = s.substr(dot + 1);
    r.where = at(n);
    return r;
  }

  std::vector<YAML::Node> list_of(const YAML::Node& n, const std::string& what) {
    std::vector<YAML::Node> out;
    if (!n || n.IsNull()) return out;
    if (n.IsSequence()) {
      for (const auto& i : n) out.push_back(i);
    } else {
      error(n, what + " must be a list, got " + kind_name(n));
    }
    return out;
  }

  TestSpec test(const YAML::Node& t, std::size_t index) {
    ok = true;
    TestSpec s;
    s.where = at(t);
    s.name = "tests[" + std::to_string(index) + "]";
    if (!t.IsMap()) {
      error(t, "a test must be a map with name, inputs and outputs, got " + std::string(kind_name(t)));
      s.valid = false;
      return s;
    }
    if (t["name"] && t["name"].IsScalar()) s.name = t["name"].Scalar();
    else error(t["name"] ? t["name"] : t, "test " + s.name + " needs a `name:` (a string)");
    const std::string what = "test '" + s.name + "'";
    check_keys(t, {"name", "description", "inputs", "outputs", "no_output_from", "stub"}, what);

    for (const auto& in : list_of(t["inputs"], what + ": inputs")) {
      if (!in.IsMap()) { error(in, what + ": each input must be a map with insert_at and records"); continue; }
      check_keys(in, {"insert_at", "records", "source"}, what + ": input");
      InputSpec i;
      if (in["source"] && in["source"].IsScalar()) i.source = in["source"].Scalar();
      i.where = at(in);
      if (!in["insert_at"] || !in["insert_at"].IsScalar()) error(in, what + ": input needs `insert_at: NODE`");
      else i.node = in["insert_at"].Scalar(), i.where = at(in["insert_at"]);
      if (!in["records"]) error(in, what + ": input needs `records:` (a list of maps)");
      for (const auto& r : list_of(in["records"], what + ": records")) {
        if (!r.IsMap()) { error(r, what + ": each record must be a map, got " + std::string(kind_name(r))); continue; }
        i.records.push_back(to_json(r).as_object());
      }
      s.inputs.push_back(std::move(i));
    }
    if (s.inputs.empty() && ok) error(t, what + " has no `inputs:` (insert_at + records)");
    // inputs with the same node and source merge, so their records are numbered #1, #2, ... together
    for (std::size_t a = 0; a < s.inputs.size(); ++a)
      for (std::size_t b = a + 1; b < s.inputs.size();)
        if (s.inputs[b].node == s.inputs[a].node && s.inputs[b].source == s.inputs[a].source) {
          for (auto& r : s.inputs[b].records) s.inputs[a].records.push_back(std::move(r));
          s.inputs.erase(s.inputs.begin() + static_cast<std::ptrdiff_t>(b));
        } else {
          ++b;
        }

    for (const auto& o : list_of(t["outputs"], what + ": outputs")) {
      if (!o.IsMap()) { error(o, what + ": each output must be a map with extract_from"); continue; }
      check_keys(o, {"extract_from", "expect", "conditions", "count"}, what + ": output");
      OutputSpec out;
      if (!o["extract_from"]) { error(o, what + ": output needs `extract_from: NODE[.port]`"); continue; }
      auto ref = port_ref(o["extract_from"], what + ": extract_from");
      if (!ref) continue;
      out.at = *ref;
      for (const auto& e : list_of(o["expect"], what + ": expect")) {
        if (!e.IsMap()) { error(e, what + ": each expected record must be a map of field: value"); continue; }
        Expected x;
        x.where = at(e);
        for (const auto& kv : e) x.fields.emplace_back(kv.first.Scalar(), to_json(kv.second));
        out.expect.push_back(std::move(x));
      }
      for (const auto& c : list_of(o["conditions"], what + ": conditions")) {
        if (!c.IsMap()) { error(c, what + ": each condition must be a map {field, op, value}"); continue; }
        check_keys(c, {"field", "op", "value"}, what + ": condition");
        Condition cond;
        cond.where = at(c);
        if (!c["field"] || !c["field"].IsScalar()) { error(c, what + ": condition needs `field:`"); continue; }
        cond.field = c["field"].Scalar();
        cond.op = c["op"] && c["op"].IsScalar() ? c["op"].Scalar() : "equals";
        if (std::find(kOps.begin(), kOps.end(), cond.op) == kOps.end()) {
          std::string hint = closest_match(cond.op, kOps);
          error(c["op"], what + ": unknown op '" + cond.op + "'; ops are equals, not_equals, exists, missing, matches, gt, lt, contains" +
                             (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
          continue;
        }
        const bool needs_value = cond.op != "exists" && cond.op != "missing";
        if (needs_value && !c["value"]) { error(c, what + ": op '" + cond.op + "' needs `value:`"); continue; }
        if (needs_value) cond.value = to_json(c["value"]);
        if (cond.op == "matches") {
          if (!c["value"].IsScalar()) { error(c["value"], what + ": matches needs a regular expression string"); continue; }
          cond.value = json::string(c["value"].Scalar());
          try {
            cond.re.emplace(c["value"].Scalar(), std::regex::ECMAScript);
          } catch (const std::regex_error& e) {
            error(c["value"], what + ": bad regular expression '" + c["value"].Scalar() + "': " + e.what());
            continue;
          }
        }
        if ((cond.op == "gt" || cond.op == "lt") && !as_number(cond.value)) {
          error(c["value"], what + ": op '" + cond.op + "' needs a number, got " + show(cond.value));
          continue;
        }
        out.conditions.push_back(std::move(cond));
      }
      if (o["count"]) {
        long long n;
        if (!o["count"].IsScalar() || !YAML::convert<long long>::decode(o["count"], n) || n < 0)
          error(o["count"], what + ": count must be a non-negative integer");
        else out.count = n;
      }
      if (out.expect.empty() && out.conditions.empty() && !out.count && ok)
        error(o, what + ": output '" + out.at.str() + "' checks nothing; give expect, conditions or count");
      s.outputs.push_back(std::move(out));
    }
    for (const auto& n : list_of(t["no_output_from"], what + ": no_output_from")) {
      auto ref = port_ref(n, what + ": no_output_from");
      if (!ref) continue;
      OutputSpec out;
      out.at = *ref;
      out.none = true;
      out.count = 0;
      s.outputs.push_back(std::move(out));
    }
    if (t["stub"]) {
      YAML::Node st = t["stub"];
      std::vector<YAML::Node> items = st.IsScalar() ? std::vector<YAML::Node>{st} : list_of(st, what + ": stub");
      for (const auto& n : items)
        if (auto ref = port_ref(n, what + ": stub")) s.stubs.push_back(*ref);
    }
    if (s.outputs.empty() && ok) error(t, what + " has no `outputs:` or `no_output_from:`: it would check nothing");
    s.valid = ok;
    return s;
  }
};

// ---- the test graph --------------------------------------------------------------------------

GraphNode synthetic(const std::string& id, const char* type, const Registry& synth, const Location& where,
                    int buffer) {
  GraphNode n;
  n.buffer = buffer;  // 0 would make every emit wait forever
  n.id = id;
  n.type = type;
  n.desc = synth.find(type);
  n.where = where;
  n.info = NodeInfo{id, type, "", where};
  n.options.value = std::make_shared<NoOptions>();
  return n;
}

// Checks that a reference names a node and one of its ports; says what exists when not.
bool check_ref(const Graph& g, const PortRef& r, const std::string& what, Diagnostics& diags) {
  const GraphNode* n = g.find(r.node);
  if (!n) {
    std::vector<std::string> ids;
    for (const auto& x : g.nodes) ids.push_back(x.id);
    std::string hint = closest_match(r.node, ids);
    diags.error(r.where, what + " '" + r.str() + "' names no node of the pipeline" + (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
    return false;
  }
  auto ports = n->ports();
  if (std::find(ports.begin(), ports.end(), r.port) == ports.end()) {
    std::string all;
    for (const auto& p : ports) all += (all.empty() ? "" : ", ") + p;
    diags.error(r.where, what + " '" + r.str() + "': node '" + n->id + "' (" + n->type + ") has no port '" + r.port + "'; its ports are " + all);
    return false;
  }
  return true;
}

struct TestGraph {
  Graph graph;
  std::map<std::size_t, std::string> capture_of;  // output index -> capture node id ("" = unreachable)
};

std::optional<TestGraph> build_test_graph(const Graph& g, const TestSpec& t, const Registry& synth, TestState& st,
                                          Diagnostics& diags) {
  bool ok = true;
  const std::string what = "test '" + t.name + "'";
  std::set<std::string> insert_at, stubs;
  for (const auto& in : t.inputs) {
    PortRef r{in.node, "out", in.where};
    ok = check_ref(g, r, what + ": insert_at", diags) && ok;
    insert_at.insert(in.node);
  }
  for (const auto& s : t.stubs) {
    ok = check_ref(g, s, what + ": stub", diags) && ok;
    if (const auto* n = g.find(s.node); n && n->role() != Role::transform) {
      diags.error(s.where, what + ": stub '" + s.node + "' is a " + to_string(n->role()) + "; sources and sinks are stubbed already");
      ok = false;
    }
    stubs.insert(s.node);
  }
  for (const auto& o : t.outputs) ok = check_ref(g, o.at, what + (o.none ? ": no_output_from" : ": extract_from"), diags) && ok;
  if (!ok) return std::nullopt;

  // What the inserted records can reach, through any port.
  const int count = static_cast<int>(g.nodes.size());
  std::vector<bool> keep(count, false);
  std::vector<int> stack;
  for (const auto& id : insert_at) stack.push_back(g.index_of(id)), keep[g.index_of(id)] = true;
  while (!stack.empty()) {
    int v = stack.back();
    stack.pop_back();
    for (const auto& port : g.nodes[v].ports())
      for (int c : g.consumers(v, port))
        if (!keep[c]) keep[c] = true, stack.push_back(c);
  }

  TestGraph tg;
  Graph& ng = tg.graph;
  ng.name = g.name;
  ng.file = g.file;
  ng.default_buffer = g.default_buffer;
  ng.resources = g.resources;
  ng.settings = g.settings;
  ng.secrets = g.secrets;
  std::set<std::string> kept;
  for (int i = 0; i < count; ++i)
    if (keep[i]) kept.insert(g.nodes[i].id);

  for (int i = 0; i < count; ++i) {
    if (!keep[i]) continue;
    GraphNode n = g.nodes[i];
    const bool inserted = insert_at.count(n.id) > 0;
    std::erase_if(n.inputs, [&](const PortRef& r) { return !kept.count(r.node); });
    std::erase_if(n.after, [&](const PortRef& r) { return !kept.count(r.node); });
    if (inserted && n.role() == Role::source) {
      // records inserted at a source come out of it as if it had produced them
      GraphNode s = synthetic(n.id, kInputType, synth, n.where, ng.default_buffer);
      ng.nodes.push_back(std::move(s));
      continue;
    }
    if (inserted) {
      const std::string src = "__input_" + n.id;
      ng.nodes.push_back(synthetic(src, kInputType, synth, n.where, ng.default_buffer));
      n.inputs.push_back(PortRef{src, "out", n.where});
    }
    if (n.role() == Role::sink) {
      GraphNode c = synthetic(n.id, kCaptureType, synth, n.where, ng.default_buffer);
      c.inputs = n.inputs;
      c.after = n.after;
      n = std::move(c);
    } else if (stubs.count(n.id)) {
      GraphNode c = synthetic(n.id, kStubType, synth, n.where, ng.default_buffer);
      c.inputs = n.inputs;
      c.after = n.after;
      c.concurrency = n.concurrency;
      n = std::move(c);
    }
    ng.nodes.push_back(std::move(n));
  }
  for (const auto& in : t.inputs)
    st.inputs[ng.find("__input_" + in.node) ? "__input_" + in.node : in.node].push_back(&in);

  // Capture points: a sink captures what it receives; any other port gets a capture node.
  for (std::size_t k = 0; k < t.outputs.size(); ++k) {
    const auto& o = t.outputs[k];
    if (!kept.count(o.at.node)) {
      if (!o.none) {
        std::string ins;
        for (const auto& id : insert_at) ins += (ins.empty() ? "" : ", ") + id;
        diags.error(o.at.where, what + ": extract_from '" + o.at.str() + "' is not downstream of any insert_at node (" + ins +
                                    "), so no record could reach it");
        ok = false;
      }
      tg.capture_of[k] = "";
      continue;
    }
    const GraphNode* n = ng.find(o.at.node);
    if (n->type == kCaptureType && o.at.port == "out") {
      tg.capture_of[k] = n->id;
      continue;
    }
    const std::string id = "__capture_" + std::to_string(k);
    GraphNode c = synthetic(id, kCaptureType, synth, o.at.where, ng.default_buffer);
    c.inputs.push_back(o.at);
    ng.nodes.push_back(std::move(c));
    tg.capture_of[k] = id;
  }
  // Drop edges from ports a replaced node no longer has (a stubbed validator's `rejected`).
  for (auto& n : ng.nodes)
    std::erase_if(n.inputs, [&](const PortRef& r) {
      const GraphNode* p = ng.find(r.node);
      if (!p) return true;
      auto ports = p->ports();
      return std::find(ports.begin(), ports.end(), r.port) == ports.end();
    });
  if (!ok) return std::nullopt;
  return tg;
}

// Compares what one capture point got with its spec; appends failure lines.
void compare(const OutputSpec& o, const std::vector<Record>& got, std::vector<std::string>& failures) {
  const std::string where = (o.none ? "no_output_from '" : "extract_from '") + o.at.str() + "'";
  if (o.none) {
    if (!got.empty()) {
      std::string first = show(got.front().data);
      if (const auto* e = got.front().meta.if_contains("error"); e && e->is_object())
        if (const auto* m = e->as_object().if_contains("message")) first += " (error: " + show(*m) + ")";
      failures.push_back(where + ": expected no records, got " + std::to_string(got.size()) + "; first: " + first);
    }
    return;
  }
  const std::int64_t n = static_cast<std::int64_t>(got.size());
  const std::int64_t want = o.count ? *o.count : static_cast<std::int64_t>(o.expect.size());
  if ((o.count || !o.expect.empty()) && n != want)
    failures.push_back(where + ": expected " + std::to_string(want) + " record(s), got " + std::to_string(n));
  if (!o.conditions.empty() && got.empty() && !(o.count && *o.count == 0))
    failures.push_back(where + ": no records to check the conditions against");
  for (std::size_t i = 0; i < got.size(); ++i)
    for (const auto& c : o.conditions) {
      std::string why = check_condition(c, got[i]);
      if (!why.empty())
        failures.push_back(where + ": " + describe(got[i], i) + ": condition '" + c.field + " " + c.op + "' (" + c.where.str() + "): " + why);
    }
  if (o.expect.empty()) return;
  std::vector<std::vector<bool>> ok(o.expect.size(), std::vector<bool>(got.size(), false));
  for (std::size_t e = 0; e < o.expect.size(); ++e)
    for (std::size_t r = 0; r < got.size(); ++r) ok[e][r] = diff(o.expect[e], got[r]).empty();
  auto match = match_expectations(ok, got.size());
  for (std::size_t e = 0; e < o.expect.size(); ++e) {
    if (match[e] >= 0) continue;
    std::string head = where + ": expected record #" + std::to_string(e + 1) + " (" + o.expect[e].where.str() + ")";
    if (got.empty()) {
      failures.push_back(head + " not found: got no records");
      continue;
    }
    std::size_t best = 0, best_misses = SIZE_MAX;  // the closest record explains the failure best
    for (std::size_t r = 0; r < got.size(); ++r) {
      auto d = diff(o.expect[e], got[r]).size();
      if (d < best_misses) best = r, best_misses = d;
    }
    auto d = diff(o.expect[e], got[best]);
    std::string detail;
    for (const auto& x : d) detail += (detail.empty() ? "" : "; ") + x;
    if (d.empty()) detail = "it matches only a record already matched by another expectation";
    failures.push_back(head + " not found; closest is " + describe(got[best], best) + ": " + detail);
  }
}

ConfigTestResult run_one(const Graph& g, const TestSpec& t, Diagnostics& diags) {
  ConfigTestResult res;
  res.name = t.name;
  TestState st;
  Registry synth;
  register_synthetic(synth, st);
  Diagnostics local;
  auto tg = build_test_graph(g, t, synth, st, local);
  diags.merge(local);
  if (!tg) {
    for (const auto& d : local.all()) res.failures.push_back("invalid test: " + d.str());
    return res;
  }
  RunOptions ro;
  ro.settings["config_test"] = t.name;
  ro.run_id = "config-test";
  try {
    RunSummary s = run_pipeline(tg->graph, synth, ro);
    if (s.status != "ok") {
      std::string why = "run " + s.status;
      for (const auto& n : s.nodes)
        if (!n.stopped_reason.empty()) why += "; node '" + n.id + "': " + n.stopped_reason;
      res.failures.push_back(why);
    }
  } catch (const PipelineError& e) {
    for (const auto& d : e.diagnostics().all()) res.failures.push_back("pipeline could not run: " + d.str());
  } catch (const std::exception& e) {
    res.failures.push_back(std::string("pipeline could not run: ") + e.what());
  }
  for (std::size_t k = 0; k < t.outputs.size(); ++k) {
    std::vector<Record> got;
    const std::string& cap = tg->capture_of[k];
    if (!cap.empty())
      if (auto it = st.captures.find(cap); it != st.captures.end()) got = it->second->records;
    compare(t.outputs[k], got, res.failures);
  }
  for (auto& f : res.failures) f = redact_secrets(f, g.secrets);
  res.passed = res.failures.empty();
  return res;
}

// Unset ${env.X} references (without a :- default) get a placeholder so that the pipeline loads;
// the nodes that would use them are stubbed or never run in a test.
void provide_env(const std::string& pipeline_text, const YAML::Node& env) {
  if (env && env.IsMap())
    for (const auto& kv : env)
      if (kv.second.IsScalar()) ::setenv(kv.first.Scalar().c_str(), kv.second.Scalar().c_str(), 1);
  static const std::regex ref(R"(\$\{env\.([A-Za-z_][A-Za-z0-9_]*)(:-)?)");
  for (std::sregex_iterator it(pipeline_text.begin(), pipeline_text.end(), ref), end; it != end; ++it)
    if (!(*it)[2].matched) ::setenv((*it)[1].str().c_str(), ("config-test-placeholder-" + (*it)[1].str()).c_str(), 0);
}

std::optional<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::vector<ConfigTestResult> run_config_tests(const std::string& file, const Registry& registry, Diagnostics& diags) {
  std::vector<ConfigTestResult> results;
  auto text = read_text(file);
  if (!text) {
    diags.error(Location{file, 0, 0}, "cannot open test file");
    return results;
  }
  YAML::Node root;
  try {
    root = YAML::Load(*text);
  } catch (const YAML::ParserException& e) {
    diags.error(location_of(file, e.mark), "invalid YAML: " + e.msg);
    return results;
  }
  if (!root.IsMap()) {
    diags.error(location_of(file, root), "a test file must be a map with `pipeline:` and `tests:`, or a pipeline with `tests:`");
    return results;
  }

  // A separate test file names its pipeline; otherwise the file is the pipeline.
  std::string pipeline_file = file;
  LoadOptions lo;
  lo.need_env = false;  // a config test feeds its own records: no server, no secret
  if (root["pipeline"]) {
    SpecParser keys{file, diags};
    keys.check_keys(root, {"pipeline", "tests", "env", "vars", "description"}, "test file");
    if (!root["pipeline"].IsScalar()) {
      diags.error(location_of(file, root["pipeline"]), "`pipeline:` must be the path of a pipeline file");
      return results;
    }
    pipeline_file = resolve_path(std::filesystem::path(file).parent_path().string(), root["pipeline"].Scalar());
    if (root["vars"] && root["vars"].IsMap())
      for (const auto& kv : root["vars"])
        if (kv.second.IsScalar()) lo.vars[kv.first.Scalar()] = kv.second.Scalar();
  }
  const YAML::Node tests = root["tests"];
  if (!tests || tests.IsNull() || (tests.IsSequence() && tests.size() == 0)) {
    diags.warning(location_of(file, root), "no `tests:` in " + file);
    return results;
  }
  if (!tests.IsSequence()) {
    diags.error(location_of(file, tests), "`tests:` must be a list of tests, got " + std::string(kind_name(tests)));
    return results;
  }

  std::optional<std::string> ptext = pipeline_file == file ? text : read_text(pipeline_file);
  if (!ptext) {
    diags.error(location_of(file, root["pipeline"]), "cannot open pipeline file '" + pipeline_file + "'");
    return results;
  }
  provide_env(*ptext, root["env"]);
  LoadResult loaded = load_pipeline_string(*ptext, pipeline_file, registry, lo);
  for (const auto& d : loaded.diagnostics.all())  // warnings about the pipeline are `check`'s business
    if (d.severity == Severity::error) diags.error(d.where, d.message);
  if (!loaded.ok()) return results;

  SpecParser parser{file, diags};
  std::set<std::string> names;
  for (std::size_t i = 0; i < tests.size(); ++i) {
    TestSpec spec = parser.test(tests[i], i);
    if (!names.insert(spec.name).second) {
      diags.error(spec.where, "duplicate test name '" + spec.name + "'");
      spec.valid = false;
    }
    if (!spec.valid) {
      results.push_back(ConfigTestResult{spec.name, false, {"invalid test spec at " + spec.where.str() + " (see the errors above)"}});
      continue;
    }
    results.push_back(run_one(loaded.graph, spec, diags));
  }
  return results;
}

}  // namespace flowrun
