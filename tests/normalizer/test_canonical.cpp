// Raw records of every source kind -> canonical records, through the shipped mappings.
#include <catch2/catch.hpp>

#include "engine/node.hpp"
#include "nodes/normalizer/canonical.hpp"

using namespace flowrun::normalizer;
namespace json = boost::json;

namespace {
const Mapping& mapping(const std::string& name) {
  static std::map<std::string, Mapping> cache;
  auto it = cache.find(name);
  if (it == cache.end()) it = cache.emplace(name, load_mapping_file("pipelines/mappings/" + name + ".yaml")).first;
  return it->second;
}
json::object canon(const char* raw_json, const std::string& kind, const std::string& source = "src") {
  return to_canonical(json::parse(raw_json).as_object(), mapping(kind), {source, "line:1", "2026-11-23T09:00:00Z"});
}
}  // namespace

TEST_CASE("assessor search row with details", "[canonical]") {
  auto c = canon(R"J({
    "MCR":"6706","SubdivisonName":"MARYVALE TERRACE  3 AMD","SectionTownshipRange":"292N2E",
    "APN":"10306005","Ownership":"<OWNER>","SitusAddress":"4027 N 55TH AVE","SitusCity":"PHOENIX",
    "SitusZip":"85031","PropertyType":"RESIDENTIAL ","RentalID":null,
    "details":{
      "valuations":[
        {"TaxYear":"2026","FullCashValue":"285000","LimitedPropertyValue":"201500      ",
         "AssessedLPV":"20150       ","AssessedFCV":"na","AssessmentRatioPercentage":"0.1000",
         "LegalClassificationCode":"3.1 ","PropertyUseCode":"0131","TaxAreaCode":"031600"},
        {"TaxYear":"2025","FullCashValue":"270000","AssessedLPV":"19200"}],
      "residential-details":{"LivableSpace":"1257","BathFixtures":5,"ConstructionYear":1958,
        "LotSize":"6098      ","Pool":false,"NumberOfGarages":0,"ParkingDetails":{}}}})J",
                 "maricopa", "assessor");
  CHECK(c.at("id") == "apn:10306005");
  CHECK(c.at("source") == "assessor");
  CHECK(c.at("source_id") == "10306005");
  CHECK(c.at("raw_kind") == "maricopa");
  CHECK(c.at("apn") == "10306005");
  const auto& a = c.at("address").as_object();
  CHECK(a.at("street") == "4027 N 55th Ave");
  CHECK(a.at("unit").is_null());
  CHECK(a.at("city") == "Phoenix");
  CHECK(a.at("state") == "AZ");
  CHECK(a.at("zip") == "85031");
  CHECK(c.at("property_type") == "single_family");
  CHECK(c.at("price").is_null());  // an assessor parcel has no list price
  CHECK(c.at("full_cash_value") == 285000);
  CHECK(c.at("assessed_value") == 20150);
  CHECK(c.at("tax_year") == 2026);
  CHECK(c.at("bath_fixtures") == 5);
  CHECK(c.at("baths").is_null());  // fixtures are not baths
  CHECK(c.at("beds").is_null());
  CHECK(c.at("sqft") == 1257);
  CHECK(c.at("lot_sqft") == 6098);
  CHECK(c.at("year_built") == 1958);
  CHECK(c.at("price_per_sqft").is_null());
  const auto& attrs = c.at("attributes").as_object();
  CHECK(attrs.at("legal_class") == "3.1");
  CHECK(attrs.at("property_use_code") == "0131");  // codes keep leading zeros
  CHECK(attrs.at("tax_area_code") == "031600");
  CHECK(attrs.at("subdivision") == "MARYVALE TERRACE 3 AMD");
  CHECK(attrs.at("pool") == false);
  CHECK(!attrs.contains("owner"));
  const auto& prov = c.at("provenance").as_object();
  CHECK(prov.at("address.street") == "SitusAddress");
  CHECK(prov.at("address.state") == "=AZ");
  CHECK(prov.at("full_cash_value") == "details.valuations[newest TaxYear].FullCashValue");
  CHECK(prov.at("sqft") == "details.residential-details.LivableSpace");
  CHECK(prov.at("id") == "apn");
}

TEST_CASE("assessor row without details, odd values and a trailing unit", "[canonical]") {
  auto c = canon(R"J({"APN":"102-19-009F","SitusAddress":"7606 W INDIAN SCHOOL RD 1","SitusCity":"Phoenix",
                     "SitusZip":"","PropertyType":"VACANT LAND COMMERCIAL ","details":{"valuations":[],
                     "residential-details":[]}})J",
                 "maricopa");
  CHECK(c.at("id") == "apn:10219009F");
  CHECK(c.at("address").at("street") == "7606 W Indian School Rd");
  CHECK(c.at("address").at("unit") == "1");
  CHECK(c.at("address").at("zip").is_null());  // never invented
  CHECK(c.at("property_type") == "vacant_land");
  CHECK(c.at("full_cash_value").is_null());
  CHECK(c.at("sqft").is_null());
}

