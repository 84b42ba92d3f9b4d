// End to end: file source -> normalizer -> validator -> jsonl sinks (out, rejected, errors),
// through the real engine, with mixed assessor / Redfin / HTML raw records in one JSONL file.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "engine/pipeline.hpp"
#include "engine/registry.hpp"
#include "nodes/file/register.hpp"
#include "nodes/normalizer/register.hpp"
#include "nodes/validator/register.hpp"
#include "tests/shared/run_checks.hpp"
#include "tests/shared/temp_dir.hpp"

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

using flowrun::testing::TempDir;

std::vector<json::object> read_jsonl(const fs::path& p) {
  std::vector<json::object> out;
  std::ifstream in(p);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(json::parse(line).as_object());
  return out;
}

flowrun::Registry registry() {
  flowrun::Registry r;
  flowrun::register_file_nodes(r);
  flowrun::register_normalizer_nodes(r);
  flowrun::register_validator_nodes(r);
  return r;
}

const char* kRaw[] = {
    // 1. assessor parcel with details, no price: valid
    R"J({"_kind":"maricopa","APN":"10306005","SitusAddress":"4027 N 55TH AVE","SitusCity":"PHOENIX","SitusZip":"85031","PropertyType":"RESIDENTIAL","details":{"valuations":[{"TaxYear":"2026","FullCashValue":"285000","AssessedLPV":"20150   "}],"residential-details":{"LivableSpace":"1257","BathFixtures":"5","ConstructionYear":"1958","LotSize":"6098"}}})J",
    // 2. assessor row without _kind (detected by keys), trailing unit, no details: valid
    R"J({"APN":"10219009F","SitusAddress":"7606 W INDIAN SCHOOL RD 1","SitusCity":"PHOENIX","SitusZip":"85033","PropertyType":"COMMERCIAL "})J",
    // 3. Redfin row: valid
    R"J({"PROPERTY TYPE":"Single Family Residential","ADDRESS":"833 E Fern Dr S","CITY":"PHOENIX","STATE OR PROVINCE":"AZ","ZIP OR POSTAL CODE":"85014","PRICE":"450000","BEDS":"3","BATHS":"2","SQUARE FEET":"1,850","LOT SIZE":"7,200","YEAR BUILT":"1978","SOURCE":"ARMLS","MLS#":"6600001"})J",
    // 4. Redfin row, 8 beds in 400 sqft: rejected (beds_vs_sqft)
    R"J({"PROPERTY TYPE":"Condo/Co-op","ADDRESS":"1 N 1st St #4","CITY":"Phoenix","STATE OR PROVINCE":"AZ","ZIP OR POSTAL CODE":"85004","PRICE":"200000","BEDS":"8","BATHS":"1","SQUARE FEET":"400","LOT SIZE":"","YEAR BUILT":"2001","SOURCE":"ARMLS","MLS#":"6600002"})J",
    // 5. HTML card with a price too small and a year in the future: rejected (two rules)
    R"J({"address":"55 W Oak St, Mesa, AZ 85201","price":"$500","beds":"2 bd","baths":"1 BA","sqft":"900 sqft","year_built":"2999","url":"http://127.0.0.1/l/5","site":"example"})J",
    // 6. HTML card with garbage address: normalizer errors
    R"J({"address":"Just some random text","price":"$300,000","url":"http://127.0.0.1/l/6"})J",
    // 7. HTML card with empty address: normalizer errors
    R"J({"address":"","price":"$300,000","url":"http://127.0.0.1/l/7"})J",
    // 8. HTML card without price or ZIP: valid, lower score
    R"J({"address":"12 Elm St","beds":"Studio","url":"http://127.0.0.1/l/8"})J",
    // 9. A record no mapping recognises: normalizer errors (rule mapping)
    R"J({"foo":"bar"})J",
};

}  // namespace

