// The built-in prompts and schemas: the text of pipelines/prompts/*.txt and
// pipelines/schemas/*.json, compiled in at build time (see CMakeLists.txt).
#pragma once

namespace flowrun::llm::defaults {
extern const char* const enrich_prompt;
extern const char* const extract_prompt;
extern const char* const enrich_schema;
extern const char* const extract_schema;
}  // namespace flowrun::llm::defaults
