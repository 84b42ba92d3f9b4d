#include "nodes/normalizer/mapping.hpp"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "engine/diagnostics.hpp"
#include "engine/yaml_util.hpp"
#include "nodes/normalizer/address.hpp"
#include "nodes/normalizer/text.hpp"

namespace flowrun::normalizer {
namespace {

[[noreturn]] void fail(const std::string& file, const YAML::Node& n, const std::string& msg) {
  throw MappingError(where_prefix(file, n) + msg);
}

std::string hint(const std::string& word, const std::vector<std::string>& names) { return did_you_mean(word, names); }

// Integral doubles print without a fraction so codes and ids read "1978", not "1978.0".
std::string number_text(double d) {
  char buf[64];
  if (d == std::floor(d) && std::fabs(d) < 9e15) std::snprintf(buf, sizeof buf, "%.0f", d);
  else std::snprintf(buf, sizeof buf, "%.10g", d);
  return buf;
}

json::value number_value(double d) {
  if (d == std::floor(d) && std::fabs(d) < 9e15) return json::value(static_cast<std::int64_t>(d));
  return json::value(d);
}

// The text of a scalar; null, [] and {} mean "no data".
std::optional<std::string> scalar_text(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string: return std::string(v.get_string());
    case json::kind::int64: return std::to_string(v.get_int64());
    case json::kind::uint64: return std::to_string(v.get_uint64());
    case json::kind::double_: return number_text(v.get_double());
    case json::kind::bool_: return v.get_bool() ? "true" : "false";
    default: return std::nullopt;
  }
}

std::optional<double> scalar_number(const json::value& v) {
  switch (v.kind()) {
    case json::kind::int64: return static_cast<double>(v.get_int64());
    case json::kind::uint64: return static_cast<double>(v.get_uint64());
    case json::kind::double_: return v.get_double();
    default: return std::nullopt;
  }
}

double area_factor(AreaUnit u) {
  return u == AreaUnit::acres ? 43560.0 : u == AreaUnit::sqm ? 10.7639104 : 1.0;
}

json::value str_or_null(std::string s) { return s.empty() ? json::value(nullptr) : json::value(s); }

template <class T>
Extracted span_of(const std::optional<Span<T>>& v) {
  Extracted out;
  if (!v) return out;
  out.min = number_value(static_cast<double>(v->min));
  out.max = number_value(static_cast<double>(v->max));
  if (v->exact()) out.value = out.min;
  return out;
}

// "For Rent", "FOR_RENT", "lease" -> rent; "For Sale", "sold" -> sale; by whole words, so
// "Current listing" is no rent.
json::value listing_type_of(const std::string& s) {
  std::string word;
  std::optional<std::string> found;
  auto judge = [&] {
    if (word == "rent" || word == "rental" || word == "rentals" || word == "lease" || word == "leasing" || word == "monthly")
      found = found.value_or("rent");
    else if (word == "sale" || word == "sold" || word == "buy" || word == "purchase")
      found = found.value_or("sale");
    word.clear();
  };
  for (char c : to_lower(s)) {
    if (std::isalpha(static_cast<unsigned char>(c))) word.push_back(c);
    else judge();
  }
  judge();
  return found ? json::value(*found) : json::value(nullptr);
}

// Runs one single-value parser over a raw value's text.
json::value apply_text(Parser p, const std::string& s, const FieldSpec& spec, const Mapping& m) {
  switch (p) {
    case Parser::string: return str_or_null(squish(s));
    case Parser::code: {
      std::string t(s);
      while (!t.empty() && (t.back() == ' ' || t.back() == ',')) t.pop_back();
      while (!t.empty() && t.front() == ' ') t.erase(0, 1);
      return str_or_null(t);
    }
    case Parser::upper: return str_or_null(to_upper(squish(s)));
    case Parser::lower: return str_or_null(to_lower(squish(s)));
    case Parser::title: return str_or_null(title_case(squish(s)));
    case Parser::number: {
      auto v = parse_number(s);
      return v ? number_value(*v) : json::value(nullptr);
    }
    case Parser::integer: {
      auto v = parse_int(s);
      return v ? json::value(*v) : json::value(nullptr);
    }
    case Parser::year: {
      auto v = parse_year(s);
      return v ? json::value(static_cast<std::int64_t>(*v)) : json::value(nullptr);
    }
    case Parser::boolean: {
      // A number in a string reads as the number does ("382", a pool's area: true).
      auto v = parse_bool(s);
      if (!v)
        if (auto n = parse_number(s)) v = *n != 0;
      return v ? json::value(*v) : json::value(nullptr);
    }
    case Parser::apn: {
      std::string out;
      for (char c : s)
        if (std::isalnum(static_cast<unsigned char>(c))) out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
      return str_or_null(out);
    }
    case Parser::listing_type: return listing_type_of(s);
    case Parser::money:
    case Parser::beds:
    case Parser::baths:
    case Parser::area: break;  // apply_ranged
    case Parser::type: {
      std::string key = to_upper(squish(s));
      if (key.empty()) return nullptr;
      auto it = m.property_types.find(key);
      if (it != m.property_types.end()) return json::value(it->second);
      return str_or_null(m.property_type_default);
    }
    case Parser::zip: {
      std::string t = squish(s);
      if (t.empty()) return nullptr;
      if (auto z = parse_zip(t)) return json::value(std::string(z->zip5));
      return json::value(t);  // kept as written so the validator can flag it; never "fixed"
    }
    case Parser::state: return str_or_null(normalize_state(s));
    case Parser::city: return str_or_null(normalize_city(s));
    case Parser::unit: return str_or_null(normalize_unit(s));
  }
  return nullptr;
}

// Runs one parser over one raw JSON number (JSON numbers skip text parsing); nullopt for the
// parsers that read a number's digits as text (codes, APNs, strings).
std::optional<json::value> apply_number(Parser p, double d, const FieldSpec& spec) {
  switch (p) {
    case Parser::money: return d >= 0 ? number_value(std::round(d * 100) / 100) : json::value(nullptr);
    case Parser::number:
    case Parser::baths: return number_value(d);
    case Parser::integer:
      return std::fabs(d) < 9e15 ? json::value(static_cast<std::int64_t>(std::llround(d))) : json::value(nullptr);
    case Parser::beds:
      return d == std::floor(d) && d >= 0 && d <= 1e9 ? json::value(static_cast<std::int64_t>(d)) : json::value(nullptr);
    case Parser::area: {
      const double v = d * area_factor(spec.unit);
      return std::isfinite(v) && v >= 0 && v < 9e15 ? json::value(static_cast<std::int64_t>(std::llround(v))) : json::value(nullptr);
    }
    case Parser::year:
      return d == std::floor(d) && d >= 1000 && d <= 2999 ? json::value(static_cast<std::int64_t>(d)) : json::value(nullptr);
    case Parser::boolean: return json::value(d != 0);
    default: return std::nullopt;
  }
}

// The parsers that read ranges; the others give one value or none.
std::optional<Extracted> apply_ranged(Parser p, const std::string& s, const FieldSpec& spec) {
  switch (p) {
    case Parser::money: {
      auto v = parse_money_span(s);
      Extracted out = span_of(v ? std::optional<Span<double>>(*v) : std::nullopt);
      out.monthly = v && v->monthly;
      return out;
    }
    case Parser::beds: return span_of(parse_beds_span(s));
    case Parser::baths: return span_of(parse_baths_span(s));
    case Parser::area: return span_of(parse_area_span(s, spec.unit));
    default: return std::nullopt;
  }
}

// Runs one parser over one raw value. Nothing found when the value holds nothing usable.
Extracted apply(Parser p, const json::value& raw, const FieldSpec& spec, const Mapping& m) {
  Extracted out;
  std::optional<json::value> number;
  if (auto d = scalar_number(raw)) number = apply_number(p, *d, spec);
  if (number) {
    out.value = std::move(*number);
  } else if (auto text = scalar_text(raw)) {
    if (auto r = apply_ranged(p, *text, spec)) return std::move(*r);
    out.value = apply_text(p, *text, spec, m);
  }
  out.exact = true;  // lo() and hi() are the value itself: no two copies of every string per field
  return out;
}

const std::vector<std::pair<const char*, Parser>>& parser_table() {
  static const std::vector<std::pair<const char*, Parser>> t = {
      {"string", Parser::string}, {"code", Parser::code},       {"upper", Parser::upper},
      {"lower", Parser::lower},   {"title", Parser::title},     {"money", Parser::money},
      {"number", Parser::number}, {"int", Parser::integer},     {"integer", Parser::integer},
      {"beds", Parser::beds},     {"baths", Parser::baths},     {"sqft", Parser::area},
      {"lot", Parser::area},      {"area", Parser::area},       {"year", Parser::year},
      {"bool", Parser::boolean},  {"boolean", Parser::boolean}, {"apn", Parser::apn},
      {"type", Parser::type},     {"zip", Parser::zip},         {"state", Parser::state},
      {"city", Parser::city},     {"unit", Parser::unit},       {"listing_type", Parser::listing_type}};
  return t;
}

std::vector<std::string> parser_names() {
  std::vector<std::string> out;
  for (auto& [n, p] : parser_table()) out.push_back(n);
  return out;
}

std::vector<RawPath> paths_of(const std::string& file, const YAML::Node& n) {
  std::vector<RawPath> out;
  auto add = [&](const YAML::Node& item) {
    if (!item.IsScalar()) fail(file, item, "a raw field name must be a string");
    try {
      out.push_back(parse_raw_path(item.Scalar()));
    } catch (const std::invalid_argument& e) {
      fail(file, item, e.what());
    }
  };
  if (n.IsSequence()) {
    for (const auto& item : n) add(item);
  } else {
    add(n);
  }
  if (out.empty()) fail(file, n, "`from` names no raw field");
  return out;
}

// Plain scalars that read as numbers or booleans become those; quoted ones (tag "!") stay text.
json::value yaml_scalar_to_json(const YAML::Node& n) {
  const std::string& s = n.Scalar();
  if (n.Tag() == "!") return json::value(s);
  try {
    std::size_t used = 0;
    double d = std::stod(s, &used);
    if (used == s.size()) return number_value(d);
  } catch (...) {
  }
  if (s == "true" || s == "false") return json::value(s == "true");
  return json::value(s);
}

FieldSpec field_spec(const std::string& file, const std::string& name, const YAML::Node& n,
                     Parser default_parser) {
  FieldSpec f;
  f.name = name;
  f.parser = default_parser;
  if (n.IsScalar() || n.IsSequence()) {
    f.from = paths_of(file, n);
    return f;
  }
  if (!n.IsMap()) fail(file, n, "field '" + name + "' must be a raw field name, a list of them, or a map");
  static const std::vector<std::string> keys = {"from", "parse", "unit", "value"};
  for (const auto& kv : n) {
    std::string k = kv.first.Scalar();
    if (k == "from") {
      f.from = paths_of(file, kv.second);
    } else if (k == "parse") {
      auto p = parser_from_name(kv.second.Scalar());
      if (!p) fail(file, kv.second, "unknown parser '" + kv.second.Scalar() + "'" + hint(kv.second.Scalar(), parser_names()));
      f.parser = *p;
    } else if (k == "unit") {
      std::string u = to_lower(kv.second.Scalar());
      if (u == "sqft") f.unit = AreaUnit::sqft;
      else if (u == "acres" || u == "acre") f.unit = AreaUnit::acres;
      else if (u == "sqm") f.unit = AreaUnit::sqm;
      else fail(file, kv.second, "unknown unit '" + u + "' (sqft, acres or sqm)");
    } else if (k == "value") {
      if (!kv.second.IsScalar()) fail(file, kv.second, "`value` must be a scalar");
      f.constant = yaml_scalar_to_json(kv.second);
      f.constant_from = "=" + scalar_text(*f.constant).value_or("");
    } else {
      fail(file, kv.first, "unknown key '" + k + "' in field '" + name + "'" + hint(k, keys));
    }
  }
  if (f.from.empty() && !f.constant) fail(file, n, "field '" + name + "' needs `from` or `value`");
  return f;
}

}  // namespace

