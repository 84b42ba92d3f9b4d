// Config unit tests (`flowrun test`, engine/config_tests.hpp): reads the test file and its
// pipeline, then runs each test and reports its failures. The parts, one file each:
//   config_test_spec    loading the `tests:` YAML into a model (what to insert, what to expect)
//   config_test_graph   the graph a test runs on (sources, sinks and stubs replaced, captures added)
//   config_test_compare comparing the captured records with the expectations
// See docs/testing-pipelines.md for the file format.
#include "engine/config_tests.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include "engine/config_test_compare.hpp"
#include "engine/config_test_graph.hpp"
#include "engine/config_test_spec.hpp"
#include "engine/pipeline.hpp"
#include "engine/redact.hpp"
#include "engine/yaml_util.hpp"

namespace flowrun {

namespace {

using namespace config_test;

ConfigTestResult run_one(const Graph& g, const TestSpec& t, Diagnostics& diags) {
  ConfigTestResult res;
  res.name = t.name;
  TestState st;
  Registry synth;
  register_synthetic(synth, st);
  Diagnostics local;
  auto tg = build_test_graph(g, t, synth, st, local);
  diags.merge(local);
  if (!tg) {
    for (const auto& d : local.all()) res.failures.push_back("invalid test: " + d.str());
    return res;
  }
  RunOptions ro;
  ro.settings["config_test"] = t.name;
  ro.run_id = "config-test";
  try {
    RunSummary s = run_pipeline(tg->graph, synth, ro);
    if (s.status != "ok") {
      std::string why = "run " + s.status;
      for (const auto& n : s.nodes)
        if (!n.stopped_reason.empty()) why += "; node '" + n.id + "': " + n.stopped_reason;
      res.failures.push_back(why);
    }
  } catch (const PipelineError& e) {
    for (const auto& d : e.diagnostics().all()) res.failures.push_back("pipeline could not run: " + d.str());
  } catch (const std::exception& e) {
    res.failures.push_back(std::string("pipeline could not run: ") + e.what());
  }
  for (std::size_t k = 0; k < t.outputs.size(); ++k) {
    std::vector<Record> got;
    const std::string& cap = tg->capture_of[k];
    if (!cap.empty())
      if (auto it = st.captures.find(cap); it != st.captures.end()) got = it->second->records;
    compare(t.outputs[k], got, res.failures);
  }
  for (auto& f : res.failures) f = redact_secrets(f, g.secrets);
  res.passed = res.failures.empty();
  return res;
}

// Unset ${env.X} references (without a :- default) get a placeholder so that the pipeline loads;
// the nodes that would use them are stubbed or never run in a test.
void provide_env(const std::string& pipeline_text, const YAML::Node& env) {
  if (env && env.IsMap())
    for (const auto& kv : env)
      if (kv.second.IsScalar()) ::setenv(kv.first.Scalar().c_str(), kv.second.Scalar().c_str(), 1);
  static const std::regex ref(R"(\$\{env\.([A-Za-z_][A-Za-z0-9_]*)(:-)?)");
  for (std::sregex_iterator it(pipeline_text.begin(), pipeline_text.end(), ref), end; it != end; ++it)
    if (!(*it)[2].matched) ::setenv((*it)[1].str().c_str(), ("config-test-placeholder-" + (*it)[1].str()).c_str(), 0);
}

std::optional<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::vector<ConfigTestResult> run_config_tests(const std::string& file, const Registry& registry, Diagnostics& diags) {
  std::vector<ConfigTestResult> results;
  auto text = read_text(file);
  if (!text) {
    diags.error(Location{file, 0, 0}, "cannot open test file");
    return results;
  }
  YAML::Node root;
  try {
    root = YAML::Load(*text);
  } catch (const YAML::ParserException& e) {
    diags.error(location_of(file, e.mark), "invalid YAML: " + e.msg);
    return results;
  }
  if (!root.IsMap()) {
    diags.error(location_of(file, root), "a test file must be a map with `pipeline:` and `tests:`, or a pipeline with `tests:`");
    return results;
  }

  // A separate test file names its pipeline; otherwise the file is the pipeline.
  std::string pipeline_file = file;
  LoadOptions lo;
  lo.need_env = false;  // a config test feeds its own records: no server, no secret
  if (root["pipeline"]) {
    SpecParser keys{file, diags};
    keys.check_keys(root, {"pipeline", "tests", "env", "vars", "description"}, "test file");
    if (!root["pipeline"].IsScalar()) {
      diags.error(location_of(file, root["pipeline"]), "`pipeline:` must be the path of a pipeline file");
      return results;
    }
    pipeline_file = resolve_path(std::filesystem::path(file).parent_path().string(), root["pipeline"].Scalar());
    if (root["vars"] && root["vars"].IsMap())
      for (const auto& kv : root["vars"])
        if (kv.second.IsScalar()) lo.vars[kv.first.Scalar()] = kv.second.Scalar();
  }
  const YAML::Node tests = root["tests"];
  if (!tests || tests.IsNull() || (tests.IsSequence() && tests.size() == 0)) {
    diags.warning(location_of(file, root), "no `tests:` in " + file);
    return results;
  }
  if (!tests.IsSequence()) {
    diags.error(location_of(file, tests), "`tests:` must be a list of tests, got " + std::string(kind_name(tests)));
    return results;
  }

  std::optional<std::string> ptext = pipeline_file == file ? text : read_text(pipeline_file);
  if (!ptext) {
    diags.error(location_of(file, root["pipeline"]), "cannot open pipeline file '" + pipeline_file + "'");
    return results;
  }
  provide_env(*ptext, root["env"]);
  LoadResult loaded = load_pipeline_string(*ptext, pipeline_file, registry, lo);
  for (const auto& d : loaded.diagnostics.all())  // warnings about the pipeline are `check`'s business
    if (d.severity == Severity::error) diags.error(d.where, d.message);
  if (!loaded.ok()) return results;

  SpecParser parser{file, diags};
  std::set<std::string> names;
  for (std::size_t i = 0; i < tests.size(); ++i) {
    TestSpec spec = parser.test(tests[i], i);
    if (!names.insert(spec.name).second) {
      diags.error(spec.where, "duplicate test name '" + spec.name + "'");
      spec.valid = false;
    }
    if (!spec.valid) {
      results.push_back(ConfigTestResult{spec.name, false, {"invalid test spec at " + spec.where.str() + " (see the errors above)"}});
      continue;
    }
    results.push_back(run_one(loaded.graph, spec, diags));
  }
  return results;
}

}  // namespace flowrun
