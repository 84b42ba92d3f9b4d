// HTML extraction for listing pages: libxml2's forgiving HTML parser, a CSS-selector subset
// compiled to XPath, and text/attribute extraction. Regexes over HTML break on the first page
// that nests a tag differently; a real parser plus XPath does not.
#pragma once
#include <libxml/HTMLparser.h>
#include <libxml/xpath.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace flowrun::listings {

// A selector that does not parse; `offset` is the 0-based character where it went wrong.
struct SelectorError : std::invalid_argument {
  SelectorError(const std::string& msg, std::size_t offset)
      : std::invalid_argument(msg), offset(offset) {}
  std::size_t offset;
};

// CSS subset -> XPath 1.0 relative to the context node. Supported: `tag`, `*`, `.class`, `#id`,
// `[attr]`, `[attr=v]` (also ~= ^= $= *= |=), `:first-child`, `:last-child`, `:nth-child(N)`,
// `:first-of-type`, `:last-of-type`, `:nth-of-type(N)`, `:contains("text")`, descendant (space),
// child (>), adjacent (+) and general sibling (~) combinators, and comma groups.
std::string css_to_xpath(std::string_view css);

// Quotes a string as an XPath literal (XPath 1.0 has no escapes, so mixed quotes need concat()).
std::string xpath_literal(std::string_view s);

// A compiled field/card selector. Text forms accepted:
//   "div.price"            CSS, yields the element's text
//   "a.link@href"          CSS plus attribute
//   "@data-href"           an attribute of the context element itself (the card)
//   "xpath://dt[.='Beds']/following-sibling::dd[1]"  or any text starting with '/' or "./": XPath
class Selector {
 public:
  Selector() = default;
  // Throws SelectorError. `attr` (if non-empty) overrides an `@attr` suffix.
  static Selector compile(std::string_view text, std::string_view attr = {});

  const std::string& source() const { return source_; }
  const std::string& xpath() const { return xpath_; }
  const std::string& attr() const { return attr_; }
  bool empty() const { return !expr_; }

  xmlXPathCompExprPtr expr() const { return expr_.get(); }

 private:
  std::string source_, xpath_, attr_;
  std::shared_ptr<xmlXPathCompExpr> expr_;
};

// One parsed page. The base URL honours <base href>.
class HtmlDocument {
 public:
  // Never fails on bad HTML (recover mode); an empty body gives a document with no nodes.
  HtmlDocument(std::string_view html, std::string url);
  HtmlDocument(const HtmlDocument&) = delete;
  HtmlDocument& operator=(const HtmlDocument&) = delete;

  xmlDocPtr doc() const { return doc_.get(); }
  xmlNodePtr root() const;  // the <html> element, or nullptr for an empty page
  const std::string& url() const { return url_; }
  const std::string& base_url() const { return base_url_; }

  // Every node the selector matches under `context` (nullptr = the whole document), in document
  // order. A raw XPath that yields a string/number gives no nodes (use value()).
  std::vector<xmlNodePtr> select(const Selector& sel, xmlNodePtr context = nullptr) const;
  // The first match as a string: the selector's attribute if it has one, else the collapsed
  // text; URL attributes (href, src, action, data-href, data-url) are resolved to absolute URLs.
  std::optional<std::string> value(const Selector& sel, xmlNodePtr context = nullptr) const;
  // Every match as strings (same rules as value()).
  std::vector<std::string> values(const Selector& sel, xmlNodePtr context = nullptr) const;

  // The readable text of the whole page (title and body), collapsed.
  std::string text() const;

 private:
  std::string node_value(xmlNodePtr n, const std::string& attr) const;
  std::shared_ptr<xmlDoc> doc_;
  std::string url_, base_url_;
};

// Text of a node as a reader sees it: entities decoded, script/style skipped, block elements
// separated by a space, inline elements (span, a, b ...) glued, whitespace (incl. NBSP) collapsed.
std::string node_text(xmlNodePtr n);
std::string attribute(xmlNodePtr n, const std::string& name);  // "" when absent
std::string element_name(xmlNodePtr n);                        // lower-case, "" for non-elements
// ASCII lower case (tags, attribute values, header names); other bytes pass through.
std::string ascii_lower(std::string_view s);
// Collapses runs of whitespace (ASCII and U+00A0) to one space and trims.
std::string collapse_whitespace(std::string_view s);
// `href` resolved against `base` (RFC 3986); returns `href` unchanged when it cannot be resolved.
std::string resolve_url(const std::string& base, const std::string& href);
bool is_url_attribute(const std::string& attr);

}  // namespace flowrun::listings
