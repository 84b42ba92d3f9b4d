#include "nodes/listings/html_select.hpp"

#include <libxml/HTMLtree.h>
#include <libxml/uri.h>
#include <libxml/xmlerror.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <set>

namespace flowrun::listings {

namespace {

void ignore_generic(void*, const char*, ...) {}
void ignore_structured(void*, xmlErrorPtr) {}

// libxml2 prints parse/XPath complaints on stderr by default; a scraper meets broken HTML all
// day, and a bad XPath is reported by us with its position, so silence the library per thread.
void quiet_libxml() {
  thread_local bool done = false;
  if (done) return;
  xmlSetStructuredErrorFunc(nullptr, ignore_structured);
  xmlSetGenericErrorFunc(nullptr, ignore_generic);
  done = true;
}

bool is_ident_char(char c) {
  auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) || c == '-' || c == '_' || u >= 0x80;
}

class CssParser {
 public:
  explicit CssParser(std::string_view s) : s_(s) {}

  std::string parse() {
    std::vector<std::string> groups;
    skip_ws();
    if (at_end()) fail("empty selector");
    for (;;) {
      groups.push_back(parse_complex());
      skip_ws();
      if (at_end()) break;
      if (peek() != ',') fail(std::string("unexpected '") + peek() + "'");
      ++pos_;
      skip_ws();
      if (at_end()) fail("selector expected after ','");
    }
    std::string out;
    for (std::size_t i = 0; i < groups.size(); ++i) out += (i ? " | " : "") + groups[i];
    return out;
  }

 private:
  std::string parse_complex() {
    std::string path = parse_compound("descendant::");
    for (;;) {
      std::size_t before = pos_;
      bool ws = skip_ws();
      if (at_end() || peek() == ',') {
        pos_ = before;
        return path;
      }
      char c = peek();
      if (c == '>' || c == '+' || c == '~') {
        ++pos_;
        skip_ws();
        if (at_end()) fail(std::string("selector expected after '") + c + "'");
        if (c == '>') path += "/" + parse_compound("child::");
        else if (c == '~') path += "/" + parse_compound("following-sibling::");
        else path += "/" + parse_compound("following-sibling::", true);
      } else if (ws) {
        path += "/" + parse_compound("descendant::");
      } else {
        fail(std::string("unexpected '") + c + "'");
      }
    }
  }

  // One compound selector as an XPath step on `axis`. The adjacent-sibling form must take the
  // first following element and then test it, or `h2 + p` would match any later <p>.
  std::string parse_compound(const std::string& axis, bool adjacent = false) {
    std::string tag;
    std::vector<std::string> preds;
    if (!at_end() && peek() == '*') {
      ++pos_;
      tag = "*";
    } else if (!at_end() && is_ident_char(peek())) {
      tag = ident();
      std::transform(tag.begin(), tag.end(), tag.begin(), [](unsigned char c) { return std::tolower(c); });
    }
    bool any = false;
    while (!at_end()) {
      char c = peek();
      if (c == '.') {
        ++pos_;
        std::string cls = ident("class name");
        preds.push_back("contains(concat(' ', normalize-space(@class), ' '), " + xpath_literal(" " + cls + " ") + ")");
      } else if (c == '#') {
        ++pos_;
        preds.push_back("@id=" + xpath_literal(ident("id")));
      } else if (c == '[') {
        ++pos_;
        preds.push_back(attribute_pred());
      } else if (c == ':') {
        ++pos_;
        preds.push_back(pseudo_pred(tag));
      } else {
        break;
      }
      any = true;
    }
    if (tag.empty() && !any) fail(at_end() ? "selector expected" : std::string("unexpected '") + peek() + "'");
    if (tag.empty()) tag = "*";
    std::string step;
    if (adjacent) {
      step = axis + "*[1]";
      if (tag != "*") step += "[self::" + tag + "]";
    } else {
      step = axis + tag;
    }
    for (auto& p : preds) step += "[" + p + "]";
    return step;
  }

