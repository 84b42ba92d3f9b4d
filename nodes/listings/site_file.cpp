#include "nodes/listings/site_file.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "engine/options.hpp"
#include "engine/yaml_util.hpp"

namespace flowrun::listings {

namespace json = boost::json;

namespace {

// Where the label scan looks when a field gives `label:` without a selector.
constexpr const char* kLabelCandidates = "li, dt, th, td, dd, p, span, div, strong, b, label";

// Reads a site file, recording every problem it finds in `diags` rather than stopping at the
// first: each top-level key and each field is read on its own, so one mistake does not hide the
// next. The helpers throw SiteFileError; attempt() records it and moves on.
class Loader {
 public:
  Loader(std::string file, Diagnostics& diags) : file_(std::move(file)), diags_(diags) {}

  std::optional<SiteSpec> load(const std::string& text) {
    YAML::Node root;
    try {
      root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      diags_.error(at(e.mark), "invalid YAML: " + e.msg);
      return std::nullopt;
    }
    if (!root.IsMap()) {
      diags_.error(Location{file_, 1, 1}, "a site file must be a YAML map");
      return std::nullopt;
    }
    const std::size_t errors_before = diags_.error_count();
    check_keys(root, {"name", "description", "base_url", "start_urls", "card", "cards", "fields", "listing_type",
                      "next_page", "page_param", "first_page", "detail", "limits", "delay"});
    SiteSpec s;
    s.file = file_;
    s.name = stem(file_);
    attempt([&] {
      if (root["name"]) s.name = scalar(root["name"], "name");
    });
    attempt([&] {
      if (root["base_url"]) s.base_url = scalar(root["base_url"], "base_url");
    });
    attempt([&] { s.start_urls = start_urls(require(root, "start_urls")); });
    attempt([&] { s.card = card(root); });
    if (const YAML::Node c = root["cards"]; c && !root["card"] && !s.card.is_json())
      // A bad 'cards' was reported; read the fields as JSON fields all the same.
      s.card.kind = c.IsMap() && c["json_ld"] ? CardSpec::Kind::json_ld : CardSpec::Kind::json;
    attempt([&] { s.fields = fields(require(root, "fields"), "fields", s.card); });
    attempt([&] {
      if (root["listing_type"]) s.listing_type = listing_type(root["listing_type"]);
    });
    attempt([&] {
      if (root["next_page"]) s.next_page = selector(root["next_page"], "next_page");
    });
    attempt([&] {
      if (root["page_param"]) s.page_param = scalar(root["page_param"], "page_param");
    });
    attempt([&] {
      if (root["first_page"]) s.first_page = integer(root["first_page"], "first_page", 0);
    });
    if (root["next_page"] && root["page_param"])
      diags_.error(at(root["page_param"].Mark()), "use either 'next_page' or 'page_param', not both");
    attempt([&] {
      if (root["detail"]) s.detail = detail(root["detail"], s.card);
    });
    attempt([&] { limits(root["limits"], s); });
    attempt([&] {
      if (const YAML::Node d = root["delay"]) {
        auto ms = parse_duration(scalar(d, "delay"));
        if (!ms) throw SiteFileError(at(d.Mark()), "'delay' must be a duration like 1s or 500ms");
        s.delay = *ms;
      }
    });
    if (diags_.error_count() > errors_before) return std::nullopt;
    return s;
  }

 private:
  template <class F>
  void attempt(F&& read) {
    try {
      read();
    } catch (const SiteFileError& e) {
      diags_.error(e.where, e.message);
    }
  }

  Location at(const YAML::Mark& m) const {
    if (m.is_null()) return Location{file_, 0, 0};
    return Location{file_, m.line + 1, m.column + 1};
  }

  // Records every unknown key; true when there was none.
  bool check_keys(const YAML::Node& map, const std::vector<std::string>& allowed) {
    bool ok = true;
    for (const auto& kv : map) {
      std::string k = kv.first.as<std::string>("");
      if (std::find(allowed.begin(), allowed.end(), k) != allowed.end()) continue;
      diags_.error(at(kv.first.Mark()), "unknown key '" + k + "'" + did_you_mean(k, allowed));
      ok = false;
    }
    return ok;
  }

