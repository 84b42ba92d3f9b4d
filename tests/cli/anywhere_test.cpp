// The shipped pipelines the way cron and a packaged install run them: from a directory that is
// not the repository root, from a copy of pipelines/ elsewhere, and from an installed prefix
// (`cmake --install`), with the same results as from the repository root. Also the CLI's own
// conventions: --version, --help, usage errors, secrets needed only to run, `report --out -`.
#include <unistd.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "tests/cli/child_process.hpp"

using namespace flowrun::testing;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

const std::string kBin = FLOWRUN_BIN;
const fs::path kSrc = FLOWRUN_SOURCE_DIR;

bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

struct TempDir {
  fs::path dir;
  TempDir() {
    char tmpl[] = "/tmp/flowrun-anywhere-XXXXXX";
    dir = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

// The summary's per-node in/out/errors, the part that must not depend on where flowrun runs.
std::string counts_of(const std::string& summary_json) {
  std::string s;
  const json::value summary = json::parse(summary_json);
  for (const auto& n : summary.at("nodes").as_array()) {
    const auto& o = n.as_object();
    s += std::string(o.at("id").as_string()) + " " + std::to_string(o.at("in").as_int64()) + "/" +
         std::to_string(o.at("out").as_int64()) + "/" + std::to_string(o.at("errors").as_int64()) + "\n";
  }
  return s;
}

std::size_t lines_in(const fs::path& p) {
  std::ifstream in(p);
  std::size_t n = 0;
  for (std::string l; std::getline(in, l);) n += !l.empty();
  return n;
}

// What a run of the shipped sample and the daily config tests give with this binary and these
// pipelines, run from `cwd`.
struct Results {
  std::string sample_counts, tests_out;
  int sample_code = -1, tests_code = -1, check_code = -1;
  std::string check_err;
};

Results run_shipped(const std::string& bin, const fs::path& pipelines, const fs::path& cwd) {
  Results r;
  auto sample = run_child({bin, (pipelines / "sample.yaml").string(), "--json", "-q"}, cwd);
  r.sample_code = sample.code;
  if (sample.code == 0 || sample.code == 1) r.sample_counts = counts_of(sample.out);
  auto tests = run_child({bin, "test", (pipelines / "tests/daily_test.yaml").string()}, cwd);
  r.tests_code = tests.code;
  std::istringstream in(tests.out);
  for (std::string l; std::getline(in, l);)
    if (l.rfind("PASS", 0) == 0 || l.rfind("FAIL", 0) == 0 || has(l, " passed, ")) r.tests_out += l.substr(0, 4) + "\n";
  ::unsetenv("MARICOPA_API_KEY");
  auto check = run_child({bin, "check", (pipelines / "daily.yaml").string()}, cwd);
  r.check_code = check.code;
  r.check_err = check.err;
  return r;
}

}  // namespace

TEST_CASE("shipped pipelines give the same results from the root, another directory, a copy and an install",
          "[cli][paths][install]") {
  TempDir t;
  const Results at_root = run_shipped(kBin, kSrc / "pipelines", kSrc);
  INFO(at_root.check_err);
  REQUIRE(at_root.sample_code == 0);
  REQUIRE(at_root.tests_code == 0);
  REQUIRE(at_root.check_code == 0);
  CHECK(has(at_root.tests_out, "PASS"));
  CHECK_FALSE(has(at_root.tests_out, "FAIL"));

  SECTION("from another directory") {
    fs::create_directories(t.dir / "elsewhere");
    const Results r = run_shipped(kBin, kSrc / "pipelines", t.dir / "elsewhere");
    INFO(r.check_err);
    CHECK(r.sample_code == 0);
    CHECK(r.sample_counts == at_root.sample_counts);
    CHECK(r.tests_out == at_root.tests_out);
    CHECK(r.check_code == 0);
    CHECK_FALSE(fs::exists(t.dir / "elsewhere/out"));  // nothing written where the user stood
  }

  SECTION("a copy of pipelines/ run from a third directory writes beside the copy") {
    fs::create_directories(t.dir / "copy/pipelines");
    fs::copy(kSrc / "pipelines", t.dir / "copy/pipelines", fs::copy_options::recursive);
    fs::create_directories(t.dir / "cwd");
    const Results r = run_shipped(kBin, t.dir / "copy/pipelines", t.dir / "cwd");
    INFO(r.check_err);
    CHECK(r.sample_counts == at_root.sample_counts);
    CHECK(r.tests_out == at_root.tests_out);
    CHECK(r.check_code == 0);
    CHECK(lines_in(t.dir / "copy/out/sample/parcels.jsonl") > 0);
  }

  SECTION("an installed prefix finds its own mappings, rules, prompts and sites") {
    auto install = run_child({FLOWRUN_CMAKE, "--install", FLOWRUN_BUILD_DIR, "--prefix", (t.dir / "prefix").string()}, t.dir);
    INFO(install.out + install.err);
    REQUIRE(install.code == 0);
    const std::string bin = (t.dir / "prefix/bin/flowrun").string();
    REQUIRE(fs::exists(bin));
    fs::create_directories(t.dir / "cwd");
    const Results r = run_shipped(bin, t.dir / "prefix/share/flowrun/pipelines", t.dir / "cwd");
    INFO(r.check_err);
    CHECK(r.sample_counts == at_root.sample_counts);
    CHECK(r.tests_out == at_root.tests_out);
    CHECK(r.check_code == 0);

    // A pipeline of the user's own, alone in a folder, names the shipped mappings and rules by
    // name: the install's data directory has them.
    fs::create_directories(t.dir / "mine");
    std::ofstream(t.dir / "mine/p.yaml") << R"(name: mine
nodes:
  src: {type: file, path: parcels.jsonl}
  normalize: {type: normalizer, inputs: [src], mappings: {src: maricopa}}
  validate: {type: validator, inputs: [normalize], rules: property}
  out: {type: jsonl, inputs: [validate], path: out.jsonl}
)";
    std::ofstream(t.dir / "mine/parcels.jsonl") << "";
    auto check = run_child({bin, "check", (t.dir / "mine/p.yaml").string()}, t.dir / "cwd");
    INFO(check.err);
    CHECK(check.code == 0);
    // ... and a misspelt name is a check error, not a run-time surprise.
    std::ofstream(t.dir / "mine/bad.yaml") << R"(name: mine
nodes:
  src: {type: file, path: parcels.jsonl}
  normalize: {type: normalizer, inputs: [src], mappings: {src: maricopaa}}
  out: {type: jsonl, inputs: [normalize], path: out.jsonl}
)";
    auto bad = run_child({bin, "check", (t.dir / "mine/bad.yaml").string()}, t.dir / "cwd");
    INFO(bad.err);
    CHECK(bad.code == 2);
    CHECK(has(bad.err, "maricopaa"));
  }
}

