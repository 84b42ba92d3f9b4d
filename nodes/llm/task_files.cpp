#include "nodes/llm/task_files.hpp"

#include <fstream>
#include <sstream>

#include "engine/data_files.hpp"

namespace flowrun::llm {
namespace json = boost::json;

namespace {

std::string read_text(const std::string& path, const std::string& option) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw TaskFileError(option, Location{}, "cannot read " + option + " file " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Location location_in(const std::string& path, const std::string& text, std::size_t offset) {
  Location at{path, 1, 1};
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') ++at.line, at.column = 1;
    else ++at.column;
  }
  return at;
}

std::string find_shipped(const std::string& kind, const std::string& name, const std::string& ext,
                         const std::string& base_dir, const std::string& option) {
  auto found = find_data_file(base_dir, kind, name, ext);
  if (!found.found.empty()) return found.found;
  std::string tried;
  for (const auto& t : found.tried) tried += (tried.empty() ? "" : ", ") + t;
  throw TaskFileError(option, Location{}, "the shipped " + option + " '" + name + "' is missing; looked for " + tried);
}

PromptTemplate read_prompt(const std::string& path) {
  const std::string text = read_text(path, "prompt");
  for (std::size_t i = text.find("{{"); i != std::string::npos; i = text.find("{{", i + 2)) {
    const auto close = text.find("}}", i + 2), line_end = text.find('\n', i);
    if (close == std::string::npos || close > line_end)
      throw TaskFileError("prompt", location_in(path, text, i), "'{{' is not closed by '}}' on its line");
  }
  PromptTemplate t(text);
  if (t.placeholders().empty())
    throw TaskFileError("prompt", Location{path, 1, 1},
                        "the prompt has no {{placeholder}}, so the model would never see the record (use {{input}})");
  return t;
}

json::value read_schema(const std::string& path) {
  const std::string text = read_text(path, "schema");
  json::stream_parser p;
  json::error_code ec;
  const std::size_t used = p.write_some(text.data(), text.size(), ec);
  if (!ec) p.finish(ec);
  if (ec) throw TaskFileError("schema", location_in(path, text, used), "invalid JSON: " + ec.message());
  json::value v = p.release();
  const auto* type = v.is_object() ? v.get_object().if_contains("type") : nullptr;
  if (!type || !type->is_string() || type->get_string() != "object")
    throw TaskFileError("schema", Location{path, 1, 1}, "a reply schema must be a JSON object with \"type\": \"object\"");
  return v;
}

}  // namespace

std::string shipped_prompt_name(const std::string& task) { return task; }
std::string shipped_schema_name(const std::string& task) { return task == "extract" ? "extraction" : "enrichment"; }

TaskFiles load_task_files(const std::string& task, const std::string& prompt, const std::string& schema,
                          const std::string& base_dir) {
  TaskFiles f;
  f.prompt_path = prompt.empty() ? find_shipped("prompts", shipped_prompt_name(task), ".txt", base_dir, "prompt") : prompt;
  f.schema_path =
      schema.empty() ? find_shipped("schemas", shipped_schema_name(task), ".schema.json", base_dir, "schema") : schema;
  f.prompt = read_prompt(f.prompt_path);
  f.schema = read_schema(f.schema_path);
  return f;
}

}  // namespace flowrun::llm
