// The report's figures from a store with known content, its formats, and how it is written.
#include <catch2/catch.hpp>
#include <sys/mount.h>

#include "nodes/report/report.hpp"
#include "nodes/report/report_format.hpp"
#include "tests/report/report_test_util.hpp"

using namespace flowrun;
using namespace reporttest;

namespace {

const json::object& listing(const json::object& rep, const std::string& id) {
  for (const auto& r : rep.at("listings").as_array())
    if (r.as_object().at("id") == id.c_str()) return r.as_object();
  FAIL("no listing row " << id);
  throw std::logic_error("unreachable");
}
double num(const json::value& v) { return v.to_number<double>(); }

}  // namespace

TEST_CASE("report: money, percentages and dates are written as people read them", "[report][format]") {
  CHECK(report::money(1234567.4) == "$1,234,567");
  CHECK(report::money(-12500) == "-$12,500");
  CHECK(report::money(999) == "$999");
  CHECK(report::money(std::nullopt).empty());
  CHECK(report::percent(6.25) == "6.3%");
  CHECK(report::percent(-10, true) == "-10.0%");
  CHECK(report::percent(2.345, true) == "+2.3%");
  CHECK(report::percent(0.01, true) == "0.0%");
  CHECK(report::count(152) == "152");
  CHECK(report::count(39221) == "39,221");
  CHECK(report::decimal(2.5, 2) == "2.5");
  CHECK(report::duration(758) == "758 ms");
  CHECK(report::local_time("2026-11-21T13:00:00Z", "America/Phoenix") == "Nov 21, 2026, 6:00 AM MST");
  CHECK(report::local_time("2026-07-04T19:30:00.250Z", "America/New_York") == "Jul 4, 2026, 3:30 PM EDT");
  CHECK(report::local_time("2026-11-21T00:05:00Z", "UTC") == "Nov 21, 2026, 12:05 AM UTC");
  CHECK(report::local_day("2026-11-21T03:00:00Z", "America/Phoenix") == "2026-11-20");
  CHECK(report::resolve_timezone("America/Phoenix") == "America/Phoenix");
  CHECK_THROWS_WITH(report::resolve_timezone("Mars/Olympus"), Catch::Contains("unknown time zone 'Mars/Olympus'"));
}

TEST_CASE("report: the daily figures from the store agree everywhere", "[report]") {
  auto dir = temp_dir("collect");
  auto st = store::Store::open(make_store(dir));
  report::ReportOptions opts;
  opts.timezone = "America/Phoenix";
  auto rep = report::collect_report(*st, opts);
  const auto& run = rep.at("run").as_object();
  CHECK(run.at("run_id") == "r2");
  CHECK(run.at("status") == "ok");
  const auto& h = rep.at("headline").as_object();
  CHECK(num(h.at("seen")) == 5);
  CHECK(num(h.at("new")) == 1);
  CHECK(num(h.at("new_listings")) == 1);
  CHECK(num(h.at("changed")) == 2);         // b (price) and c (content)
  CHECK(num(h.at("price_changes")) == 1);   // b
  CHECK(num(h.at("unchanged")) == 2);       // a and the parcel
  CHECK(num(h.at("dead_letters")) == 5);
  CHECK(num(h.at("source_records")) == 7);
  REQUIRE(h.at("sources").as_array().size() == 2);

  // Price cuts first, then new listings; the parcel at b's address gives its county value.
  const auto& rows = rep.at("listings").as_array();
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].at("id") == "mls:b");
  const auto& b = listing(rep, "mls:b");
  CHECK(b.at("kind") == "price_change");
  CHECK(num(b.at("previous_price")) == 200000);
  CHECK(num(b.at("price_change")) == -20000);
  CHECK(num(b.at("price_change_pct")) == -10);
  CHECK(num(b.at("county_value")) == 160000);
  CHECK(b.at("county_value_from") == "apn:1");
  CHECK(num(b.at("price_to_county_value")) == 1.125);
  const auto& e = listing(rep, "mls:e");
  CHECK(e.at("kind") == "new");
  CHECK(num(e.at("cap_rate")) == 6.25);
  CHECK(num(e.at("rental_estimate")) == 1850);
  CHECK(e.at("recommendation") == "buy");
  CHECK(e.at("key_features").as_array().size() == 2);
  CHECK(e.at("url") == "https://listings.example/e");
  CHECK(num(e.at("price_per_sqft")) == 400);

  const auto& zips = rep.at("market").at("zips").as_array();
  REQUIRE(zips.size() == 3);
  CHECK(zips[0].at("zip") == "85031");
  CHECK(num(zips[0].at("count")) == 2);
  CHECK(num(zips[0].at("median_price")) == 140000);
  CHECK(num(zips[0].at("median_price_per_sqft")) == 140);
  CHECK(zips[0].at("median_price_7d_ago").is_null());  // no run a week before

  const auto& q = rep.at("quality").as_object();
  const auto& dl = q.at("dead_letters").as_array();
  REQUIRE(dl.size() == 2);
  CHECK(dl[0].at("node") == "validate");
  CHECK(dl[0].at("reason") == "price: range");
  CHECK(dl[0].at("examples").as_array()[0].at("message") == "price: range: too high");
  CHECK(dl[1].at("reason") == "address: parseable");
  CHECK(num(dl[0].at("count")) == 4);
  CHECK(dl[0].at("examples").as_array().size() == 3);
  CHECK(num(q.at("validator_warnings").as_array().at(0).at("count")) == 1);
  CHECK(num(q.at("llm").at("cache_hits")) == 5);
  CHECK(num(q.at("rate_limits").as_array().at(0).at("waits")) == 4);
  CHECK(q.at("run_warnings").as_array().size() == 1);

  // The runs table counts the same way: its row for r2 is the headline.
  const auto& runs = rep.at("runs").as_array();
  REQUIRE(runs.size() == 2);
  CHECK(num(runs[0].at("new")) == 4);
  CHECK(num(runs[1].at("new")) == num(h.at("new")));
  CHECK(num(runs[1].at("price_changes")) == num(h.at("price_changes")));
  CHECK(num(runs[1].at("dead_letters")) == num(h.at("dead_letters")));
}