TEST_CASE("unknown assessor type keeps the raw word", "[canonical]") {
  auto c = canon(R"J({"APN":"1","SitusAddress":"1 E MAIN ST","PropertyType":"GOLF COURSE"})J", "maricopa");
  CHECK(c.at("property_type") == "other");
  CHECK(c.at("attributes").at("property_type_raw") == "GOLF COURSE");
}

TEST_CASE("redfin CSV row", "[canonical]") {
  auto c = canon(R"J({"SALE TYPE":"MLS Listing","PROPERTY TYPE":"Condo/Co-op","ADDRESS":"1720 E Thunderbird Rd #1098",
    "CITY":"PHOENIX","STATE OR PROVINCE":"AZ","ZIP OR POSTAL CODE":"85022-5733","PRICE":"239900","BEDS":"2",
    "BATHS":"1.75","SQUARE FEET":"1,045","LOT SIZE":"","YEAR BUILT":"2000","$/SQUARE FEET":"230",
    "HOA/MONTH":"285","URL (SEE https://www.redfin.com/buy-a-home/comparative-market-analysis FOR INFO ON PRICING)":"https://www.redfin.com/AZ/Phoenix/1720-E-Thunderbird-Rd-85022/unit-1098/home/1",
    "SOURCE":"ARMLS","MLS#":"6543210","LATITUDE":"33.61","LONGITUDE":"-112.04"})J",
                 "redfin_csv", "redfin");
  CHECK(c.at("id") == "mls:armls:6543210");
  CHECK(c.at("source_id") == "6543210");
  CHECK(c.at("mls_id") == "6543210");
  CHECK(c.at("listing_source") == "ARMLS");
  const auto& a = c.at("address").as_object();
  CHECK(a.at("street") == "1720 E Thunderbird Rd");
  CHECK(a.at("unit") == "1098");
  CHECK(a.at("city") == "Phoenix");
  CHECK(a.at("zip") == "85022");
  CHECK(a.at("zip4") == "5733");
  CHECK(c.at("property_type") == "condo");
  CHECK(c.at("price") == 239900);
  CHECK(c.at("beds") == 2);
  CHECK(c.at("baths").as_double() == Approx(1.75));
  CHECK(c.at("sqft") == 1045);
  CHECK(c.at("lot_sqft").is_null());
  CHECK(c.at("year_built") == 2000);
  CHECK(c.at("price_per_sqft").as_double() == Approx(229.57));
  CHECK(c.at("attributes").at("url").as_string().starts_with("https://www.redfin.com/AZ/Phoenix/"));
  CHECK(c.at("attributes").at("longitude").as_double() == Approx(-112.04));
  CHECK(c.at("provenance").at("price") == "PRICE");
  CHECK(c.at("provenance").at("address.zip") == "ZIP OR POSTAL CODE");
}

TEST_CASE("redfin vacant land with empty columns and a Unit B address", "[canonical]") {
  auto c = canon(R"J({"PROPERTY TYPE":"Vacant Land","ADDRESS":"0 W Baseline Rd Unit B","CITY":"Laveen",
    "STATE OR PROVINCE":"Arizona","ZIP OR POSTAL CODE":"85339","PRICE":"150000","BEDS":"","BATHS":"",
    "SQUARE FEET":"","LOT SIZE":"43,560","YEAR BUILT":"","SOURCE":"ARMLS","MLS#":""})J",
                 "redfin_csv");
  CHECK(c.at("property_type") == "vacant_land");
  CHECK(c.at("address").at("unit") == "B");
  CHECK(c.at("address").at("state") == "AZ");
  CHECK(c.at("beds").is_null());
  CHECK(c.at("sqft").is_null());
  CHECK(c.at("lot_sqft") == 43560);
  CHECK(c.at("mls_id").is_null());
  CHECK(c.at("id").as_string().starts_with("addr:"));  // no MLS#: falls back to the address hash
}

