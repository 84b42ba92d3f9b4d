#include "nodes/llm/json_schema.hpp"
#include "engine/json_text.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <fmt/format.h>

namespace flowrun::llm {
namespace json = boost::json;

namespace {

std::string kind_of(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "boolean";
    case json::kind::int64:
    case json::kind::uint64: return "integer";
    case json::kind::double_: return "number";
    case json::kind::string: return "string";
    case json::kind::array: return "array";
    case json::kind::object: return "object";
  }
  return "unknown";
}

bool is_number(const json::value& v) { return v.is_int64() || v.is_uint64() || v.is_double(); }

double as_double(const json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  return v.get_double();
}

bool matches_type(const json::value& v, const std::string& t) {
  if (t == "number") return is_number(v);
  if (t == "integer")
    return v.is_int64() || v.is_uint64() ||
           (v.is_double() && std::isfinite(v.get_double()) && std::floor(v.get_double()) == v.get_double());
  return kind_of(v) == t;
}

std::string short_json(const json::value& v) {
  std::string s = to_json_text(v);
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

struct Checker {
  std::vector<SchemaViolation>& out;
  std::size_t max_errors;

  bool full() const { return out.size() >= max_errors; }
  void fail(const std::string& path, const char* rule, std::string msg) {
    if (!full()) out.push_back({path, rule, std::move(msg)});
  }

  void check(const json::value& v, const json::value& schema_v, const std::string& path) {
    if (full() || !schema_v.is_object()) return;  // `true`/{} schemas accept anything
    const auto& s = schema_v.get_object();

    if (auto* t = s.if_contains("type")) {
      std::vector<std::string> types;
      if (t->is_string()) types.emplace_back(t->get_string());
      if (t->is_array())
        for (auto& x : t->get_array())
          if (x.is_string()) types.emplace_back(x.get_string());
      bool ok = types.empty();
      for (auto& ty : types) ok = ok || matches_type(v, ty);
      if (!ok) {
        std::string want;
        for (auto& ty : types) want += (want.empty() ? "" : "|") + ty;
        fail(path, "type", fmt::format("expected {}, got {} {}", want, kind_of(v), short_json(v)));
        return;  // the other keywords make no sense on the wrong type
      }
    }
    if (auto* e = s.if_contains("enum"); e && e->is_array()) {
      bool found = false;
      for (auto& x : e->get_array()) found = found || x == v ||
                                            (is_number(x) && is_number(v) && as_double(x) == as_double(v));
      if (!found) fail(path, "enum", fmt::format("{} is not one of {}", short_json(v), to_json_text(*e)));
    }
    if (is_number(v)) {
      double d = as_double(v);
      if (auto* m = s.if_contains("minimum"); m && is_number(*m) && d < as_double(*m))
        fail(path, "minimum", fmt::format("{} is below the minimum {}", short_json(v), short_json(*m)));
      if (auto* m = s.if_contains("maximum"); m && is_number(*m) && d > as_double(*m))
        fail(path, "maximum", fmt::format("{} is above the maximum {}", short_json(v), short_json(*m)));
    }
    if (v.is_string()) {
      // JSON Schema lengths count characters (code points), as a server's grammar does, not UTF-8
      // bytes: 600 Cyrillic letters are 1200 bytes and still within maxLength 600.
      std::int64_t n = 0;
      for (unsigned char c : v.get_string()) n += (c & 0xC0) != 0x80;
      if (auto* m = s.if_contains("minLength"); m && m->is_int64() && n < m->get_int64())
        fail(path, "minLength", fmt::format("string shorter than {}", m->get_int64()));
      if (auto* m = s.if_contains("maxLength"); m && m->is_int64() && n > m->get_int64())
        fail(path, "maxLength", fmt::format("string longer than {}", m->get_int64()));
    }
    if (v.is_array()) {
      const auto& a = v.get_array();
      auto n = static_cast<std::int64_t>(a.size());
      if (auto* m = s.if_contains("minItems"); m && m->is_int64() && n < m->get_int64())
        fail(path, "minItems", fmt::format("{} items, at least {} required", n, m->get_int64()));
      if (auto* m = s.if_contains("maxItems"); m && m->is_int64() && n > m->get_int64())
        fail(path, "maxItems", fmt::format("{} items, at most {} allowed", n, m->get_int64()));
      if (auto* items = s.if_contains("items"))
        for (std::size_t i = 0; i < a.size(); ++i) check(a[i], *items, fmt::format("{}[{}]", path, i));
    }
    if (v.is_object()) {
      const auto& o = v.get_object();
      if (auto* r = s.if_contains("required"); r && r->is_array())
        for (auto& k : r->get_array())
          if (k.is_string() && !o.contains(k.get_string()))
            fail(path, "required", fmt::format("missing required property \"{}\"", std::string(k.get_string())));
      const json::object* props = nullptr;
      if (auto* p = s.if_contains("properties"); p && p->is_object()) props = &p->get_object();
      for (auto& [k, sub] : o) {
        const std::string child = path + "." + std::string(k);
        if (props && props->contains(k)) {
          check(sub, props->at(k), child);
        } else if (auto* ap = s.if_contains("additionalProperties")) {
          if (ap->is_bool() && !ap->get_bool()) fail(child, "additionalProperties", "property not allowed");
          else if (ap->is_object()) check(sub, *ap, child);
        }
      }
    }
  }
};

// Walks a schema for worst_case_reply(); the first unbounded place wins.
struct Bounder {
  ReplyBound b;

  void unbounded(const std::string& path, const std::string& why) {
    if (b.unbounded.empty()) b.unbounded = path + ": " + why;
  }
  static std::int64_t text_length(const json::value& v) { return static_cast<std::int64_t>(to_json_text(v).size()); }
  static std::optional<std::int64_t> int_of(const json::object& s, const char* key) {
    auto* v = s.if_contains(key);
    if (v && v->is_int64() && v->get_int64() >= 0) return v->get_int64();
    return std::nullopt;
  }

  // Characters of the longest value; gaps are added to b as they are met.
  std::int64_t value(const json::value& schema_v, const std::string& path) {
    if (!schema_v.is_object()) {
      unbounded(path, "any value is allowed");
      return 0;
    }
    const auto& s = schema_v.get_object();
    if (auto* c = s.if_contains("const")) return text_length(*c);
    if (auto* e = s.if_contains("enum"); e && e->is_array() && !e->get_array().empty()) {
      std::int64_t most = 0;
      for (auto& x : e->get_array()) most = std::max(most, text_length(x));
      return most;
    }
    std::vector<std::string> types;
    if (auto* t = s.if_contains("type"); t && t->is_string()) types.emplace_back(t->get_string());
    if (auto* t = s.if_contains("type"); t && t->is_array())
      for (auto& x : t->get_array())
        if (x.is_string()) types.emplace_back(x.get_string());
    if (types.empty()) {
      unbounded(path, "no type or enum");
      return 0;
    }
    std::int64_t most = 0;
    for (auto& t : types) most = std::max(most, of_type(s, t, path));
    return most;
  }

  std::int64_t of_type(const json::object& s, const std::string& type, const std::string& path) {
    if (type == "null") return 4;
    if (type == "boolean") return 5;
    if (type == "number") return 52;
    if (type == "integer") {
      auto* lo = s.if_contains("minimum");
      auto* hi = s.if_contains("maximum");
      if (lo && hi && is_number(*lo) && is_number(*hi))
        return std::max(text_length(json::value(std::llround(std::ceil(as_double(*lo))))),
                        text_length(json::value(std::llround(std::floor(as_double(*hi))))));
      return 17;
    }
    if (type == "string") {
      if (auto n = int_of(s, "maxLength")) return 2 + *n;
      unbounded(path, "a string without maxLength or enum");
      return 0;
    }
    if (type == "array") return array(s, path);
    if (type == "object") return object(s, path);
    unbounded(path, "unknown type \"" + type + "\"");
    return 0;
  }

  std::int64_t array(const json::object& s, const std::string& path) {
    auto n = int_of(s, "maxItems");
    if (!n) {
      unbounded(path, "an array without maxItems");
      return 0;
    }
    b.gaps += 2 + std::max<std::int64_t>(0, *n - 1);
    if (*n == 0) return 2;
    const json::value* items = s.if_contains("items");
    const std::int64_t item = items ? value(*items, path + "[]") : (unbounded(path + "[]", "no items schema"), 0);
    return 2 + *n * item + (*n - 1);
  }

  std::int64_t object(const json::object& s, const std::string& path) {
    auto* extra = s.if_contains("additionalProperties");
    if (!extra || !extra->is_bool() || extra->get_bool()) {
      unbounded(path, "additionalProperties is not false, so any number of other properties may follow");
      return 0;
    }
    std::int64_t chars = 2, n = 0;
    if (auto* p = s.if_contains("properties"); p && p->is_object())
      for (auto& [k, sub] : p->get_object()) {
        chars += text_length(json::value(k)) + 1 + value(sub, path + "." + std::string(k));
        ++n;
      }
    chars += std::max<std::int64_t>(0, n - 1);  // commas
    b.gaps += 2 + 2 * n + std::max<std::int64_t>(0, n - 1);
    return chars;
  }
};

// splitmix64: cheap, well-mixed, deterministic.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

std::vector<SchemaViolation> check_schema(const json::value& value, const json::value& schema,
                                          std::size_t max_errors) {
  std::vector<SchemaViolation> out;
  Checker{out, max_errors}.check(value, schema, "$");
  return out;
}

ReplyBound worst_case_reply(const json::value& schema) {
  Bounder w;
  w.b.chars = w.value(schema, "$");
  return w.b;
}

std::int64_t worst_case_tokens(const ReplyBound& b) { return (b.chars + kCharsPerToken - 1) / kCharsPerToken + b.gaps; }

json::value example_for_schema(const json::value& schema_v, std::uint64_t seed) {
  if (!schema_v.is_object()) return nullptr;
  const auto& s = schema_v.get_object();
  if (auto* e = s.if_contains("enum"); e && e->is_array() && !e->get_array().empty()) {
    const auto& a = e->get_array();
    return a[mix(seed) % a.size()];
  }
  std::string type = "object";
  if (auto* t = s.if_contains("type")) {
    if (t->is_string()) type = std::string(t->get_string());
    else if (t->is_array() && !t->get_array().empty() && t->get_array()[0].is_string())
      type = std::string(t->get_array()[0].get_string());
  } else if (!s.contains("properties")) {
    return nullptr;
  }
  auto num_in = [&](double lo, double hi) {
    return lo + static_cast<double>(mix(seed) % 10000) / 10000.0 * (hi - lo);
  };
  double lo = 0, hi = 1000;
  if (auto* m = s.if_contains("minimum"); m && is_number(*m)) lo = as_double(*m);
  if (auto* m = s.if_contains("maximum"); m && is_number(*m)) hi = as_double(*m);
  if (hi < lo) hi = lo;
  if (type == "string") {
    static const char* words[] = {"sunny", "updated", "spacious", "quiet", "corner", "modern",
                                  "shaded", "bright", "renovated", "central"};
    std::string out;
    std::uint64_t x = seed;
    for (int i = 0; i < 3; ++i) {
      x = mix(x);
      out += (i ? " " : "") + std::string(words[x % 10]);
    }
    return json::value(out);
  }
  if (type == "integer") return json::value(static_cast<std::int64_t>(std::llround(num_in(std::ceil(lo), std::floor(hi)))));
  if (type == "number") return json::value(std::round(num_in(lo, hi) * 100) / 100);
  if (type == "boolean") return json::value((mix(seed) & 1) != 0);
  if (type == "null") return nullptr;
  if (type == "array") {
    json::array a;
    std::int64_t n = 2;
    if (auto* m = s.if_contains("minItems"); m && m->is_int64()) n = std::max<std::int64_t>(n, m->get_int64());
    if (auto* m = s.if_contains("maxItems"); m && m->is_int64()) n = std::min<std::int64_t>(n, m->get_int64());
    const json::value* items = s.if_contains("items");
    for (std::int64_t i = 0; i < n; ++i)
      a.push_back(items ? example_for_schema(*items, mix(seed + static_cast<std::uint64_t>(i) + 1)) : json::value("x"));
    return a;
  }
  json::object o;
  if (auto* p = s.if_contains("properties"); p && p->is_object()) {
    std::uint64_t i = 0;
    for (auto& [k, sub] : p->get_object()) o[k] = example_for_schema(sub, mix(seed ^ (++i * 0x51ed27ULL)));
  }
  return o;
}

}  // namespace flowrun::llm
