// A small JSON-schema checker for the subset our LLM schemas use: type (string, number, integer,
// boolean, object, array, null, or a list of them), required, properties,
// additionalProperties: false, enum, minimum/maximum, minLength/maxLength, minItems/maxItems,
// items. Model replies are untrusted input, so every violation is reported with its JSON path.
#pragma once
#include <boost/json.hpp>

#include <string>
#include <vector>

namespace flowrun::llm {

struct SchemaViolation {
  std::string path;  // "$.investment.cap_rate"
  std::string rule;  // "type", "required", "enum", "minimum", ...
  std::string message;
  std::string str() const { return path + ": " + message; }
};

// Every violation of `value` against `schema` (empty = valid). Stops after `max_errors`.
std::vector<SchemaViolation> check_schema(const boost::json::value& value,
                                          const boost::json::value& schema,
                                          std::size_t max_errors = 20);

// A deterministic value that satisfies `schema`, picking strings, enum members and numbers from
// `seed` (the fake servers use it to answer "structured output" requests like a real model).
boost::json::value example_for_schema(const boost::json::value& schema, std::uint64_t seed);

}  // namespace flowrun::llm