RawPath parse_raw_path(const std::string& text) {
  RawPath p;
  p.text = text;
  std::size_t i = 0;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty()) p.steps.push_back({RawPath::Step::by_key, cur, 0});
    cur.clear();
  };
  while (i < text.size()) {
    char c = text[i];
    if (c == '.') {
      flush();
      ++i;
    } else if (c == '[') {
      flush();
      std::size_t close = text.find(']', i);
      if (close == std::string::npos) throw std::invalid_argument("unclosed '[' in raw path '" + text + "'");
      std::string inside = squish(text.substr(i + 1, close - i - 1));
      if (all_digits(inside)) {
        p.steps.push_back({RawPath::Step::by_index, "", static_cast<std::size_t>(std::stoul(inside))});
      } else if (inside.rfind("newest ", 0) == 0 && inside.size() > 7) {
        p.steps.push_back({RawPath::Step::by_newest, inside.substr(7), 0});
      } else {
        throw std::invalid_argument("raw path '" + text + "': [" + inside +
                                    "] must be an index like [0] or [newest Field]");
      }
      i = close + 1;
    } else {
      cur.push_back(c);
      ++i;
    }
  }
  flush();
  if (p.steps.empty()) throw std::invalid_argument("empty raw path");
  p.dotted = p.steps.size() > 1;
  return p;
}

