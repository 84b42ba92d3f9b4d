// `flowrun check` rejects bad normalizer and validator options at file:line:column: the cross-field
// rule (`mapping` xor `mappings`), option types, and referenced mapping and rules files that are
// missing or do not parse. Names are found from the pipeline's folder first (docs/normalizing.md).
#include <catch2/catch.hpp>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "engine/pipeline.hpp"
#include "engine/registry.hpp"
#include "nodes/file/register.hpp"
#include "nodes/normalizer/register.hpp"
#include "nodes/validator/register.hpp"

namespace fs = std::filesystem;

namespace {

struct PipelineDir {
  fs::path path = fs::temp_directory_path() / ("flowrun-normopt-" + std::to_string(::getpid()) + "-" + std::to_string(next()));
  PipelineDir() { fs::create_directories(path); }
  ~PipelineDir() { fs::remove_all(path); }
  static int next() {
    static int n = 0;
    return n++;
  }
  void write(const std::string& rel, const std::string& text) const {
    fs::create_directories((path / rel).parent_path());
    std::ofstream(path / rel) << text;
  }
  std::string file() const { return (path / "p.yaml").string(); }
};

flowrun::Registry registry() {
  flowrun::Registry r;
  flowrun::register_file_nodes(r);
  flowrun::register_normalizer_nodes(r);
  flowrun::register_validator_nodes(r);
  return r;
}

// A pipeline whose normalizer (line 4) and validator (line 5) take the given options; the
// source's file need not exist for loading.
std::string pipeline(const std::string& normalizer, const std::string& validator = "") {
  return "name: t\n"
         "nodes:\n"
         "  raw: {type: file, path: raw.jsonl}\n"
         "  n: {type: normalizer, inputs: [raw]" + normalizer + "}\n"
         "  v: {type: validator, inputs: [n]" + validator + "}\n"
         "  s: {type: jsonl, inputs: [v], path: out.jsonl}\n";
}

flowrun::LoadResult load(const PipelineDir& dir, const std::string& yaml) {
  auto reg = registry();
  return flowrun::load_pipeline_string(yaml, dir.file(), reg);
}

// Every error as "file:line:col: error: message", one per line.
std::string errors(const flowrun::LoadResult& r) {
  std::string out;
  for (const auto& d : r.diagnostics.all())
    if (d.severity == flowrun::Severity::error) out += d.str() + "\n";
  return out;
}

std::string only_error(const PipelineDir& dir, const std::string& yaml) {
  auto r = load(dir, yaml);
  INFO(errors(r));
  REQUIRE(r.diagnostics.error_count() == 1);
  return errors(r).substr(0, errors(r).size() - 1);
}

}  // namespace

TEST_CASE("normalizer: exactly one of `mapping` and `mappings` (cross-field rule)", "[options]") {
  PipelineDir dir;
  const std::string f = dir.file();
  CHECK(only_error(dir, pipeline(", mapping: maricopa, mappings: [redfin_csv]")) ==
        f + ":4:69: error: node 'n': option 'mappings': set exactly one of `mapping` and `mappings`");
  CHECK(only_error(dir, pipeline("")) ==
        f + ":4:3: error: node 'n': option 'mapping': set exactly one of `mapping` and `mappings`");
}

TEST_CASE("normalizer: a misspelt mapping name is a check error with a suggestion (referenced file)", "[options]") {
  PipelineDir dir;
  const std::string f = dir.file();
  const std::string e = only_error(dir, pipeline(", mapping: maricopaa"));
  CHECK(e.rfind(f + ":4:49: error: node 'n': option 'mapping': no mappings file 'maricopaa' (did you mean 'maricopa'?)", 0) == 0);
  CHECK_THAT(e, Catch::Contains((dir.path / "mappings" / "maricopaa.yaml").string()));  // where it looked first
  CHECK_THAT(only_error(dir, pipeline(", mappings: {raw: redfin, other: html_listing}")),
             Catch::StartsWith(f + ":4:56: error: node 'n': option 'mappings': no mappings file 'redfin'; looked for " +
                                 (dir.path / "mappings" / "redfin.yaml").string()));
  CHECK_THAT(only_error(dir, pipeline(", mappings: [maricopa, nope.yaml]")),
             Catch::StartsWith(f + ":4:61: error: node 'n': option 'mappings': no mappings file 'nope.yaml'; looked for " +
                                 (dir.path / "nope.yaml").string()));
}

TEST_CASE("normalizer: a mapping that does not parse fails check at the option, naming its own line", "[options]") {
  PipelineDir dir;
  dir.write("mappings/mine.yaml", "kind: mine\naddress: {line: Addr}\nfields:\n  price: {from: P, parse: moneyy}\n");
  const std::string e = only_error(dir, pipeline(", mapping: mine"));
  CHECK_THAT(e, Catch::StartsWith(dir.file() + ":4:49: error: node 'n': option 'mapping': " +
                                  (dir.path / "mappings" / "mine.yaml").string() + ":4:"));
  CHECK_THAT(e, Catch::Contains("moneyy"));
}

TEST_CASE("normalizer: a bare name is found in <pipeline dir>/mappings/ before the shipped ones", "[options]") {
  PipelineDir dir;
  dir.write("mappings/maricopa.yaml", "kind: local_copy\naddress: {line: Addr}\n");
  auto r = load(dir, pipeline(", mapping: maricopa"));
  INFO(errors(r));
  REQUIRE(r.ok());
  // The shipped maricopa mapping does not parse as the local one would: prove which one was bound
  // by breaking the local copy and seeing the error name it.
  dir.write("mappings/maricopa.yaml", "kind: local_copy\naddress: {line: Addr}\nfields: {nonsense_field: {from: X}}\n");
  CHECK_THAT(only_error(dir, pipeline(", mapping: maricopa")),
             Catch::Contains((dir.path / "mappings" / "maricopa.yaml").string() + ":3:"));
}

TEST_CASE("validator: option types, and a rules file that is missing or does not parse", "[options]") {
  PipelineDir dir;
  const std::string f = dir.file();
  CHECK(only_error(dir, pipeline(", mapping: maricopa", ", strict: maybe")) ==
        f + ":5:45: error: node 'v': option 'strict' must be true or false, got 'maybe'");
  CHECK_THAT(only_error(dir, pipeline(", mapping: maricopa", ", rules: propery")),
             Catch::StartsWith(f + ":5:44: error: node 'v': option 'rules': no rules file 'propery' (did you mean 'property'?)"));
  dir.write("rules/house.yaml", "required: [apn\n");
  CHECK_THAT(only_error(dir, pipeline(", mapping: maricopa", ", rules: house")),
             Catch::StartsWith(f + ":5:44: error: node 'v': option 'rules': " + (dir.path / "rules" / "house.yaml").string() + ":"));
}