TEST_CASE("file -> normalizer -> validator -> jsonl sinks", "[pipeline]") {
  TempDir tmp;
  {
    std::ofstream in(tmp.path / "raw.jsonl");
    for (const char* r : kRaw) in << r << "\n";
  }
  std::string mdir = fs::absolute("pipelines/mappings").string();
  std::string rules = fs::absolute("pipelines/rules/property.yaml").string();
  const std::string dir = tmp.path.string();
  std::string yaml = R"(
name: normalize-test
nodes:
  raw:       {type: file, path: )" + dir + R"(/raw.jsonl}
  normalize: {type: normalizer, inputs: [raw], concurrency: 2,
              mappings: [)" + mdir + "/maricopa.yaml, " + mdir + "/redfin_csv.yaml, " + mdir + R"(/html_listing.yaml]}
  validate:  {type: validator, inputs: [normalize], rules: )" + rules + R"(}
  good:      {type: jsonl, inputs: [validate], path: )" + dir + R"(/out/good.jsonl}
  rejected:  {type: jsonl, inputs: [validate.rejected], path: )" + dir + R"(/out/rejected.jsonl}
  broken:    {type: jsonl, inputs: [normalize.errors], path: )" + dir + R"(/out/errors.jsonl, envelope: true}
)";
  auto reg = registry();
  auto loaded = flowrun::load_pipeline_string(yaml, (tmp.path / "p.yaml").string(), reg);
  for (const auto& d : loaded.diagnostics.all()) INFO(d.str());
  REQUIRE(loaded.ok());
  auto summary = flowrun::testing::run_checked(loaded.graph, reg);

  auto good = read_jsonl(tmp.path / "out/good.jsonl");
  auto rejected = read_jsonl(tmp.path / "out/rejected.jsonl");
  auto errors = read_jsonl(tmp.path / "out/errors.jsonl");
  CHECK(good.size() == 4);
  CHECK(rejected.size() == 2);
  CHECK(errors.size() == 3);
  CHECK(good.size() + rejected.size() + errors.size() == std::size(kRaw));  // nothing dropped

  std::map<std::string, json::object> by_id;
  for (auto& g : good) {
    CHECK(g.at("quality_score").to_number<double>() > 0);
    CHECK(g.at("quality_score").to_number<double>() <= 1);
    CHECK(g.at("warnings").is_array());
    by_id[std::string(g.at("id").as_string())] = g;
  }
  REQUIRE(by_id.count("apn:10306005"));
  const auto& parcel = by_id["apn:10306005"];
  CHECK(parcel.at("price").is_null());  // an assessor parcel without a price is valid
  CHECK(parcel.at("full_cash_value") == 285000);
  CHECK(parcel.at("address").at("street") == "4027 N 55th Ave");
  CHECK(parcel.at("quality_score").to_number<double>() == Approx(1.0));
  REQUIRE(by_id.count("apn:10219009F"));
  CHECK(by_id["apn:10219009F"].at("address").at("unit") == "1");
  CHECK(by_id["apn:10219009F"].at("property_type") == "commercial");
  REQUIRE(by_id.count("mls:armls:6600001"));
  CHECK(by_id["mls:armls:6600001"].at("address").at("street") == "833 E Fern Dr S");
  CHECK(by_id["mls:armls:6600001"].at("price_per_sqft").as_double() == Approx(243.24));

  // The price-less, ZIP-less card is kept, nulls intact, with warnings and a lower score.
  bool saw_card = false;
  for (auto& g : good) {
    if (g.at("raw_kind") != "html_listing") continue;
    saw_card = true;
    CHECK(g.at("price").is_null());
    CHECK(g.at("address").at("zip").is_null());
    CHECK(g.at("beds") == 0);
    CHECK(g.at("quality_score").to_number<double>() < 0.8);
    CHECK(g.at("warnings").as_array().size() >= 2);
  }
  CHECK(saw_card);

  // Rejected records carry every failed rule.
  std::map<std::string, std::vector<std::string>> failed;  // street -> "field:rule"
  for (auto& r : rejected) {
    CHECK(r.at("validation").at("valid") == false);
    for (auto& e : r.at("validation").at("errors").as_array()) {
      CHECK(e.as_object().contains("value"));
      CHECK_FALSE(e.at("message").as_string().empty());
      failed[std::string(r.at("address").at("street").as_string())].push_back(
          std::string(e.at("field").as_string()) + ":" + std::string(e.at("rule").as_string()));
    }
  }
  CHECK(failed["1 N 1st St"] == std::vector<std::string>{"sqft:beds_vs_sqft"});
  auto& card = failed["55 W Oak St"];
  CHECK(std::find(card.begin(), card.end(), "price:range") != card.end());
  CHECK(std::find(card.begin(), card.end(), "year_built:range") != card.end());

  // Normalizer errors name the field and the rule; the raw record is kept for the dead letter.
  std::map<std::string, int> reasons;
  for (auto& e : errors) {
    const auto& err = e.at("_meta").at("error");
    reasons[std::string(err.at("field").as_string()) + ":" + std::string(err.at("rule").as_string())]++;
    if (e.contains("address") && e.at("address") == "")
      CHECK_THAT(std::string(err.at("message").as_string()), Catch::Matchers::Contains("address is empty"));
  }
  CHECK(reasons["address:parseable"] == 2);
  CHECK(reasons["_kind:mapping"] == 1);

  // Engine counters agree.
  for (const auto& n : summary.nodes) {
    if (n.id == "normalize") {
      CHECK(n.in == 9);
      CHECK(n.out == 6);
      CHECK(n.errors == 3);
    }
    if (n.id == "validate") CHECK(n.in == 6);
  }
}

