// Number acceptance cases from shared/facts/listings-and-normalizing.md plus our own.
#include <catch2/catch.hpp>

#include <optional>
#include <string>

#include "nodes/normalizer/numbers.hpp"

using namespace flowrun::normalizer;

namespace {
template <class T>
std::string show(const std::optional<T>& v) {
  return v ? std::to_string(*v) : std::string("null");
}
}  // namespace

TEST_CASE("money", "[numbers]") {
  struct Case {
    const char* in;
    std::optional<double> want;
  };
  const Case cases[] = {
      {"$450,000", 450000},         {"$1.5M", 1500000},           {"$850k", 850000},
      {"Price: $450K", 450000},     {"$389,900 Make an offer", 389900},
      {"$1,250,000 MLS", 1250000},  {"$450,000 (reduced)", 450000},
      {"Price Upon Request", std::nullopt}, {"EUR450,000", std::nullopt},
      {"\xE2\x82\xAC" "450,000", std::nullopt},  // €
      // ours
      {"", std::nullopt},           {"   ", std::nullopt},        {"na", std::nullopt},
      {"450000", 450000},           {"  928544      ", 928544},   {"$2.25 million", 2250000},
      {"USD 300,000", 300000},      {"$1,234.56", 1234.56},       {"EUR 1.2M", std::nullopt},
      {"\xC2\xA3" "300,000", std::nullopt},  // £
      {"Call for price", std::nullopt}, {"$ 275,500", 275500},
  };
  for (const auto& c : cases) {
    INFO("input: \"" << c.in << "\" got " << show(parse_money(c.in)));
    auto got = parse_money(c.in);
    REQUIRE(got.has_value() == c.want.has_value());
    if (c.want) CHECK(*got == Approx(*c.want));
  }
}

TEST_CASE("beds", "[numbers]") {
  struct Case {
    const char* in;
    std::optional<std::int64_t> want;
  };
  const Case cases[] = {{"3 beds", 3}, {"4 bd", 4},   {"4 BR", 4},          {"Studio", 0},
                        {"3", 3},      {"", std::nullopt}, {"na", std::nullopt}, {"Bedrooms: 2", 2},
                        {"2.5 beds", std::nullopt}, {"studio apartment", 0}};
  for (const auto& c : cases) {
    INFO("input: \"" << c.in << "\" got " << show(parse_beds(c.in)));
    CHECK(parse_beds(c.in) == c.want);
  }
}

TEST_CASE("baths", "[numbers]") {
  struct Case {
    const char* in;
    std::optional<double> want;
  };
  const Case cases[] = {{"2.5 bathrooms", 2.5}, {"2 full, 1 half", 2.5}, {"3.5 BA", 3.5},
                        {"2.5", 2.5},           {"1.75", 1.75},          {"", std::nullopt},
                        {"1 half", 0.5},        {"Baths: 3 (2 full, 1 half)", 2.5},
                        {"none", std::nullopt}};
  for (const auto& c : cases) {
    INFO("input: \"" << c.in << "\" got " << show(parse_baths(c.in)));
    CHECK(parse_baths(c.in) == c.want);
  }
}

TEST_CASE("square feet and lots", "[numbers]") {
  struct Case {
    const char* in;
    AreaUnit bare;
    std::optional<std::int64_t> want;
  };
  const Case cases[] = {
      {"1,850 sqft", AreaUnit::sqft, 1850},     {"2,200 sq ft", AreaUnit::sqft, 2200},
      {"850 sq. ft.", AreaUnit::sqft, 850},     {"3,500 SF", AreaUnit::sqft, 3500},
      {"1,234", AreaUnit::sqft, 1234},          {"7,200 sq ft lot", AreaUnit::sqft, 7200},
      {"0.25 acres", AreaUnit::sqft, 10890},    {"1.5 acre lot", AreaUnit::sqft, 65340},
      // ours
      {"0.25", AreaUnit::acres, 10890},         {"6098", AreaUnit::sqft, 6098},
      {"", AreaUnit::sqft, std::nullopt},       {"na", AreaUnit::sqft, std::nullopt},
      {"2 ac", AreaUnit::sqft, 87120},          {"100 m2", AreaUnit::sqft, 1076},
      {"  1850  ", AreaUnit::sqft, 1850},
  };
  for (const auto& c : cases) {
    INFO("input: \"" << c.in << "\" got " << show(parse_area_sqft(c.in, c.bare)));
    CHECK(parse_area_sqft(c.in, c.bare) == c.want);
  }
}

TEST_CASE("plain numbers, years, booleans, zips", "[numbers]") {
  CHECK(parse_number("0.1600") == Approx(0.16));
  CHECK(parse_number("-112.07") == Approx(-112.07));
  CHECK_FALSE(parse_number("na").has_value());
  CHECK(parse_int("1257,") == 1257);
  CHECK(parse_int("928544      ") == 928544);
  CHECK(parse_year("1978") == 1978);
  CHECK(parse_year(" 2004 ") == 2004);
  CHECK_FALSE(parse_year("0").has_value());
  CHECK_FALSE(parse_year("na").has_value());
  CHECK(parse_bool("Y") == true);
  CHECK(parse_bool("false") == false);
  CHECK_FALSE(parse_bool("maybe").has_value());
  auto z = parse_zip("85001 - 1234");
  REQUIRE(z);
  CHECK(z->zip5 == "85001");
  CHECK(z->zip4 == "1234");
  z = parse_zip("850011234");
  REQUIRE(z);
  CHECK(z->zip4 == "1234");
  CHECK_FALSE(parse_zip("8500").has_value());
  CHECK_FALSE(parse_zip("85001-12").has_value());
}

