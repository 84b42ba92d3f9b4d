#include "nodes/listings/site_file.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "engine/options.hpp"
#include "engine/yaml_util.hpp"

namespace flowrun::listings {

namespace {

// Where the label scan looks when a field gives `label:` without a selector.
constexpr const char* kLabelCandidates = "li, dt, th, td, dd, p, span, div, strong, b, label";

class Loader {
 public:
  explicit Loader(std::string file) : file_(std::move(file)) {}

  SiteSpec load(const std::string& text) {
    YAML::Node root;
    try {
      root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      throw SiteFileError(at(e.mark), "invalid YAML: " + e.msg);
    }
    if (!root.IsMap()) throw SiteFileError(Location{file_, 1, 1}, "a site file must be a YAML map");
    check_keys(root, {"name", "description", "base_url", "start_urls", "card", "fields", "next_page",
                      "page_param", "first_page", "detail", "limits", "delay"});
    SiteSpec s;
    s.file = file_;
    s.name = root["name"] ? scalar(root["name"], "name") : stem(file_);
    if (root["base_url"]) s.base_url = scalar(root["base_url"], "base_url");
    const YAML::Node urls = require(root, "start_urls");
    if (urls.IsScalar()) {
      s.start_urls.push_back(start_url(urls));
    } else if (urls.IsSequence() && urls.size() > 0) {
      for (const auto& u : urls) s.start_urls.push_back(start_url(u));
    } else {
      throw SiteFileError(at(urls.Mark()), "'start_urls' must be a URL or a non-empty list of URLs");
    }
    s.card = selector(require(root, "card"), "card");
    s.fields = fields(require(root, "fields"), "fields");
    if (root["next_page"]) s.next_page = selector(root["next_page"], "next_page");
    if (root["page_param"]) s.page_param = scalar(root["page_param"], "page_param");
    if (root["first_page"]) s.first_page = integer(root["first_page"], "first_page", 0);
    if (s.next_page && !s.page_param.empty())
      throw SiteFileError(at(root["page_param"].Mark()), "use either 'next_page' or 'page_param', not both");
    if (const YAML::Node d = root["detail"]) {
      if (!d.IsMap()) throw SiteFileError(at(d.Mark()), "'detail' must be a map with 'link' and 'fields'");
      check_keys(d, {"link", "fields"});
      DetailSpec det;
      det.link = selector(require(d, "link"), "detail.link");
      det.fields = fields(require(d, "fields"), "detail.fields");
      s.detail = std::move(det);
    }
    if (const YAML::Node l = root["limits"]) {
      if (!l.IsMap()) throw SiteFileError(at(l.Mark()), "'limits' must be a map");
      check_keys(l, {"max_pages", "max_records"});
      if (l["max_pages"]) s.max_pages = integer(l["max_pages"], "limits.max_pages", 0);
      if (l["max_records"]) s.max_records = integer(l["max_records"], "limits.max_records", 0);
    }
    if (const YAML::Node d = root["delay"]) {
      auto ms = parse_duration(scalar(d, "delay"));
      if (!ms) throw SiteFileError(at(d.Mark()), "'delay' must be a duration like 1s or 500ms");
      s.delay = *ms;
    }
    return s;
  }

 private:
  Location at(const YAML::Mark& m) const {
    if (m.is_null()) return Location{file_, 0, 0};
    return Location{file_, m.line + 1, m.column + 1};
  }

  void check_keys(const YAML::Node& map, const std::vector<std::string>& allowed) {
    for (const auto& kv : map) {
      std::string k = kv.first.as<std::string>("");
      if (std::find(allowed.begin(), allowed.end(), k) != allowed.end()) continue;
      throw SiteFileError(at(kv.first.Mark()), "unknown key '" + k + "'" + did_you_mean(k, allowed));
    }
  }

  YAML::Node require(const YAML::Node& map, const std::string& key) {
    YAML::Node n = map[key];
    if (!n || n.IsNull()) throw SiteFileError(at(map.Mark()), "missing required key '" + key + "'");
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

  Selector compile(const YAML::Node& n, const std::string& text, const std::string& what,
                   const std::string& attr = {}) {
    try {
      return Selector::compile(text, attr);
    } catch (const SelectorError& e) {
      Location l = at(n.Mark());
      // Point at the offending character (exact for a one-line scalar).
      if (l.column > 0 && e.offset > 0) l.column += static_cast<int>(e.offset) + (n.Tag() == "!" ? 1 : 0);
      throw SiteFileError(l, "'" + what + "': " + e.what());
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

  std::vector<FieldSpec> fields(const YAML::Node& n, const std::string& what) {
    if (!n.IsMap() || n.size() == 0) throw SiteFileError(at(n.Mark()), "'" + what + "' must be a non-empty map of field: selector");
    std::vector<FieldSpec> out;
    for (const auto& kv : n) {
      FieldSpec f;
      f.name = kv.first.as<std::string>("");
      f.where = at(kv.first.Mark());
      std::string w = what + "." + f.name;
      const YAML::Node& v = kv.second;
      if (v.IsScalar()) {
        f.selectors.push_back(compile(v, v.Scalar(), w));
      } else if (v.IsSequence() && v.size() > 0) {
        for (const auto& alt : v) f.selectors.push_back(selector(alt, w));
      } else if (v.IsMap()) {
        check_keys(v, {"selector", "xpath", "attr", "label", "all"});
        std::string attr = v["attr"] ? scalar(v["attr"], w + ".attr") : "";
        if (v["label"]) f.label = scalar(v["label"], w + ".label");
        if (v["all"]) {
          try {
            f.all = v["all"].as<bool>();
          } catch (const YAML::Exception&) {
            throw SiteFileError(at(v["all"].Mark()), "'" + w + ".all' must be true or false");
          }
        }
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
      out.push_back(std::move(f));
    }
    return out;
  }

  static std::string stem(const std::string& path) {
    auto slash = path.find_last_of('/');
    std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
    auto dot = base.find_last_of('.');
    return dot == std::string::npos ? base : base.substr(0, dot);
  }

  std::string file_;
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
  return s;
}

}  // namespace

bool SiteSpec::uses_zip() const {
  return std::any_of(start_urls.begin(), start_urls.end(), [](const std::string& u) { return u.find("{zip}") != std::string::npos; });
}

SiteSpec parse_site_yaml(const std::string& yaml_text, const std::string& file_name) {
  return Loader(file_name).load(yaml_text);
}

SiteSpec load_site_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw SiteFileError(Location{path, 0, 0}, "cannot read site file");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_site_yaml(ss.str(), path);
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
  std::string lt = lower(text), ll = lower(collapse_whitespace(label));
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

}  // namespace flowrun::listings
