// Deterministic records of the daily pipeline's canonical shape (docs/normalizing.md): about 35
// fields, a nested address, attributes and provenance; a mix of assessor parcels (no price) and
// listings of every property type.
#pragma once
#include <boost/json.hpp>

#include <cstdint>
#include <string>

namespace flowrun::bench {

namespace json = boost::json;

inline json::object canonical_record(std::uint64_t i) {
  static const char* kTypes[] = {"single_family", "single_family", "single_family", "condo", "townhouse",
                                 "multi_family",  "vacant_land",   "commercial",    "manufactured"};
  static const char* kCities[] = {"Phoenix", "Mesa", "Glendale", "Tempe", "Scottsdale"};
  std::uint64_t h = i * 0x9E3779B97F4A7C15ull;
  auto next = [&h] { return (h = h * 6364136223846793005ull + 1442695040888963407ull) >> 33; };
  const bool listing = next() % 3 != 0;
  const char* type = kTypes[next() % 9];
  const bool land = std::string(type) == "vacant_land";
  const std::int64_t assessed = 3000 + static_cast<std::int64_t>(next() % 60000);
  const std::int64_t sqft = land ? 0 : 700 + static_cast<std::int64_t>(next() % 3000);
  json::object r;
  r["id"] = listing ? "mls:armls:" + std::to_string(6700000 + i) : "apn:" + std::to_string(10300000 + i);
  r["source"] = listing ? "redfin" : "assessor";
  r["source_id"] = std::to_string(i);
  r["raw_kind"] = listing ? "redfin_csv" : "maricopa";
  r["apn"] = listing ? json::value(nullptr) : json::value(std::to_string(10300000 + i));
  r["mls_id"] = listing ? json::value(std::to_string(6700000 + i)) : json::value(nullptr);
  r["listing_source"] = listing ? json::value("ARMLS") : json::value(nullptr);
  r["address"] = json::object{{"street", std::to_string(100 + next() % 9000) + " W Indian School Rd"},
                              {"unit", nullptr},
                              {"city", kCities[next() % 5]},
                              {"state", "AZ"},
                              {"zip", std::to_string(85001 + next() % 60)},
                              {"zip4", nullptr}};
  r["listing_type"] = listing ? json::value("sale") : json::value(nullptr);
  r["property_type"] = type;
  r["price"] = listing ? json::value(120000 + static_cast<std::int64_t>(next() % 900000)) : json::value(nullptr);
  r["rent"] = nullptr;
  r["assessed_value"] = assessed;
  r["full_cash_value"] = assessed * 10;
  r["tax_year"] = 2026;
  r["beds"] = land ? json::value(nullptr) : json::value(1 + static_cast<std::int64_t>(next() % 5));
  r["baths"] = land ? json::value(nullptr) : json::value(1 + static_cast<double>(next() % 6) / 2);
  r["sqft"] = land ? json::value(nullptr) : json::value(sqft);
  r["lot_sqft"] = 4000 + static_cast<std::int64_t>(next() % 9000);
  r["year_built"] = land ? json::value(nullptr) : json::value(1950 + static_cast<std::int64_t>(next() % 75));
  r["price_per_sqft"] = nullptr;
  for (const char* k : {"price_min", "price_max", "rent_min", "rent_max", "beds_min", "beds_max", "baths_min",
                        "baths_max"})
    r[k] = nullptr;
  r["sqft_min"] = sqft;
  r["sqft_max"] = sqft;
  r["collected_at"] = "2026-11-23T09:00:00Z";
  r["quality_score"] = 0.75;
  r["warnings"] = json::array{};
  r["attributes"] = json::object{{"legal_class", "3.1"}, {"property_use_code", "0131"}, {"subdivision", "MARYVALE TERRACE"}};
  r["provenance"] = json::object{{"address.street", "SitusAddress"}, {"address.state", "=AZ"}, {"id", "apn"}};
  return r;
}

}  // namespace flowrun::bench
