// Command-line overrides applied to the parsed YAML before anything else reads it:
// `--set path.to.key=value` (the value parsed as YAML) and `--var name=a,b` (commas make a list).
#include <sstream>

#include "engine/pipeline.hpp"

namespace flowrun {

bool apply_set(YAML::Node root, const std::string& assignment, Diagnostics& diags) {
  const auto eq = assignment.find('=');
  const Location cli{"<command line>", 0, 0};
  if (eq == std::string::npos || eq == 0) {
    diags.error(cli, "--set expects path.to.key=value, got '" + assignment + "'");
    return false;
  }
  const std::string path = assignment.substr(0, eq);
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
  if (parts.empty() || std::find(parts.begin(), parts.end(), "") != parts.end()) {
    diags.error(cli, "--set " + path + ": the path has an empty part");
    return false;
  }
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

void apply_vars(YAML::Node root, const std::map<std::string, std::string>& vars) {
  if (vars.empty()) return;
  if (!root["vars"].IsMap()) root["vars"] = YAML::Node(YAML::NodeType::Map);
  for (const auto& [k, v] : vars) {
    if (v.find(',') == std::string::npos) {
      root["vars"][k] = v;
      continue;
    }
    YAML::Node list(YAML::NodeType::Sequence);
    std::stringstream ss(v);
    for (std::string item; std::getline(ss, item, ',');) list.push_back(item);
    root["vars"][k] = list;
  }
}

}  // namespace flowrun