  YAML::Node require(const YAML::Node& map, const std::string& key, const std::string& also = "") {
    YAML::Node n = map[key];
    if (!n || n.IsNull()) throw SiteFileError(at(map.Mark()), "missing required key '" + key + "'" + also);
    return n;
  }

  std::string scalar(const YAML::Node& n, const std::string& what) {
    if (!n.IsScalar()) throw SiteFileError(at(n.Mark()), "'" + what + "' must be a string");
    return n.Scalar();
  }

  int integer(const YAML::Node& n, const std::string& what, int min) {
    int v = 0;
    try {
      v = n.as<int>();
    } catch (const YAML::Exception&) {
      throw SiteFileError(at(n.Mark()), "'" + what + "' must be an integer");
    }
    if (v < min) throw SiteFileError(at(n.Mark()), "'" + what + "' must be >= " + std::to_string(min));
    return v;
  }

  std::vector<std::string> start_urls(const YAML::Node& urls) {
    std::vector<std::string> out;
    if (urls.IsScalar()) {
      out.push_back(start_url(urls));
    } else if (urls.IsSequence() && urls.size() > 0) {
      for (const auto& u : urls) attempt([&] { out.push_back(start_url(u)); });
    } else {
      throw SiteFileError(at(urls.Mark()), "'start_urls' must be a URL or a non-empty list of URLs");
    }
    return out;
  }

  std::string start_url(const YAML::Node& n) {
    std::string u = scalar(n, "start_urls");
    // Only the placeholders we fill; a typo like {zipcode} would otherwise be fetched literally.
    for (std::size_t p = u.find('{'); p != std::string::npos; p = u.find('{', p + 1)) {
      std::size_t e = u.find('}', p);
      std::string name = e == std::string::npos ? "" : u.substr(p + 1, e - p - 1);
      if (name != "zip" && name != "base_url") {
        Location l = at(n.Mark());
        throw SiteFileError(l, "unknown placeholder '{" + name + "}' in start URL (known: {zip}, {base_url})");
      }
    }
    return u;
  }

  // Points at the offending character of a one-line scalar (+1 past the opening quote).
  Location inside(const YAML::Node& n, std::size_t offset) const {
    Location l = at(n.Mark());
    if (l.column > 0 && offset > 0) l.column += static_cast<int>(offset) + (n.Tag() == "!" ? 1 : 0);
    return l;
  }

  Selector compile(const YAML::Node& n, const std::string& text, const std::string& what,
                   const std::string& attr = {}) {
    try {
      return Selector::compile(text, attr);
    } catch (const SelectorError& e) {
      throw SiteFileError(inside(n, e.offset), "'" + what + "': " + e.what());
    }
  }

  JsonPath json_path(const YAML::Node& n, const std::string& what) {
    std::string text = scalar(n, what);
    try {
      return JsonPath::compile(text);
    } catch (const JsonPathError& e) {
      throw SiteFileError(inside(n, e.offset), "'" + what + "': " + e.what());
    }
  }

  Selector selector(const YAML::Node& n, const std::string& what) {
    if (n.IsScalar()) return compile(n, n.Scalar(), what);
    if (n.IsMap()) {
      check_keys(n, {"selector", "xpath", "attr"});
      std::string attr = n["attr"] ? scalar(n["attr"], what + ".attr") : "";
      if (n["xpath"]) return compile(n["xpath"], "xpath:" + scalar(n["xpath"], what + ".xpath"), what, attr);
      const YAML::Node sel = require(n, "selector");
      return compile(sel, scalar(sel, what + ".selector"), what, attr);
    }
    throw SiteFileError(at(n.Mark()), "'" + what + "' must be a selector string or {selector, attr}");
  }