TEST_CASE("report: the weekly view adds up the week's runs", "[report]") {
  auto dir = temp_dir("weekly");
  auto st = store::Store::open(make_store(dir));
  report::ReportOptions opts;
  opts.period_days = 7;
  auto rep = report::collect_report(*st, opts);
  const auto& h = rep.at("headline").as_object();
  CHECK(num(h.at("runs")) == 2);
  CHECK(num(h.at("new")) == 5);
  CHECK(num(h.at("new_listings")) == 4);
  CHECK(num(h.at("new_parcels")) == 1);
  CHECK(num(h.at("dead_letters")) == 5);
  CHECK(rep.at("listings").as_array().size() == 4);
  CHECK(rep.at("period").at("from") == "2026-11-15T00:00:00Z");
}

TEST_CASE("report: json, csv and html files, bad format and bad store are errors", "[report]") {
  auto dir = temp_dir("formats");
  auto url = make_store(dir);
  REQUIRE(report::write_report(url, "json", (dir / "out/r.json").string(), "") == 0);
  const auto text = slurp(dir / "out/r.json");
  auto j = json::parse(text).as_object();
  CHECK(num(j.at("headline").at("unchanged")) == 2);
  CHECK(text.find("E+") == std::string::npos);  // numbers as people write them
  CHECK(text.find("\"price_to_county_value\":1.125") != std::string::npos);

  REQUIRE(report::write_report(url, "csv", (dir / "r.csv").string(), "") == 0);
  auto csv = slurp(dir / "r.csv");
  CHECK(csv.rfind("section,key,field,value\n", 0) == 0);
  CHECK_THAT(csv, Catch::Contains("listings,mls:b,previous_price,200000\n"));
  CHECK_THAT(csv, Catch::Contains("listings,mls:e,key_features,pool; garage\n"));
  CHECK_THAT(csv, Catch::Contains("market.zips,85031,median_price,140000\n"));
  CHECK_THAT(csv, Catch::Contains("quality.dead_letters,validate / price: range,count,4\n"));
  CHECK_THAT(csv, Catch::Contains("quality.dead_letters.examples,validate / price: range / x,message,price: range: too high\n"));
  CHECK_THAT(csv, Catch::Contains("headline,,new,1\n"));

  CHECK(report::write_report(url, "pdf", (dir / "r.pdf").string(), "") == 2);
  CHECK(report::write_report("sqlite:" + (dir / "no/such/dir/../..").string(), "json", (dir / "x.json").string(), "") == 1);
}

TEST_CASE("report: a file that cannot be written is an error and leaves the old one and no temp file", "[report][write]") {
  auto dir = temp_dir("atomic");
  const auto target = dir / "report.html";
  report::write_file_atomically(target.string(), "yesterday");
  CHECK(slurp(target) == "yesterday");
  report::write_file_atomically(target.string(), "today");
  CHECK(slurp(target) == "today");

  // A directory in the way, a path under a file, a folder nobody may write to.
  fs::create_directories(dir / "taken.html");
  CHECK_THROWS_WITH(report::write_file_atomically((dir / "taken.html").string(), "x"), Catch::Contains("is a directory"));
  std::ofstream(dir / "plain") << "x";
  CHECK_THROWS_WITH(report::write_file_atomically((dir / "plain/report.html").string(), "x"), Catch::Contains("cannot"));
  CHECK_THROWS(report::write_file_atomically("/sys/flowrun-report-test.html", "x"));

  // A full disk and a read-only one, on a small tmpfs where the machine lets us mount one.
  const auto mnt = dir / "small";
  fs::create_directories(mnt);
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=64k") != 0) {
    WARN("cannot mount a tmpfs here: full-disk case skipped");
  } else {
    struct Unmount {
      fs::path p;
      ~Unmount() { ::umount(p.c_str()); }
    } unmount{mnt};
    const auto on_small = mnt / "report.html";
    report::write_file_atomically(on_small.string(), "yesterday");
    CHECK_THROWS_WITH(report::write_file_atomically(on_small.string(), std::string(200 * 1024, 'x')),
                      Catch::Contains("No space left"));
    CHECK(slurp(on_small) == "yesterday");
    REQUIRE(::mount("tmpfs", mnt.c_str(), "tmpfs", MS_REMOUNT | MS_RDONLY, "size=64k") == 0);
    CHECK_THROWS_WITH(report::write_file_atomically(on_small.string(), "today"), Catch::Contains("Read-only"));
    CHECK(slurp(on_small) == "yesterday");
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(mnt)) ++files;
    CHECK(files == 1);  // no temp file left behind
  }
  std::size_t left = 0;
  for (const auto& e : fs::directory_iterator(dir)) left += e.path().filename().string().find(".tmp") != std::string::npos;
  CHECK(left == 0);
}
