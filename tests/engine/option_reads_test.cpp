// Issue 13's rule, kept by a test: a node type's typed option table is the only place its options
// are read. No node family may take a raw NodeConfig, call its getters or build one.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

TEST_CASE("no node reads an option outside its typed options struct", "[options]") {
  namespace fs = std::filesystem;
  // NodeConfig's getters by any receiver name (boost::json's own get_string() on a value is fine:
  // it is called on records, never on something named like a config).
  const std::regex raw(
      R"(\bNodeConfig\b|\b\w*(cfg|conf|config|options|opts)\w*\s*(\.|->)\s*get_(string|int|number|double|bool|list|duration|path|node|map)\s*\()");
  std::vector<std::string> offenders;
  for (const auto& e : fs::recursive_directory_iterator(fs::path(FLOWRUN_SOURCE_DIR) / "nodes")) {
    if (!e.is_regular_file()) continue;
    const auto ext = e.path().extension();
    if (ext != ".cpp" && ext != ".hpp") continue;
    std::ifstream in(e.path());
    std::string line;
    for (int n = 1; std::getline(in, line); ++n)
      if (std::regex_search(line, raw)) offenders.push_back(e.path().string() + ":" + std::to_string(n));
  }
  INFO("raw option reads in: " << [&] { std::string s; for (auto& o : offenders) s += o + " "; return s; }());
  CHECK(offenders.empty());
}
