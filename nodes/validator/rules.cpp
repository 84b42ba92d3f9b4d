#include "nodes/validator/rules.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>

#include "engine/dotted_path.hpp"
#include "engine/json_text.hpp"
#include "engine/diagnostics.hpp"
#include "engine/yaml_util.hpp"

namespace flowrun::validator {
namespace {

[[noreturn]] void fail(const std::string& file, const YAML::Node& n, const std::string& msg) {
  throw RulesError(where_prefix(file, n) + msg);
}

std::string hint(const std::string& word, const std::vector<std::string>& names) { return did_you_mean(word, names); }

int current_year() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return tm.tm_year + 1900;
}

std::optional<double> as_number(const json::value* v) {
  if (!v) return std::nullopt;
  if (v->is_int64()) return static_cast<double>(v->get_int64());
  if (v->is_uint64()) return static_cast<double>(v->get_uint64());
  if (v->is_double()) return v->get_double();
  return std::nullopt;
}

std::string text_of(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  return to_json_text(v);
}

std::string num_text(double d) {
  char buf[64];
  if (d == std::floor(d) && std::fabs(d) < 1e15) std::snprintf(buf, sizeof buf, "%.0f", d);
  else std::snprintf(buf, sizeof buf, "%g", d);
  return buf;
}

bool present(const json::value* v) {
  if (!v || v->is_null()) return false;
  if (v->is_string() && v->get_string().empty()) return false;
  return true;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

double bound(const std::string& file, const YAML::Node& n, int year) {
  const std::string& s = n.Scalar();
  if (s == "this_year") return year;
  if (s == "next_year") return year + 1;
  try {
    std::size_t used = 0;
    double d = std::stod(s, &used);
    if (used == s.size()) return d;
  } catch (...) {
  }
  fail(file, n, "'" + s + "' is not a number (or this_year / next_year)");
}

std::vector<Condition> condition_map(const std::string& file, const YAML::Node& n) {
  if (!n.IsMap())
    fail(file, n, "`when`/`unless` must be a map of field -> value or list of values, or a list of such maps");
  std::vector<Condition> out;
  for (const auto& kv : n) {
    Condition c{kv.first.Scalar(), {}};
    if (kv.second.IsNull())
      c.absent = true;
    else if (kv.second.IsSequence())
      for (const auto& v : kv.second) c.values.push_back(v.Scalar());
    else
      c.values.push_back(kv.second.Scalar());
    out.push_back(std::move(c));
  }
  return out;
}

Conditions conditions(const std::string& file, const YAML::Node& n) {
  Conditions out;
  if (!n.IsSequence()) {
    out.push_back(condition_map(file, n));
    return out;
  }
  for (const auto& item : n) out.push_back(condition_map(file, item));
  if (out.empty()) fail(file, n, "`when`/`unless` lists no conditions");
  return out;
}

const std::vector<std::pair<std::string, RuleType>>& rule_types() {
  static const std::vector<std::pair<std::string, RuleType>> t = {
      {"required", RuleType::required}, {"any_of", RuleType::any_of},   {"range", RuleType::range},
      {"one_of", RuleType::one_of},     {"enum", RuleType::one_of},     {"pattern", RuleType::pattern},
      {"type", RuleType::type},         {"ratio", RuleType::ratio},     {"compare", RuleType::compare},
      {"no_override", RuleType::no_override}};
  return t;
}

Rule parse_rule(const std::string& file, const YAML::Node& n, int year) {
  if (!n.IsMap()) fail(file, n, "a rule must be a map like {rule: range, field: price, min: 1000}");
  Rule r;
  r.where = location_of(file, n).str();
  if (!n["rule"]) fail(file, n, "a rule needs `rule:` (required, any_of, range, one_of, pattern, type, ratio, compare, no_override)");
  std::string type = n["rule"].Scalar();
  std::vector<std::string> type_names;
  bool found = false;
  for (auto& [name, t] : rule_types()) {
    type_names.push_back(name);
    if (name == type) {
      r.type = t;
      found = true;
    }
  }
  if (!found) fail(file, n["rule"], "unknown rule '" + type + "'" + hint(type, type_names));
  r.id = type == "enum" ? "one_of" : type;
  static const std::vector<std::string> keys = {"rule",  "name",   "field",    "fields",  "per",     "other",
                                                "min",   "max",    "values",   "pattern", "type",    "op",
                                                "tolerance", "severity", "message", "when", "unless", "ignore_case",
                                                "source"};
  for (const auto& kv : n) {
    const std::string k = kv.first.Scalar();
    const YAML::Node& v = kv.second;
    if (k == "rule") continue;
    if (k == "name") r.id = v.Scalar();
    else if (k == "field") r.field = v.Scalar();
    else if (k == "fields") for (const auto& f : v) r.fields.push_back(f.Scalar());
    else if (k == "per" || k == "other" || k == "source") r.other = v.Scalar();
    else if (k == "min") r.min = bound(file, v, year);
    else if (k == "max") r.max = bound(file, v, year);
    else if (k == "values") for (const auto& f : v) r.values.push_back(f.Scalar());
    else if (k == "ignore_case") r.ignore_case = v.as<bool>();
    else if (k == "pattern") {
      r.pattern_text = v.Scalar();
      try {
        r.pattern = std::regex(r.pattern_text, std::regex::ECMAScript | std::regex::optimize);
      } catch (const std::regex_error& e) {
        fail(file, v, "bad regular expression '" + r.pattern_text + "': " + e.what());
      }
    } else if (k == "type") {
      r.type_name = v.Scalar();
      static const std::vector<std::string> ok = {"number", "integer", "string", "boolean", "array", "object"};
      if (std::find(ok.begin(), ok.end(), r.type_name) == ok.end())
        fail(file, v, "unknown type '" + r.type_name + "'" + hint(r.type_name, ok));
    } else if (k == "op") {
      r.op = v.Scalar();
      if (r.op != "<" && r.op != "<=" && r.op != ">" && r.op != ">=" && r.op != "==" && r.op != "!=")
        fail(file, v, "unknown comparison '" + r.op + "' (<, <=, >, >=, ==, !=)");
    } else if (k == "tolerance") r.tolerance = bound(file, v, year);
    else if (k == "severity") {
      if (v.Scalar() == "error") r.severity = Severity::error;
      else if (v.Scalar() == "warning") r.severity = Severity::warning;
      else fail(file, v, "severity must be error or warning");
    } else if (k == "message") r.message = v.Scalar();
    else if (k == "when") r.when = conditions(file, v);
    else if (k == "unless") r.unless = conditions(file, v);
    else fail(file, kv.first, "unknown key '" + k + "' in a rule" + hint(k, keys));
  }
  auto need = [&](bool ok, const std::string& what) {
    if (!ok) fail(file, n, "rule '" + type + "' needs " + what);
  };
  switch (r.type) {
    case RuleType::required: r.category = Category::presence; need(!r.field.empty(), "`field`"); break;
    case RuleType::any_of: r.category = Category::presence; need(r.fields.size() >= 2, "`fields` (two or more)"); break;
    case RuleType::range: r.category = Category::validity; need(!r.field.empty() && (r.min || r.max), "`field` and `min` and/or `max`"); break;
    case RuleType::one_of: r.category = Category::validity; need(!r.field.empty() && !r.values.empty(), "`field` and `values`"); break;
    case RuleType::pattern: r.category = Category::validity; need(!r.field.empty() && !r.pattern_text.empty(), "`field` and `pattern`"); break;
    case RuleType::type: r.category = Category::validity; need(!r.field.empty() && !r.type_name.empty(), "`field` and `type`"); break;
    case RuleType::ratio: r.category = Category::consistency; need(!r.field.empty() && !r.other.empty() && (r.min || r.max), "`field`, `per` and `min` and/or `max`"); break;
    case RuleType::compare: r.category = Category::consistency; need(!r.field.empty() && !r.other.empty() && !r.op.empty(), "`field`, `op` and `other`"); break;
    case RuleType::no_override: r.category = Category::consistency; need(!r.field.empty() && !r.other.empty(), "`field` (the LLM's) and `source` (the source's)"); break;
  }
  return r;
}

bool matches_all(const json::object& rec, const std::vector<Condition>& conds) {
  for (const auto& c : conds) {
    const json::value* v = value_at(rec, c.field);
    if (!v || v->is_null()) {
      if (c.absent) continue;
      return false;
    }
    if (c.absent) return false;
    std::string t = text_of(*v);
    if (std::find(c.values.begin(), c.values.end(), t) == c.values.end()) return false;
  }
  return true;
}

bool matches(const json::object& rec, const Conditions& any) {
  return std::any_of(any.begin(), any.end(), [&](const auto& all) { return matches_all(rec, all); });
}

struct Check {
  bool evaluated = false, passed = true;
  std::string message;
  json::value value;
};

Check run(const Rule& r, const json::object& rec) {
  Check c;
  const json::value* v = r.field.empty() ? nullptr : value_at(rec, r.field);
  if (v) c.value = *v;
  auto label = [&](const json::value& val) { return text_of(val); };
  switch (r.type) {
    case RuleType::required:
      c.evaluated = true;
      c.passed = present(v);
      if (!c.passed) c.message = r.field + " is missing";
      break;
    case RuleType::any_of: {
      c.evaluated = true;
      c.passed = false;
      std::string names;
      for (const auto& f : r.fields) {
        if (present(value_at(rec, f))) c.passed = true;
        names += (names.empty() ? "" : ", ") + f;
      }
      if (!c.passed) c.message = "none of " + names + " is present";
      break;
    }
    case RuleType::range: {
      if (!present(v)) break;
      c.evaluated = true;
      auto d = as_number(v);
      if (!d) {
        c.passed = false;
        c.message = r.field + " '" + label(*v) + "' is not a number";
      } else if (r.min && *d < *r.min) {
        c.passed = false;
        c.message = r.field + " " + num_text(*d) + " is below the minimum " + num_text(*r.min);
      } else if (r.max && *d > *r.max) {
        c.passed = false;
        c.message = r.field + " " + num_text(*d) + " is above the maximum " + num_text(*r.max);
      }
      break;
    }
    case RuleType::one_of: {
      if (!present(v)) break;
      c.evaluated = true;
      std::string t = text_of(*v);
      c.passed = std::any_of(r.values.begin(), r.values.end(), [&](const std::string& ok) {
        return r.ignore_case ? lower(ok) == lower(t) : ok == t;
      });
      if (!c.passed) {
        std::string list;
        for (const auto& ok : r.values) list += (list.empty() ? "" : ", ") + ok;
        c.message = r.field + " '" + t + "' is not one of " + list;
      }
      break;
    }
    case RuleType::pattern: {
      if (!present(v)) break;
      c.evaluated = true;
      std::string t = text_of(*v);
      c.passed = std::regex_search(t, r.pattern);
      if (!c.passed) c.message = r.field + " '" + t + "' does not match " + r.pattern_text;
      break;
    }
    case RuleType::type: {
      if (!v || v->is_null()) break;
      c.evaluated = true;
      const std::string& t = r.type_name;
      c.passed = (t == "number" && v->is_number()) ||
                 (t == "integer" && (v->is_int64() || v->is_uint64() ||
                                     (v->is_double() && v->get_double() == std::floor(v->get_double())))) ||
                 (t == "string" && v->is_string()) || (t == "boolean" && v->is_bool()) ||
                 (t == "array" && v->is_array()) || (t == "object" && v->is_object());
      if (!c.passed) c.message = r.field + " " + to_json_text(*v) + " is not a " + t;
      break;
    }
    case RuleType::ratio: {
      auto a = as_number(v), b = as_number(value_at(rec, r.other));
      if (!a || !b || *b == 0) break;
      c.evaluated = true;
      double q = *a / *b;
      std::string what = r.field + " / " + r.other + " = " + num_text(*a) + " / " + num_text(*b) + " = " + num_text(std::round(q * 100) / 100);
      if (r.min && q < *r.min) {
        c.passed = false;
        c.message = what + ", below " + num_text(*r.min);
      } else if (r.max && q > *r.max) {
        c.passed = false;
        c.message = what + ", above " + num_text(*r.max);
      }
      break;
    }
    case RuleType::compare: {
      auto a = as_number(v), b = as_number(value_at(rec, r.other));
      if (!a || !b) break;
      c.evaluated = true;
      const std::string& op = r.op;
      c.passed = op == "<" ? *a < *b : op == "<=" ? *a <= *b : op == ">" ? *a > *b : op == ">=" ? *a >= *b
               : op == "==" ? *a == *b : *a != *b;
      if (!c.passed)
        c.message = r.field + " " + num_text(*a) + " is not " + op + " " + r.other + " " + num_text(*b);
      break;
    }
    case RuleType::no_override: {
      const json::value* src = value_at(rec, r.other);
      if (!present(v) || !present(src)) break;  // the LLM may fill a gap, never change a value
      c.evaluated = true;
      auto a = as_number(v), b = as_number(src);
      if (a && b) c.passed = std::fabs(*a - *b) <= r.tolerance * std::fabs(*b);
      else c.passed = lower(text_of(*v)) == lower(text_of(*src));
      if (!c.passed)
        c.message = r.field + " " + text_of(*v) + " differs from the source's " + r.other + " " + text_of(*src) +
                    "; LLM output may not override source values";
      break;
    }
  }
  if (!c.passed && !r.message.empty()) c.message = r.message + " (" + c.message + ")";
  return c;
}

}  // namespace

json::object Failure::to_json() const {
  return {{"field", field}, {"rule", rule}, {"value", value}, {"message", message},
          {"severity", severity == Severity::error ? "error" : "warning"}};
}

RuleSet parse_rules(const std::string& text, const std::string& file, int year) {
  if (year == 0) year = current_year();
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw RulesError(file + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  if (!root.IsMap()) throw RulesError(file + ": a rules file must be a YAML map");
  RuleSet rs;
  rs.file = file;
  static const std::vector<std::string> top = {"kind_field", "score_weights", "completeness", "rules", "description"};
  for (const auto& kv : root) {
    const std::string k = kv.first.Scalar();
    const YAML::Node& v = kv.second;
    if (k == "kind_field") rs.kind_field = v.Scalar();
    else if (k == "description") continue;
    else if (k == "score_weights") {
      for (const auto& w : v) {
        std::string name = w.first.Scalar();
        double d = bound(file, w.second, year);
        if (name == "completeness") rs.w_completeness = d;
        else if (name == "validity") rs.w_validity = d;
        else if (name == "consistency") rs.w_consistency = d;
        else fail(file, w.first, "unknown weight '" + name + "' (completeness, validity, consistency)");
      }
      double sum = rs.w_completeness + rs.w_validity + rs.w_consistency;
      if (std::fabs(sum - 1.0) > 1e-6) fail(file, v, "score weights must add up to 1 (they add up to " + num_text(sum) + ")");
    } else if (k == "completeness") {
      if (!v.IsMap()) fail(file, v, "`completeness` must map a kind (or default) to a list of fields");
      for (const auto& e : v) {
        auto& list = rs.completeness[e.first.Scalar()];
        for (const auto& f : e.second) list.push_back(f.Scalar());
      }
    } else if (k == "rules") {
      if (!v.IsSequence()) fail(file, v, "`rules` must be a list");
      for (const auto& r : v) rs.rules.push_back(parse_rule(file, r, year));
    } else {
      fail(file, kv.first, "unknown key '" + k + "'" + hint(k, top));
    }
  }
  return rs;
}

RuleSet load_rules_file(const std::string& path, int year) {
  std::ifstream in(path);
  if (!in) throw RulesError(path + ": cannot open rules file");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_rules(ss.str(), path, year);
}

Outcome evaluate(const RuleSet& rs, const json::object& rec) {
  Outcome o;
  int validity_n = 0, validity_ok = 0, consistency_n = 0, consistency_ok = 0;
  for (const auto& r : rs.rules) {
    if (!r.when.empty() && !matches(rec, r.when)) continue;
    if (!r.unless.empty() && matches(rec, r.unless)) continue;
    Check c = run(r, rec);
    if (!c.evaluated) continue;
    if (r.category == Category::validity) {
      ++validity_n;
      validity_ok += c.passed;
    } else if (r.category == Category::consistency) {
      ++consistency_n;
      consistency_ok += c.passed;
    }
    if (c.passed) continue;
    std::string field = r.field;
    if (r.type == RuleType::any_of) {
      field.clear();
      for (const auto& x : r.fields) field += (field.empty() ? "" : "|") + x;
    }
    Failure f{field, r.id, c.message, std::move(c.value), r.severity};
    (r.severity == Severity::error ? o.errors : o.warnings).push_back(std::move(f));
  }
  // Completeness over the kind's expected fields (or `default`).
  const std::vector<std::string>* expected = nullptr;
  if (const json::value* kind = value_at(rec, rs.kind_field); kind && kind->is_string()) {
    auto it = rs.completeness.find(std::string(kind->get_string()));
    if (it != rs.completeness.end()) expected = &it->second;
  }
  if (!expected) {
    auto it = rs.completeness.find("default");
    if (it != rs.completeness.end()) expected = &it->second;
  }
  if (expected && !expected->empty()) {
    int have = 0;
    for (const auto& f : *expected) {
      if (present(value_at(rec, f))) ++have;
      else o.missing.push_back(f);
    }
    o.completeness = static_cast<double>(have) / static_cast<double>(expected->size());
  }
  o.validity = validity_n ? static_cast<double>(validity_ok) / validity_n : 1.0;
  o.consistency = consistency_n ? static_cast<double>(consistency_ok) / consistency_n : 1.0;
  double s = rs.w_completeness * o.completeness + rs.w_validity * o.validity + rs.w_consistency * o.consistency;
  o.score = std::round(s * 1000) / 1000;
  return o;
}

}  // namespace flowrun::validator
