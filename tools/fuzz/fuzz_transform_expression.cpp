// Fuzz target: the transform nodes' expression path (issue 18). The input is expression text
// from a pipeline file: it is compiled as a condition, a value and a script in a sandbox (as
// `flowrun check` does), every syntax error is located in the text, and what compiles runs
// against a canonical record under tight time and memory limits. Nothing may crash, hang or
// escape; located positions must fall inside the text.
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/node.hpp"
#include "nodes/transform/program.hpp"

using namespace flowrun::transform;

namespace {

const json::object& record() {
  static const json::object r = boost::json::parse(
      R"({"id":"apn:1","price":253500,"assessed_value":20150,"property_type":"single_family",
          "address":{"city":"Phoenix","zip":"85031","unit":null},"tags":["a","b"],"beds":null})").as_object();
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 4096) return 0;
  const std::string text(reinterpret_cast<const char*>(data), size);
  const Limits limits{std::chrono::milliseconds(20), 8};
  for (ChunkKind kind : {ChunkKind::condition, ChunkKind::value, ChunkKind::script}) {
    Expr e{"fuzz", text, flowrun::Location{"f.yaml", 3, 11}, true};
    auto chunks = std::make_shared<const std::vector<Chunk>>(std::vector<Chunk>{{e, kind}});
    const auto problems = compile_problems(*chunks, limits);
    for (const auto& p : problems)
      if (p.where.line < 3 || p.message.empty()) __builtin_trap();
    if (!problems.empty()) continue;
    Program program(chunks, limits);
    json::object r = record();
    try {
      if (kind == ChunkKind::condition) (void)program.test(0, r);
      else if (kind == ChunkKind::value) (void)program.value(0, r);
      else program.script(0, r);
    } catch (const flowrun::RecordError&) {
      // an error on the record is the expected outcome for most inputs
    }
  }
  return 0;
}
