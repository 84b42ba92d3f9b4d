// The LLM node types' option tables: what `flowrun check` (loading a pipeline file) reports for
// prompts, schemas, resources and secrets, each at its file:line:column.
#include <catch2/catch.hpp>

#include <fstream>

#include "engine/node_type.hpp"
#include "engine/pipeline.hpp"
#include "harness.hpp"

using namespace flowrun;
using namespace flowrun::testing;

namespace {

void write(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

class NoSource : public SourceNode {
 public:
  void run(RunContext&, Emitter&) override {}
};

const Registry& registry() {
  static Registry r = [] {
    Registry reg;
    register_llm_nodes(reg);
    struct None {};
    NodeType<None> src("nothing", Role::source, "emits nothing");
    src.create([](const None&, const NodeInfo&) -> std::unique_ptr<Node> { return std::make_unique<NoSource>(); });
    reg.add(src.descriptor());
    return reg;
  }();
  return r;
}

// Loads one enricher with `enricher_options` as a pipeline file in `dir`: its errors (or, with
// `kind` ": warning: ", its own warnings, not the pipeline's), one a line.
std::string check(const TempDir& dir, const std::string& enricher_options, const std::string& kind = ": error: ") {
  const auto file = dir.path / "p.yaml";
  write(file, "name: p\nnodes:\n  src: {type: nothing}\n"
              "  enrich: {type: llm_enricher, inputs: [src], " + enricher_options + "}\n"
              "  more: {type: llm_enricher, inputs: [enrich, enrich.errors]}\n");
  auto r = load_pipeline_file(file.string(), registry());
  std::string all;
  for (const auto& d : r.diagnostics.all())
    if (d.str().find(kind) != std::string::npos && d.str().find("'more'") == std::string::npos &&
        d.str().find("dead-letter") == std::string::npos)
      all += d.str() + "\n";
  return all;
}

}  // namespace

TEST_CASE("options: the shipped prompt and schema are found by name, and a pipeline's own win", "[options]") {
  TempDir dir;
  CHECK(check(dir, "task: extract") == "");
  CHECK(check(dir, "prompt: enrich, schema: extraction") == "");
  // A bare name that is nowhere: named, with where it was looked for.
  CHECK_THAT(check(dir, "prompt: nosuch"), Catch::Contains("p.yaml:4:") &&
                                               Catch::Contains("option 'prompt': no prompts file 'nosuch'"));
  // The pipeline's prompts/enrich.txt is the one read (and this one is broken, so it shows).
  write(dir.path / "prompts" / "enrich.txt", "Describe:\n  {{input\n");
  CHECK_THAT(check(dir, "task: enrich"), Catch::Contains((dir.path / "prompts" / "enrich.txt").string() + ":2:3") &&
                                             Catch::Contains("'{{' is not closed"));
}

TEST_CASE("options: a schema file that does not parse fails the check at its line and column", "[options]") {
  TempDir dir;
  write(dir.path / "mine.schema.json", "{\n  \"type\": \"object\",\n  \"properties\": {\"a\": {\"type\": \"string\",}}\n}\n");
  const std::string errors = check(dir, "schema: mine.schema.json");
  CHECK_THAT(errors, Catch::Contains((dir.path / "mine.schema.json").string() + ":3:") &&
                         Catch::Contains("schema: invalid JSON"));
  write(dir.path / "list.schema.json", "[1, 2]\n");
  CHECK_THAT(check(dir, "schema: list.schema.json"), Catch::Contains("must be a JSON object with \"type\": \"object\""));
  write(dir.path / "prompts" / "flat.txt", "No placeholder here.\n");
  CHECK_THAT(check(dir, "prompt: flat"), Catch::Contains("has no {{placeholder}}"));
}

TEST_CASE("options: ranges, choices, resources and secrets are checked at load", "[options]") {
  TempDir dir;
  CHECK_THAT(check(dir, "task: summarise"), Catch::Contains("option 'task' must be one of enrich, extract"));
  CHECK_THAT(check(dir, "max_field_chars: 3"), Catch::Contains("option 'max_field_chars' must be from 16"));
  CHECK_THAT(check(dir, "breaker: llm"), Catch::Contains("names undefined resource 'llm' (not in resources.breakers)"));
  CHECK_THAT(check(dir, "retry_statuses: [429, teapot]"), Catch::Contains("'teapot' is not an HTTP status"));
  CHECK_THAT(check(dir, "base_url: localhost:11434"), Catch::Contains("option 'base_url': must start with http://"));

  const NodeDescriptor* d = llm_registry().find("llm_enricher");
  NodeInfo info{"e", "llm_enricher", dir.str(), Location{}};
  Diagnostics diags;
  const YAML::Node none(YAML::NodeType::Map);
  BindContext ctx{info, none, diags, "t.yaml"};
  BoundOptions b = d->schema->bind(YAML::Load("{api_key: sk-abc-123}"), ctx);
  CHECK(d->schema->secrets(b) == std::vector<std::string>{"sk-abc-123"});

  // The embedder's fallbacks exclude rules (no rule fills a vector).
  const NodeDescriptor* e = llm_registry().find("embedder");
  BoundOptions eb = e->schema->bind(YAML::Load("{on_unavailable: rules}"), ctx);
  CHECK_THAT(diags.all().back().str(), Catch::Contains("must be one of pass_through, dead_letter"));
}

TEST_CASE("options: a schema whose longest reply does not fit max_tokens is warned about with the numbers",
          "[options]") {
  TempDir dir;
  const std::string warning = ": warning: ";
  // The shipped schemas fit the default max_tokens (512): no warning.
  CHECK(check(dir, "task: enrich", warning) == "");
  CHECK(check(dir, "task: extract", warning) == "");
  // {"d":"<300 characters>"}: 2 + 3 + 1 + 302 = 308 characters -> 103 tokens at 3 a token, plus the
  // object's 4 whitespace gaps ({, }, around the colon).
  write(dir.path / "one.schema.json",
        R"({"type":"object","additionalProperties":false,"properties":{"d":{"type":"string","maxLength":300}}})");
  CHECK(check(dir, "schema: one.schema.json, max_tokens: 107", warning) == "");
  CHECK_THAT(check(dir, "schema: one.schema.json, max_tokens: 100", warning),
             Catch::Contains("p.yaml:4:") && Catch::Contains("option 'max_tokens'") &&
                 Catch::Contains("one.schema.json may take up to 107 tokens (308 characters at 3 per token + 4 "
                                 "whitespace gaps), more than max_tokens 100"));
  write(dir.path / "open.schema.json",
        R"({"type":"object","additionalProperties":false,"properties":{"notes":{"type":"string"}}})");
  CHECK_THAT(check(dir, "schema: open.schema.json", warning),
             Catch::Contains("option 'schema'") &&
                 Catch::Contains("open.schema.json does not bound the reply ($.notes: a string without maxLength or enum)"));
  CHECK(check(dir, "schema: open.schema.json") == "");  // a warning, not an error
}

TEST_CASE("options: fill is for extract, names reply properties, and its rule set must load", "[options]") {
  TempDir dir;
  CHECK(check(dir, "task: extract, fill: [price, sqft]") == "");
  CHECK_THAT(check(dir, "task: enrich, fill: [price]"),
             Catch::Contains("option 'fill': task enrich writes only under `enrichment`"));
  CHECK_THAT(check(dir, "task: extract, fill: [price, lot_sqft]"),
             Catch::Contains("option 'fill': 'lot_sqft' is not a property of the reply schema extraction.schema.json"));
  write(dir.path / "rules" / "broken.yaml", "rules:\n  - {rule: range, field: price, min: cheap}\n");
  CHECK_THAT(check(dir, "task: extract, rules: broken"),
             Catch::Contains("option 'rules'") && Catch::Contains("broken.yaml:2:") &&
                 Catch::Contains("'cheap' is not a number"));
}