const json::value* lookup(const json::object& raw, const RawPath& path) {
  if (path.dotted) {
    if (auto it = raw.find(path.text); it != raw.end()) return &it->value();
  }
  const json::value* cur = nullptr;
  const json::object* obj = &raw;
  for (const auto& step : path.steps) {
    if (step.kind == RawPath::Step::by_key) {
      if (!obj) return nullptr;
      auto it = obj->find(step.name);
      if (it == obj->end()) return nullptr;
      cur = &it->value();
    } else {
      if (!cur || !cur->is_array()) return nullptr;
      const auto& arr = cur->get_array();
      if (step.kind == RawPath::Step::by_index) {
        if (step.index >= arr.size()) return nullptr;
        cur = &arr[step.index];
      } else {
        // The element with the largest value of step.name ("the newest tax year").
        const json::value* best = nullptr;
        double best_v = 0;
        for (const auto& el : arr) {
          if (!el.is_object()) continue;
          auto f = el.get_object().find(step.name);
          if (f == el.get_object().end()) continue;
          std::optional<double> v = scalar_number(f->value());
          if (!v && f->value().is_string()) v = parse_number(f->value().get_string());
          if (v && (!best || *v > best_v)) {
            best = &el;
            best_v = *v;
          }
        }
        if (!best) return nullptr;
        cur = best;
      }
    }
    obj = cur->is_object() ? &cur->get_object() : nullptr;
  }
  return cur;
}

