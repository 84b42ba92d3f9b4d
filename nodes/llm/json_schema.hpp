// A small JSON-schema checker for the subset our LLM schemas use: type (string, number, integer,
// boolean, object, array, null, or a list of them), required, properties,
// additionalProperties: false, enum, minimum/maximum, minLength/maxLength, minItems/maxItems,
// items. Model replies are untrusted input, so every violation is reported with its JSON path.
#pragma once
#include <boost/json.hpp>

#include <cstdint>
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

// The longest reply a server can write while a grammar made from `schema` holds it (llama.cpp and
// Ollama turn the schema into one), so a schema can be checked against max_tokens at load.
// `chars` counts compact JSON with every string at its maxLength (a character counts once, even
// when the model escapes it), arrays at maxItems, enums at their longest member, integers at the
// longer of their bounds, and other numbers at the 52 characters llama.cpp's number grammar allows
// (16 digits, 16 decimals, an exponent of 16). `gaps` counts the places between JSON tokens where
// the grammar allows whitespace. When the schema does not bound the reply (a string without
// maxLength or enum, an array without maxItems, an object whose additionalProperties is not false,
// a value of any type), `unbounded` names the first such place ("$.description: no maxLength").
struct ReplyBound {
  std::int64_t chars = 0, gaps = 0;
  std::string unbounded;  // "" = bounded
  bool bounded() const { return unbounded.empty(); }
};
ReplyBound worst_case_reply(const boost::json::value& schema);

// The documented, deliberately conservative conversion to tokens: at least 3 characters per token
// (English text and JSON average about 4 with Llama-family tokenizers) plus one token per gap.
constexpr std::int64_t kCharsPerToken = 3;
std::int64_t worst_case_tokens(const ReplyBound& b);

// A deterministic value that satisfies `schema`, picking strings, enum members and numbers from
// `seed` (the fake servers use it to answer "structured output" requests like a real model).
boost::json::value example_for_schema(const boost::json::value& schema, std::uint64_t seed);

}  // namespace flowrun::llm
