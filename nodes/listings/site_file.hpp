// A listing site described as data: where to start, what a card is (an HTML element, a JSON-LD
// object, a value in an embedded JSON payload), which selector or JSON path gives which field,
// how to page and whether to follow detail links. A new site needs a YAML file, not C++.
// The language is documented in docs/sites.md.
#pragma once
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/diagnostics.hpp"
#include "nodes/listings/html_select.hpp"
#include "nodes/listings/json_cards.hpp"
#include "nodes/listings/json_path.hpp"

namespace flowrun::listings {

// A bad site file; what() is "file:line:column: message".
struct SiteFileError : std::runtime_error {
  SiteFileError(Location where, const std::string& message)
      : std::runtime_error(where.str() + ": " + message), where(std::move(where)), message(message) {}
  Location where;
  std::string message;
};

// A field read from a JSON card: `{json: PATH}` on the card, or `{json: PATH, sibling: TYPE}` on
// the object of that @type in the card's JSON-LD block whose `match` key (default url) has the
// card's value.
struct JsonPick {
  JsonPath path;
  std::string sibling;
  std::string match = "url";
};

struct FieldSpec {
  std::string name;
  std::vector<Selector> selectors;  // HTML cards: tried in order; the first that yields a value wins
  std::vector<JsonPick> json;       // JSON cards: tried in order, likewise
  std::string label;   // read the value next to this label ("Bedrooms: 3", <dt>Beds</dt><dd>3</dd>)
  bool all = false;    // every match, as a JSON list (else the first)
  Location where;
};

struct CardSpec {
  enum class Kind { html, json_ld, json } kind = Kind::html;
  Selector selector;               // html: the card elements; json: the elements holding JSON text
  std::vector<std::string> types;  // json_ld: the @types that make a card
  JsonPath path;                   // json: which values of the parsed text are cards
  bool is_json() const { return kind != Kind::html; }
  std::string describe() const;    // for messages: "article.listing", "json_ld [Product]" ...
};

struct DetailSpec {
  Selector link;                  // inside an HTML card, e.g. "a.details@href"
  std::optional<JsonPick> json_link;  // or, for JSON cards, `{json: url}`
  std::vector<FieldSpec> fields;  // read from the detail page's HTML
};

struct SiteSpec {
  std::string name, file;
  std::string base_url;                 // "{base_url}" in start_urls; relative start URLs use it
  std::vector<std::string> start_urls;  // may use {zip} and {base_url}
  CardSpec card;
  std::vector<FieldSpec> fields;
  std::string listing_type;             // "", "sale" or "rent": stated for every card
  std::optional<Selector> next_page;    // a link to the next page
  std::string page_param;               // or: bump this query parameter until a page has no cards
  int first_page = 1;
  std::optional<DetailSpec> detail;
  int max_pages = 10, max_records = 0;  // 0 = no limit
  std::chrono::milliseconds delay{1000};
  bool uses_zip() const;
};

SiteSpec load_site_file(const std::string& path);  // throws SiteFileError (the first problem)
SiteSpec parse_site_yaml(const std::string& yaml_text, const std::string& file_name);

// For `flowrun check`: loads a site file and reports every problem in it, each at its
// file:line:column, into `diags`; never throws. The spec is returned only when there was none.
std::optional<SiteSpec> load_site_file(const std::string& path, Diagnostics& diags);
std::optional<SiteSpec> parse_site_yaml(const std::string& yaml_text, const std::string& file_name, Diagnostics& diags);

// "{zip}" and "{base_url}" substituted; a relative result is resolved against base_url.
std::string expand_start_url(const SiteSpec& site, const std::string& tmpl, const std::string& zip);

// Reads one field from a card (or a detail page root); nothing found when no selector matched.
struct FieldValue {
  std::optional<std::string> value;
  std::vector<std::string> list;  // for `all: true`
  bool found() const { return value.has_value() || !list.empty(); }
};
FieldValue extract_field(const HtmlDocument& doc, xmlNodePtr scope, const FieldSpec& f);

// Reads one field from a JSON card: the first value (neither null nor "") of the first pick that
// gives one, or with `all: true` every such value as a list; null when none. JSON values stay
// JSON (numbers, decoded strings, objects).
boost::json::value extract_json_field(const JsonCard& card, const FieldSpec& f, const std::string& base_url);

// The value that follows `label` in an element: "Bedrooms: 3" -> "3"; for <dt>/<th> (or an
// element whose own text is just the label) the next sibling element's text.
std::optional<std::string> labelled_value(xmlNodePtr el, const std::string& label);

}  // namespace flowrun::listings