TEST_CASE("html listing card", "[canonical]") {
  auto c = canon(R"J({"address":"123 Main Street, Phoenix, AZ 85001","price":"Price: $450K","beds":"3 beds",
    "baths":"2 full, 1 half","sqft":"1,850 sqft","lot":"0.25 acres","url":"http://127.0.0.1/l/1",
    "site":"example_realty","type":"Single-Family Home"})J",
                 "html_listing");
  CHECK(c.at("address").at("street") == "123 Main St");
  CHECK(c.at("address").at("city") == "Phoenix");
  CHECK(c.at("address").at("zip") == "85001");
  CHECK(c.at("price") == 450000);
  CHECK(c.at("beds") == 3);
  CHECK(c.at("baths").as_double() == Approx(2.5));
  CHECK(c.at("sqft") == 1850);
  CHECK(c.at("lot_sqft") == 10890);
  CHECK(c.at("property_type") == "single_family");
  CHECK(c.at("price_per_sqft").as_double() == Approx(243.24));
  CHECK(c.at("source_id") == "http://127.0.0.1/l/1");
}

TEST_CASE("html listing without ZIP, city or price keeps them null", "[canonical]") {
  auto c = canon(R"J({"address":"55 W Oak St","price":"Price Upon Request","url":"u","zip":"85031",
                     "fetched_at":"2026-11-23T08:00:00Z"})J", "html_listing");
  CHECK(c.at("attributes").at("search_zip") == "85031");  // the ZIP searched for is not the home's
  CHECK(c.at("collected_at") == "2026-11-23T08:00:00Z");
  CHECK(c.at("address").at("zip").is_null());
  CHECK(c.at("address").at("city").is_null());
  CHECK(c.at("address").at("state").is_null());
  CHECK(c.at("price").is_null());
  CHECK(c.at("price_per_sqft").is_null());
}

