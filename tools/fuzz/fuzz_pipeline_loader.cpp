// Fuzz target: the pipeline loader (YAML parse, substitution, validation) with the file node
// family registered; when a pipeline loads, its DOT is rendered too. Any input must give
// diagnostics, never a crash, a hang or unbounded memory.
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/pipeline.hpp"
#include "nodes/file/register.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const flowrun::Registry registry = [] {
    flowrun::Registry r;
    flowrun::register_file_nodes(r);
    return r;
  }();
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto result = flowrun::load_pipeline_string(text, "fuzz.yaml", registry);
  for (const auto& d : result.diagnostics.all()) (void)d.str();
  if (result.ok()) (void)flowrun::to_dot(result.graph);
  return 0;
}