TEST_CASE("a mapping named bare is found among the shipped mappings and runs", "[pipeline]") {
  TempDir tmp;
  std::ofstream(tmp.path / "raw.jsonl") << R"({"address":"1 Main St"})" << "\n";
  auto reg = registry();
  auto run = [&](const std::string& opts) {
    std::string yaml = "name: t\nnodes:\n  raw: {type: file, path: " + tmp.path.string() + "/raw.jsonl}\n  n: {type: normalizer, inputs: [raw]" + opts +
                       "}\n  s: {type: jsonl, inputs: [n], path: " + tmp.path.string() + "/o.jsonl}\n";
    auto loaded = flowrun::load_pipeline_string(yaml, (tmp.path / "p.yaml").string(), reg);
    REQUIRE(loaded.ok());
    return flowrun::testing::run_checked(loaded.graph, reg);
  };
  // Option errors are `check` errors now (test_node_options.cpp); a bare name resolves through
  // engine/data_files.hpp whatever the working directory.
  auto s = run(", mapping: html_listing");
  for (const auto& n : s.nodes)
    if (n.id == "n") CHECK(n.out == 1);
}

TEST_CASE("unknown property types are one run warning each, with a count, a keyed record without an address passes",
          "[pipeline][issue12]") {
  TempDir tmp;
  {
    std::ofstream in(tmp.path / "raw.jsonl");
    in << R"({"APN":"10000001","SitusAddress":"1 E MAIN ST","SitusCity":"MESA","SitusZip":"85201","PropertyType":"GOLF COURSE"})" << "\n"
       << R"({"APN":"10000002","SitusAddress":"2 E MAIN ST","SitusCity":"MESA","SitusZip":"85201","PropertyType":"GOLF COURSE "})" << "\n"
       << R"({"APN":"10000003","SitusAddress":"3 E MAIN ST","SitusCity":"MESA","SitusZip":"85201","PropertyType":"RACE TRACK"})" << "\n"
       << R"({"APN":"10000004","SitusAddress":"4 E MAIN ST","SitusCity":"MESA","SitusZip":"85201","PropertyType":"PUBLIC FACILITY"})" << "\n"
       << R"({"APN":"10000005","SitusAddress":"","PropertyType":"VACANT LAND RESIDENTIAL"})" << "\n";
  }
  const std::string dir = tmp.path.string();
  const std::string yaml = "name: t\nnodes:\n"
                           "  raw: {type: file, path: raw.jsonl}\n"
                           "  n: {type: normalizer, inputs: [raw], mapping: maricopa, concurrency: 2}\n"
                           "  v: {type: validator, inputs: [n], rules: property}\n"
                           "  good: {type: jsonl, inputs: [v], path: good.jsonl}\n"
                           "  bad: {type: jsonl, inputs: [v.rejected, n.errors], path: bad.jsonl}\n";
  auto reg = registry();
  auto loaded = flowrun::load_pipeline_string(yaml, dir + "/p.yaml", reg);
  for (const auto& d : loaded.diagnostics.all()) INFO(d.str());
  REQUIRE(loaded.ok());
  auto s = flowrun::testing::run_checked(loaded.graph, reg);

  std::vector<std::string> type_warnings;
  for (const auto& w : s.warnings)
    if (w.find("unknown property type") != std::string::npos) type_warnings.push_back(w);
  std::sort(type_warnings.begin(), type_warnings.end());
  REQUIRE(type_warnings.size() == 2);
  CHECK(type_warnings[1] ==
        "normalizer 'n': 2 record(s) with unknown property type 'GOLF COURSE' (mapping maricopa), stored as 'other'; "
        "add it to `property_types:`");
  CHECK(type_warnings[0] ==
        "normalizer 'n': 1 record(s) with unknown property type 'RACE TRACK' (mapping maricopa), stored as 'other'; "
        "add it to `property_types:`");
  CHECK(s.counters.at("normalizer.unknown_property_type") == 3);

  auto good = read_jsonl(tmp.path / "good.jsonl");
  CHECK(read_jsonl(tmp.path / "bad.jsonl").empty());
  REQUIRE(good.size() == 5);
  bool saw_vacant = false;
  for (const auto& g : good) {
    if (g.at("id") != "apn:10000005") continue;
    saw_vacant = true;
    CHECK(g.at("address").is_null());
    CHECK(g.at("property_type") == "vacant_land");
    CHECK(g.at("source_warnings").as_array().at(0) == "address is empty (raw field SitusAddress): kept by its apn, address null");
    bool warned = false;
    for (const auto& w : g.at("warnings").as_array())
      if (w.at("field") == "address.street" && w.at("rule") == "required") {
        warned = true;
        CHECK(w.at("message") == "no street address (kept by its APN or MLS number) (address.street is missing)");
      }
    CHECK(warned);
  }
  CHECK(saw_vacant);
}