  std::string attribute_pred() {
    skip_ws();
    std::string name = ident("attribute name");
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    skip_ws();
    if (at_end()) fail("unterminated '['");
    if (peek() == ']') {
      ++pos_;
      return "@" + name;
    }
    std::string op;
    if (peek() == '=') {
      op = "=";
      ++pos_;
    } else if (std::strchr("~^$*|", peek()) && pos_ + 1 < s_.size() && s_[pos_ + 1] == '=') {
      op = std::string(1, peek()) + "=";
      pos_ += 2;
    } else {
      fail(std::string("unexpected '") + peek() + "' in attribute selector");
    }
    skip_ws();
    std::string v = value();
    skip_ws();
    if (at_end() || peek() != ']') fail("expected ']'");
    ++pos_;
    std::string a = "@" + name, lit = xpath_literal(v);
    if (op == "=") return a + "=" + lit;
    if (op == "~=") return "contains(concat(' ', normalize-space(" + a + "), ' '), " + xpath_literal(" " + v + " ") + ")";
    if (op == "^=") return "starts-with(" + a + ", " + lit + ")";
    if (op == "*=") return "contains(" + a + ", " + lit + ")";
    if (op == "|=") return a + "=" + lit + " or starts-with(" + a + ", " + xpath_literal(v + "-") + ")";
    // $= : XPath 1.0 has no ends-with
    return "substring(" + a + ", string-length(" + a + ") - string-length(" + lit + ") + 1) = " + lit;
  }

  std::string pseudo_pred(const std::string& tag) {
    std::size_t start = pos_;
    std::string name = ident("pseudo-class");
    auto of_type = [&](const std::string& what) {
      if (tag.empty() || tag == "*") {
        pos_ = start;
        fail(":" + name + " needs a tag name before it (e.g. li:" + name + ")");
      }
      return what;
    };
    if (name == "first-child") return "not(preceding-sibling::*)";
    if (name == "last-child") return "not(following-sibling::*)";
    if (name == "only-child") return "not(preceding-sibling::*) and not(following-sibling::*)";
    if (name == "first-of-type") return of_type("not(preceding-sibling::" + tag + ")");
    if (name == "last-of-type") return of_type("not(following-sibling::" + tag + ")");
    if (name == "nth-child" || name == "nth-of-type") {
      std::string arg = paren_arg();
      int n = 0;
      try {
        std::size_t used = 0;
        n = std::stoi(arg, &used);
        if (used != arg.size() || n < 1) throw std::invalid_argument(arg);
      } catch (...) {
        fail(":" + name + "() takes a positive integer");
      }
      std::string sib = name == "nth-child" ? "*" : of_type(tag);
      return "count(preceding-sibling::" + sib + ") = " + std::to_string(n - 1);
    }
    if (name == "contains" || name == "-soup-contains") {
      std::string arg = paren_arg(true);
      return "contains(normalize-space(.), " + xpath_literal(arg) + ")";
    }
    pos_ = start;
    fail("unsupported pseudo-class ':" + name + "'");
  }

  std::string paren_arg(bool quoted_ok = false) {
    if (at_end() || peek() != '(') fail("expected '('");
    ++pos_;
    skip_ws();
    std::string arg;
    if (quoted_ok && !at_end() && (peek() == '"' || peek() == '\'')) {
      arg = value();
    } else {
      while (!at_end() && peek() != ')') arg += s_[pos_++];
      while (!arg.empty() && std::isspace(static_cast<unsigned char>(arg.back()))) arg.pop_back();
    }
    skip_ws();
    if (at_end() || peek() != ')') fail("expected ')'");
    ++pos_;
    return arg;
  }

  std::string value() {
    if (at_end()) fail("value expected");
    char q = peek();
    if (q == '"' || q == '\'') {
      std::size_t start = pos_++;
      std::string v;
      while (!at_end() && peek() != q) {
        if (peek() == '\\' && pos_ + 1 < s_.size()) ++pos_;
        v += s_[pos_++];
      }
      if (at_end()) {
        pos_ = start;
        fail("unterminated string");
      }
      ++pos_;
      return v;
    }
    return ident("value");
  }

  std::string ident(const char* what = "name") {
    std::string out;
    while (!at_end()) {
      char c = peek();
      if (c == '\\' && pos_ + 1 < s_.size()) {
        out += s_[pos_ + 1];
        pos_ += 2;
      } else if (is_ident_char(c)) {
        out += c;
        ++pos_;
      } else {
        break;
      }
    }
    if (out.empty()) fail(std::string(what) + " expected");
    return out;
  }

