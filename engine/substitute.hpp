// ${env.X}, ${env.X:-fallback}, ${vars.a.b} and ${pipeline.dir} in pipeline values, resolved at
// load time. A missing reference is an error, never "" -- except that commands which do not run the
// pipeline (check, dot, test, report) load it without the secrets it needs (`need_env` false):
// an unset variable then reads as "" and is reported as a note.
#pragma once
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "engine/diagnostics.hpp"

namespace flowrun {

class Substituter {
 public:
  Substituter(std::string file, YAML::Node vars, std::string pipeline_dir, bool need_env, Diagnostics& diags)
      : file_(std::move(file)), vars_(std::move(vars)), pipeline_dir_(std::move(pipeline_dir)), need_env_(need_env),
        diags_(diags) {}

  // Substitutes every scalar under `n`, in place. Values read from the environment are collected
  // as secrets unless `track_secrets` is false (names and descriptions: redacting those would
  // mangle output, and nobody puts a key there).
  void substitute(YAML::Node n, bool track_secrets = true);
  // One scalar; a scalar that is exactly one reference takes the referenced value's shape (so
  // `zips: "${vars.zips}"` becomes a list).
  YAML::Node substitute_scalar(const YAML::Node& n, bool track_secrets);

  const std::vector<std::string>& secrets() const { return secrets_; }
  // Environment variables referenced but not set (only collected when need_env is false).
  const std::vector<std::string>& unset() const { return unset_; }

 private:
  YAML::Node lookup(const std::string& ref, bool& found, bool& from_env);

  std::string file_;
  YAML::Node vars_;
  std::string pipeline_dir_;
  bool need_env_;
  Diagnostics& diags_;
  std::vector<std::string> secrets_, unset_;
};

}  // namespace flowrun
