// `flowrun check` compiles every expression and script: a syntax error is reported at the
// pipeline file's line and column (plain, quoted and block scalars), with a hint for the
// operators other languages spell differently.
#include <catch2/catch.hpp>

#include "tests/transform/transform_test_support.hpp"

using namespace flowrun;
using namespace flowrun::transform_test;

namespace {

const char* kBad = R"(nodes:
  src: {type: file, path: in.jsonl}
  a:
    type: filter
    inputs: [src]
    when: price != 1
  b:
    type: filter
    inputs: [a]
    when: "beds > 2 &&  baths > 1"
  c:
    type: route
    inputs: [b]
    routes:
      big: sqft > 3000
      odd: (price > 1
  d:
    type: map
    inputs: [c.big, c.odd]
    set:
      ratio: price / assessed_value
      bad: price = 2
    script: |
      local x = 1
      if x > 0 then
        record.y = x +
      end
  e:
    type: filter
    inputs: [d]
    when: ""
  f:
    type: filter
    inputs: [e]
    when: {a: 1}
  g:
    type: map
    inputs: [f]
  o: {type: jsonl, inputs: [g], path: o.jsonl}
)";

}  // namespace

TEST_CASE("check reports each bad expression at its line and column in the pipeline file", "[check]") {
  TempDir dir;
  dir.write("in.jsonl", "");
  auto loaded = load_in(dir, kBad);
  CHECK(!loaded.ok());
  const std::string text = diagnostics_text(loaded);
  INFO(text);
  const std::string file = (dir.path / "p.yaml").string();
  auto has = [&](const std::string& line) { return text.find(file + ":" + line) != std::string::npos; };
  // A plain scalar: the column of the offending token.
  CHECK(has("6:17: error: node 'a': when: ')' expected near '!' (Lua writes 'not equal' as ~=)"));
  // A quoted scalar: columns count from after the quote.
  CHECK(has("10:21: error: node 'b': when: ')' expected near '&' (Lua writes 'and' as and)"));
  // An expression cut short: the end of its text.
  CHECK(has("16:22: error: node 'c': routes.odd: ')' expected"));
  CHECK(has("22:18: error: node 'd': set.bad: ')' expected near '=' (compare with ==; a map node sets fields with set:)"));
  // A block scalar: the line inside the block.
  CHECK(has("27:7: error: node 'd': script: unexpected symbol near 'end'"));
  CHECK(has("31:12: error: node 'e': when: is empty"));
  CHECK(has("35:11: error: node 'f': option 'when' must be a Lua expression (a string), got a map"));
  CHECK(has("36:3: error: node 'g': option 'set': a map node needs at least one of set:, rename:, delete: or script:"));
  // Nothing unlocated: every problem names the file.
  for (const auto& d : loaded.diagnostics.all()) CHECK(d.where.file == file);
  CHECK(loaded.diagnostics.error_count() == 8);
}

TEST_CASE("good expressions pass check, and sandbox-blocked names are run-time, not syntax, errors", "[check]") {
  TempDir dir;
  dir.write("in.jsonl", "");
  auto loaded = load_in(dir, R"(nodes:
  src: {type: file, path: in.jsonl}
  a: {type: filter, inputs: [src], when: 'os.execute("true") == 0'}
  o: {type: jsonl, inputs: [a], path: o.jsonl}
)");
  INFO(diagnostics_text(loaded));
  CHECK(loaded.ok());
}
