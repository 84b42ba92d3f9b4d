#include "tests/transform/transform_test_support.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "nodes/file/register.hpp"
#include "nodes/transform/register.hpp"
#include "tests/shared/run_checks.hpp"

namespace flowrun::transform_test {

const Registry& registry() {
  static const Registry r = [] {
    Registry reg;
    register_file_nodes(reg);
    register_transform_nodes(reg);
    return reg;
  }();
  return r;
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/flowrun-transform-test-XXXXXX";
  path = ::mkdtemp(tmpl);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path, ec);
}

std::string TempDir::write(const std::string& name, const std::string& text) const {
  const fs::path p = path / name;
  std::ofstream(p, std::ios::binary) << text;
  return p.string();
}

LoadResult load_in(const TempDir& dir, const std::string& yaml) {
  return load_pipeline_file(dir.write("p.yaml", yaml), registry());
}

std::string diagnostics_text(const LoadResult& r) {
  std::string s;
  for (const auto& d : r.diagnostics.all()) s += d.str() + "\n";
  return s;
}

RunSummary run_in(const TempDir& dir, const std::string& yaml) {
  auto loaded = load_in(dir, yaml);
  INFO(diagnostics_text(loaded));
  REQUIRE(loaded.ok());
  auto s = flowrun::testing::run_checked(loaded.graph, registry());
  return s;
}

const NodeSummary& node(const RunSummary& s, const std::string& id) {
  for (const auto& n : s.nodes)
    if (n.id == id) return n;
  FAIL("no node '" << id << "' in the summary");
  throw std::logic_error("unreachable");
}

void check_balanced(const RunSummary& s) {
  for (const auto& n : s.nodes) {
    INFO("node " << n.id);
    CHECK(n.balanced);
  }
  flowrun::testing::check_balanced(s);
}

std::int64_t port_count(const NodeSummary& n, const std::string& port) {
  auto it = n.ports.find(port);
  return it == n.ports.end() ? 0 : it->second;
}

std::vector<json::object> read_jsonl(const fs::path& p) {
  std::vector<json::object> out;
  std::ifstream in(p);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(json::parse(line).as_object());
  return out;
}

std::string canonical_fixture() { return std::string(FLOWRUN_SOURCE_DIR) + "/tests/transform/data/canonical.jsonl"; }

}  // namespace flowrun::transform_test