  bool skip_ws() {
    bool any = false;
    while (!at_end() && std::isspace(static_cast<unsigned char>(peek()))) {
      ++pos_;
      any = true;
    }
    return any;
  }
  bool at_end() const { return pos_ >= s_.size(); }
  char peek() const { return s_[pos_]; }
  [[noreturn]] void fail(const std::string& msg) {
    throw SelectorError("bad selector '" + std::string(s_) + "' at character " + std::to_string(pos_ + 1) + ": " + msg, pos_);
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

// Elements whose boundaries do not separate words ("$<span>275,500</span>" is one token).
const std::set<std::string, std::less<>>& inline_elements() {
  static const std::set<std::string, std::less<>> s = {
      "a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "dfn", "em", "font", "i", "kbd",
      "mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var", "label"};
  return s;
}
const std::set<std::string, std::less<>>& invisible_elements() {
  static const std::set<std::string, std::less<>> s = {"script", "style", "noscript", "template", "head"};
  return s;
}

void gather_text(xmlNodePtr n, std::string& out) {
  for (xmlNodePtr c = n; c; c = c->next) {
    if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
      if (c->content) out += reinterpret_cast<const char*>(c->content);
    } else if (c->type == XML_ELEMENT_NODE) {
      std::string name = element_name(c);
      if (invisible_elements().count(name)) continue;
      bool block = !inline_elements().count(name);
      if (block) out += ' ';
      gather_text(c->children, out);
      if (block) out += ' ';
    }
  }
}

// The page's declared charset, when it is not UTF-8; libxml2 then honours the <meta>. Without
// a declaration libxml2 would assume Latin-1 and mangle UTF-8 pages, so UTF-8 is our default.
bool declares_other_charset(std::string_view html) {
  std::string head(html.substr(0, 2048));
  std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return std::tolower(c); });
  auto p = head.find("charset=");
  if (p == std::string::npos) return false;
  std::string_view rest = std::string_view(head).substr(p + 8);
  while (!rest.empty() && (rest[0] == '"' || rest[0] == '\'' || rest[0] == ' ')) rest.remove_prefix(1);
  return !(rest.starts_with("utf-8") || rest.starts_with("utf8"));
}

}  // namespace

std::string xpath_literal(std::string_view s) {
  if (s.find('\'') == std::string_view::npos) return "'" + std::string(s) + "'";
  if (s.find('"') == std::string_view::npos) return "\"" + std::string(s) + "\"";
  std::string out = "concat(";
  std::size_t start = 0;
  bool first = true;
  while (start <= s.size()) {
    std::size_t q = s.find('\'', start);
    std::string_view part = s.substr(start, q == std::string_view::npos ? std::string_view::npos : q - start);
    if (!part.empty()) {
      out += (first ? "" : ", ") + std::string("'") + std::string(part) + "'";
      first = false;
    }
    if (q == std::string_view::npos) break;
    out += (first ? "" : ", ") + std::string("\"'\"");
    first = false;
    start = q + 1;
  }
  return out + ")";
}

std::string css_to_xpath(std::string_view css) { return CssParser(css).parse(); }

Selector Selector::compile(std::string_view text, std::string_view attr) {
  quiet_libxml();
  Selector s;
  s.source_ = std::string(text);
  std::string_view body = text;
  while (!body.empty() && std::isspace(static_cast<unsigned char>(body.front()))) body.remove_prefix(1);
  while (!body.empty() && std::isspace(static_cast<unsigned char>(body.back()))) body.remove_suffix(1);
  if (body.empty()) throw SelectorError("empty selector", 0);
  bool xpath = false;
  if (body.starts_with("xpath:")) {
    body.remove_prefix(6);
    xpath = true;
  } else if (body.starts_with("/") || body.starts_with("./") || body.starts_with("(")) {
    xpath = true;
  }
  if (xpath) {
    s.xpath_ = std::string(body);
  } else {
    // `selector@attr`: the last '@' outside brackets, quotes and parentheses.
    int depth = 0;
    char quote = 0;
    std::size_t at = std::string_view::npos;
    for (std::size_t i = 0; i < body.size(); ++i) {
      char c = body[i];
      if (quote) {
        if (c == quote) quote = 0;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '[' || c == '(') {
        ++depth;
      } else if (c == ']' || c == ')') {
        --depth;
      } else if (c == '@' && depth == 0) {
        at = i;
      }
    }
    if (at != std::string_view::npos) {
      s.attr_ = std::string(body.substr(at + 1));
      body = body.substr(0, at);
      if (s.attr_.empty()) throw SelectorError("bad selector '" + s.source_ + "': attribute name expected after '@'", at + 1);
    }
    // A bare "@attr" reads the context element's own attribute (a card's data-href).
    s.xpath_ = body.empty() ? "self::*" : css_to_xpath(body);
  }
  if (!attr.empty()) s.attr_ = std::string(attr);
  std::transform(s.attr_.begin(), s.attr_.end(), s.attr_.begin(), [](unsigned char c) { return std::tolower(c); });
  xmlXPathCompExprPtr e = xmlXPathCompile(reinterpret_cast<const xmlChar*>(s.xpath_.c_str()));
  if (!e) throw SelectorError("bad XPath '" + s.xpath_ + "'" + (xpath ? "" : " (compiled from CSS '" + s.source_ + "')"), 0);
  s.expr_ = std::shared_ptr<xmlXPathCompExpr>(e, xmlXPathFreeCompExpr);
  return s;
}