// The blank words and the digit scanner without allocations (issue 15) read as before: any case,
// spaces (also a UTF-8 no-break space) around, exact rounding, numbers longer than any buffer.
TEST_CASE("blank words and long numbers", "[numbers]") {
  for (const char* blank : {"", " ", "NA", " n/a ", "None", "NULL", "\t-\t", "--", "NaN", "\xC2\xA0na\xC2\xA0", "\r\nnull\f"})
    CHECK_FALSE(parse_number(blank).has_value());
  CHECK_FALSE(parse_money_span(" N/A ").has_value());
  CHECK(parse_number("nana 5") == 5);      // not a blank word: the number in it
  CHECK(parse_number("n a 7") == 7);       // a space inside: no blank word either
  CHECK(parse_number("none1") == 1);
  CHECK(parse_number("0.1") == 0.1);       // the double strtod gives, not an approximation
  CHECK(parse_number("1,234,567.25") == 1234567.25);
  CHECK(parse_number(".5") == 0.5);
  const std::string big = "1" + std::string(99, '0');  // 1e99: 100 digits, past the scanner's buffer
  CHECK(parse_number(big) == 1e99);
  CHECK(parse_number(big + ".5") == 1e99);
  CHECK_THROWS_AS(parse_number("1" + std::string(400, '0')), std::out_of_range);  // as std::stod
}

// Issue 21's acceptance cases: ranges keep both ends and never collapse; the single-value
// parsers give null for a range rather than one of its ends.
TEST_CASE("ranges keep both ends", "[numbers][ranges]") {
  using I = Span<std::int64_t>;
  struct BedsCase {
    const char* in;
    std::optional<I> want;
  };
  const BedsCase beds[] = {
      {"0-2", I{0, 2}},          {"Studio-2 Beds", I{0, 2}}, {"Studio - 2 bd", I{0, 2}},
      {"1 to 3 beds", I{1, 3}},  {"2\xE2\x80\x93" "3 BR", I{2, 3}},  // en dash
      {"3 beds", I{3, 3}},       {"Studio", I{0, 0}},        {"", std::nullopt},
      {"3 - 2 beds", I{3, 3}},   // a "range" going down is no range
      {"1.5-2 beds", std::nullopt},
  };
  for (const auto& c : beds) {
    INFO("beds: \"" << c.in << "\"");
    CHECK(parse_beds_span(c.in) == c.want);
  }
  CHECK_FALSE(parse_beds("0-2").has_value());  // never collapsed to 0
  CHECK(parse_beds("Studio") == 0);

  struct AreaCase {
    const char* in;
    std::optional<I> want;
  };
  const AreaCase areas[] = {
      {"529-1,225", I{529, 1225}},          {"476-498 sqft", I{476, 498}},
      {"476 sqft - 498 sqft", I{476, 498}}, {"1,100 to 1,350 sq. ft.", I{1100, 1350}},
      {"0.25-0.5 acres", I{10890, 21780}},  {"1,850 sqft", I{1850, 1850}},
      {"7,200 sq ft lot", I{7200, 7200}},   {"na", std::nullopt},
  };
  for (const auto& c : areas) {
    INFO("area: \"" << c.in << "\"");
    CHECK(parse_area_span(c.in) == c.want);
  }
  CHECK_FALSE(parse_area_sqft("529-1,225").has_value());  // was 529

  using D = Span<double>;
  CHECK(parse_baths_span("1-2 Baths") == D{1, 2});
  CHECK(parse_baths_span("1 - 1.5 ba") == D{1, 1.5});
  CHECK(parse_baths_span("2 full, 1 half") == D{2.5, 2.5});
  CHECK(parse_baths_span("1.75") == D{1.75, 1.75});
  CHECK_FALSE(parse_baths_span("none").has_value());
}

TEST_CASE("money ranges and monthly amounts", "[numbers][ranges][rent]") {
  struct Case {
    const char* in;
    double min, max;
    bool monthly;
  };
  const Case cases[] = {
      {"$3,834 - $4,002", 3834, 4002, false},   {"$3,834 - $4,002/mo", 3834, 4002, true},
      {"$1,850/mo", 1850, 1850, true},          {"$1,850 per month", 1850, 1850, true},
      {"$1,850 / month", 1850, 1850, true},     {"Monthly rent: $1,850", 1850, 1850, true},
      {"$850k-$900k", 850000, 900000, false},   {"$1.2 - 1.5M", 1200000, 1500000, false},
      {"$900,000 - 1.2M", 900000, 1200000, false},
      {"$450,000 - $10,000 off", 450000, 450000, false},  // down: no range
      {"$450,000 - reduced", 450000, 450000, false},
      {"$2,100 to $2,400 Per Mo.", 2100, 2400, true},
      {"$450,000", 450000, 450000, false},      {"$389,900 Make an offer", 389900, 389900, false},
      {"$5,000/mortgage est.", 5000, 5000, false},  // "/mo..." only as a word
  };
  for (const auto& c : cases) {
    INFO("input: \"" << c.in << "\"");
    auto got = parse_money_span(c.in);
    REQUIRE(got);
    CHECK(got->min == Approx(c.min));
    CHECK(got->max == Approx(c.max));
    CHECK(got->monthly == c.monthly);
  }
  CHECK_FALSE(parse_money("$3,834 - $4,002").has_value());  // was 3834
  CHECK(parse_money("$1,850/mo") == Approx(1850));          // dollars all the same
  CHECK_FALSE(parse_money_span("EUR 1,000 - 2,000").has_value());
  CHECK_FALSE(parse_money_span("Price Upon Request").has_value());
  CHECK(says_monthly("monthly"));
  CHECK_FALSE(says_monthly("$450,000 (reduced)"));
  CHECK_FALSE(says_monthly("3 mo. free"));
}
