// Cards whose data is JSON: schema.org JSON-LD blocks (<script type="application/ld+json">) and
// payloads embedded in the page (a Next.js <script id="__NEXT_DATA__">, a data-props attribute).
// Modern listing pages carry their listings there rather than in HTML elements.
#pragma once
#include <boost/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "nodes/listings/html_select.hpp"
#include "nodes/listings/json_path.hpp"

namespace flowrun::listings {

// One parsed block of JSON text (a script element's text or an attribute's value).
struct JsonBlock {
  boost::json::value root;
  // JSON-LD: the block's top-level objects (the root, the elements of a root array, the members
  // of every `@graph`): the siblings a card's fields may read with `sibling:`.
  std::vector<const boost::json::value*> objects;
};

struct JsonCard {
  std::shared_ptr<const JsonBlock> block;  // keeps `value` alive
  const boost::json::value* value = nullptr;
};

struct JsonScan {
  std::vector<JsonCard> cards;
  int blocks = 0;                     // blocks of JSON text found
  std::vector<std::string> problems;  // blocks that did not parse: "script #2: invalid JSON at ..."
};

// Every object, in every JSON-LD block of the page, whose @type is one of `types` (at any depth:
// top level, inside arrays, @graph, an ItemList's items; a card's own inner objects are not
// searched). @type may be a string or a list; "schema:Product" and "https://schema.org/Product"
// match "Product"; case is ignored.
JsonScan json_ld_cards(const HtmlDocument& doc, const std::vector<std::string>& types);

// The text (or `selector`'s attribute) of every element `selector` matches, parsed as JSON
// (parse_page_json); every value `path` selects is a card.
JsonScan embedded_json_cards(const HtmlDocument& doc, const Selector& selector, const JsonPath& path);

// The object of the card's block, other than the card, whose @type is `type` and whose `key`
// has the card's value (URLs compared after resolving both against `base_url`); nullptr when
// the card has no such key or no object matches.
const boost::json::value* json_sibling(const JsonCard& card, const std::string& type, const std::string& key,
                                       const std::string& base_url);

bool has_json_ld_type(const boost::json::value& v, const std::vector<std::string>& types);

}  // namespace flowrun::listings
