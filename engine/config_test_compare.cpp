// Comparing captured records with expectations (engine/config_test_compare.hpp).
#include "engine/config_test_compare.hpp"

#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <sstream>

#include "engine/json_text.hpp"

namespace flowrun::config_test {

std::string show(const json::value& v) {
  std::string s = to_json_text(v);
  if (s.size() > 160) s = s.substr(0, 157) + "...";
  return s;
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

namespace {

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

}  // namespace

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

}  // namespace flowrun::config_test