std::optional<Parser> parser_from_name(const std::string& name) {
  for (auto& [n, p] : parser_table())
    if (name == n) return p;
  return std::nullopt;
}

const char* parser_name(Parser p) {
  for (auto& [n, q] : parser_table())
    if (p == q) return n;
  return "?";
}

const std::vector<std::pair<std::string, Parser>>& canonical_fields() {
  static const std::vector<std::pair<std::string, Parser>> f = {
      {"apn", Parser::apn},           {"mls_id", Parser::code},
      {"listing_source", Parser::upper}, {"property_type", Parser::type},
      {"price", Parser::money},       {"assessed_value", Parser::money},
      {"full_cash_value", Parser::money}, {"tax_year", Parser::year},
      {"beds", Parser::beds},         {"baths", Parser::baths},
      {"bath_fixtures", Parser::integer}, {"sqft", Parser::area},
      {"lot_sqft", Parser::area},     {"year_built", Parser::year},
      {"collected_at", Parser::string}, {"listing_type", Parser::listing_type},
      {"rent", Parser::money},
      {"price_min", Parser::money},   {"price_max", Parser::money},
      {"rent_min", Parser::money},    {"rent_max", Parser::money},
      {"beds_min", Parser::beds},     {"beds_max", Parser::beds},
      {"baths_min", Parser::baths},   {"baths_max", Parser::baths},
      {"sqft_min", Parser::area},     {"sqft_max", Parser::area}};
  return f;
}

const std::vector<std::string>& ranged_fields() {
  static const std::vector<std::string> f = {"price", "rent", "beds", "baths", "sqft"};
  return f;
}

const std::vector<std::string>& property_type_values() {
  static const std::vector<std::string> v = {"single_family", "townhouse",   "condo",
                                             "multi_family",  "manufactured", "vacant_land",
                                             "commercial",    "other"};
  return v;
}

bool Mapping::detects(const json::object& raw) const {
  if (detect_has.empty()) return false;
  for (const auto& k : detect_has)
    if (!raw.contains(k)) return false;
  return true;
}

Extracted extract(const json::object& raw, const FieldSpec& spec, const Mapping& m) {
  for (const auto& path : spec.from) {
    const json::value* v = lookup(raw, path);
    if (!v) continue;
    Extracted out = apply(spec.parser, *v, spec, m);
    if (!out.found()) continue;
    out.from = path.text;
    return out;
  }
  if (spec.constant) {
    Extracted out = apply(spec.parser, *spec.constant, spec, m);
    if (out.found()) {
      out.from = spec.constant_from;
      return out;
    }
  }
  return {};
}

