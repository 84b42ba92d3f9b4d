#include "nodes/listings/json_path.hpp"

#include <cctype>

namespace flowrun::listings {

namespace json = boost::json;

namespace {

class PathParser {
 public:
  explicit PathParser(std::string_view s) : s_(s) {}

  std::vector<JsonPath::Step> parse() {
    for (bool first = true; pos_ < s_.size(); first = false) {
      if (at('[')) {
        bracket();
        continue;
      }
      if (!first) {
        if (!at('.')) fail("'.' or '[' expected");
        ++pos_;
      }
      key();
    }
    return std::move(steps_);
  }

 private:
  bool at(char c) const { return pos_ < s_.size() && s_[pos_] == c; }

  [[noreturn]] void fail(const std::string& msg) const { throw JsonPathError("bad JSON path: " + msg, pos_); }

  void key() {
    std::size_t begin = pos_;
    while (pos_ < s_.size() && s_[pos_] != '.' && s_[pos_] != '[') ++pos_;
    if (pos_ == begin) fail("key expected");
    steps_.push_back({JsonPath::Step::key, std::string(s_.substr(begin, pos_ - begin)), 0});
  }

  void bracket() {
    ++pos_;  // '['
    if (at('*')) {
      ++pos_;
      steps_.push_back({JsonPath::Step::every, "", 0});
    } else if (at('"') || at('\'')) {
      const char quote = s_[pos_++];
      std::size_t end = s_.find(quote, pos_);
      if (end == std::string_view::npos) fail("unclosed quoted key");
      steps_.push_back({JsonPath::Step::key, std::string(s_.substr(pos_, end - pos_)), 0});
      pos_ = end + 1;
    } else {
      std::size_t begin = pos_;
      while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
      if (pos_ == begin || pos_ - begin > 9) {
        pos_ = begin;
        fail("[N] (an index), [*] or [\"key\"] expected");
      }
      steps_.push_back({JsonPath::Step::at_index, "", std::stoul(std::string(s_.substr(begin, pos_ - begin)))});
    }
    if (!at(']')) fail("']' expected");
    ++pos_;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  std::vector<JsonPath::Step> steps_;
};

void walk(const json::value& v, const std::vector<JsonPath::Step>& steps, std::size_t i,
          std::vector<const json::value*>& out) {
  if (i == steps.size()) {
    out.push_back(&v);
    return;
  }
  const JsonPath::Step& step = steps[i];
  switch (step.kind) {
    case JsonPath::Step::key:
      if (const json::object* o = v.if_object())
        if (const json::value* next = o->if_contains(step.name)) walk(*next, steps, i + 1, out);
      return;
    case JsonPath::Step::at_index:
      if (const json::array* a = v.if_array(); a && step.index < a->size()) walk((*a)[step.index], steps, i + 1, out);
      return;
    case JsonPath::Step::every:
      if (const json::array* a = v.if_array()) {
        for (const auto& el : *a) walk(el, steps, i + 1, out);
      } else if (const json::object* o = v.if_object()) {
        for (const auto& kv : *o) walk(kv.value(), steps, i + 1, out);
      }
      return;
  }
}

// Raw control characters inside strings, which JSON forbids but pages ship, become escapes.
std::string escape_controls_in_strings(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool in_string = false, escaped = false;
  for (char c : s) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      } else if (static_cast<unsigned char>(c) < 0x20) {
        out += c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : " ";
        continue;
      }
    } else if (c == '"') {
      in_string = true;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

JsonPath JsonPath::compile(std::string_view text) {
  JsonPath p;
  p.source_ = std::string(text);
  // "$", "$.a", "$[0]": JSONPath's root marker, for people who write it.
  std::size_t skip = 0;
  if (!text.empty() && text[0] == '$') skip = text.size() > 1 && text[1] == '.' ? 2 : 1;
  try {
    p.steps_ = PathParser(text.substr(skip)).parse();
  } catch (const JsonPathError& e) {
    throw JsonPathError(e.what(), e.offset + skip);
  }
  return p;
}

std::vector<const json::value*> JsonPath::select(const json::value& root) const {
  std::vector<const json::value*> out;
  walk(root, steps_, 0, out);
  return out;
}

const json::value* JsonPath::first(const json::value& root) const {
  for (const json::value* v : select(root)) {
    if (v->is_null()) continue;
    if (const json::string* s = v->if_string(); s && s->empty()) continue;
    return v;
  }
  return nullptr;
}

json::value parse_page_json(std::string_view text) {
  std::size_t begin = text.find_first_of("{[");
  if (begin == std::string_view::npos) throw std::invalid_argument("no JSON object or array in the text");
  const std::string clean = escape_controls_in_strings(text.substr(begin));
  json::parse_options opts;
  opts.allow_comments = true;
  opts.allow_trailing_commas = true;
  opts.allow_invalid_utf8 = true;
  json::parser p({}, opts);
  json::error_code ec;
  std::size_t used = p.write_some(clean.data(), clean.size(), ec);
  if (ec)
    throw std::invalid_argument("invalid JSON at character " + std::to_string(begin + used + 1) + ": " + ec.message());
  try {
    return p.release();
  } catch (const std::exception&) {
    throw std::invalid_argument("incomplete JSON: the text ends before the value does");
  }
}

}  // namespace flowrun::listings
