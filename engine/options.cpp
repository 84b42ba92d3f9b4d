#include "engine/options.hpp"

#include <cmath>
#include <filesystem>
#include <stdexcept>

namespace flowrun {

const char* to_string(OptionType t) {
  switch (t) {
    case OptionType::string: return "string";
    case OptionType::integer: return "integer";
    case OptionType::number: return "number";
    case OptionType::boolean: return "boolean";
    case OptionType::duration: return "duration";
    case OptionType::string_list: return "list of strings";
    case OptionType::path: return "path";
    case OptionType::data_file: return "file or name";
    case OptionType::object: return "map";
    case OptionType::any: return "any";
    case OptionType::rate_limit: return "rate limit name";
    case OptionType::breaker: return "breaker name";
    case OptionType::budget: return "budget name";
    case OptionType::secret: return "secret string";
  }
  return "?";
}

std::optional<std::chrono::milliseconds> parse_duration(const std::string& text) {
  if (text.empty()) return std::nullopt;
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (...) {
    return std::nullopt;
  }
  if (v < 0 || !std::isfinite(v)) return std::nullopt;
  std::string unit = text.substr(used);
  double ms;
  if (unit.empty() || unit == "s") ms = v * 1000;
  else if (unit == "ms") ms = v;
  else if (unit == "m" || unit == "min") ms = v * 60'000;
  else if (unit == "h") ms = v * 3'600'000;
  else if (unit == "d") ms = v * 86'400'000;
  else return std::nullopt;
  if (ms > 1e15) return std::nullopt;
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(ms)));
}

std::string format_duration(std::chrono::milliseconds d) {
  const auto ms = d.count();
  if (ms == 0) return "0s";
  for (auto [unit, size] : {std::pair{"d", 86'400'000LL}, {"h", 3'600'000LL}, {"m", 60'000LL}, {"s", 1000LL}})
    if (ms % size == 0) return std::to_string(ms / size) + unit;
  return std::to_string(ms) + "ms";
}

std::string resolve_path(const std::string& base_dir, const std::string& p) {
  if (p.empty() || base_dir.empty() || std::filesystem::path(p).is_absolute()) return p;
  return (std::filesystem::path(base_dir) / p).lexically_normal().string();
}

NodeConfig::NodeConfig(std::string id, std::string type, YAML::Node options, std::string base_dir,
                       Location where)
    : id_(std::move(id)),
      type_(std::move(type)),
      options_(std::move(options)),
      base_dir_(std::move(base_dir)),
      where_(std::move(where)) {}

bool NodeConfig::has(const std::string& key) const {
  return options_.IsMap() && options_[key] && !options_[key].IsNull();
}

template <class T>
static T as_or_throw(const YAML::Node& n, const std::string& node_id, const std::string& key,
                     const char* what) {
  try {
    return n.as<T>();
  } catch (const YAML::Exception&) {
    throw std::invalid_argument("node '" + node_id + "': option '" + key + "' must be " + what);
  }
}

std::string NodeConfig::get_string(const std::string& key, const std::string& fallback) const {
  if (!has(key)) return fallback;
  return as_or_throw<std::string>(options_[key], id_, key, "a string");
}
std::int64_t NodeConfig::get_int(const std::string& key, std::int64_t fallback) const {
  if (!has(key)) return fallback;
  return as_or_throw<std::int64_t>(options_[key], id_, key, "an integer");
}
double NodeConfig::get_number(const std::string& key, double fallback) const {
  if (!has(key)) return fallback;
  return as_or_throw<double>(options_[key], id_, key, "a number");
}
bool NodeConfig::get_bool(const std::string& key, bool fallback) const {
  if (!has(key)) return fallback;
  return as_or_throw<bool>(options_[key], id_, key, "true or false");
}
std::chrono::milliseconds NodeConfig::get_duration(const std::string& key,
                                                   std::chrono::milliseconds fallback) const {
  if (!has(key)) return fallback;
  auto d = parse_duration(get_string(key));
  if (!d) throw std::invalid_argument("node '" + id_ + "': option '" + key + "' must be a duration like 30s");
  return *d;
}
std::vector<std::string> NodeConfig::get_list(const std::string& key) const {
  std::vector<std::string> out;
  if (!has(key)) return out;
  const YAML::Node& n = options_[key];
  if (n.IsScalar()) return {n.as<std::string>()};
  if (!n.IsSequence()) throw std::invalid_argument("node '" + id_ + "': option '" + key + "' must be a list");
  for (const auto& item : n) out.push_back(as_or_throw<std::string>(item, id_, key, "a list of strings"));
  return out;
}
std::string NodeConfig::get_path(const std::string& key, const std::string& fallback) const {
  std::string p = get_string(key, fallback);
  return resolve_path(base_dir_, p);
}
YAML::Node NodeConfig::get_node(const std::string& key) const {
  if (!has(key)) return YAML::Node();
  return options_[key];
}

}  // namespace flowrun