  CardSpec card(const YAML::Node& root) {
    const YAML::Node html = root["card"], json = root["cards"];
    if (html && json) throw SiteFileError(at(json.Mark()), "use either 'card' (HTML elements) or 'cards' (JSON), not both");
    CardSpec c;
    if (html) {
      c.selector = selector(html, "card");
      return c;
    }
    if (!json) require(root, "card", " (or 'cards' for JSON-LD or embedded JSON)");
    const YAML::Node& n = json;
    static const char* kForms = "'cards' must be {json_ld: [TYPE, ...]} or {json: SELECTOR, path: PATH}";
    if (!n.IsMap()) throw SiteFileError(at(n.Mark()), std::string(kForms) + "; use 'card' for HTML elements");
    check_keys(n, {"json_ld", "json", "path"});
    if (n["json_ld"] && n["json"]) throw SiteFileError(at(n.Mark()), std::string(kForms) + ", not both");
    if (const YAML::Node types = n["json_ld"]) {
      c.kind = CardSpec::Kind::json_ld;
      if (n["path"]) throw SiteFileError(at(n["path"].Mark()), "'cards.path' goes with 'cards.json', not 'json_ld'");
      if (types.IsScalar()) c.types.push_back(types.Scalar());
      else if (types.IsSequence())
        for (const auto& t : types) c.types.push_back(scalar(t, "cards.json_ld"));
      c.types.erase(std::remove(c.types.begin(), c.types.end(), ""), c.types.end());
      if (c.types.empty()) throw SiteFileError(at(types.Mark()), "'cards.json_ld' must name at least one @type");
      return c;
    }
    if (const YAML::Node sel = n["json"]) {
      c.kind = CardSpec::Kind::json;
      c.selector = compile(sel, scalar(sel, "cards.json"), "cards.json");
      if (n["path"]) c.path = json_path(n["path"], "cards.path");
      return c;
    }
    throw SiteFileError(at(n.Mark()), kForms);
  }

  std::string listing_type(const YAML::Node& n) {
    std::string t = scalar(n, "listing_type");
    if (t != "sale" && t != "rent") throw SiteFileError(at(n.Mark()), "'listing_type' must be sale or rent");
    return t;
  }

  JsonPick json_pick(const YAML::Node& n, const std::string& what, const CardSpec& card) {
    JsonPick p;
    p.path = json_path(n["json"], what + ".json");
    if (n["sibling"]) {
      if (card.kind != CardSpec::Kind::json_ld)
        throw SiteFileError(at(n["sibling"].Mark()), "'" + what + ".sibling' needs JSON-LD cards (cards: {json_ld: [...]})");
      p.sibling = scalar(n["sibling"], what + ".sibling");
    }
    if (n["match"]) {
      if (!n["sibling"]) throw SiteFileError(at(n["match"].Mark()), "'" + what + ".match' goes with 'sibling'");
      p.match = scalar(n["match"], what + ".match");
    }
    return p;
  }

  bool boolean(const YAML::Node& n, const std::string& what) {
    try {
      return n.as<bool>();
    } catch (const YAML::Exception&) {
      throw SiteFileError(at(n.Mark()), "'" + what + "' must be true or false");
    }
  }

  // A field of a JSON card: {json: PATH, ...} or a list of such alternatives.
  void json_field(FieldSpec& f, const YAML::Node& v, const std::string& w, const CardSpec& card) {
    const std::string hint = "with " + card.describe() + " cards a field reads the card's JSON: {json: PATH}";
    if (v.IsSequence() && v.size() > 0) {
      for (const auto& alt : v) {
        if (!alt.IsMap() || !alt["json"]) throw SiteFileError(at(alt.Mark()), "field '" + w + "': " + hint);
        check_keys(alt, {"json", "sibling", "match"});
        f.json.push_back(json_pick(alt, w, card));
      }
      return;
    }
    if (!v.IsMap() || !v["json"]) {
      std::string shown = v.IsScalar() ? " (did you mean {json: " + v.Scalar() + "}?)" : "";
      throw SiteFileError(at(v.Mark()), "field '" + w + "': " + hint + shown);
    }
    check_keys(v, {"json", "sibling", "match", "all"});
    if (v["all"]) f.all = boolean(v["all"], w + ".all");
    f.json.push_back(json_pick(v, w, card));
  }

