// Config unit tests (engine/config_tests.cpp): passing tests, failures that say what differed,
// no_output_from, insertion mid-pipeline and at a source, stubs, and bad specs with line:col.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <random>

#include "engine/config_tests.hpp"
#include "engine/context.hpp"
#include "nodes/file/register.hpp"

namespace fs = std::filesystem;
using namespace flowrun;

namespace {

// upper: uppercases one string field.
class Upper : public ProcessNode {
 public:
  explicit Upper(const NodeConfig& c) : field_(c.get_string("field")) {}
  void process(Record in, RunContext&, Emitter& out) override {
    if (auto* v = in.data.if_contains(field_); v && v->is_string()) {
      std::string s(v->as_string());
      for (auto& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      *v = s;
    }
    out.emit(std::move(in));
  }

 private:
  std::string field_;
};

// keep_if: passes records whose field equals a value, filters the rest.
class KeepIf : public ProcessNode {
 public:
  explicit KeepIf(const NodeConfig& c) : field_(c.get_string("field")), value_(c.get_string("equals")) {}
  void process(Record in, RunContext&, Emitter& out) override {
    auto* v = in.data.if_contains(field_);
    if (v && v->is_string() && v->as_string() == value_) out.emit(std::move(in));
    else out.filtered();
  }

 private:
  std::string field_, value_;
};

// boom: rejects records that carry `bad: true`.
class Boom : public ProcessNode {
 public:
  void process(Record in, RunContext&, Emitter& out) override {
    if (auto* v = in.data.if_contains("bad"); v && v->is_bool() && v->as_bool())
      throw RecordError("bad", "not_bad", "record is bad");
    out.emit(std::move(in));
  }
};

// explode: stands in for a node that needs a server (an LLM): every record fails.
class Explode : public ProcessNode {
 public:
  void process(Record, RunContext&, Emitter&) override { throw std::runtime_error("no server in tests"); }
};

Registry test_registry() {
  Registry r;
  register_file_nodes(r);
  NodeDescriptor up;
  up.type = "upper";
  up.options = {{"field", OptionType::string, "", "field to uppercase", true, {}}};
  up.factory = [](const NodeConfig& c) { return std::make_unique<Upper>(c); };
  r.add(up);
  NodeDescriptor keep;
  keep.type = "keep_if";
  keep.options = {{"field", OptionType::string, "", "field", true, {}}, {"equals", OptionType::string, "", "value", true, {}}};
  keep.factory = [](const NodeConfig& c) { return std::make_unique<KeepIf>(c); };
  r.add(keep);
  NodeDescriptor boom;
  boom.type = "boom";
  boom.factory = [](const NodeConfig&) { return std::make_unique<Boom>(); };
  r.add(boom);
  NodeDescriptor ex;
  ex.type = "explode";
  ex.factory = [](const NodeConfig&) { return std::make_unique<Explode>(); };
  r.add(ex);
  return r;
}

// The pipeline under test. Its source file does not exist and its sinks write under /nonexistent:
// a test that ran either for real would fail, so passing tests prove both were stubbed.
const char* const kPipeline = R"(name: ct
nodes:
  src:
    type: file
    path: /nonexistent/config-test-input.jsonl
  up:
    type: upper
    inputs: [src]
    field: city
  only_az:
    type: keep_if
    inputs: [up]
    field: state
    equals: AZ
  check:
    type: boom
    inputs: [only_az]
  out:
    type: jsonl
    inputs: [check]
    path: /nonexistent/out.jsonl
)";

struct TempDir {
  fs::path dir;
  TempDir() {
    dir = fs::temp_directory_path() / ("flowrun-configtest-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir);
  }
  ~TempDir() { fs::remove_all(dir); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(dir / name) << text;
    return (dir / name).string();
  }
};

struct Outcome {
  std::vector<ConfigTestResult> results;
  Diagnostics diags;
  std::string all_failures() const {
    std::string s;
    for (const auto& r : results)
      for (const auto& f : r.failures) s += r.name + ": " + f + "\n";
    for (const auto& d : diags.all()) s += d.str() + "\n";
    return s;
  }
};

Outcome run_tests_text(const std::string& tests_yaml) {
  TempDir t;
  t.write("pipeline.yaml", kPipeline);
  std::string file = t.write("pipeline_test.yaml", "pipeline: pipeline.yaml\n" + tests_yaml);
  Registry reg = test_registry();
  Outcome o;
  o.results = run_config_tests(file, reg, o.diags);
  return o;
}

}  // namespace

TEST_CASE("a passing test: inserted at the source, expected fields at the sink, any order") {
  auto o = run_tests_text(R"(tests:
  - name: uppercases and keeps Arizona
    inputs:
      - insert_at: src
        records:
          - {apn: "101-01-001", city: phoenix, state: AZ, beds: 3}
          - {apn: "101-01-002", city: mesa, state: AZ, beds: 4.0}
          - {apn: "999", city: reno, state: NV}
    outputs:
      - extract_from: out
        expect:
          - {apn: "101-01-002", city: MESA, beds: 4}
          - {apn: "101-01-001", city: PHOENIX}
      - extract_from: only_az
        conditions:
          - {field: state, op: equals, value: AZ}
          - {field: city, op: matches, value: "^[A-Z]+$"}
          - {field: apn, op: contains, value: "-01-"}
          - {field: beds, op: gt, value: 2}
          - {field: zip, op: missing}
        count: 2
    no_output_from: [check.errors, dead_letters]
)");
  INFO(o.all_failures());
  REQUIRE(!o.diags.has_errors());
  REQUIRE(o.results.size() == 1);
  CHECK(o.results[0].name == "uppercases and keeps Arizona");
  CHECK(o.results[0].passed);
}

TEST_CASE("a failing expectation names the output, the record, the field, expected and got") {
  auto o = run_tests_text(R"(tests:
  - name: wrong city
    inputs:
      - insert_at: src
        records:
          - {apn: "1", city: phoenix, state: AZ}
    outputs:
      - extract_from: out
        expect:
          - {apn: "1", city: Phoenix}
)");
  REQUIRE(!o.diags.has_errors());
  REQUIRE(o.results.size() == 1);
  CHECK_FALSE(o.results[0].passed);
  REQUIRE(o.results[0].failures.size() == 1);
  const std::string& f = o.results[0].failures[0];
  INFO(f);
  CHECK(f.find("extract_from 'out'") != std::string::npos);
  CHECK(f.find("expected record #1 (") != std::string::npos);
  CHECK(f.find("pipeline_test.yaml:11:13)") != std::string::npos);  // where the expectation is
  CHECK(f.find("record #1 (inserted at src #1)") != std::string::npos);
  CHECK(f.find("field 'city': expected \"Phoenix\" (string), got \"PHOENIX\" (string)") != std::string::npos);
}

TEST_CASE("a count mismatch and a failed condition are both reported") {
  auto o = run_tests_text(R"(tests:
  - name: counts
    inputs:
      - insert_at: src
        records:
          - {city: a, state: AZ, beds: 1}
          - {city: b, state: NV}
    outputs:
      - extract_from: only_az
        count: 2
        conditions:
          - {field: beds, op: gt, value: 2}
)");
  REQUIRE(o.results.size() == 1);
  CHECK_FALSE(o.results[0].passed);
  const std::string all = o.all_failures();
  INFO(all);
  CHECK(all.find("expected 2 record(s), got 1") != std::string::npos);
  CHECK(all.find("condition 'beds gt'") != std::string::npos);
  CHECK(all.find("expected > 2, got 1 (number)") != std::string::npos);
}

TEST_CASE("no_output_from violated reports how many records and why the first failed") {
  auto o = run_tests_text(R"(tests:
  - name: nothing bad
    inputs:
      - insert_at: src
        records:
          - {city: x, state: AZ, bad: true}
          - {city: y, state: AZ}
    outputs:
      - extract_from: out
        expect: [{city: Y}]
    no_output_from: [check.errors]
)");
  REQUIRE(o.results.size() == 1);
  CHECK_FALSE(o.results[0].passed);
  REQUIRE(o.results[0].failures.size() == 1);
  const std::string& f = o.results[0].failures[0];
  INFO(f);
  CHECK(f.find("no_output_from 'check.errors': expected no records, got 1") != std::string::npos);
  CHECK(f.find("record is bad") != std::string::npos);
}

TEST_CASE("errors ports and dead letters can be extracted, with $meta fields") {
  auto o = run_tests_text(R"(tests:
  - name: bad records are dead-lettered
    inputs:
      - insert_at: src
        records: [{city: x, state: AZ, bad: true}]
    outputs:
      - extract_from: dead_letters
        count: 1
        conditions:
          - {field: $meta.error.rule, op: equals, value: not_bad}
          - {field: $meta.error.node, op: equals, value: check}
    no_output_from: [out]
)");
  INFO(o.all_failures());
  REQUIRE(o.results.size() == 1);
  CHECK(o.results[0].passed);
}

TEST_CASE("inserting mid-pipeline skips the nodes before it") {
  // Inserted at only_az, so `up` never sees the record: the city stays lowercase.
  auto o = run_tests_text(R"(tests:
  - name: mid
    inputs:
      - insert_at: only_az
        records:
          - {city: tempe, state: AZ}
          - {city: reno, state: NV}
    outputs:
      - extract_from: out
        expect: [{city: tempe}]
      - extract_from: check
        expect: [{city: tempe, state: AZ}]
)");
  INFO(o.all_failures());
  REQUIRE(o.results.size() == 1);
  CHECK(o.results[0].passed);
}

TEST_CASE("stub: replaces a transform that needs a server by a passthrough") {
  TempDir t;
  t.write("p.yaml", R"(name: stubbed
nodes:
  src: {type: file, path: /nonexistent/in.jsonl}
  enrich: {type: explode, inputs: [src]}
  up: {type: upper, inputs: [enrich], field: city}
  out: {type: jsonl, inputs: [up], path: /nonexistent/out.jsonl}
)");
  auto file = t.write("t.yaml", R"(pipeline: p.yaml
tests:
  - name: without stub the enricher fails
    inputs: [{insert_at: src, records: [{city: a}]}]
    outputs: [{extract_from: out, expect: [{city: A}]}]
  - name: with stub
    stub: [enrich]
    inputs: [{insert_at: src, records: [{city: a}]}]
    outputs: [{extract_from: out, expect: [{city: A}]}]
    no_output_from: [enrich.errors]
)");
  Registry reg = test_registry();
  Diagnostics d;
  auto res = run_config_tests(file, reg, d);
  REQUIRE(res.size() == 2);
  CHECK_FALSE(res[0].passed);
  REQUIRE(!res[0].failures.empty());
  std::string f0;
  for (const auto& f : res[0].failures) f0 += f + "\n";
  INFO(f0);
  CHECK(f0.find("expected 1 record(s), got 0") != std::string::npos);
  CHECK(f0.find("not found: got no records") != std::string::npos);
  INFO((res[1].failures.empty() ? std::string() : res[1].failures[0]));
  CHECK(res[1].passed);
}

TEST_CASE("tests inside the pipeline file itself") {
  TempDir t;
  auto file = t.write("inline.yaml", std::string(kPipeline) + R"(tests:
  - name: inline
    inputs: [{insert_at: up, records: [{city: gilbert, state: AZ}]}]
    outputs: [{extract_from: out, expect: [{city: GILBERT}], count: 1}]
)");
  Registry reg = test_registry();
  Diagnostics d;
  auto res = run_config_tests(file, reg, d);
  REQUIRE(!d.has_errors());
  REQUIRE(res.size() == 1);
  CHECK(res[0].passed);
}

TEST_CASE("quoted YAML values stay strings, plain ones are typed") {
  auto o = run_tests_text(R"(tests:
  - name: types
    inputs: [{insert_at: only_az, records: [{state: AZ, zip: "85004", n: 85004, ok: true, none: null}]}]
    outputs:
      - extract_from: out
        expect: [{zip: "85004", n: 85004.0, ok: true, none: ~}]
  - name: string is not a number
    inputs: [{insert_at: only_az, records: [{state: AZ, zip: "85004"}]}]
    outputs:
      - extract_from: out
        expect: [{zip: 85004}]
)");
  REQUIRE(o.results.size() == 2);
  INFO(o.all_failures());
  CHECK(o.results[0].passed);
  CHECK_FALSE(o.results[1].passed);
  CHECK(o.all_failures().find("expected 85004 (number), got \"85004\" (string)") != std::string::npos);
}

TEST_CASE("bad specs are diagnostics at file:line:column") {
  auto o = run_tests_text(R"(tests:
  - name: typo in node
    inputs: [{insert_at: uper, records: [{city: a}]}]
    outputs: [{extract_from: out, count: 1}]
  - name: bad op
    inputs: [{insert_at: up, records: [{city: a}]}]
    outputs:
      - extract_from: out
        conditions: [{field: city, op: equal, value: A}]
  - name: bad port
    inputs: [{insert_at: up, records: [{city: a}]}]
    outputs: [{extract_from: check.rejected, count: 0}]
  - name: unknown key
    inputs: [{insert_at: up, records: [{city: a}]}]
    output: [{extract_from: out, count: 1}]
  - name: upstream
    inputs: [{insert_at: check, records: [{city: a}]}]
    outputs: [{extract_from: up, count: 1}]
)");
  std::vector<std::string> lines;
  for (const auto& d : o.diags.all()) lines.push_back(d.str());
  std::string all;
  for (const auto& l : lines) all += l + "\n";
  INFO(all);
  REQUIRE(o.results.size() == 5);
  for (const auto& r : o.results) CHECK_FALSE(r.passed);
  auto has = [&](const std::string& needle) { return all.find(needle) != std::string::npos; };
  CHECK(has("pipeline_test.yaml:4:26: error: test 'typo in node': insert_at 'uper' names no node of the pipeline (did you mean 'up'?)"));
  CHECK(has("pipeline_test.yaml:10:40: error: test 'bad op': unknown op 'equal'"));
  CHECK(has("(did you mean 'equals'?)"));
  CHECK(has("pipeline_test.yaml:13:30: error: test 'bad port': extract_from 'check.rejected': node 'check' (boom) has no port 'rejected'"));
  CHECK(has("pipeline_test.yaml:16:5: error: test 'unknown key': unknown key 'output' (did you mean 'outputs'?)"));
  CHECK(has("pipeline_test.yaml:19:30: error: test 'upstream': extract_from 'up' is not downstream of any insert_at node (check)"));
}

TEST_CASE("a broken pipeline or test file is reported, not run") {
  TempDir t;
  Registry reg = test_registry();
  {
    auto file = t.write("t.yaml", "pipeline: missing.yaml\ntests: [{name: x}]\n");
    Diagnostics d;
    CHECK(run_config_tests(file, reg, d).empty());
    REQUIRE(d.has_errors());
    CHECK(d.all()[0].message.find("cannot open pipeline file") != std::string::npos);
  }
  {
    auto file = t.write("bad.yaml", "pipeline: p.yaml\ntests: [\n");
    Diagnostics d;
    CHECK(run_config_tests(file, reg, d).empty());
    REQUIRE(d.has_errors());
    CHECK(d.all()[0].str().find("bad.yaml:3:1: error: invalid YAML") != std::string::npos);
  }
  {
    auto file = t.write("nt.yaml", kPipeline);
    Diagnostics d;
    CHECK(run_config_tests(file, reg, d).empty());
    CHECK_FALSE(d.has_errors());
    REQUIRE(d.all().size() == 1);
    CHECK(d.all()[0].message.find("no `tests:`") != std::string::npos);
  }
}

TEST_CASE("unset ${env.X} secrets get a placeholder so tests run without them") {
  TempDir t;
  ::unsetenv("FLOWRUN_CONFIGTEST_SECRET");
  t.write("p.yaml", R"(name: secret
nodes:
  src: {type: file, path: "/nonexistent/${env.FLOWRUN_CONFIGTEST_SECRET}.jsonl"}
  up: {type: upper, inputs: [src], field: city}
  out: {type: jsonl, inputs: [up], path: /nonexistent/out.jsonl}
)");
  auto file = t.write("t.yaml", R"(pipeline: p.yaml
tests:
  - name: runs
    inputs: [{insert_at: src, records: [{city: a}]}]
    outputs: [{extract_from: out, expect: [{city: A}]}]
)");
  Registry reg = test_registry();
  Diagnostics d;
  auto res = run_config_tests(file, reg, d);
  for (const auto& x : d.all()) INFO(x.str());
  REQUIRE(res.size() == 1);
  CHECK(res[0].passed);
}
