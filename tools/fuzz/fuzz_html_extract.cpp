// Fuzz target: the listings HTML extractor. The first line of the input is a selector (CSS,
// "@attr" or XPath), the rest is a page parsed by libxml2 in recover mode; the selector is
// applied to the page, plus a few fixed selectors the site files use.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "nodes/listings/html_select.hpp"

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
  (void)xpath_literal(sel_text);
  (void)collapse_whitespace(html.substr(0, 4096));
  (void)resolve_url("https://example.test/a/b?c=d", std::string(sel_text));
  return 0;
}
