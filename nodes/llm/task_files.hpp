// The prompt and the reply schema of an llm_enricher: shipped ones found by name (the task's own,
// or `prompt: NAME` / `schema: NAME`) through engine/data_files.hpp, or files of the pipeline's.
// Both are read and checked the same way in `flowrun check` (the type's validate hook) and when
// the node is made, so a file that does not parse fails the check at its line and column.
#pragma once
#include <boost/json.hpp>

#include <stdexcept>
#include <string>

#include "engine/diagnostics.hpp"
#include "nodes/llm/prompt_template.hpp"

namespace flowrun::llm {

// A problem inside (or finding) one of the files, with where it is.
struct TaskFileError : std::runtime_error {
  TaskFileError(std::string option, Location where, const std::string& message)
      : std::runtime_error(message), option(std::move(option)), where(std::move(where)) {}
  std::string option;  // "prompt" or "schema"
  Location where;      // in the file when known, else empty (the option's value is meant)
};

struct TaskFiles {
  std::string prompt_path, schema_path;
  PromptTemplate prompt;
  boost::json::value schema;
};

// `prompt`/`schema` as the option table left them: "" (the task's shipped file) or a resolved
// path. Throws TaskFileError.
TaskFiles load_task_files(const std::string& task, const std::string& prompt, const std::string& schema,
                          const std::string& base_dir);

// The shipped names for a task: "enrich" -> prompts/enrich.txt, schemas/enrichment.schema.json.
std::string shipped_prompt_name(const std::string& task);
std::string shipped_schema_name(const std::string& task);

}  // namespace flowrun::llm