Mapping parse_mapping(const std::string& yaml_text, const std::string& file) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::ParserException& e) {
    throw MappingError(file + ":" + std::to_string(e.mark.line + 1) + ":" +
                       std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  if (!root.IsMap()) throw MappingError(file + ": a mapping file must be a YAML map");
  Mapping m;
  m.file = file;
  m.id_rules = {"apn", "mls", "address"};
  m.property_type_default = "other";
  static const std::vector<std::string> top = {"kind",     "description",   "detect",
                                               "id",       "source_id",     "address",
                                               "fields",   "attributes",    "property_types",
                                               "property_type_default"};
  std::vector<std::string> canon_names;
  for (auto& [n, p] : canonical_fields()) canon_names.push_back(n);

  for (const auto& kv : root) {
    const std::string k = kv.first.Scalar();
    const YAML::Node& v = kv.second;
    if (k == "kind") {
      m.kind = v.Scalar();
    } else if (k == "description") {
      m.description = v.Scalar();
    } else if (k == "detect") {
      if (!v.IsMap() || !v["has"]) fail(file, v, "`detect` must be a map with `has: [raw keys]`");
      for (const auto& item : v["has"]) m.detect_has.push_back(item.Scalar());
      if (v["has"].IsScalar()) m.detect_has.push_back(v["has"].Scalar());
    } else if (k == "id") {
      m.id_rules.clear();
      for (const auto& item : v) {
        std::string r = item.Scalar();
        if (r != "apn" && r != "mls" && r != "address")
          fail(file, item, "unknown id rule '" + r + "' (apn, mls or address)");
        m.id_rules.push_back(r);
      }
      if (m.id_rules.empty() || m.id_rules.back() != "address")
        m.id_rules.push_back("address");  // every record has an address, so every record gets an id
    } else if (k == "source_id") {
      m.source_id = field_spec(file, "source_id", v, Parser::code);
    } else if (k == "address") {
      if (!v.IsMap()) fail(file, v, "`address` must be a map (line, unit, city, state, zip)");
      for (const auto& a : v) {
        std::string part = a.first.Scalar();
        if (part == "line") m.line = field_spec(file, "address.line", a.second, Parser::string);
        else if (part == "unit") m.unit = field_spec(file, "address.unit", a.second, Parser::unit);
        else if (part == "city") m.city = field_spec(file, "address.city", a.second, Parser::city);
        else if (part == "state") m.state = field_spec(file, "address.state", a.second, Parser::state);
        else if (part == "zip") m.zip = field_spec(file, "address.zip", a.second, Parser::zip);
        else fail(file, a.first, "unknown address part '" + part + "'" + hint(part, {"line", "unit", "city", "state", "zip"}));
      }
      if (!m.line) fail(file, v, "`address` needs `line` (the raw street line)");
    } else if (k == "fields") {
      if (!v.IsMap()) fail(file, v, "`fields` must be a map of canonical field -> raw field");
      for (const auto& f : v) {
        std::string name = f.first.Scalar();
        const Parser* def = nullptr;
        for (auto& [n, p] : canonical_fields())
          if (n == name) def = &p;
        if (!def) fail(file, f.first, "unknown canonical field '" + name + "'" + hint(name, canon_names) +
                                          "; put source-specific fields under `attributes`");
        m.fields.push_back(field_spec(file, name, f.second, *def));
      }
    } else if (k == "attributes") {
      if (!v.IsMap()) fail(file, v, "`attributes` must be a map of name -> raw field");
      for (const auto& f : v) m.attributes.push_back(field_spec(file, f.first.Scalar(), f.second, Parser::string));
    } else if (k == "property_types") {
      if (!v.IsMap()) fail(file, v, "`property_types` must be a map of raw value -> canonical type");
      for (const auto& t : v) {
        std::string canon = t.second.Scalar();
        const auto& vocab = property_type_values();
        if (std::find(vocab.begin(), vocab.end(), canon) == vocab.end())
          fail(file, t.second, "unknown property type '" + canon + "'" + hint(canon, vocab));
        m.property_types[to_upper(squish(t.first.Scalar()))] = canon;
      }
    } else if (k == "property_type_default") {
      m.property_type_default = v.IsNull() ? "" : v.Scalar();
      const auto& vocab = property_type_values();
      if (!m.property_type_default.empty() &&
          std::find(vocab.begin(), vocab.end(), m.property_type_default) == vocab.end())
        fail(file, v, "unknown property type '" + m.property_type_default + "'");
    } else {
      fail(file, kv.first, "unknown key '" + k + "'" + hint(k, top));
    }
  }
  if (m.kind.empty()) throw MappingError(file + ": a mapping needs `kind:` (e.g. maricopa)");
  if (!m.line) throw MappingError(file + ": a mapping needs `address: {line: <raw field>}`");
  return m;
}

Mapping load_mapping_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw MappingError(path + ": cannot open mapping file");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_mapping(ss.str(), path);
}

}  // namespace flowrun::normalizer
