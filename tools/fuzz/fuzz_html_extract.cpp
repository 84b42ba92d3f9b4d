// Fuzz target: the listings HTML extractor. The first line of the input is a selector (CSS,
// "@attr" or XPath), the rest is a page parsed by libxml2 in recover mode; the selector is
// applied to the page, plus a few fixed selectors the site files use. The page's JSON-LD blocks
// and embedded JSON (first line read as a JSON path too) go through the JSON card readers.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "nodes/listings/html_select.hpp"
#include "nodes/listings/json_cards.hpp"

using namespace flowrun::listings;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto nl = in.find('\n');
  std::string_view sel_text = in.substr(0, nl == std::string_view::npos ? in.size() : nl);
  std::string_view html = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);

  HtmlDocument doc(html, "https://example.test/list?page=1");
  (void)doc.text();
  static const char* fixed[] = {"div.card", "a.link@href", "span.price", "xpath://dt[.='Beds']/following-sibling::dd[1]",
                                "li:nth-child(2) > a + span ~ b", "[data-price]"};
  for (const char* f : fixed) {
    auto s = Selector::compile(f);
    for (auto* n : doc.select(s)) (void)doc.values(Selector::compile("@href"), n);
    (void)doc.value(s);
  }
  try {
    auto s = Selector::compile(sel_text);
    (void)doc.values(s);
  } catch (const SelectorError&) {
  } catch (const std::invalid_argument&) {
  }
  JsonScan ld = json_ld_cards(doc, {"Product", "Residence", "SingleFamilyResidence"});
  for (const JsonCard& c : ld.cards) (void)json_sibling(c, "Product", "url", doc.base_url());
  try {
    JsonPath path = JsonPath::compile(sel_text);
    (void)embedded_json_cards(doc, Selector::compile("script"), path);
    (void)parse_page_json(html.substr(0, 65536));
  } catch (const std::invalid_argument&) {  // JsonPathError, or text that is no JSON
  }
  (void)xpath_literal(sel_text);
  (void)collapse_whitespace(html.substr(0, 4096));
  (void)resolve_url("https://example.test/a/b?c=d", std::string(sel_text));
  return 0;
}