HtmlDocument::HtmlDocument(std::string_view html, std::string url) : url_(std::move(url)) {
  quiet_libxml();
  int opts = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET |
             HTML_PARSE_COMPACT;
  const char* enc = declares_other_charset(html) ? nullptr : "UTF-8";
  htmlDocPtr d = html.empty() ? nullptr
                              : htmlReadMemory(html.data(), static_cast<int>(html.size()), url_.c_str(), enc, opts);
  if (!d) d = htmlNewDocNoDtD(nullptr, nullptr);
  doc_ = std::shared_ptr<xmlDoc>(d, xmlFreeDoc);
  base_url_ = url_;
  static const Selector base_sel = Selector::compile("base[href]@href");
  xmlXPathContextPtr ctx = xmlXPathNewContext(doc_.get());
  ctx->node = reinterpret_cast<xmlNodePtr>(doc_.get());
  if (xmlXPathObjectPtr r = xmlXPathCompiledEval(base_sel.expr(), ctx)) {
    if (r->nodesetval && r->nodesetval->nodeNr > 0) {
      std::string href = attribute(r->nodesetval->nodeTab[0], "href");
      if (!href.empty()) base_url_ = resolve_url(url_, href);
    }
    xmlXPathFreeObject(r);
  }
  xmlXPathFreeContext(ctx);
}

xmlNodePtr HtmlDocument::root() const { return xmlDocGetRootElement(doc_.get()); }

std::vector<xmlNodePtr> HtmlDocument::select(const Selector& sel, xmlNodePtr context) const {
  std::vector<xmlNodePtr> out;
  if (sel.empty()) return out;
  xmlXPathContextPtr ctx = xmlXPathNewContext(doc_.get());
  ctx->node = context ? context : reinterpret_cast<xmlNodePtr>(doc_.get());
  xmlXPathObjectPtr r = xmlXPathCompiledEval(sel.expr(), ctx);
  if (r && r->type == XPATH_NODESET && r->nodesetval) {
    for (int i = 0; i < r->nodesetval->nodeNr; ++i) out.push_back(r->nodesetval->nodeTab[i]);
  }
  if (r) xmlXPathFreeObject(r);
  xmlXPathFreeContext(ctx);
  return out;
}

std::string HtmlDocument::node_value(xmlNodePtr n, const std::string& attr) const {
  std::string v;
  std::string used_attr = attr;
  if (n->type == XML_ATTRIBUTE_NODE) {
    xmlChar* c = xmlNodeGetContent(n);
    v = c ? reinterpret_cast<const char*>(c) : "";
    xmlFree(c);
    used_attr = reinterpret_cast<const char*>(n->name);
  } else if (!attr.empty()) {
    v = attribute(n, attr);
  } else if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
    v = n->content ? reinterpret_cast<const char*>(n->content) : "";
  } else {
    return node_text(n);
  }
  v = collapse_whitespace(v);
  if (!v.empty() && is_url_attribute(used_attr)) v = resolve_url(base_url_, v);
  return v;
}

