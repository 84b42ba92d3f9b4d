// Prompt templates with {{field}} placeholders (dotted paths: {{address.city}}), and the input
// trimming that keeps prompts small: only the configured fields, HTML tags stripped, whitespace
// collapsed, long text cut at a word boundary. The model never sees a raw HTML dump.
#pragma once
#include <boost/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace flowrun::llm {

// Stable across builds and machines (std::hash is not), so cache keys survive upgrades.
std::uint64_t fnv1a64(std::string_view data, std::uint64_t seed = 0xcbf29ce484222325ULL);
std::string hash_hex(std::string_view data);  // 32 hex chars (two independent 64-bit FNV-1a)

// Rough token count for budgeting before a call: ~4 characters per token for English text.
std::int64_t estimate_tokens(std::string_view text);

// Text fit for a prompt: tags removed, common entities decoded, whitespace collapsed, at most
// `max_chars` characters (cut at a word boundary, "..." appended).
std::string clean_text(std::string_view text, std::size_t max_chars);

// Only `fields` of `data` (dotted paths keep their nesting), strings cleaned and cut to
// `max_chars`; absent fields are left out (unknown stays unknown, the model is not told "null").
boost::json::object trim_input(const boost::json::object& data, const std::vector<std::string>& fields,
                               std::size_t max_chars);

// "key: value" lines for the trimmed input: the {{input}} placeholder.
std::string input_lines(const boost::json::object& trimmed);

class PromptTemplate {
 public:
  PromptTemplate() = default;
  explicit PromptTemplate(std::string text);
  static PromptTemplate load(const std::string& path);  // throws std::runtime_error naming path

  // Replaces each {{path}} with the value in `vars` (strings as-is, other JSON serialised);
  // an unknown placeholder becomes "unknown".
  std::string render(const boost::json::object& vars) const;
  const std::string& text() const { return text_; }
  std::vector<std::string> placeholders() const;
  std::string hash() const { return hash_hex(text_); }

 private:
  std::string text_;
};

}  // namespace flowrun::llm