TEST_CASE("same address gives the same id, a different unit another", "[canonical]") {
  auto a = canon(R"J({"address":"123 MAIN ST #4, PHOENIX, AZ 85001","url":"u"})J", "html_listing");
  auto b = canon(R"J({"address":"123 Main Street Unit 4, Phoenix, Arizona 85001","url":"v"})J", "html_listing");
  auto d = canon(R"J({"address":"123 Main St #5, Phoenix, AZ 85001","url":"w"})J", "html_listing");
  CHECK(a.at("id") == b.at("id"));
  CHECK(a.at("id") != d.at("id"));
}

TEST_CASE("records without a usable address are RecordErrors on `address`", "[canonical]") {
  for (const char* raw : {R"J({"address":"","url":"u"})J", R"J({"url":"u"})J", R"J({"address":"Just some random text"})J",
                          R"J({"address":"Main Street"})J", R"J({"address":null})J"}) {
    INFO(raw);
    try {
      canon(raw, "html_listing");
      FAIL("expected RecordError");
    } catch (const flowrun::RecordError& e) {
      CHECK(e.field == "address");
      CHECK(e.rule == "parseable");
    }
  }
  try {
    canon(R"J({"address":""})J", "html_listing");
  } catch (const flowrun::RecordError& e) {
    CHECK_THAT(e.what(), Catch::Matchers::Contains("address is empty"));
  }
}

namespace {
// The canonical fields a case checks; every one not named must be null.
const char* kRangeFields[] = {"listing_type", "price", "price_min", "price_max", "rent", "rent_min", "rent_max",
                              "beds", "beds_min", "beds_max", "baths", "baths_min", "baths_max",
                              "sqft", "sqft_min", "sqft_max", "price_per_sqft"};
}  // namespace

// Issue 21's acceptance cases: ranges are kept (never collapsed to one end), exact values set the
// plain field and both ends, a monthly amount is a rent and never a price, and price per square
// foot comes only from an exact price and an exact area.
TEST_CASE("ranges and rents in canonical records", "[canonical][ranges][rent]") {
  struct Case {
    const char* raw;       // fields added to a card with an address
    const char* expected;  // the fields of kRangeFields that are not null
  };
  const Case cases[] = {
      {R"("beds":"0-2","sqft":"529-1,225","price":"$3,834 - $4,002")",
       R"({"price_min":3834,"price_max":4002,"beds_min":0,"beds_max":2,"sqft_min":529,"sqft_max":1225})"},
      {R"("beds":"Studio-2 Beds","sqft":"476-498 sqft")",
       R"({"beds_min":0,"beds_max":2,"sqft_min":476,"sqft_max":498})"},
      {R"("price":"$450,000","beds":"3 beds","baths":"2","sqft":"1,800 sqft")",
       R"({"price":450000,"price_min":450000,"price_max":450000,"beds":3,"beds_min":3,"beds_max":3,
           "baths":2,"baths_min":2,"baths_max":2,"sqft":1800,"sqft_min":1800,"sqft_max":1800,"price_per_sqft":250})"},
      // exact price over a ranged area: no price per square foot
      {R"("price":"$450,000","sqft":"1,700-1,800")",
       R"({"price":450000,"price_min":450000,"price_max":450000,"sqft_min":1700,"sqft_max":1800})"},
      // rents: by their mark, with a range, stated outright, or mapped as a rent
      {R"("price":"$1,850/mo","sqft":"900 sqft")",
       R"({"listing_type":"rent","rent":1850,"rent_min":1850,"rent_max":1850,"sqft":900,"sqft_min":900,"sqft_max":900})"},
      {R"("price":"$3,834 - $4,002/mo","beds":"1-2 Beds","baths":"1-2 Baths")",
       R"({"listing_type":"rent","rent_min":3834,"rent_max":4002,"beds_min":1,"beds_max":2,"baths_min":1,"baths_max":2})"},
      {R"("price":"$2,100 per month")", R"({"listing_type":"rent","rent":2100,"rent_min":2100,"rent_max":2100})"},
      {R"("price":"Monthly: $2,100")", R"({"listing_type":"rent","rent":2100,"rent_min":2100,"rent_max":2100})"},
      {R"("listing_type":"For Rent","price":"$1,500")", R"({"listing_type":"rent","rent":1500,"rent_min":1500,"rent_max":1500})"},
      {R"("listing_type":"FOR_RENT","price":1500)", R"({"listing_type":"rent","rent":1500,"rent_min":1500,"rent_max":1500})"},
      {R"("rent":"1,450")", R"({"listing_type":"rent","rent":1450,"rent_min":1450,"rent_max":1450})"},
      {R"("rent":"$1,450","price":"$1,600")", R"({"listing_type":"rent","rent":1450,"rent_min":1450,"rent_max":1450})"},
      // a monthly amount on a listing stated to be for sale is no price (an estimated payment)
      {R"("listing_type":"for sale","price":"$2,500/mo")", R"({"listing_type":"sale"})"},
      // bounds given apart; equal bounds make the exact value
      {R"("beds_min":1,"beds_max":3,"sqft_min":"700","sqft_max":"1,100","price_min":"$200k","price_max":"$250k")",
       R"({"beds_min":1,"beds_max":3,"sqft_min":700,"sqft_max":1100,"price_min":200000,"price_max":250000})"},
      {R"("beds_min":2,"beds_max":2)", R"({"beds":2,"beds_min":2,"beds_max":2})"},
      // JSON numbers are exact values
      {R"("price":389000,"beds":4,"baths":2.5,"sqft":1945)",
       R"({"price":389000,"price_min":389000,"price_max":389000,"beds":4,"beds_min":4,"beds_max":4,"baths":2.5,
           "baths_min":2.5,"baths_max":2.5,"sqft":1945,"sqft_min":1945,"sqft_max":1945,"price_per_sqft":200})"},
      {R"("price":"Price Upon Request","beds":"na")", R"({})"},
  };
  for (const auto& c : cases) {
    INFO("raw: " << c.raw);
    std::string raw = std::string(R"({"address":"12 E Elm St, Phoenix, AZ 85004","url":"u",)") + c.raw + "}";
    json::object got = canon(raw.c_str(), "html_listing");
    json::object want = json::parse(c.expected).as_object();
    for (const char* f : kRangeFields) {
      INFO("field " << f);
      REQUIRE(got.contains(f));
      if (auto* w = want.if_contains(f); w && w->is_string()) {
        CHECK(got.at(f) == *w);
      } else if (w) {
        REQUIRE(got.at(f).is_number());
        CHECK(got.at(f).to_number<double>() == Approx(w->to_number<double>()));
      } else {
        CHECK(got.at(f).is_null());
      }
    }
  }
}

TEST_CASE("a rent keeps its provenance and never reaches price", "[canonical][rent]") {
  auto c = canon(R"J({"address":"12 E Elm St, Phoenix, AZ 85004","price":"$1,850/mo","url":"u"})J", "html_listing");
  CHECK(c.at("price").is_null());
  CHECK(c.at("rent") == 1850);
  const auto& prov = c.at("provenance").as_object();
  CHECK(prov.at("rent") == "price");
  CHECK(prov.at("listing_type") == "price (per month)");
  CHECK_FALSE(prov.contains("price"));
  CHECK(c.at("price_per_sqft").is_null());
}

TEST_CASE("assessor records get the new fields as null", "[canonical][ranges]") {
  auto c = canon(R"J({"APN":"1","SitusAddress":"1 E MAIN ST","PropertyType":"RESIDENTIAL",
                     "details":{"residential-details":{"LivableSpace":"1257"}}})J", "maricopa");
  CHECK(c.at("listing_type").is_null());
  CHECK(c.at("price_min").is_null());
  CHECK(c.at("rent").is_null());
  CHECK(c.at("sqft") == 1257);
  CHECK(c.at("sqft_min") == 1257);
  CHECK(c.at("sqft_max") == 1257);
}
