// What the transform tests share: a registry with the file and transform families, pipelines
// written to a temporary folder (so that errors carry that file's line and column), runs, and
// reading JSON Lines back.
#pragma once
#include <boost/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "engine/pipeline.hpp"

namespace flowrun::transform_test {

namespace fs = std::filesystem;
namespace json = boost::json;

const Registry& registry();

// A fresh folder under /tmp, removed with its contents when the object goes.
struct TempDir {
  fs::path path;
  TempDir();
  ~TempDir();
  // Writes `text` to `name` in the folder and returns its full path.
  std::string write(const std::string& name, const std::string& text) const;
};

// Writes the pipeline as p.yaml in `dir` and loads it.
LoadResult load_in(const TempDir& dir, const std::string& yaml);
// Every diagnostic as "file:line:col: error: message", one per line.
std::string diagnostics_text(const LoadResult& r);
// Loads (failing the test with every diagnostic when it does not load) and runs.
RunSummary run_in(const TempDir& dir, const std::string& yaml);

const NodeSummary& node(const RunSummary& s, const std::string& id);
// Every node balances: in = out + errors + filtered + unwritten, and received = in.
void check_balanced(const RunSummary& s);
std::int64_t port_count(const NodeSummary& n, const std::string& port);

std::vector<json::object> read_jsonl(const fs::path& p);
// The canonical-record fixture tests/transform/data/canonical.jsonl (records of the daily
// pipeline's shape), as a path for a `file` source.
std::string canonical_fixture();

}  // namespace flowrun::transform_test
