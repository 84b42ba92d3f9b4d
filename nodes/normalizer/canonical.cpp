#include "nodes/normalizer/canonical.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>

#include "engine/node.hpp"
#include "nodes/normalizer/address.hpp"
#include "nodes/normalizer/text.hpp"

namespace flowrun::normalizer {
namespace {

// Fields every canonical record has (null when unknown), in the order records show them.
constexpr const char* kAlwaysFields[] = {"id", "source", "source_id", "raw_kind", "apn", "mls_id", "listing_source",
                                         "address", "listing_type", "property_type", "price", "rent", "assessed_value",
                                         "full_cash_value", "tax_year", "beds", "baths", "bath_fixtures", "sqft",
                                         "lot_sqft", "year_built", "price_per_sqft", "collected_at"};
constexpr const char* kAddressParts[] = {"street", "unit", "city", "state", "zip", "zip4"};  // address_of()
// Capacities a canonical record and its provenance start with: the fixed fields, the ranged
// fields' ends, attributes, provenance and warnings; provenance has one key per field filled.
constexpr std::size_t kRecordRoom = std::size(kAlwaysFields) + 16;
constexpr std::size_t kProvenanceRoom = 40;

// utc_now_iso(), formatted once per second per thread rather than once per record.
const std::string& utc_now_iso_cached() {
  thread_local std::time_t last = -1;
  thread_local std::string text;
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  if (now != last) {
    text = utc_now_iso();
    last = now;
  }
  return text;
}

std::string str_of(const json::value& v) {
  return v.is_string() ? std::string(v.get_string()) : std::string();
}

double num_of(const json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  if (v.is_double()) return v.get_double();
  return NAN;
}

json::value text_or_null(const std::string& s) { return s.empty() ? json::value(nullptr) : json::value(s); }

bool is_ranged(const std::string& name) {
  const auto& r = ranged_fields();
  return std::find(r.begin(), r.end(), name) != r.end();
}

// "beds_min" -> "beds" when beds is a ranged field ("" otherwise); `is_min` says which end.
std::string ranged_base(const std::string& name, bool* is_min) {
  for (const char* suffix : {"_min", "_max"}) {
    if (!name.ends_with(suffix)) continue;
    std::string base = name.substr(0, name.size() - 4);
    if (!is_ranged(base)) return "";
    *is_min = std::string_view(suffix) == "_min";
    return base;
  }
  return "";
}

// Sets `key` from `v` unless an earlier field already did (the first mapped field wins).
void fill(json::object& out, json::object& prov, const std::string& key, const json::value& v, std::string_view from) {
  if (v.is_null()) return;
  json::value& slot = out[key];  // one lookup, not two
  if (!slot.is_null()) return;
  slot = v;
  prov[key] = from;
}

// A ranged field: an exact value sets the plain field and both ends, a range only the ends.
void put_ranged(json::object& out, json::object& prov, const std::string& name, const Extracted& e) {
  fill(out, prov, name, e.value, e.from);
  fill(out, prov, name + "_min", e.lo(), e.from);
  fill(out, prov, name + "_max", e.hi(), e.from);
}

// Bounds given on their own (`beds_min: bedrooms.min`) that meet make the exact value.
void settle_exact(json::object& out, json::object& prov) {
  for (const auto& name : ranged_fields()) {
    const json::value lo = out[name + "_min"], hi = out[name + "_max"];
    if (out[name].is_null() && !lo.is_null() && lo == hi) fill(out, prov, name, lo, str_of(prov[name + "_min"]));
  }
}

// `price`, `price_min`, `price_max` moved to `rent`... (where rent is still null), or dropped.
void move_price(json::object& out, json::object& prov, bool to_rent) {
  for (const std::string suffix : {"", "_min", "_max"}) {
    const std::string from = "price" + suffix, to = "rent" + suffix;
    if (to_rent && out[to].is_null() && !out[from].is_null()) {
      out[to] = out[from];
      prov[to] = prov[from];
    }
    out[from] = nullptr;
    prov.erase(from);
  }
}

// A rental's amount is a rent, never a sale price: the record is a rental when the mapping says
// so (listing_type), the price was written per month ("$1,850/mo") or a rent was mapped. Its price
// fields then move to rent (unless a rent was mapped too). A monthly amount on a listing stated to
// be a sale is no sale price either: it is dropped rather than stored as one.
void settle_listing_type(json::object& out, json::object& prov, bool monthly_price) {
  const bool has_rent = !out["rent_min"].is_null() || !out["rent_max"].is_null();
  std::string type = str_of(out["listing_type"]);
  if (type.empty() && (monthly_price || has_rent)) {
    type = "rent";
    out["listing_type"] = type;
    prov["listing_type"] = monthly_price ? str_of(prov["price_min"]) + " (per month)" : "rent";
  }
  if (type == "rent" || monthly_price) move_price(out, prov, type == "rent" && !has_rent);
}

// Fills the canonical fields the mapping lists; true when the price was written per month.
bool put_fields(const json::object& raw, const Mapping& m, json::object& out, json::object& prov) {
  bool monthly_price = false;
  for (const auto& spec : m.fields) {
    Extracted e = extract(raw, spec, m);
    if (!e.found()) continue;
    bool is_min = false;
    if (is_ranged(spec.name)) {
      put_ranged(out, prov, spec.name, e);
      if (spec.name == "price") monthly_price = monthly_price || e.monthly;
    } else if (std::string base = ranged_base(spec.name, &is_min); !base.empty()) {
      fill(out, prov, spec.name, is_min ? e.lo() : e.hi(), e.from);
    } else {
      out[spec.name] = std::move(e.value);
      prov[spec.name] = e.from;
    }
  }
  return monthly_price;
}

// The address object from the line and the separate columns (city, ZIP ...), with provenance.
// Throws RecordError when the line is not a street address.
json::object address_of(const json::object& raw, const Mapping& m, const Extracted& line, Address& a, json::object& prov) {
  try {
    a = parse_address(str_of(line.value));
  } catch (const AddressError& e) {
    throw RecordError("address", "parseable", e.what());
  }
  json::object addr(8);  // six parts, room for none to regrow
  addr["street"] = a.street;
  addr["unit"] = text_or_null(a.unit);
  addr["city"] = text_or_null(a.city);
  addr["state"] = text_or_null(a.state);
  addr["zip"] = text_or_null(a.zip);
  addr["zip4"] = text_or_null(a.zip4);
  prov["address.street"] = line.from;
  prov["address.parse"] = describe_rules(a.rules);  // which rule gave each part of the line
  for (const char* k : {"unit", "city", "state", "zip", "zip4"})
    if (!addr[k].is_null()) prov[std::string("address.") + k] = line.from;
  // Separate columns are more reliable than what we split out of a line, so they win.
  auto part = [&](const std::optional<FieldSpec>& spec, const char* key) {
    if (!spec) return;
    Extracted e = extract(raw, *spec, m);
    if (e.value.is_null()) return;
    addr[key] = std::move(e.value);
    prov[std::string("address.") + key] = e.from;
    if (std::string_view(key) == "zip") {
      // The ZIP column may carry the +4 ("85001-1234").
      if (auto t = lookup(raw, spec->from.front()); t && t->is_string()) {
        const std::string text = squish(t->get_string());  // parse_zip's result points into it
        if (auto z = parse_zip(text); z && !z->zip4.empty()) {
          addr["zip4"] = std::string(z->zip4);
          prov["address.zip4"] = e.from;
        }
      }
    }
  };
  part(m.unit, "unit");
  part(m.city, "city");
  part(m.state, "state");
  part(m.zip, "zip");
  return addr;
}

}  // namespace

std::string utc_now_iso() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string address_key(const json::object& a) {
  // Street + unit identify a dwelling; ZIP (or the city when the ZIP is unknown) keeps two
  // "100 N Main St" in different towns apart.
  std::string place = str_of(a.at("zip"));
  if (place.empty()) place = to_lower(str_of(a.at("city")));
  return stable_hash(to_lower(str_of(a.at("street"))) + "|" + to_lower(str_of(a.at("unit"))) + "|" + place);
}

json::object to_canonical(const json::object& raw, const Mapping& m, const SourceInfo& src) {
  // Room for every key up front: growing a Boost.JSON object rehashes it (and each rehash is a
  // large allocation), which cost more than the mapping itself.
  json::object prov(kProvenanceRoom);

  // Address first. A record without one is kept only when its id does not depend on it (an
  // assessor parcel with its APN, a listing with its MLS number): then the address is null.
  Extracted line = extract(raw, *m.line, m);
  const bool no_address = line.value.is_null() || str_of(line.value).empty();
  auto empty_reason = [&] { return "address is empty (raw field " + m.line->from.front().text + ")"; };
  Address a;
  json::object addr;
  if (!no_address) addr = address_of(raw, m, line, a, prov);

  json::object out(kRecordRoom);
  for (const char* k : kAlwaysFields) out[k] = nullptr;
  out["source"] = src.source;
  out["raw_kind"] = m.kind;
  out["address"] = no_address ? json::value(nullptr) : json::value(std::move(addr));
  for (const auto& name : ranged_fields()) out[name + "_min"] = out[name + "_max"] = nullptr;

  const bool monthly_price = put_fields(raw, m, out, prov);
  settle_exact(out, prov);
  settle_listing_type(out, prov, monthly_price);

  json::object attrs;
  attrs.reserve(m.attributes.size() + 1);
  std::string key = "attributes.";
  for (const auto& spec : m.attributes) {
    Extracted e = extract(raw, spec, m);
    if (!e.found()) continue;
    key.resize(11);  // "attributes."
    prov[key.append(spec.name)] = e.from;
    if (!e.value.is_null()) {
      attrs[spec.name] = std::move(e.value);
    } else {  // a range: both ends, never one of them as the value
      attrs[spec.name + "_min"] = std::move(e.min);
      attrs[spec.name + "_max"] = std::move(e.max);
    }
  }
  // Keep the raw type word when the vocabulary had no entry for it, so the map can be extended.
  for (const auto& spec : m.fields) {
    if (spec.parser != Parser::type || out[spec.name].is_null()) continue;
    for (const auto& path : spec.from) {
      const json::value* v = lookup(raw, path);
      if (!v || !v->is_string()) continue;
      std::string key = to_upper(squish(v->get_string()));
      if (!key.empty() && !m.property_types.count(key)) attrs["property_type_raw"] = squish(v->get_string());
      break;
    }
  }

  if (m.source_id) {
    Extracted e = extract(raw, *m.source_id, m);
    if (!e.value.is_null()) {
      out["source_id"] = std::move(e.value);
      prov["source_id"] = e.from;
    }
  }
  if (out["source_id"].is_null() && !src.source_id.empty()) out["source_id"] = src.source_id;

  if (out["collected_at"].is_null()) out["collected_at"] = src.collected_at.empty() ? utc_now_iso_cached() : src.collected_at;

  // Only from exact values: a range or a rent gives no price per square foot.
  double price = num_of(out["price"]), sqft = num_of(out["sqft"]);
  if (std::isfinite(price) && std::isfinite(sqft) && sqft > 0) {
    out["price_per_sqft"] = std::round(price / sqft * 100) / 100;
    prov["price_per_sqft"] = "price / sqft";
  }

  // Stable id: first rule that applies.
  for (const auto& rule : m.id_rules) {
    if (rule == "apn" && out["apn"].is_string()) {
      out["id"] = "apn:" + str_of(out["apn"]);
    } else if (rule == "mls" && out["mls_id"].is_string()) {
      std::string board = str_of(out["listing_source"]);
      if (board.empty()) board = src.source;
      out["id"] = "mls:" + to_lower(board) + ":" + str_of(out["mls_id"]);
    } else if (rule == "address" && !no_address) {
      out["id"] = "addr:" + address_key(out["address"].get_object());
    } else {
      continue;
    }
    prov["id"] = rule;
    break;
  }
  if (no_address && out["id"].is_null()) throw RecordError("address", "parseable", empty_reason());
  if (no_address) a.warnings.push_back(empty_reason() + ": kept by its " + str_of(prov["id"]) + ", address null");

  out["attributes"] = std::move(attrs);
  out["provenance"] = std::move(prov);
  // What the address parser could not place travels with the record, like the collector's.
  if (!a.warnings.empty()) {
    json::array warnings;
    for (auto& w : a.warnings) warnings.emplace_back(std::move(w));
    out["source_warnings"] = std::move(warnings);
  }
  return out;
}

std::vector<std::string> record_fields() {
  std::vector<std::string> f(std::begin(kAlwaysFields), std::end(kAlwaysFields));
  for (const char* k : kAddressParts) f.push_back(std::string("address.") + k);
  for (const auto& name : ranged_fields()) f.push_back(name + "_min"), f.push_back(name + "_max");
  for (const char* k : {"attributes.*", "provenance.*", "source_warnings"}) f.push_back(k);
  return f;
}

}  // namespace flowrun::normalizer
