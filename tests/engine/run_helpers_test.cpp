// Issue 20's rule, kept by a test: every test that runs a pipeline in-process goes through
// run_checked() (tests/shared/run_checks.hpp), which asserts in = out + errors + filtered +
// unwritten for every node. A test that called run_pipeline() itself would skip that check.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

TEST_CASE("no test runs a pipeline in-process without the balance check", "[run][counts]") {
  namespace fs = std::filesystem;
  const fs::path tests = fs::path(FLOWRUN_SOURCE_DIR) / "tests";
  // The helpers themselves, and the child process the cluster tests start (it prints the summary
  // as JSON, which the tests check with check_balanced()).
  const std::vector<fs::path> allowed = {tests / "shared/run_checks.hpp", tests / "cluster/cluster_proc.cpp",
                                         tests / "adaptive/checked_load.hpp"};
  const std::regex call(R"(\b(run_pipeline|run_load)\s*\()");
  std::vector<std::string> offenders;
  for (const auto& e : fs::recursive_directory_iterator(tests)) {
    if (!e.is_regular_file()) continue;
    const auto ext = e.path().extension();
    if (ext != ".cpp" && ext != ".hpp") continue;
    if (std::find(allowed.begin(), allowed.end(), e.path()) != allowed.end()) continue;
    std::ifstream in(e.path());
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
      const auto comment = line.find("//");
      if (std::regex_search(line.substr(0, comment), call)) offenders.push_back(e.path().string() + ":" + std::to_string(n));
    }
  }
  INFO("pipelines run without the balance check (use run_checked() or run_load_checked()) in: " << [&] {
    std::string s;
    for (auto& o : offenders) s += o + " ";
    return s;
  }());
  CHECK(offenders.empty());
}
