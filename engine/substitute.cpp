#include "engine/substitute.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <sstream>

#include "engine/yaml_util.hpp"

namespace flowrun {

namespace {
// A name the shell could have set: `${env.}` or `${env.${env.X}}` are mistakes, not unset names.
bool is_env_name(const std::string& n) {
  if (n.empty() || std::isdigit(static_cast<unsigned char>(n[0]))) return false;
  for (char c : n)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}
}  // namespace


namespace {

std::string scalar_text(const YAML::Node& n) {
  if (n.IsScalar()) return n.Scalar();
  if (n.IsSequence()) {
    std::string s;
    for (const auto& i : n) s += (s.empty() ? "" : ",") + (i.IsScalar() ? i.Scalar() : std::string("?"));
    return s;
  }
  return "";
}

}  // namespace

// Looks up "env.X", "vars.a.b" or "pipeline.dir"; an undefined node when missing.
YAML::Node Substituter::lookup(const std::string& ref, bool& found, bool& from_env) {
  found = from_env = false;
  const auto colon = ref.find(":-");
  const std::string key = colon == std::string::npos ? ref : ref.substr(0, colon);
  if (key.rfind("env.", 0) == 0) {
    // As in the shell, `:-` also replaces an empty value (CI systems export unset secrets as "").
    const char* v = std::getenv(key.substr(4).c_str());
    if (v && (*v || colon == std::string::npos)) return found = from_env = true, YAML::Node(std::string(v));
  } else if (key.rfind("vars.", 0) == 0) {
    YAML::Node cur = YAML::Clone(vars_);
    std::stringstream path(key.substr(5));
    bool ok = true;
    for (std::string part; std::getline(path, part, '.');) {
      if (!cur.IsMap() || !cur[part]) {
        ok = false;
        break;
      }
      cur = cur[part];
    }
    if (ok) return found = true, cur;
  } else if (key == "pipeline.dir") {
    return found = true, YAML::Node(pipeline_dir_.empty() ? std::string(".") : pipeline_dir_);
  }
  if (colon != std::string::npos) return found = true, YAML::Node(ref.substr(colon + 2));
  return YAML::Node();
}

YAML::Node Substituter::substitute_scalar(const YAML::Node& n, bool track_secrets) {
  const std::string& s = n.Scalar();
  if (s.find("${") == std::string::npos) return n;
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    const auto open = s.find("${", i);
    if (open == std::string::npos) {
      out += s.substr(i);
      break;
    }
    const auto close = s.find('}', open);
    if (close == std::string::npos) {
      diags_.error(location_of(file_, n), "unterminated reference in '" + s + "' (missing '}')");
      return n;
    }
    out += s.substr(i, open - i);
    const std::string ref = s.substr(open + 2, close - open - 2);
    bool found = false, from_env = false;
    YAML::Node val = lookup(ref, found, from_env);
    if (!found) {
      const std::string key = ref.substr(0, ref.find(":-"));
      if (key.rfind("env.", 0) == 0 && !need_env_ && is_env_name(key.substr(4))) {
        // Not needed to check or draw the pipeline: say so once, read it as "".
        if (std::find(unset_.begin(), unset_.end(), key.substr(4)) == unset_.end()) {
          unset_.push_back(key.substr(4));
          diags_.note(location_of(file_, n), "environment variable " + key.substr(4) + " is not set; `flowrun run` needs it");
        }
        i = close + 1;
        continue;
      }
      if (key.rfind("env.", 0) == 0)
        diags_.error(location_of(file_, n), "environment variable " + key.substr(4) + " is not set (referenced as ${" + ref + "})");
      else if (key.rfind("vars.", 0) == 0)
        diags_.error(location_of(file_, n), "undefined variable '" + key.substr(5) + "' (referenced as ${" + ref +
                                                "}); define it under vars: or pass --var");
      else
        diags_.error(location_of(file_, n), "unknown reference ${" + ref + "}: use ${env.NAME}, ${vars.name} or ${pipeline.dir}");
      return n;
    }
    if (open == 0 && close == s.size() - 1 && !val.IsScalar()) return YAML::Clone(val);
    std::string text = scalar_text(val);
    // A value read from the environment is a secret; a `:-fallback` written in the file is not
    // (anyone can read it there, and redacting it would mangle output).
    if (track_secrets && from_env && !text.empty()) secrets_.push_back(text);
    out += text;
    i = close + 1;
  }
  return YAML::Node(out);
}

void Substituter::substitute(YAML::Node n, bool track_secrets) {
  if (n.IsMap()) {
    for (auto kv : n) {
      if (kv.second.IsScalar()) {
        YAML::Node r = substitute_scalar(kv.second, track_secrets);
        if (!r.IsScalar() || r.Scalar() != kv.second.Scalar()) n[kv.first.Scalar()] = r;
      } else {
        substitute(kv.second, track_secrets);
      }
    }
  } else if (n.IsSequence()) {
    for (std::size_t i = 0; i < n.size(); ++i) {
      if (n[i].IsScalar()) {
        YAML::Node r = substitute_scalar(n[i], track_secrets);
        if (!r.IsScalar() || r.Scalar() != n[i].Scalar()) n[i] = r;
      } else {
        substitute(n[i], track_secrets);
      }
    }
  }
}

}  // namespace flowrun