TEST_CASE("CLI conventions: --version, --help, usage errors exit 2", "[cli][usage]") {
  TempDir t;
  auto version = run_child({kBin, "--version"}, t.dir);
  CHECK(version.code == 0);
  for (const char* part : {"flowrun ", "oneTBB ", "yaml-cpp ", "Boost "}) CHECK(has(version.out, part));

  auto help = run_child({kBin, "--help"}, t.dir);
  CHECK(help.code == 0);
  CHECK(has(help.out, "Usage: flowrun"));
  CHECK(has(help.out, "flowrun FILE"));  // the shorthand
  CHECK(has(help.out, "Exit codes"));
  CHECK(has(help.out, "130"));

  const std::string p = (kSrc / "pipelines/sample.yaml").string();
  for (const auto& args : std::vector<std::vector<std::string>>{
           {kBin, p, "--var", "oops"}, {kBin, "check", p, "--var", "=x"}, {kBin, "dot", p, "--var", "novalue"},
           {kBin, "run"}, {kBin, "frobnicate", "--nope"}, {kBin, "report", "--period", "7x", "--out", "x.html"}}) {
    auto r = run_child(args, t.dir);
    INFO(args.back() << ": " << r.err);
    CHECK(r.exited);
    CHECK(r.code == 2);
    CHECK_FALSE(has(r.err, "terminate called"));
  }

  auto folder = run_child({kBin, "check", t.dir.string()}, t.dir);
  CHECK(folder.code == 2);
  CHECK(has(folder.err, "Is a directory"));
  auto missing = run_child({kBin, "check", "nope.yaml"}, t.dir);
  CHECK(missing.code == 2);
  CHECK(has(missing.err, "No such file or directory"));
}

TEST_CASE("secrets are needed only to run: check, dot and test work without them", "[cli][env]") {
  TempDir t;
  ::unsetenv("MARICOPA_API_KEY");
  const std::string daily = (kSrc / "pipelines/daily.yaml").string();
  auto check = run_child({kBin, "check", daily}, t.dir);
  CHECK(check.code == 0);
  CHECK(has(check.err, "MARICOPA_API_KEY is not set"));
  auto dot = run_child({kBin, "dot", daily}, t.dir);
  CHECK(dot.code == 0);
  CHECK(has(dot.out, "digraph"));
  auto strict_env = run_child({kBin, "check", "--env", daily}, t.dir);
  CHECK(strict_env.code == 2);
  auto run = run_child({kBin, daily, "-q"}, t.dir);
  CHECK(run.code == 2);  // running needs it
  CHECK(has(run.err, "MARICOPA_API_KEY"));
}

TEST_CASE("report: --out - writes to stdout, and a store that does not exist is an error", "[cli][report]") {
  TempDir t;
  auto missing = run_child({kBin, "report", "--store", "sqlite:" + (t.dir / "nope.db").string(), "--out", "-"}, t.dir);
  CHECK(missing.code == 2);
  CHECK(has(missing.err, "does not exist"));
  CHECK_FALSE(fs::exists(t.dir / "nope.db"));  // not created as a side effect
  CHECK_FALSE(fs::exists(t.dir / "-"));

  // A store with one run: the sample pipeline with a store sink.
  std::ofstream(t.dir / "p.yaml") << "name: tiny\nstore: sqlite:s.db\nnodes:\n"
                                     "  src: {type: file, path: " + (kSrc / "pipelines/data/sample_parcels.jsonl").string() +
                                         "}\n  keep: {type: store, inputs: [src]}\n";
  auto run = run_child({kBin, "p.yaml", "-q", "--json"}, t.dir);
  INFO(run.err);
  if (run.code != 0) {
    WARN("this build has no store family: the stdout report is not exercised");
    return;
  }
  auto json_out = run_child({kBin, "report", "p.yaml", "--format", "json", "--out", "-"}, t.dir);
  INFO(json_out.err);
  CHECK(json_out.code == 0);
  CHECK(json::parse(json_out.out).as_object().contains("run"));
  CHECK_FALSE(fs::exists(t.dir / "-"));
}

