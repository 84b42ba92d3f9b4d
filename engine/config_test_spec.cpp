// Loading the test YAML (engine/config_test_spec.hpp).
#include "engine/config_test_spec.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>

#include "engine/config_test_compare.hpp"
#include "engine/yaml_util.hpp"

namespace flowrun::config_test {

namespace {

const std::vector<std::string> kOps = {"equals", "not_equals", "exists", "missing",
                                       "matches", "gt", "lt", "contains"};

}  // namespace


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

void SpecParser::error(const YAML::Node& n, const std::string& msg) {
  diags.error(at(n), msg);
  ok = false;
}

bool SpecParser::check_keys(const YAML::Node& m, const std::vector<std::string>& allowed, const std::string& what) {
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

std::optional<PortRef> SpecParser::port_ref(const YAML::Node& n, const std::string& what) {
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

std::vector<YAML::Node> SpecParser::list_of(const YAML::Node& n, const std::string& what) {
  std::vector<YAML::Node> out;
  if (!n || n.IsNull()) return out;
  if (n.IsSequence()) {
    for (const auto& i : n) out.push_back(i);
  } else {
    error(n, what + " must be a list, got " + kind_name(n));
  }
  return out;
}

InputSpec SpecParser::input(const YAML::Node& in, const std::string& what) {
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
  return i;
}

std::optional<Condition> SpecParser::condition(const YAML::Node& c, const std::string& what) {
  if (!c.IsMap()) { error(c, what + ": each condition must be a map {field, op, value}"); return std::nullopt; }
  check_keys(c, {"field", "op", "value"}, what + ": condition");
  Condition cond;
  cond.where = at(c);
  if (!c["field"] || !c["field"].IsScalar()) { error(c, what + ": condition needs `field:`"); return std::nullopt; }
  cond.field = c["field"].Scalar();
  cond.op = c["op"] && c["op"].IsScalar() ? c["op"].Scalar() : "equals";
  if (std::find(kOps.begin(), kOps.end(), cond.op) == kOps.end()) {
    std::string hint = closest_match(cond.op, kOps);
    error(c["op"], what + ": unknown op '" + cond.op + "'; ops are equals, not_equals, exists, missing, matches, gt, lt, contains" +
                       (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
    return std::nullopt;
  }
  const bool needs_value = cond.op != "exists" && cond.op != "missing";
  if (needs_value && !c["value"]) { error(c, what + ": op '" + cond.op + "' needs `value:`"); return std::nullopt; }
  if (needs_value) cond.value = to_json(c["value"]);
  if (cond.op == "matches") {
    if (!c["value"].IsScalar()) { error(c["value"], what + ": matches needs a regular expression string"); return std::nullopt; }
    cond.value = json::string(c["value"].Scalar());
    try {
      cond.re.emplace(c["value"].Scalar(), std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      error(c["value"], what + ": bad regular expression '" + c["value"].Scalar() + "': " + e.what());
      return std::nullopt;
    }
  }
  if ((cond.op == "gt" || cond.op == "lt") && !as_number(cond.value)) {
    error(c["value"], what + ": op '" + cond.op + "' needs a number, got " + show(cond.value));
    return std::nullopt;
  }
  return cond;
}

std::optional<OutputSpec> SpecParser::output(const YAML::Node& o, const std::string& what) {
  if (!o.IsMap()) { error(o, what + ": each output must be a map with extract_from"); return std::nullopt; }
  check_keys(o, {"extract_from", "expect", "conditions", "count"}, what + ": output");
  OutputSpec out;
  if (!o["extract_from"]) { error(o, what + ": output needs `extract_from: NODE[.port]`"); return std::nullopt; }
  auto ref = port_ref(o["extract_from"], what + ": extract_from");
  if (!ref) return std::nullopt;
  out.at = *ref;
  for (const auto& e : list_of(o["expect"], what + ": expect")) {
    if (!e.IsMap()) { error(e, what + ": each expected record must be a map of field: value"); continue; }
    Expected x;
    x.where = at(e);
    for (const auto& kv : e) x.fields.emplace_back(kv.first.Scalar(), to_json(kv.second));
    out.expect.push_back(std::move(x));
  }
  for (const auto& c : list_of(o["conditions"], what + ": conditions"))
    if (auto cond = condition(c, what)) out.conditions.push_back(std::move(*cond));
  if (o["count"]) {
    long long n;
    if (!o["count"].IsScalar() || !YAML::convert<long long>::decode(o["count"], n) || n < 0)
      error(o["count"], what + ": count must be a non-negative integer");
    else out.count = n;
  }
  if (out.expect.empty() && out.conditions.empty() && !out.count && ok)
    error(o, what + ": output '" + out.at.str() + "' checks nothing; give expect, conditions or count");
  return out;
}

TestSpec SpecParser::test(const YAML::Node& t, std::size_t index) {
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
    s.inputs.push_back(input(in, what));
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

  for (const auto& o : list_of(t["outputs"], what + ": outputs"))
    if (auto out = output(o, what)) s.outputs.push_back(std::move(*out));
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

}  // namespace flowrun::config_test
