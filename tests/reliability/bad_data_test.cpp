// Bad input through the file source: every input record ends either in the output file or in the
// dead-letter file with a reason (good + bad == input), the run never crashes, and every node's
// counters balance. Runs in-process with the file node family only.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <sstream>

#include "engine/pipeline.hpp"
#include "nodes/file/register.hpp"
#include "tests/reliability/child_process.hpp"
#include "tests/shared/run_checks.hpp"

using namespace flowrun;
using namespace flowrun::reltest;
namespace json = boost::json;

namespace {

const Registry& file_registry() {
  static Registry r = [] {
    Registry reg;
    register_file_nodes(reg);
    return reg;
  }();
  return r;
}

struct Outcome {
  RunSummary summary;
  std::vector<json::object> good, dead;  // parsed lines of the output and dead-letter files
  std::vector<std::string> unparseable;  // output lines that are not JSON objects (a bug)
  std::size_t good_lines = 0, dead_lines = 0;  // every line, parseable or not
  std::size_t total() const { return good_lines + dead_lines; }
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> v;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) v.push_back(l);
  return v;
}

// Writes `content` as the input file, runs file -> jsonl with an explicit dead_letter sink.
Outcome run_file(const TempDir& dir, const std::string& name, const std::string& content, const std::string& format) {
  write_file(dir.file(name), content);
  const std::string yaml = "nodes:\n"
                           "  src: {type: file, path: \"" + dir.file(name) + "\", format: " + format + "}\n"
                           "  good: {type: jsonl, inputs: [src], path: \"" + dir.file("good.jsonl") + "\"}\n"
                           "  dead: {type: dead_letter, path: \"" + dir.file("dead.jsonl") + "\"}\n";
  auto loaded = load_pipeline_string(yaml, "bad-data.yaml", file_registry());
  for (const auto& d : loaded.diagnostics.all()) UNSCOPED_INFO(d.str());
  REQUIRE(loaded.ok());
  Outcome o;
  o.summary = flowrun::testing::run_checked(loaded.graph, file_registry());  // every node balances
  for (auto [file, into] : {std::pair{"good.jsonl", &o.good}, std::pair{"dead.jsonl", &o.dead}}) {
    const auto lines = lines_of(read_file(dir.file(file)));
    (into == &o.good ? o.good_lines : o.dead_lines) = lines.size();
    for (const auto& l : lines) {
      boost::system::error_code ec;
      auto v = json::parse(l, ec);
      if (ec || !v.is_object()) o.unparseable.push_back(std::string(file) + ": " + l.substr(0, 200));
      else into->push_back(v.as_object());
    }
  }
  // Show a few, escaped: raw garbage in a terminal helps nobody.
  for (std::size_t i = 0; i < o.unparseable.size() && i < 3; ++i) {
    std::string shown;
    for (unsigned char c : o.unparseable[i].substr(0, 120)) shown += (c >= 0x20 && c < 0x7f) ? std::string(1, c) : "\\x" + std::to_string(c);
    UNSCOPED_INFO("not a JSON object (" << o.unparseable.size() << " lines): " << shown);
  }
  CHECK(o.unparseable.empty());
  return o;
}

std::string reason(const json::object& dead) {
  auto* r = dead.if_contains("reason");
  return r && r->is_string() ? std::string(r->as_string()) : "";
}

void require_reasons(const Outcome& o) {
  for (const auto& d : o.dead) {
    INFO(json::serialize(d).substr(0, 300));
    CHECK(!reason(d).empty());
  }
}

}  // namespace

TEST_CASE("malformed JSON lines are dead-lettered one by one, the rest flows", "[bad-data]") {
  TempDir dir;
  const std::string input =
      "{\"id\": 1}\n"
      "{\"id\": 2\n"                 // unterminated object
      "not json at all\n"
      "[1, 2, 3]\n"                  // JSON, but not an object
      "\"just a string\"\n"
      "{\"id\": 3, \"id\": 4}\n"     // duplicate key: valid JSON for Boost.JSON (last wins)
      "{\"id\": 5} trailing\n"
      "{\"id\": 6}\r\n"              // CRLF is fine
      "{\"id\": \"\\ud800\"}\n"      // lone surrogate escape
      "{\"id\": 7}\n";
  auto o = run_file(dir, "in.jsonl", input, "jsonl");
  CHECK(o.total() == 10);
  CHECK(o.dead.size() >= 5);
  require_reasons(o);
  CHECK(reason(o.dead.front()).find("in.jsonl:2:") != std::string::npos);
}

TEST_CASE("invalid UTF-8 and NUL bytes in JSON lines end in the dead letters as valid JSON", "[bad-data]") {
  TempDir dir;
  std::string input = "{\"id\": 1}\n";
  input += std::string("{\"name\": \"bad \xff\xfe byte\"}\n");         // invalid UTF-8 inside a string
  input += std::string("{\"name\": \"cut \xe2\x82\"}\n");              // truncated multibyte sequence
  input += std::string("{\"id\": 2}\x00\x00\n", 12);                   // NULs after the object
  input += std::string("\x00\x00\x00\x00\n", 5);                       // a line of NULs
  input += std::string("{\"na\x00me\": 1}\n", 13);                     // raw NUL inside a key
  input += "{\"ok\": \"escaped \\u0000 nul is fine\"}\n";
  auto o = run_file(dir, "in.jsonl", input, "jsonl");
  CHECK(o.total() == 7);
  CHECK(o.good.size() == 2);
  require_reasons(o);
}

