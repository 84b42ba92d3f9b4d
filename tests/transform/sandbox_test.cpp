// The sandbox: expressions cannot reach files, processes, modules or the engine's own state; an
// endless loop and a huge allocation are stopped by the per-record limits with a clear error, and
// the next record runs normally.
#include <catch2/catch.hpp>

#include <chrono>

#include "tests/transform/transform_test_support.hpp"

using namespace flowrun;
using namespace flowrun::transform_test;

namespace {

struct Outcome {
  RunSummary summary;
  std::vector<json::object> passed, dead;
  double seconds = 0;
};

// Every fixture record goes through a map whose script starts with `attack` on records whose
// price is null, and does harmless work on the others.
Outcome attack(const TempDir& dir, const std::string& attack, const std::string& limits = "") {
  const auto t0 = std::chrono::steady_clock::now();
  std::string script;
  for (std::size_t at = 0, next; at < attack.size(); at = next + 1) {
    next = attack.find('\n', at);
    if (next == std::string::npos) next = attack.size();
    script += "        " + attack.substr(at, next - at) + "\n";
  }
  Outcome o;
  o.summary = run_in(dir, "nodes:\n"
                          "  src: {type: file, path: " + canonical_fixture() + "}\n"
                          "  change:\n    type: map\n    inputs: [src]\n" + limits +
                          "    script: |\n"
                          "      if record.price == nil then\n" + script +
                          "      end\n"
                          "      record.checked = true\n"
                          "  sink: {type: jsonl, inputs: [change], path: out.jsonl}\n"
                          "  dead: {type: dead_letter, inputs: [change.errors], path: dead.jsonl}\n");
  o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  check_balanced(o.summary);
  o.passed = read_jsonl(dir.path / "out.jsonl");
  o.dead = read_jsonl(dir.path / "dead.jsonl");
  return o;
}

std::string first_reason(const Outcome& o) {
  REQUIRE(!o.dead.empty());
  return std::string(o.dead.front().at("reason").as_string());
}

// The three records with a null price fail, the five others pass with their change.
void check_contained(const Outcome& o) {
  CHECK(o.summary.exit_code == 0);
  CHECK(o.dead.size() == 3);
  REQUIRE(o.passed.size() == 5);
  for (const auto& r : o.passed) CHECK(r.at("checked") == true);
}

}  // namespace

TEST_CASE("sandbox: os.execute does not exist, and nothing runs", "[sandbox]") {
  TempDir dir;
  const auto marker = dir.path / "executed";
  auto o = attack(dir, "os.execute('touch " + marker.string() + "')");
  check_contained(o);
  CHECK(!fs::exists(marker));
  const auto why = first_reason(o);
  INFO(why);
  CHECK(why.find("attempt to index global 'os' (a nil value)") != std::string::npos);
  CHECK(why.find("no file, process, network or module access") != std::string::npos);
}

TEST_CASE("sandbox: io.open does not exist, and no file is written", "[sandbox]") {
  TempDir dir;
  const auto target = dir.path / "written";
  auto o = attack(dir, "local f = io.open('" + target.string() + "', 'w')\nf:write('x')");
  check_contained(o);
  CHECK(!fs::exists(target));
  CHECK(first_reason(o).find("attempt to index global 'io' (a nil value)") != std::string::npos);
}

TEST_CASE("sandbox: no module loading, no code loading, no escaping the environment", "[sandbox]") {
  TempDir dir;
  for (const char* a : {"require('os')", "load('return 1')()", "loadstring('return 1')()", "getfenv(0).x = 1",
                        "ffi.C.system('true')", "debug.getregistry()", "package.loadlib('libc.so.6', 'system')"}) {
    INFO(a);
    auto o = attack(dir, a);
    check_contained(o);
    CHECK(first_reason(o).find("a nil value") != std::string::npos);
  }
}

TEST_CASE("sandbox: shared state cannot be changed from one record for the next", "[sandbox]") {
  TempDir dir;
  auto globals = attack(dir, "seen = true");
  check_contained(globals);
  CHECK(first_reason(globals).find("cannot assign global 'seen'") != std::string::npos);
  auto libs = attack(dir, "string.upper = function() return 'pwned' end");
  check_contained(libs);
  CHECK(first_reason(libs).find("read-only") != std::string::npos);
  auto meta = attack(dir, "setmetatable(_G or {}, {})");
  check_contained(meta);
}

TEST_CASE("sandbox: an endless loop is stopped at the time limit", "[sandbox]") {
  TempDir dir;
  auto o = attack(dir, "while true do end", "    time_limit: 50ms\n");
  check_contained(o);
  CHECK(first_reason(o).find("ran longer than the time limit of 50ms (an endless loop?)") != std::string::npos);
  CHECK(o.seconds < 10);  // three loops of 50 ms each, not forever
}

TEST_CASE("sandbox: a 1 GB string is stopped at the memory limit", "[sandbox]") {
  TempDir dir;
  auto o = attack(dir, "local s = string.rep('x', 1024 * 1024 * 1024)\nrecord.size = #s", "    memory_limit_mb: 16\n");
  check_contained(o);
  CHECK(first_reason(o).find("exceeded the memory limit of 16 MB") != std::string::npos);
  for (const auto& r : o.passed) CHECK(!r.contains("size"));
}

TEST_CASE("sandbox: a table grown without end is stopped at the memory limit", "[sandbox]") {
  TempDir dir;
  auto o = attack(dir, "local t = {}\nfor i = 1, 1e9 do t[i] = i end", "    memory_limit_mb: 8\n    time_limit: 30s\n");
  check_contained(o);
  CHECK(first_reason(o).find("exceeded the memory limit of 8 MB") != std::string::npos);
}
