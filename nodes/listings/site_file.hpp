// A listing site described as data: where to start, what a card is, which selector gives which
// field, how to page and whether to follow detail links. A new site needs a YAML file, not C++.
#pragma once
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/diagnostics.hpp"
#include "nodes/listings/html_select.hpp"

namespace flowrun::listings {

// A bad site file; what() is "file:line:column: message".
struct SiteFileError : std::runtime_error {
  SiteFileError(Location where, const std::string& message)
      : std::runtime_error(where.str() + ": " + message), where(std::move(where)) {}
  Location where;
};

struct FieldSpec {
  std::string name;
  std::vector<Selector> selectors;  // tried in order; the first that yields a value wins
  std::string label;   // read the value next to this label ("Bedrooms: 3", <dt>Beds</dt><dd>3</dd>)
  bool all = false;    // every match, as a JSON list (else the first)
  Location where;
};

struct DetailSpec {
  Selector link;  // inside the card, e.g. "a.details@href"
  std::vector<FieldSpec> fields;
};

struct SiteSpec {
  std::string name, file;
  std::string base_url;                 // "{base_url}" in start_urls; relative start URLs use it
  std::vector<std::string> start_urls;  // may use {zip} and {base_url}
  Selector card;
  std::vector<FieldSpec> fields;
  std::optional<Selector> next_page;    // a link to the next page
  std::string page_param;               // or: bump this query parameter until a page has no cards
  int first_page = 1;
  std::optional<DetailSpec> detail;
  int max_pages = 10, max_records = 0;  // 0 = no limit
  std::chrono::milliseconds delay{1000};
  bool uses_zip() const;
};

SiteSpec load_site_file(const std::string& path);  // throws SiteFileError
SiteSpec parse_site_yaml(const std::string& yaml_text, const std::string& file_name);

// "{zip}" and "{base_url}" substituted; a relative result is resolved against base_url.
std::string expand_start_url(const SiteSpec& site, const std::string& tmpl, const std::string& zip);

// Reads one field from a card (or a detail page root); nothing found when no selector matched.
struct FieldValue {
  std::optional<std::string> value;
  std::vector<std::string> list;  // for `all: true`
  bool found() const { return value.has_value() || !list.empty(); }
};
FieldValue extract_field(const HtmlDocument& doc, xmlNodePtr scope, const FieldSpec& f);

// The value that follows `label` in an element: "Bedrooms: 3" -> "3"; for <dt>/<th> (or an
// element whose own text is just the label) the next sibling element's text.
std::optional<std::string> labelled_value(xmlNodePtr el, const std::string& label);

}  // namespace flowrun::listings