std::optional<std::string> HtmlDocument::value(const Selector& sel, xmlNodePtr context) const {
  if (sel.empty()) return std::nullopt;
  xmlXPathContextPtr ctx = xmlXPathNewContext(doc_.get());
  ctx->node = context ? context : reinterpret_cast<xmlNodePtr>(doc_.get());
  xmlXPathObjectPtr r = xmlXPathCompiledEval(sel.expr(), ctx);
  std::optional<std::string> out;
  if (r) {
    if (r->type == XPATH_NODESET) {
      if (r->nodesetval) {
        for (int i = 0; i < r->nodesetval->nodeNr && !out; ++i) {
          xmlNodePtr n = r->nodesetval->nodeTab[i];
          if (!sel.attr().empty() && n->type == XML_ELEMENT_NODE && !xmlHasProp(n, reinterpret_cast<const xmlChar*>(sel.attr().c_str())))
            continue;  // `a@href` means the first <a> that has an href
          out = node_value(n, sel.attr());
        }
      }
    } else {
      xmlChar* s = xmlXPathCastToString(r);
      std::string v = collapse_whitespace(s ? reinterpret_cast<const char*>(s) : "");
      xmlFree(s);
      if (!v.empty()) out = v;
    }
    xmlXPathFreeObject(r);
  }
  xmlXPathFreeContext(ctx);
  return out;
}

std::vector<std::string> HtmlDocument::values(const Selector& sel, xmlNodePtr context) const {
  std::vector<std::string> out;
  for (xmlNodePtr n : select(sel, context)) {
    if (!sel.attr().empty() && n->type == XML_ELEMENT_NODE && !xmlHasProp(n, reinterpret_cast<const xmlChar*>(sel.attr().c_str())))
      continue;
    out.push_back(node_value(n, sel.attr()));
  }
  return out;
}

std::string HtmlDocument::text() const {
  xmlNodePtr r = root();
  if (!r) return "";
  std::string out;
  static const Selector title = Selector::compile("title");
  if (auto t = value(title)) out = *t + " ";
  gather_text(r->children, out);
  return collapse_whitespace(out);
}

std::string node_text(xmlNodePtr n) {
  if (!n) return "";
  std::string out;
  if (n->type == XML_ELEMENT_NODE || n->type == XML_DOCUMENT_NODE || n->type == XML_HTML_DOCUMENT_NODE) {
    gather_text(n->children, out);
  } else if (n->content) {
    out = reinterpret_cast<const char*>(n->content);
  }
  return collapse_whitespace(out);
}

std::string attribute(xmlNodePtr n, const std::string& name) {
  if (!n || n->type != XML_ELEMENT_NODE) return "";
  xmlChar* v = xmlGetProp(n, reinterpret_cast<const xmlChar*>(name.c_str()));
  if (!v) return "";
  std::string out = reinterpret_cast<const char*>(v);
  xmlFree(v);
  return out;
}

std::string element_name(xmlNodePtr n) {
  if (!n || n->type != XML_ELEMENT_NODE || !n->name) return "";
  std::string s = reinterpret_cast<const char*>(n->name);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string collapse_whitespace(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool pending = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    bool ws = std::isspace(c) != 0;
    std::size_t width = 1;
    if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xA0) {
      ws = true;  // U+00A0 no-break space, what &nbsp; decodes to
      width = 2;
    }
    if (ws) {
      pending = !out.empty();
      i += width - 1;
      continue;
    }
    if (pending) out += ' ';
    pending = false;
    out += static_cast<char>(c);
  }
  return out;
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string resolve_url(const std::string& base, const std::string& href_in) {
  std::string href = collapse_whitespace(href_in);
  if (href.empty()) return base;
  xmlChar* r = xmlBuildURI(reinterpret_cast<const xmlChar*>(href.c_str()), reinterpret_cast<const xmlChar*>(base.c_str()));
  if (!r) {
    // Hrefs with spaces or other raw characters: escape them and try once more.
    xmlChar* esc = xmlURIEscapeStr(reinterpret_cast<const xmlChar*>(href.c_str()),
                                   reinterpret_cast<const xmlChar*>(":/?#[]@!$&'()*+,;=%"));
    if (esc) {
      r = xmlBuildURI(esc, reinterpret_cast<const xmlChar*>(base.c_str()));
      xmlFree(esc);
    }
  }
  if (!r) return href;
  std::string out = reinterpret_cast<const char*>(r);
  xmlFree(r);
  return out;
}

bool is_url_attribute(const std::string& attr) {
  return attr == "href" || attr == "src" || attr == "action" || attr == "data-href" || attr == "data-url" ||
         attr == "data-src";
}

}  // namespace flowrun::listings
