// The readers behind every option table: shape, range, choices and kind, each problem reported at
// the value's file:line:column with the node and option named.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "engine/data_files.hpp"
#include "engine/json_text.hpp"
#include "engine/option_table.hpp"
#include "engine/yaml_util.hpp"

namespace flowrun {

namespace fs = std::filesystem;

void Check::error(const std::string& option, const std::string& message) {
  diags_.error(where(option), "node '" + node_.id + "': option '" + option + "': " + message);
}

void Check::warning(const std::string& option, const std::string& message) {
  diags_.warning(where(option), "node '" + node_.id + "': option '" + option + "': " + message);
}

void Check::error_at_item(const std::string& option, std::size_t index, const std::string& message) {
  auto it = sites_.items.find(option);
  const Location at = it != sites_.items.end() && index < it->second.size() ? it->second[index] : where(option);
  diags_.error(at, "node '" + node_.id + "': option '" + option + "': " + message);
}

Location Check::where(const std::string& option) const {
  auto it = sites_.where.find(option);
  return it == sites_.where.end() ? node_.where : it->second;
}

namespace option_detail {

namespace {

// "node 'x': option 'y'", or "'y'" for a top-level key.
std::string what(const OptionSpec& s, const BindContext& c) {
  return c.node.id.empty() ? "'" + s.name + "'" : "node '" + c.node.id + "': option '" + s.name + "'";
}

bool bad(const YAML::Node& v, const OptionSpec& s, BindContext& c, const std::string& expected) {
  const std::string got = v.IsScalar() ? "'" + v.Scalar() + "'" : std::string(kind_name(v));
  c.diags.error(location_of(c.file, v), what(s, c) + " must be " + expected + ", got " + got);
  return false;
}

std::string join(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& i : items) s += (s.empty() ? "" : ", ") + i;
  return s;
}

bool in_range(double x, const YAML::Node& v, const OptionSpec& s, BindContext& c, const std::string& shown) {
  if ((s.min && x < *s.min) || (s.max && x > *s.max)) {
    std::string range = s.min && s.max ? "from " + format_number(*s.min) + " to " + format_number(*s.max)
                        : s.min      ? "at least " + format_number(*s.min)
                                     : "at most " + format_number(*s.max);
    c.diags.error(location_of(c.file, v), what(s, c) + " must be " + range + ", got " + shown);
    return false;
  }
  return true;
}

bool one_of(const std::string& x, const YAML::Node& v, const OptionSpec& s, BindContext& c) {
  if (s.choices.empty() || std::find(s.choices.begin(), s.choices.end(), x) != s.choices.end()) return true;
  c.diags.error(location_of(c.file, v), what(s, c) + " must be one of " + join(s.choices) + ", got '" + x + "'" +
                                            did_you_mean(x, s.choices));
  return false;
}

bool resource_named(const std::string& name, const YAML::Node& v, const OptionSpec& s, BindContext& c) {
  const char* section = s.type == OptionType::rate_limit ? "rate_limits" : s.type == OptionType::breaker ? "breakers" : "budgets";
  const YAML::Node& r = c.resources;
  if (r.IsMap() && r[section] && r[section].IsMap() && r[section][name]) return true;
  std::vector<std::string> names;
  if (r.IsMap() && r[section] && r[section].IsMap())
    for (const auto& kv : r[section]) names.push_back(kv.first.Scalar());
  c.diags.error(location_of(c.file, v), what(s, c) + " names undefined resource '" + name + "' (not in resources." + section +
                                            ")" + did_you_mean(name, names));
  return false;
}

// A path or data-file value made absolute (or found by name); false after an error.
bool resolve_kind(std::string& x, const YAML::Node& v, const OptionSpec& s, BindContext& c) {
  if (x.empty()) return true;
  if (s.type == OptionType::path) {
    x = resolve_path(c.node.base_dir, x);
    return true;
  }
  if (s.type == OptionType::data_file) {
    auto found = find_data_file(c.node.base_dir, s.data_kind, x, s.data_ext);
    if (!found.found.empty()) {
      x = found.found;
      return true;
    }
    c.diags.error(location_of(c.file, v), what(s, c) + ": no " + s.data_kind + " file '" + x + "'" +
                                              did_you_mean(x, data_file_names(c.node.base_dir, s.data_kind, s.data_ext)) +
                                              "; looked for " + join(found.tried));
    return false;
  }
  if (s.type == OptionType::rate_limit || s.type == OptionType::breaker || s.type == OptionType::budget)
    return resource_named(x, v, s, c);
  return true;
}

}  // namespace

bool read(std::string& out, const YAML::Node& v, const OptionSpec& s, BindContext& c) {
  if (!v.IsScalar()) return bad(v, s, c, "a string");
  std::string x = v.Scalar();
  if (!one_of(x, v, s, c) || !resolve_kind(x, v, s, c)) return false;
  out = std::move(x);
  return true;
}

bool read(bool& out, const YAML::Node& v, const OptionSpec& s, BindContext& c) {
  bool x;
  if (!v.IsScalar() || !YAML::convert<bool>::decode(v, x)) return bad(v, s, c, "true or false");
  out = x;
  return true;
}

bool read(std::int64_t& out, const YAML::Node& v, const OptionSpec& s, BindContext& c) {
  long long x;
  if (!v.IsScalar() || !YAML::convert<long long>::decode(v, x)) return bad(v, s, c, "an integer");
  if (!in_range(static_cast<double>(x), v, s, c, v.Scalar())) return false;
  out = x;
  return true;
}

bool read(int& out, const YAML::Node& v, const OptionSpec& s, BindContext& c) {
  std::int64_t x;
  if (!read(x, v, s, c)) return false;
  if (x < INT32_MIN || x > INT32_MAX) return bad(v, s, c, "an integer of a sensible size");
  out = static_cast<int>(x);
  return true;
}

bool read(double& out, const YAML::Node& v, const OptionSpec& s, BindContext& c) {
  double x;
  if (!v.IsScalar() || !YAML::convert<double>::decode(v, x) || !std::isfinite(x)) return bad(v, s, c, "a number");
  if (!in_range(x, v, s, c, v.Scalar())) return false;
  out = x;
  return true;
}

bool read(std::chrono::milliseconds& out, const YAML::Node& v, const OptionSpec& s, BindContext& c) {
  auto d = v.IsScalar() ? parse_duration(v.Scalar()) : std::nullopt;
  if (!d) return bad(v, s, c, "a duration like 500ms, 30s, 5m or 1h");
  if (!in_range(static_cast<double>(d->count()) / 1000.0, v, s, c, v.Scalar())) return false;
  out = *d;
  return true;
}

bool read(std::vector<std::string>& out, const YAML::Node& v, const OptionSpec& s, BindContext& c) {
  std::vector<YAML::Node> items;
  if (v.IsScalar()) items.push_back(v);
  else if (v.IsSequence()) for (const auto& i : v) items.push_back(i);
  else return bad(v, s, c, "a list of strings");
  std::vector<std::string> x;
  bool ok = true;
  for (const auto& i : items) {
    if (!i.IsScalar()) return bad(i, s, c, "a list of strings");
    std::string item = i.Scalar();
    ok = one_of(item, i, s, c) && resolve_kind(item, i, s, c) && ok;
    x.push_back(std::move(item));
  }
  if (ok) out = std::move(x);
  return ok;
}

bool read(std::map<std::string, std::string>& out, const YAML::Node& v, const OptionSpec& s, BindContext& c) {
  if (!v.IsMap()) return bad(v, s, c, "a map of names to strings");
  std::map<std::string, std::string> x;
  bool ok = true;
  for (const auto& kv : v) {
    if (!kv.second.IsScalar()) {
      ok = bad(kv.second, s, c, "a map of names to strings");
      continue;
    }
    std::string item = kv.second.Scalar();
    ok = one_of(item, kv.second, s, c) && resolve_kind(item, kv.second, s, c) && ok;
    x[kv.first.Scalar()] = std::move(item);
  }
  if (ok) out = std::move(x);
  return ok;
}

bool read(YAML::Node& out, const YAML::Node& v, const OptionSpec& s, BindContext& c) {
  if (s.type == OptionType::object && !v.IsMap()) return bad(v, s, c, "a map");
  out = v;
  return true;
}

std::string show(const std::string& v) { return v; }
std::string show(bool v) { return v ? "true" : "false"; }
std::string show(int v) { return std::to_string(v); }
std::string show(std::int64_t v) { return std::to_string(v); }
std::string show(double v) { return format_number(v); }
std::string show(std::chrono::milliseconds v) { return format_duration(v); }
std::string show(const std::vector<std::string>& v) { return v.empty() ? "" : "[" + join(v) + "]"; }
std::string show(const std::map<std::string, std::string>& v) {
  std::string s;
  for (const auto& [k, x] : v) s += (s.empty() ? "" : ", ") + k + ": " + x;
  return v.empty() ? "" : "{" + s + "}";
}
std::string show(const YAML::Node& v) {
  if (!v.IsDefined() || v.IsNull()) return "";
  YAML::Emitter e;
  e << YAML::Flow << v;
  return e.c_str();
}

void check_output_path(const std::string& path, const OptionSpec& s, Check& check) {
  if (path.empty() || path == "-") return;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    check.error(s.name, "'" + path + "' is a directory, not a file");
    return;
  }
  // The first folder that exists on the way up must be a writable folder: the rest is created.
  fs::path dir = fs::path(path).parent_path();
  if (dir.empty()) dir = ".";
  while (!fs::exists(dir, ec) && dir != dir.parent_path()) {
    dir = dir.parent_path();
    if (dir.empty()) dir = ".";
  }
  if (!fs::is_directory(dir, ec))
    check.error(s.name, "cannot create the folder of '" + path + "': '" + dir.string() + "' is not a folder");
  else if (::access(dir.c_str(), W_OK | X_OK) != 0)
    check.error(s.name, "cannot write '" + path + "': no permission to write in '" + dir.string() + "'");
}

}  // namespace option_detail

}  // namespace flowrun
