#include "nodes/llm/rules_fallback.hpp"

#include <fmt/format.h>

#include <regex>

#include "engine/dotted_path.hpp"
#include "nodes/llm/prompt_template.hpp"

namespace flowrun::llm {
namespace json = boost::json;

namespace {

const std::regex::flag_type kRe = std::regex::ECMAScript | std::regex::icase | std::regex::optimize;

std::string text_of(const json::object& data, const char* path) {
  auto* v = value_at(data, path);
  if (!v) return "";
  if (v->is_string()) return std::string(v->get_string());
  if (v->is_int64()) return std::to_string(v->get_int64());
  if (v->is_double()) return fmt::format("{:g}", v->get_double());
  return "";
}

double number(const std::string& digits) {
  std::string clean;
  for (char c : digits)
    if (c != ',') clean.push_back(c);
  try {
    return std::stod(clean);
  } catch (...) {
    return -1;
  }
}

json::value whole_or_fraction(double d) {
  if (d == static_cast<double>(static_cast<std::int64_t>(d))) return static_cast<std::int64_t>(d);
  return d;
}

}  // namespace

double parse_price_text(const std::string& text) {
  static const std::regex re(R"(\$\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*([mk])?\b)", kRe);
  std::smatch m;
  if (!std::regex_search(text, m, re)) return -1;
  double v = number(m[1].str());
  if (v < 0) return -1;
  std::string unit = m[2].str();
  if (unit == "m" || unit == "M") v *= 1e6;
  if (unit == "k" || unit == "K") v *= 1e3;
  return v;
}

json::object rules_extract(const std::string& raw) {
  const std::string text = clean_text(raw, 20000);
  json::object out;
  if (double p = parse_price_text(text); p > 0) out["price"] = whole_or_fraction(p);
  static const std::regex beds(R"(\b([0-9]{1,2})\s*(?:beds?|bd|br|bedrooms?)\b)", kRe);
  static const std::regex studio(R"(\bstudio\b)", kRe);
  static const std::regex baths(R"(\b([0-9]{1,2}(?:\.[0-9]{1,2})?)\s*(?:baths?|ba|bathrooms?)\b)", kRe);
  static const std::regex sqft(R"(\b([0-9][0-9,]{1,6})\s*(?:sq\.?\s*ft\.?|sqft|sf|square\s+feet)\b)", kRe);
  static const std::regex addr(
      R"(\b([0-9]{1,6}\s+(?:[NSEW]\.?\s+)?[A-Za-z0-9 .']{2,40}?\s(?:St|Street|Ave|Avenue|Rd|Road|Dr|Drive|Ln|Lane|Blvd|Boulevard|Ct|Court|Pl|Place|Way|Cir|Circle|Pkwy|Parkway|Ter|Trl)\b\.?(?:\s*(?:#|Apt|Unit)\s*[A-Za-z0-9-]+)?(?:,\s*[A-Za-z .]+,\s*(?:AZ|Arizona)\s*[0-9]{5})?))",
      std::regex::ECMAScript | std::regex::optimize);
  std::smatch m;
  if (std::regex_search(text, m, beds)) out["beds"] = static_cast<std::int64_t>(number(m[1].str()));
  else if (std::regex_search(text, m, studio)) out["beds"] = 0;
  if (std::regex_search(text, m, baths)) out["baths"] = whole_or_fraction(number(m[1].str()));
  if (std::regex_search(text, m, sqft)) out["sqft"] = static_cast<std::int64_t>(number(m[1].str()));
  if (std::regex_search(text, m, addr)) out["address"] = m[1].str();
  return out;
}

json::object rules_enrich(const json::object& data) {
  json::object out;
  std::string type = text_of(data, "property_type");
  for (auto& c : type)
    if (c == '_') c = ' ';
  std::string beds = text_of(data, "beds"), baths = text_of(data, "baths"), sqft = text_of(data, "sqft");
  std::string street = text_of(data, "address.street"), city = text_of(data, "address.city");
  if (street.empty()) street = text_of(data, "address");
  std::string desc;
  if (!beds.empty()) desc += beds + " bed";
  if (!baths.empty()) desc += (desc.empty() ? "" : ", ") + baths + " bath";
  if (!sqft.empty()) desc += (desc.empty() ? "" : ", ") + sqft + " sqft";
  desc += (desc.empty() ? "" : " ") + (type.empty() ? std::string("property") : type);
  if (!street.empty()) desc += " at " + street;
  if (!city.empty()) desc += ", " + city;
  if (auto year = text_of(data, "year_built"); !year.empty()) desc += ", built " + year;
  out["description"] = desc;

  std::string text;
  for (const char* f : {"description", "remarks", "text", "features"}) text += " " + text_of(data, f);
  static const std::pair<const char*, const char*> features[] = {
      {R"(\bpool\b)", "pool"},
      {R"(\b(?:[0-9]+[- ]car\s+)?garage\b)", "garage"},
      {R"(\bsolar\b)", "solar"},
      {R"(\b(?:remodel(?:ed)?|renovated|updated)\b)", "updated"},
      {R"(\bgranite\b)", "granite counters"},
      {R"(\bfireplace\b)", "fireplace"},
      {R"(\b(?:rv|boat)\s+(?:gate|parking)\b)", "RV parking"},
      {R"(\bno\s+hoa\b)", "no HOA"},
      {R"(\bcorner\s+lot\b)", "corner lot"},
      {R"(\b(?:mountain|city)\s+views?\b)", "views"},
      {R"(\bcasita\b)", "casita"},
  };
  json::array found;
  for (auto& [pattern, name] : features) {
    std::regex re(pattern, kRe);
    if (std::regex_search(text, re)) found.push_back(json::value(name));
  }
  out["key_features"] = std::move(found);
  return out;
}

}  // namespace flowrun::llm
