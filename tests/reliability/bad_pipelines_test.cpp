// Every file in tests/reliability/bad-pipelines/ (plus a 5 MB one written at test time) must make
// `flowrun check` exit 2 with at least one positioned error, and never crash or hang. A file may
// say more in comment lines: `# check-args: --env` (extra arguments to check), `# expect: L:C:
// error: TEXT` (that exact diagnostic must be on stderr: the opt-*.yaml files hold one per
// option-table feature) and `# needs: TYPE` (a node type a subset build may lack: then skipped). Files that
// currently crash or hang are listed in bad-pipelines.known-failing: they are run and reported,
// but only an unlisted failure fails the test (and a listed file that now passes is announced so
// the list shrinks).
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include "tests/reliability/child_process.hpp"

using namespace flowrun::reltest;
namespace fs = std::filesystem;

namespace {

const std::string kCorpus = FLOWRUN_SOURCE_DIR "/tests/reliability/bad-pipelines";

// name -> why it is known to fail ("#" starts a comment line).
std::map<std::string, std::string> known_failing() {
  std::map<std::string, std::string> m;
  std::ifstream in(FLOWRUN_SOURCE_DIR "/tests/reliability/bad-pipelines.known-failing");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto sp = line.find_first_of(" \t");
    m[line.substr(0, sp)] = sp == std::string::npos ? "" : line.substr(line.find_first_not_of(" \t", sp));
  }
  return m;
}

// True when some stderr line is "<file>:L:C: error: ..." or "<file>: error: ...".
bool has_positioned_error(const std::string& err, const std::string& file) {
  std::istringstream in(err);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(file + ":", 0) != 0) continue;
    auto rest = line.substr(file.size() + 1);
    static const std::regex pos(R"(^(\d+:\d+:)? error: .+)");
    if (std::regex_search(rest, pos)) return true;
  }
  return false;
}

std::string verdict(const ChildResult& r, const std::string& file) {
  if (!r.exited()) return r.describe();
  if (r.exit_code != 2) return r.describe() + " (expected exit 2)";
  if (!has_positioned_error(r.err, file)) return "exit 2 but no '" + file + ":line:col: error:' line on stderr";
  return "";
}

// What a file's header comments ask for (see the top of this file).
struct Directives {
  std::vector<std::string> args, expect, needs;
};

Directives directives_of(const std::string& path) {
  Directives d;
  std::ifstream in(path, std::ios::binary);
  auto rest = [](const std::string& line, const std::string& key) {
    return line.rfind(key, 0) == 0 ? std::optional<std::string>(line.substr(key.size())) : std::nullopt;
  };
  for (std::string line; std::getline(in, line);) {
    if (auto a = rest(line, "# check-args: ")) {
      std::istringstream words(*a);
      for (std::string w; words >> w;) d.args.push_back(w);
    } else if (auto e = rest(line, "# expect: ")) {
      d.expect.push_back(*e);
    } else if (auto n = rest(line, "# needs: ")) {
      d.needs.push_back(*n);
    }
  }
  return d;
}

// The node types this build of flowrun has (the first word of each `flowrun nodes` line).
std::set<std::string> built_types(const std::string& bin) {
  std::set<std::string> types;
  auto r = run_child({bin, "nodes"}, std::chrono::seconds(20));
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] != ' ') types.insert(line.substr(0, line.find(' ')));
  return types;
}

std::string head(const std::string& s, size_t n = 400) { return s.size() > n ? s.substr(0, n) + "..." : s; }

// A 5 MB pipeline: thousands of long settings, then one mistake at the very end.
void write_huge(const std::string& path) {
  std::string text = "settings:\n";
  const std::string filler(200, 'x');
  for (int i = 0; text.size() < 5 * 1024 * 1024; ++i) text += "  k" + std::to_string(i) + ": \"" + filler + "\"\n";
  text += "nodes:\n  src: {type: file, path: a.jsonl, pth: typo}\n  out: {type: jsonl, inputs: [src], path: b.jsonl}\n";
  write_file(path, text);
}

}  // namespace

TEST_CASE("flowrun check rejects every bad pipeline with exit 2 and a positioned error", "[bad-pipelines]") {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(kCorpus))
    if (e.is_regular_file()) files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 50);

  TempDir tmp;
  files.push_back(tmp.file("huge-5mb.yaml"));
  write_huge(files.back());

  const auto known = known_failing();
  const std::string bin = flowrun_bin();
  const auto types = built_types(bin);
  REQUIRE(types.count("file"));
  std::vector<std::string> unexpected, still_known, now_passing;
  for (const auto& f : files) {
    const std::string name = fs::path(f).filename().string();
    const bool is_known = known.count(name) > 0;
    const Directives d = directives_of(f);
    const auto missing = std::find_if(d.needs.begin(), d.needs.end(), [&](const std::string& t) { return !types.count(t); });
    if (missing != d.needs.end()) {
      WARN(name << ": skipped, this build has no node type '" << *missing << "'");
      continue;
    }
    // Known hangs get a shorter leash so the suite stays quick; 20 s is far beyond any real check.
    std::vector<std::string> args{bin, "check", f};
    args.insert(args.end(), d.args.begin(), d.args.end());
    auto r = run_child(args, std::chrono::seconds(is_known ? 5 : 20));
    std::string why = verdict(r, f);
    for (const auto& e : d.expect)
      if (why.empty() && r.err.find(f + ":" + e) == std::string::npos) why = "stderr lacks '" + f + ":" + e + "'";
    if (why.empty()) {
      if (is_known) now_passing.push_back(name);
      continue;
    }
    (is_known ? still_known : unexpected).push_back(name + ": " + why + "\n    stderr: " + head(r.err));
  }

  for (const auto& s : still_known) WARN("known failing: " << s);
  for (const auto& s : now_passing) WARN("listed as known failing but passes now (remove it from the list): " << s);
  INFO(files.size() << " files checked");
  for (const auto& s : unexpected) FAIL_CHECK(s);
  CHECK(unexpected.empty());
}

TEST_CASE("an option's old name (its alias) is still accepted", "[bad-pipelines][options]") {
  const std::string bin = flowrun_bin();
  if (!built_types(bin).count("notify")) {
    WARN("skipped: this build has no node type 'notify'");
    return;
  }
  TempDir tmp;
  const std::string f = tmp.file("alias.yaml");
  write_file(f, "nodes:\n  src: {type: file, path: a.jsonl}\n"
                "  tell: {type: notify, inputs: [src], webhook_url: \"http://127.0.0.1:9/hook\"}\n");
  auto r = run_child({bin, "check", f}, std::chrono::seconds(20));
  INFO(r.err);
  CHECK(r.exited());
  CHECK(r.exit_code == 0);
}
