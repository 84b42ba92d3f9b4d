#include "nodes/listings/json_cards.hpp"

#include <libxml/tree.h>

#include <algorithm>
#include <cctype>

namespace flowrun::listings {

namespace json = boost::json;

namespace {

// "https://schema.org/Product", "schema:Product" -> "product".
std::string local_type(std::string_view t) {
  std::size_t cut = t.find_last_of("/#:");
  return ascii_lower(cut == std::string_view::npos ? t : t.substr(cut + 1));
}

// A script's text exactly as written (node_text() skips scripts and collapses whitespace).
std::string raw_content(xmlNodePtr n) {
  xmlChar* c = xmlNodeGetContent(n);
  std::string s = c ? reinterpret_cast<const char*>(c) : "";
  xmlFree(c);
  return s;
}

bool is_json_ld_script(xmlNodePtr n) {
  std::string type = ascii_lower(collapse_whitespace(attribute(n, "type")));
  return type.starts_with("application/ld+json");
}

void add_top_objects(const json::value& v, std::vector<const json::value*>& out) {
  if (const json::array* a = v.if_array()) {
    for (const auto& el : *a) add_top_objects(el, out);
    return;
  }
  const json::object* o = v.if_object();
  if (!o) return;
  out.push_back(&v);
  if (const json::value* g = o->if_contains("@graph")) add_top_objects(*g, out);
}

void find_typed(const json::value& v, const std::vector<std::string>& types, const std::shared_ptr<const JsonBlock>& block,
                std::vector<JsonCard>& out) {
  if (const json::array* a = v.if_array()) {
    for (const auto& el : *a) find_typed(el, types, block, out);
    return;
  }
  const json::object* o = v.if_object();
  if (!o) return;
  if (has_json_ld_type(v, types)) {
    out.push_back({block, &v});
    return;
  }
  for (const auto& kv : *o) find_typed(kv.value(), types, block, out);
}

std::shared_ptr<JsonBlock> parse_block(const std::string& text, const std::string& what, JsonScan& scan) {
  ++scan.blocks;
  auto block = std::make_shared<JsonBlock>();
  try {
    block->root = parse_page_json(text);
  } catch (const std::invalid_argument& e) {
    scan.problems.push_back(what + ": " + e.what());
    return nullptr;
  }
  add_top_objects(block->root, block->objects);
  return block;
}

bool same_key_value(const json::value& a, const json::value& b, const std::string& base_url) {
  if (a == b) return true;
  const json::string *sa = a.if_string(), *sb = b.if_string();
  if (!sa || !sb || sa->empty() || sb->empty()) return false;
  return resolve_url(base_url, std::string(*sa)) == resolve_url(base_url, std::string(*sb));
}

}  // namespace

bool has_json_ld_type(const json::value& v, const std::vector<std::string>& types) {
  const json::object* o = v.if_object();
  const json::value* t = o ? o->if_contains("@type") : nullptr;
  if (!t) return false;
  auto wanted = [&](const json::value& one) {
    const json::string* s = one.if_string();
    if (!s) return false;
    std::string got = local_type(*s);
    return std::any_of(types.begin(), types.end(), [&](const std::string& w) { return local_type(w) == got; });
  };
  if (const json::array* a = t->if_array()) return std::any_of(a->begin(), a->end(), wanted);
  return wanted(*t);
}

JsonScan json_ld_cards(const HtmlDocument& doc, const std::vector<std::string>& types) {
  static const Selector scripts = Selector::compile("script[type]");
  JsonScan scan;
  int n = 0;
  for (xmlNodePtr s : doc.select(scripts)) {
    if (!is_json_ld_script(s)) continue;
    auto block = parse_block(raw_content(s), "JSON-LD block #" + std::to_string(++n), scan);
    if (block) find_typed(block->root, types, block, scan.cards);
  }
  return scan;
}

JsonScan embedded_json_cards(const HtmlDocument& doc, const Selector& selector, const JsonPath& path) {
  JsonScan scan;
  int n = 0;
  for (xmlNodePtr el : doc.select(selector)) {
    std::string text = el->type == XML_ELEMENT_NODE && !selector.attr().empty() ? attribute(el, selector.attr())
                                                                                 : raw_content(el);
    auto block = parse_block(text, "'" + selector.source() + "' #" + std::to_string(++n), scan);
    if (!block) continue;
    for (const json::value* v : path.select(block->root))
      if (!v->is_null()) scan.cards.push_back({block, v});
  }
  return scan;
}

const json::value* json_sibling(const JsonCard& card, const std::string& type, const std::string& key,
                                const std::string& base_url) {
  const json::object* c = card.value->if_object();
  const json::value* want = c ? c->if_contains(key) : nullptr;
  if (!want || want->is_null()) return nullptr;
  const std::vector<std::string> types{type};
  for (const json::value* o : card.block->objects) {
    if (o == card.value || !has_json_ld_type(*o, types)) continue;
    const json::value* got = o->get_object().if_contains(key);
    if (got && same_key_value(*want, *got, base_url)) return o;
  }
  return nullptr;
}

}  // namespace flowrun::listings
