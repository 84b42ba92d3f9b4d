// A small store with known content for the report tests (temp folders and file reading come from
// tests/shared/flowrun_runs.hpp).
#pragma once
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/json_text.hpp"
#include "nodes/store/store.hpp"
#include "tests/shared/flowrun_runs.hpp"

namespace reporttest {

namespace fs = std::filesystem;
namespace json = boost::json;

using flowrun::testing::slurp;
using flowrun::testing::temp_dir;

inline flowrun::store::PropertyRow prop(const std::string& id, const std::string& zip, std::optional<double> price,
                                        const std::string& hash, json::object body_extra = {}) {
  flowrun::store::PropertyRow r;
  r.id = id, r.source = id.rfind("apn:", 0) == 0 ? "assessor" : "listings", r.zip = zip, r.price = price;
  r.content_hash = hash;
  json::object body{{"id", id}, {"sqft", 1000}, {"address", json::object{{"street", "1 " + id + " St"}, {"city", "Phoenix"}, {"zip", zip}}}};
  if (price) body["price"] = *price, body["mls_id"] = id;
  for (auto& kv : body_extra) body[kv.key()] = kv.value();
  r.body = flowrun::to_json_text(body);
  return r;
}

inline std::string summary_json(const std::string& run_id, double calls, double hits, std::int64_t dead) {
  json::object s{{"run_id", run_id},
                 {"status", "ok"},
                 {"source_records", 7},
                 {"dead_letters", dead},
                 {"warnings", json::array{"site grid_homes answered 429 twice"}},
                 {"nodes", json::array{json::object{{"id", "assessor"}, {"type", "maricopa_api"}, {"role", "source"}, {"in", 0},
                                                    {"out", 3}, {"errors", 0}, {"p50_ms", 1.5}, {"p95_ms", 9.0}},
                                       json::object{{"id", "listings"}, {"type", "csv_listings"}, {"role", "source"}, {"in", 0},
                                                    {"out", 4}, {"errors", 0}},
                                       json::object{{"id", "validate"}, {"type", "validator"}, {"role", "transform"}, {"in", 7},
                                                    {"out", 7 - dead}, {"errors", dead}}}},
                 {"edges", json::array{json::object{{"from", "listings"}, {"port", "out"}, {"to", "validate"}, {"control", false}, {"count", 4}}}},
                 {"counters", json::object{{"llm.calls", calls}, {"llm.cache_hits", hits}, {"llm.tokens", 1500.0}, {"llm.cost", 0.25}}},
                 {"resources", json::object{{"assessor", json::object{{"kind", "rate_limit"}, {"waits", 4}, {"waited_ms", 1200}}}}}};
  return flowrun::to_json_text(s);
}

// Two runs a day apart. r1 sees listings a, b, c and parcel p; r2 sees a (unchanged), b (price
// cut 200,000 -> 180,000), c (content changed, same price), new listing e, and p unchanged.
inline std::string make_store(const fs::path& dir) {
  using namespace flowrun::store;
  const std::string url = "sqlite:" + (dir / "r.db").string();
  auto st = Store::open(url);
  json::object enriched{{"enrichment", json::object{{"key_features", json::array{"pool", "garage"}},
                                                    {"investment", json::object{{"cap_rate", 6.25}, {"rental_estimate", 1850},
                                                                                {"recommendation", "buy"}}}}},
                        {"attributes", json::object{{"url", "https://listings.example/e"}}},
                        {"warnings", json::array{json::object{{"field", "year_built"}, {"rule", "plausible"}, {"message", "year_built missing"}}}}};
  st->run_started({"r1", "daily", "2026-11-20T13:00:00Z", "h", 1});
  auto p = prop("apn:1", "85033", std::nullopt, "hp");
  p.full_cash_value = 160000;
  p.body = flowrun::to_json_text(json::object{{"id", "apn:1"}, {"apn", "1"}, {"address", json::object{{"street", "1 mls:b St"}, {"zip", "85031"}}}});
  p.zip = "85031";
  st->upsert_properties({prop("mls:a", "85031", 100000, "ha"), prop("mls:b", "85031", 200000, "hb"),
                         prop("mls:c", "85033", 300000, "hc"), p},
                        "r1", "2026-11-20T13:00:30.000Z");
  RunFinish f1;
  f1.run_id = "r1", f1.pipeline = "daily", f1.started_at = "2026-11-20T13:00:00Z", f1.finished_at = "2026-11-20T13:02:00Z";
  f1.status = "ok", f1.node_counts = "{}", f1.summary = summary_json("r1", 6, 0, 0), f1.duration_ms = 120000;
  st->run_finished(f1);

  st->run_started({"r2", "daily", "2026-11-21T13:00:00Z", "h", 1});
  st->upsert_properties({prop("mls:a", "85031", 100000, "ha"), prop("mls:b", "85031", 180000, "hb2"),
                         prop("mls:c", "85033", 300000, "hc2"), prop("mls:e", "85035", 400000, "he", enriched), p},
                        "r2", "2026-11-21T13:00:30.000Z");
  st->add_dead_letters({{"r2", "validate", "x", "{}", "price: range: too high", "t"},
                        {"r2", "validate", "y", "{}", "price: range: too high", "t"},
                        {"r2", "validate", "z", "{}", "price: range: too high", "t"},
                        {"r2", "validate", "w", "{}", "price: range: too high", "t"},
                        {"r2", "normalize", "q", "{}", "address: parseable: address is empty", "t"}});
  RunFinish f2 = f1;
  f2.run_id = "r2", f2.started_at = "2026-11-21T13:00:00Z", f2.finished_at = "2026-11-21T13:02:00Z";
  f2.summary = summary_json("r2", 1, 5, 5), f2.dead_letters = 5;
  st->run_finished(f2);
  return url;
}

}  // namespace reporttest
