#include "nodes/transform/field_path.hpp"

#include "engine/node.hpp"

namespace flowrun::transform {

namespace {

const char* kind_text(const json::value& v) {
  switch (v.kind()) {
    case json::kind::array: return "a list";
    case json::kind::string: return "a string";
    case json::kind::bool_: return "a boolean";
    default: return "a number";
  }
}

}  // namespace

std::string path_problem(const std::string& text) {
  if (text.empty()) return "a field name is empty";
  if (text.front() == '.' || text.back() == '.' || text.find("..") != std::string::npos)
    return "'" + text + "' has an empty part between dots";
  return "";
}

FieldPath parse_path(const std::string& text) {
  FieldPath p{text, {}};
  std::size_t start = 0;
  for (;;) {
    const auto dot = text.find('.', start);
    p.segments.push_back(text.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return p;
}

void set_path(json::object& record, const FieldPath& p, json::value v) {
  json::object* o = &record;
  for (std::size_t i = 0; i + 1 < p.segments.size(); ++i) {
    json::value& next = (*o)[p.segments[i]];
    if (next.is_null()) next = json::object();
    if (!next.is_object())
      throw RecordError(p.text, "object", "cannot set '" + p.text + "': '" + p.segments[i] + "' is " + kind_text(next) +
                                              ", not an object");
    o = &next.get_object();
  }
  (*o)[p.segments.back()] = std::move(v);
}

std::optional<json::value> take_path(json::object& record, const FieldPath& p) {
  json::object* o = &record;
  for (std::size_t i = 0; i + 1 < p.segments.size(); ++i) {
    auto* next = o->if_contains(p.segments[i]);
    if (!next || !next->is_object()) return std::nullopt;
    o = &next->get_object();
  }
  auto it = o->find(p.segments.back());
  if (it == o->end()) return std::nullopt;
  json::value v = std::move(it->value());
  o->stable_erase(it);  // erase() would move the last field into its place
  return v;
}

}  // namespace flowrun::transform