TEST_CASE("flowrun nodes wraps whole words to the terminal width", "[cli][nodes]") {
  TempDir t;
  ::setenv("COLUMNS", "72", 1);
  auto r = run_child({kBin, "nodes"}, t.dir);
  ::unsetenv("COLUMNS");
  CHECK(r.code == 0);
  std::istringstream in(r.out);
  int lines = 0;
  for (std::string l; std::getline(in, l); ++lines) CHECK(l.size() <= 72);
  CHECK(lines > 10);
  CHECK(has(r.out, "dead_letter_store"));  // full type names, never cut
}

// The Docker image's runtime stage (tools/deploy/Dockerfile) installs shared libraries by Debian
// package name; one missing there is a container whose flowrun cannot start. No Docker engine runs
// here, so this reads the stage's package list and checks it against what the built binary links:
// every library flowrun names (DT_NEEDED) must come from a listed package, or from one that
// debian:12-slim has (libc6, libgcc-s1, libstdc++6). Checked on the default build, which is what
// the image builds.
TEST_CASE("the Docker image installs the package of every library flowrun links", "[cli][deploy]") {
  // The runtime stage's `apt-get install ... --no-install-recommends PKG... &&` (continued lines).
  std::ifstream in(kSrc / "tools/deploy/Dockerfile");
  std::string line, runtime;
  bool in_runtime = false;
  while (std::getline(in, line)) {
    if (line.rfind("FROM ", 0) == 0) in_runtime = has(line, "slim");
    else if (in_runtime) runtime += line + "\n";
  }
  REQUIRE(!runtime.empty());
  std::set<std::string> listed;
  {
    std::istringstream words(runtime.substr(runtime.find("--no-install-recommends")));
    std::string w;
    words >> w;  // the flag itself
    while (words >> w && w != "&&")
      if (w != "\\") listed.insert(w);
  }
  REQUIRE(listed.count("libtbb12"));  // the list was found

  // Children write their output beside their working directory (.child.out): a folder of our
  // own, not the repository root that other tests run children from at the same time.
  TempDir work;
  const auto needed = run_child({"/usr/bin/readelf", "-d", kBin}, work.dir);
  REQUIRE(needed.code == 0);
  // The image builds the default configuration; a sanitizer build links more (its runtimes, and
  // Boost's container library under ASan). The default build's test run checks the image.
  if (has(needed.out, "[libasan.so") || has(needed.out, "[libtsan.so")) {
    SUCCEED("a sanitizer build: not what the Docker image builds");
    return;
  }
  const auto resolved = run_child({"/usr/bin/ldd", kBin}, work.dir);
  REQUIRE(resolved.code == 0);
  std::istringstream dyn(needed.out);
  int checked = 0;
  while (std::getline(dyn, line)) {
    const auto at = line.find("Shared library: [");
    if (at == std::string::npos) continue;
    const std::string lib = line.substr(at + 17, line.find(']', at) - at - 17);
    // ldd: "\tlibfoo.so.1 => /lib/x86_64-linux-gnu/libfoo.so.1 (0x...)"; dpkg knows the real file's name.
    const auto l = resolved.out.find("\t" + lib + " => ");
    REQUIRE(l != std::string::npos);
    const auto from = resolved.out.find("=> ", l) + 3;
    const fs::path file = fs::canonical(resolved.out.substr(from, resolved.out.find(' ', from) - from));
    const auto owner = run_child({"/usr/bin/dpkg", "-S", "*/" + file.filename().string()}, work.dir);
    INFO(lib << " is " << file << ", owned by: " << owner.out << owner.err);
    REQUIRE(owner.code == 0);
    // "pkg:arch: /path" per match; other architectures' copies (lib32) match the name too.
    std::string package;
    std::istringstream owners(owner.out);
    for (std::string o; std::getline(owners, o);) {
      const auto sep = o.find(": /");
      std::error_code ec;
      if (sep != std::string::npos && fs::equivalent(o.substr(sep + 2), file, ec))
        package = o.substr(0, o.find_first_of(":,"));
    }
    REQUIRE(!package.empty());
    if (package == "libc6" || package == "libgcc-s1" || package == "libstdc++6") continue;
    CHECK(listed.count(package) == 1);
    ++checked;
  }
  CHECK(checked >= 5);  // oneTBB, yaml-cpp, Boost.JSON, spdlog, fmt at least, even in a FLOWRUN_ONLY build
}
