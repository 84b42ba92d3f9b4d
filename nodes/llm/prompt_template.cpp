#include "nodes/llm/prompt_template.hpp"
#include "engine/dotted_path.hpp"
#include "engine/json_text.hpp"

#include <cctype>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace flowrun::llm {
namespace json = boost::json;

std::uint64_t fnv1a64(std::string_view data, std::uint64_t seed) {
  std::uint64_t h = seed;
  for (unsigned char c : data) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string hash_hex(std::string_view data) {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx",
                static_cast<unsigned long long>(fnv1a64(data)),
                static_cast<unsigned long long>(fnv1a64(data, 0x84222325cbf29ce4ULL)));
  return buf;
}

std::int64_t estimate_tokens(std::string_view text) {
  return static_cast<std::int64_t>((text.size() + 3) / 4);
}

namespace {

// Whole elements whose content is never prose.
bool skip_element(std::string_view tag) {
  return tag == "script" || tag == "style" || tag == "noscript" || tag == "svg" || tag == "head";
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string strip_tags(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  std::size_t i = 0;
  while (i < in.size()) {
    char c = in[i];
    if (c == '<') {
      auto end = in.find('>', i);
      if (end == std::string_view::npos) break;
      std::string_view tag = in.substr(i + 1, end - i - 1);
      std::size_t n = 0;
      while (n < tag.size() && (std::isalnum(static_cast<unsigned char>(tag[n])) || tag[n] == '!')) ++n;
      std::string name = lower(tag.substr(0, n));
      i = end + 1;
      if (skip_element(name)) {
        auto close = lower(in.substr(i)).find("</" + name);
        i = close == std::string::npos ? in.size() : in.find('>', i + close) + 1;
        if (i == 0) i = in.size();
      }
      out.push_back(' ');  // tags separate words
      continue;
    }
    if (c == '&') {
      static const std::pair<const char*, const char*> ents[] = {
          {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"},
          {"&apos;", "'"}, {"&nbsp;", " "}, {"&#36;", "$"}};
      bool hit = false;
      for (auto& [e, r] : ents) {
        if (in.substr(i, std::strlen(e)) == e) {
          out += r;
          i += std::strlen(e);
          hit = true;
          break;
        }
      }
      if (hit) continue;
    }
    out.push_back(c);
    ++i;
  }
  return out;
}

}  // namespace

std::string clean_text(std::string_view text, std::size_t max_chars) {
  std::string s = text.find('<') != std::string_view::npos || text.find('&') != std::string_view::npos
                      ? strip_tags(text)
                      : std::string(text);
  std::string out;
  out.reserve(s.size());
  bool space = false;
  for (char c : s) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  if (out.size() > max_chars) {
    auto cut = out.rfind(' ', max_chars);
    if (cut == std::string::npos || cut < max_chars / 2) cut = max_chars;
    // Do not split a UTF-8 sequence.
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out = out.substr(0, cut) + "...";
  }
  return out;
}

json::object trim_input(const json::object& data, const std::vector<std::string>& fields,
                        std::size_t max_chars) {
  json::object out;
  for (const auto& f : fields) {
    const json::value* v = value_at(data, f);
    if (!v || v->is_null()) continue;
    json::value cleaned;
    if (v->is_string()) {
      std::string t = clean_text(v->get_string(), max_chars);
      if (t.empty()) continue;
      cleaned = json::value(t);
    } else if (v->is_object() || v->is_array()) {
      std::string t = to_json_text(*v);
      cleaned = t.size() <= max_chars ? *v : json::value(clean_text(t, max_chars));
    } else {
      cleaned = *v;
    }
    // Keep the nesting of dotted paths so {{address.city}} resolves the same on the trimmed input.
    json::object* obj = &out;
    std::string_view path = f;
    for (auto dot = path.find('.'); dot != std::string_view::npos; dot = path.find('.')) {
      auto& slot = (*obj)[path.substr(0, dot)];
      if (!slot.is_object()) slot = json::object();
      obj = &slot.get_object();
      path.remove_prefix(dot + 1);
    }
    (*obj)[path] = std::move(cleaned);
  }
  return out;
}

namespace {
void lines(const json::object& o, const std::string& prefix, std::string& out) {
  for (auto& [k, v] : o) {
    std::string key = prefix + std::string(k);
    if (v.is_object()) {
      lines(v.get_object(), key + ".", out);
    } else {
      out += key + ": " + (v.is_string() ? std::string(v.get_string()) : to_json_text(v)) + "\n";
    }
  }
}
}  // namespace

std::string input_lines(const json::object& trimmed) {
  std::string out;
  lines(trimmed, "", out);
  return out;
}

PromptTemplate::PromptTemplate(std::string text) : text_(std::move(text)) {}

PromptTemplate PromptTemplate::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read prompt template " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return PromptTemplate(ss.str());
}

std::string PromptTemplate::render(const json::object& vars) const {
  std::string out;
  out.reserve(text_.size() + 256);
  std::size_t i = 0;
  while (true) {
    auto open = text_.find("{{", i);
    if (open == std::string::npos) break;
    auto close = text_.find("}}", open + 2);
    if (close == std::string::npos) break;
    out.append(text_, i, open - i);
    std::string name = text_.substr(open + 2, close - open - 2);
    auto b = name.find_first_not_of(" \t");
    auto e = name.find_last_not_of(" \t");
    name = b == std::string::npos ? "" : name.substr(b, e - b + 1);
    const json::value* v = value_at(vars, name);
    if (!v || v->is_null()) out += "unknown";
    else if (v->is_string()) out += std::string(v->get_string());
    else out += to_json_text(*v);
    i = close + 2;
  }
  out.append(text_, i, std::string::npos);
  return out;
}

std::vector<std::string> PromptTemplate::placeholders() const {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (true) {
    auto open = text_.find("{{", i);
    if (open == std::string::npos) break;
    auto close = text_.find("}}", open + 2);
    if (close == std::string::npos) break;
    std::string name = text_.substr(open + 2, close - open - 2);
    auto b = name.find_first_not_of(" \t");
    auto e = name.find_last_not_of(" \t");
    out.push_back(b == std::string::npos ? "" : name.substr(b, e - b + 1));
    i = close + 2;
  }
  return out;
}

}  // namespace flowrun::llm