  void html_field(FieldSpec& f, const YAML::Node& v, const std::string& w) {
    if (v.IsMap() && v["json"])
      throw SiteFileError(at(v.Mark()), "field '" + w + "': {json: ...} reads JSON cards; set 'cards: {json_ld: [...]}' or "
                                        "'cards: {json: SELECTOR, path: PATH}' instead of 'card'");
    if (v.IsScalar()) {
      f.selectors.push_back(compile(v, v.Scalar(), w));
    } else if (v.IsSequence() && v.size() > 0) {
      for (const auto& alt : v) f.selectors.push_back(selector(alt, w));
    } else if (v.IsMap()) {
      check_keys(v, {"selector", "xpath", "attr", "label", "all"});
      std::string attr = v["attr"] ? scalar(v["attr"], w + ".attr") : "";
      if (v["label"]) f.label = scalar(v["label"], w + ".label");
      if (v["all"]) f.all = boolean(v["all"], w + ".all");
      if (v["xpath"]) {
        f.selectors.push_back(compile(v["xpath"], "xpath:" + scalar(v["xpath"], w + ".xpath"), w, attr));
      } else if (const YAML::Node sel = v["selector"]) {
        if (sel.IsSequence()) {
          for (const auto& alt : sel) f.selectors.push_back(compile(alt, scalar(alt, w + ".selector"), w, attr));
        } else {
          f.selectors.push_back(compile(sel, scalar(sel, w + ".selector"), w, attr));
        }
      } else if (!f.label.empty()) {
        f.selectors.push_back(Selector::compile(kLabelCandidates));
      } else {
        throw SiteFileError(at(v.Mark()), "field '" + w + "' needs 'selector', 'xpath' or 'label'");
      }
    } else {
      throw SiteFileError(at(v.Mark()), "field '" + w + "' must be a selector string, a list of them, or a map");
    }
  }

  std::vector<FieldSpec> fields(const YAML::Node& n, const std::string& what, const CardSpec& card) {
    if (!n.IsMap() || n.size() == 0) throw SiteFileError(at(n.Mark()), "'" + what + "' must be a non-empty map of field: selector");
    std::vector<FieldSpec> out;
    for (const auto& kv : n) {
      attempt([&] {
        FieldSpec f;
        f.name = kv.first.as<std::string>("");
        f.where = at(kv.first.Mark());
        std::string w = what + "." + f.name;
        if (card.is_json()) json_field(f, kv.second, w, card);
        else html_field(f, kv.second, w);
        out.push_back(std::move(f));
      });
    }
    return out;
  }

  DetailSpec detail(const YAML::Node& d, const CardSpec& card) {
    if (!d.IsMap()) throw SiteFileError(at(d.Mark()), "'detail' must be a map with 'link' and 'fields'");
    check_keys(d, {"link", "fields"});
    DetailSpec det;
    attempt([&] {
      const YAML::Node link = require(d, "link");
      if (!card.is_json()) {
        det.link = selector(link, "detail.link");
      } else if (link.IsMap() && link["json"]) {
        check_keys(link, {"json"});
        det.json_link = json_pick(link, "detail.link", card);
      } else {
        throw SiteFileError(at(link.Mark()), "'detail.link' of JSON cards is {json: PATH} (e.g. {json: url})");
      }
    });
    // Detail pages are HTML whatever the search page was.
    det.fields = fields(require(d, "fields"), "detail.fields", CardSpec{});
    return det;
  }

  void limits(const YAML::Node& l, SiteSpec& s) {
    if (!l) return;
    if (!l.IsMap()) throw SiteFileError(at(l.Mark()), "'limits' must be a map");
    check_keys(l, {"max_pages", "max_records"});
    attempt([&] {
      if (l["max_pages"]) s.max_pages = integer(l["max_pages"], "limits.max_pages", 0);
    });
    attempt([&] {
      if (l["max_records"]) s.max_records = integer(l["max_records"], "limits.max_records", 0);
    });
  }

  static std::string stem(const std::string& path) {
    auto slash = path.find_last_of('/');
    std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
    auto dot = base.find_last_of('.');
    return dot == std::string::npos ? base : base.substr(0, dot);
  }

  std::string file_;
  Diagnostics& diags_;
};


std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
  return s;
}

}  // namespace

bool SiteSpec::uses_zip() const {
  return std::any_of(start_urls.begin(), start_urls.end(), [](const std::string& u) { return u.find("{zip}") != std::string::npos; });
}

std::string CardSpec::describe() const {
  switch (kind) {
    case Kind::html: return "'" + selector.source() + "'";
    case Kind::json_ld: {
      std::string t;
      for (const auto& x : types) t += (t.empty() ? "" : ", ") + x;
      return "json_ld [" + t + "]";
    }
    case Kind::json: return "json '" + selector.source() + "'" + (path.empty() ? "" : " path " + path.source());
  }
  return "";
}

std::optional<SiteSpec> parse_site_yaml(const std::string& yaml_text, const std::string& file_name, Diagnostics& diags) {
  return Loader(file_name, diags).load(yaml_text);
}

