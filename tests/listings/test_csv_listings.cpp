#include <catch2/catch.hpp>

#include "nodes/listings/csv_listings_node.hpp"
#include "test_support.hpp"

using namespace flowrun::listings;
using namespace listings_test;

namespace {
struct CsvRunResult {
  Collector out;
  CsvListingsSource::Stats stats;
};
void run_csv(const std::string& yaml, const std::string& base_dir, Collector& out, CsvListingsSource::Stats* stats = nullptr) {
  TestRun t;
  auto src = make_source<CsvListingsSource>(csv_listings_descriptor(), "redfin", yaml, base_dir);
  src->open(t.ctx);
  src->run(t.ctx, out);
  if (stats) *stats = src->stats();
}
const flowrun::Record* by_line(std::vector<flowrun::Record>& rs, int line) {
  for (auto& r : rs)
    if (r.data.at("source_line").as_int64() == line) return &r;
  return nullptr;
}
}  // namespace

TEST_CASE("csv_listings reads a Redfin export with every quirk", "[csv_listings]") {
  Collector out;
  CsvListingsSource::Stats stats;
  run_csv("{path: redfin_quirks.csv}", source_dir() + "/tests/fixtures/listings", out, &stats);
  auto& recs = out.out();
  REQUIRE(recs.size() == 7);
  CHECK(stats.notices == 1);
  CHECK(stats.bad_rows == 2);

  // BOM stripped from the first header name, header names as keys, values as raw strings.
  const auto* r3 = by_line(recs, 3);
  REQUIRE(r3);
  CHECK(r3->data.contains("SALE TYPE"));
  CHECK(r3->data.at("ADDRESS").as_string() == "4027 N 55th Ave");
  CHECK(r3->data.at("site").as_string() == "redfin");
  CHECK(r3->data.size() == 27 + 3);
  CHECK(r3->env.source == "redfin");
  CHECK(r3->env.source_id == std::string(r3->data.at("MLS#").as_string()));

  CHECK(by_line(recs, 4)->data.at("ADDRESS").as_string() == "7606 W Indian School Rd #102");
  CHECK(by_line(recs, 5)->data.at("LOCATION").as_string() == "Maryvale, West");
  CHECK(by_line(recs, 6)->data.at("LOCATION").as_string() == "The \"Estates\" at Maryvale");
  CHECK(by_line(recs, 8)->data.at("LOCATION").as_string() == "Maryvale\nNorth");
  const auto* land = by_line(recs, 11);
  REQUIRE(land);
  CHECK(land->data.at("PROPERTY TYPE").as_string() == "Vacant Land");
  CHECK(land->data.at("BEDS").as_string() == "");
  CHECK(land->data.at("CITY").as_string() == "Tolleson");
  // No MLS#: the source id falls back to file:line.
  CHECK(by_line(recs, 13)->env.source_id == "redfin_quirks.csv:13");

  auto& errs = out.errors();
  REQUIRE(errs.size() == 2);
  CHECK(errs[0].data.at("error").at("line").as_int64() == 7);
  CHECK_THAT(std::string(errs[0].data.at("error").at("reason").as_string()), Catch::Contains("expected 27 columns, found 20"));
  CHECK(errs[1].data.at("error").at("line").as_int64() == 12);
  CHECK_THAT(std::string(errs[1].data.at("error").at("reason").as_string()), Catch::Contains("found 28"));
  CHECK(errs[1].data.at("cells").as_array().size() == 28);
}

TEST_CASE("csv_listings: glob over several exports, label option", "[csv_listings]") {
  Collector out;
  run_csv("{path: 'redfin_*.csv', source: my_exports}", source_dir() + "/tests/fixtures/listings", out);
  CHECK(out.out().size() == 7 + 3);
  CHECK(out.out().back().data.at("site").as_string() == "my_exports");
}

TEST_CASE("csv_listings: the shipped sample is clean", "[csv_listings]") {
  Collector out;
  CsvListingsSource::Stats stats;
  run_csv("{path: data/redfin_sample.csv}", source_dir() + "/pipelines", out, &stats);
  CHECK(out.out().size() >= 25);
  CHECK(out.errors().empty());
  CHECK(stats.notices == 1);
  for (auto& r : out.out()) CHECK_FALSE(r.env.source_id.empty());
}

TEST_CASE("csv_listings: missing files and an unterminated quote", "[csv_listings]") {
  TestRun t;
  auto missing = make_source<CsvListingsSource>(csv_listings_descriptor(), "c", "{path: /nonexistent/*.csv}");
  CHECK_THROWS_WITH(missing->open(t.ctx), Catch::Contains("/nonexistent/*.csv"));
  auto allowed =
      make_source<CsvListingsSource>(csv_listings_descriptor(), "c", "{path: /nonexistent/*.csv, allow_empty: true}");
  CHECK_NOTHROW(allowed->open(t.ctx));

  TempDir dir;
  dir.write("x.csv", "ADDRESS,PRICE\n1 Main St,\"$100\n2 Oak St,200\n");
  Collector out;
  run_csv("{path: x.csv}", dir.path.string(), out);
  CHECK(out.out().empty());
  REQUIRE(out.errors().size() == 1);
  CHECK_THAT(std::string(out.errors()[0].data.at("error").at("reason").as_string()),
             Catch::Contains("unterminated quoted field starting on line 2"));
}