TEST_CASE("a number out of range is dead-lettered, not written as Infinity", "[bad-data]") {
  TempDir dir;
  auto o = run_file(dir, "in.jsonl", "{\"id\": 1}\n{\"a\": 1e999999}\n{\"b\": -1e400}\n", "jsonl");
  CHECK(o.total() == 3);
  CHECK(o.good.size() == 1);
  CHECK(o.dead.size() == 2);
}

TEST_CASE("a 10 MB line (good and bad) goes through without a crash", "[bad-data]") {
  TempDir dir;
  const std::string big(10 * 1024 * 1024, 'x');
  std::string input = "{\"id\": 1, \"blob\": \"" + big + "\"}\n";  // valid: passes through whole
  input += "{\"id\": 2, \"blob\": \"" + big + "\n";               // unterminated string: dead letter
  input += "{\"id\": 3}\n";
  auto o = run_file(dir, "in.jsonl", input, "jsonl");
  REQUIRE(o.good.size() == 2);
  REQUIRE(o.dead.size() == 1);
  CHECK(o.good[0].at("blob").as_string().size() == big.size());
  // The dead letter keeps a sample of the bad text, not all 10 MB.
  CHECK(json::serialize(o.dead[0]).size() < 100 * 1024);
  require_reasons(o);
}

TEST_CASE("a JSON array with non-objects dead-letters each non-object element", "[bad-data]") {
  TempDir dir;
  auto o = run_file(dir, "in.json", R"([{"id": 1}, 2, "three", null, [4], {"id": 5}, true, {}])", "json");
  CHECK(o.good.size() == 3);
  CHECK(o.dead.size() == 5);
  require_reasons(o);
}

TEST_CASE("a broken JSON array document is one dead letter with a reason", "[bad-data]") {
  TempDir dir;
  auto o = run_file(dir, "in.json", "[{\"id\": 1}, {\"id\": 2", "json");
  CHECK(o.good.empty());
  CHECK(o.dead.size() == 1);
  require_reasons(o);
  auto o2 = run_file(dir, "obj.json", "{\"not\": \"an array\"}", "json");
  CHECK(o2.good.empty());
  CHECK(o2.dead.size() == 1);
  require_reasons(o2);
}

TEST_CASE("CSV rows with the wrong column count are dead-lettered with line numbers", "[bad-data]") {
  TempDir dir;
  const std::string input =
      "id,name,zip\n"
      "1,a,85031\n"
      "2,b\n"                     // too few
      "3,c,85033,extra\n"         // too many
      "4,\"quoted, comma\",85034\n"
      "5,\"doubled \"\"quote\"\"\",85035\n"
      ",,\n"                      // empty fields but the right count: a record
      "6,stray\"quote,85036\n";   // a quote inside an unquoted field is kept as text
  auto o = run_file(dir, "in.csv", input, "csv");
  CHECK(o.total() == 7);
  CHECK(o.dead.size() == 2);
  require_reasons(o);
  CHECK(reason(o.dead[0]).find("in.csv:3:") != std::string::npos);
  CHECK(reason(o.dead[1]).find("in.csv:4:") != std::string::npos);
}

TEST_CASE("CSV with an unterminated quote dead-letters the rest of the file as one record", "[bad-data]") {
  // RFC 4180 lets a quoted field span lines, so an unclosed quote swallows every following line;
  // the reader can only tell at end of file. What it must not do is drop it silently.
  TempDir dir;
  const std::string input =
      "id,name\n"
      "1,ok\n"
      "2,\"never closed\n"
      "3,swallowed\n"
      "4,swallowed too\n";
  auto o = run_file(dir, "in.csv", input, "csv");
  CHECK(o.good.size() == 1);
  REQUIRE(o.dead.size() == 1);
  CHECK(reason(o.dead[0]).find("unterminated") != std::string::npos);
  CHECK(reason(o.dead[0]).find("line 3") != std::string::npos);
}

TEST_CASE("CSV with invalid UTF-8, NULs and a 10 MB field", "[bad-data]") {
  TempDir dir;
  std::string input = "id,name\n";
  input += "1,\xff\xfe\n";
  input += std::string("2,nul\x00inside\n", 14);
  input += "3," + std::string(10 * 1024 * 1024, 'y') + "\n";
  input += "4,\"\xc3\"\n";
  auto o = run_file(dir, "in.csv", input, "csv");
  // Each row is either a record or a dead letter; either way the output files stay valid JSON
  // (checked in run_file) and nothing is lost.
  CHECK(o.total() == 4);
  require_reasons(o);
}

TEST_CASE("pure binary garbage as JSONL and CSV never crashes and accounts for every line", "[bad-data]") {
  TempDir dir;
  std::string garbage;
  for (int i = 0; i < 64 * 1024; ++i) garbage += static_cast<char>((i * 131 + 7) % 256);
  std::size_t nonblank = 0;
  {
    std::istringstream in(garbage);
    for (std::string l; std::getline(in, l);) {
      if (!l.empty() && l.back() == '\r') l.pop_back();
      if (l.find_first_not_of(" \t") != std::string::npos) ++nonblank;
    }
  }
  auto o = run_file(dir, "g.jsonl", garbage, "jsonl");
  CHECK(o.good_lines == 0);
  CHECK(o.dead_lines == nonblank);
  require_reasons(o);
  auto c = run_file(dir, "g.csv", garbage, "csv");
  CHECK(c.total() >= 1);
  require_reasons(c);
}