std::optional<SiteSpec> load_site_file(const std::string& path, Diagnostics& diags) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diags.error(Location{path, 0, 0}, "cannot read site file");
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_site_yaml(ss.str(), path, diags);
}

namespace {
SiteSpec or_first_error(std::optional<SiteSpec> spec, const Diagnostics& diags) {
  if (spec) return std::move(*spec);
  for (const auto& d : diags.all())
    if (d.severity == Severity::error) throw SiteFileError(d.where, d.message);
  throw SiteFileError(Location{}, "site file could not be read");
}
}  // namespace

SiteSpec parse_site_yaml(const std::string& yaml_text, const std::string& file_name) {
  Diagnostics diags;
  auto spec = parse_site_yaml(yaml_text, file_name, diags);
  return or_first_error(std::move(spec), diags);
}

SiteSpec load_site_file(const std::string& path) {
  Diagnostics diags;
  auto spec = load_site_file(path, diags);
  return or_first_error(std::move(spec), diags);
}

std::string expand_start_url(const SiteSpec& site, const std::string& tmpl, const std::string& zip) {
  std::string base = site.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  std::string u = replace_all(replace_all(tmpl, "{zip}", zip), "{base_url}", base);
  if (u.find("://") == std::string::npos && !site.base_url.empty()) u = resolve_url(site.base_url, u);
  return u;
}

std::optional<std::string> labelled_value(xmlNodePtr el, const std::string& label) {
  std::string text = node_text(el);
  std::string lt = ascii_lower(text), ll = ascii_lower(collapse_whitespace(label));
  if (ll.empty() || !lt.starts_with(ll)) return std::nullopt;
  std::size_t p = ll.size();
  // "Bedsheets" is not the label "Beds".
  if (p < lt.size() && std::isalnum(static_cast<unsigned char>(lt[p]))) return std::nullopt;
  while (p < text.size() && (text[p] == ':' || text[p] == ' ' || text[p] == '-' || text[p] == '=')) ++p;
  std::string rest = text.substr(p);
  if (!rest.empty()) return rest;
  for (xmlNodePtr s = el->next; s; s = s->next) {
    if (s->type != XML_ELEMENT_NODE) continue;
    std::string v = node_text(s);
    if (v.empty()) return std::nullopt;
    return v;
  }
  return std::nullopt;
}

FieldValue extract_field(const HtmlDocument& doc, xmlNodePtr scope, const FieldSpec& f) {
  FieldValue out;
  for (const Selector& sel : f.selectors) {
    if (!f.label.empty()) {
      // The innermost labelled element wins: a wrapping <div> also "starts with" the label.
      std::optional<std::string> best;
      std::size_t best_len = std::string::npos;
      for (xmlNodePtr n : doc.select(sel, scope)) {
        if (n->type != XML_ELEMENT_NODE) continue;
        auto v = labelled_value(n, f.label);
        if (!v) continue;
        if (f.all) {
          out.list.push_back(std::move(*v));
          continue;
        }
        if (std::size_t len = node_text(n).size(); len < best_len) {
          best = std::move(v);
          best_len = len;
        }
      }
      if (f.all && !out.list.empty()) return out;
      if (best) {
        out.value = std::move(best);
        return out;
      }
      continue;
    }
    if (f.all) {
      for (auto& v : doc.values(sel, scope))
        if (!v.empty()) out.list.push_back(std::move(v));
      if (!out.list.empty()) return out;
      continue;
    }
    if (auto v = doc.value(sel, scope); v && !v->empty()) {
      out.value = std::move(v);
      return out;
    }
  }
  return out;
}

json::value extract_json_field(const JsonCard& card, const FieldSpec& f, const std::string& base_url) {
  json::array all;
  for (const JsonPick& pick : f.json) {
    const json::value* from = card.value;
    if (!pick.sibling.empty()) from = json_sibling(card, pick.sibling, pick.match, base_url);
    if (!from) continue;
    if (!f.all) {
      if (const json::value* v = pick.path.first(*from)) return *v;
      continue;
    }
    for (const json::value* v : pick.path.select(*from)) {
      if (v->is_null() || (v->is_string() && v->get_string().empty())) continue;
      all.push_back(*v);
    }
    if (!all.empty()) return all;
  }
  return nullptr;
}

}  // namespace flowrun::listings
