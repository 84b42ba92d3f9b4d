// Address acceptance cases from shared/facts/listings-and-normalizing.md plus our own, one table.
#include <catch2/catch.hpp>

#include "nodes/normalizer/address.hpp"

using flowrun::normalizer::Address;
using flowrun::normalizer::AddressError;
using flowrun::normalizer::parse_address;

namespace {
struct Case {
  const char* input;
  const char *street, *unit, *city, *state, *zip, *zip4;
};
}  // namespace

TEST_CASE("address acceptance table", "[address]") {
  const Case cases[] = {
      // facts file
      {"123 Main Street, Phoenix, AZ 85001", "123 Main St", "", "Phoenix", "AZ", "85001", ""},
      {"123 North Main Street", "123 N Main St", "", "", "", "", ""},
      {"123 South Main Street", "123 S Main St", "", "", "", "", ""},
      {"123 East Main Street", "123 E Main St", "", "", "", "", ""},
      {"123 West Main Street", "123 W Main St", "", "", "", "", ""},
      {"123 Northwest Main Street", "123 NW Main St", "", "", "", "", ""},
      {"10 Oak Avenue", "10 Oak Ave", "", "", "", "", ""},
      {"10 Oak Road", "10 Oak Rd", "", "", "", "", ""},
      {"10 Oak Drive", "10 Oak Dr", "", "", "", "", ""},
      {"10 Oak Lane", "10 Oak Ln", "", "", "", "", ""},
      {"10 Oak Boulevard", "10 Oak Blvd", "", "", "", "", ""},
      {"10 Oak Court", "10 Oak Ct", "", "", "", "", ""},
      {"10 Oak Place", "10 Oak Pl", "", "", "", "", ""},
      {"10 Oak Circle", "10 Oak Cir", "", "", "", "", ""},
      {"10 Oak Parkway", "10 Oak Pkwy", "", "", "", "", ""},
      {"4027 N 55TH AVE, PHOENIX, AZ 85031", "4027 N 55th Ave", "", "Phoenix", "AZ", "85031", ""},
      {"1 Ash St, QUEEN CREEK, Arizona 85142", "1 Ash St", "", "Queen Creek", "AZ", "85142", ""},
      {"1 Ash St, Mesa, ARIZ 85201", "1 Ash St", "", "Mesa", "AZ", "85201", ""},
      {"123 Main St, Phoenix, AZ 85001-1234", "123 Main St", "", "Phoenix", "AZ", "85001", "1234"},
      {"123 Main St, Phoenix, AZ 85001 - 1234", "123 Main St", "", "Phoenix", "AZ", "85001", "1234"},
      {"123 Main St, Phoenix, AZ 850011234", "123 Main St", "", "Phoenix", "AZ", "85001", "1234"},
      {"123 mAiN sTreeT, pHoeNix, az 85001", "123 Main St", "", "Phoenix", "AZ", "85001", ""},
      {"123 Main St Apt 4B", "123 Main St", "4B", "", "", "", ""},
      {"123 Main St #4B", "123 Main St", "4B", "", "", "", ""},
      {"7606 W INDIAN SCHOOL RD 1", "7606 W Indian School Rd", "1", "", "", "", ""},
      // ours: ordinals
      {"100 W 1ST ST", "100 W 1st St", "", "", "", "", ""},
      {"2020 N 42nd Street", "2020 N 42nd St", "", "", "", "", ""},
      {"5 n 3Rd avenue", "5 N 3rd Ave", "", "", "", "", ""},
      // ours: trailing directionals, and a directional that is the street's name
      {"833 E Fern Dr S", "833 E Fern Dr S", "", "", "", "", ""},
      {"833 EAST FERN DRIVE SOUTH", "833 E Fern Dr S", "", "", "", "", ""},
      {"123 North Ave", "123 North Ave", "", "", "", "", ""},
      {"12 Court Street", "12 Court St", "", "", "", "", ""},
      // ours: units in every spelling
      {"123 Main St #102, Phoenix, AZ 85001", "123 Main St", "102", "Phoenix", "AZ", "85001", ""},
      {"123 Main St Unit B", "123 Main St", "B", "", "", "", ""},
      {"123 Main St Apt. 4b", "123 Main St", "4B", "", "", "", ""},
      {"123 Main St Suite 200", "123 Main St", "200", "", "", "", ""},
      {"123 Main St # 7", "123 Main St", "7", "", "", "", ""},
      {"123 Main St, Unit 5, Tempe, AZ 85281", "123 Main St", "5", "Tempe", "AZ", "85281", ""},
      {"1 E WASHINGTON ST 200", "1 E Washington St", "200", "", "", "", ""},
      {"833 E FERN DR S 12", "833 E Fern Dr S", "12", "", "", "", ""},
      {"12345 N HIGHWAY 85", "12345 N Highway 85", "", "", "", "", ""},
      // ours: runs of spaces, tabs, mixed case, dotted abbreviations
      {"  4027   N  55TH    AVE  ", "4027 N 55th Ave", "", "", "", "", ""},
      {"4027\tN 55th Ave.", "4027 N 55th Ave", "", "", "", "", ""},
      {"9 N. Central Ave., Phoenix, AZ", "9 N Central Ave", "", "Phoenix", "AZ", "", ""},
      // ours: one line without commas, and city + ZIP without a state
      {"123 Main St Phoenix AZ 85001", "123 Main St", "", "Phoenix", "AZ", "85001", ""},
      {"123 Main St Apt 4B Phoenix AZ 85001", "123 Main St", "4B", "Phoenix", "AZ", "85001", ""},
      {"123 Main St, Phoenix 85001", "123 Main St", "", "Phoenix", "", "85001", ""},
      {"123 Maple Ct", "123 Maple Ct", "", "", "", "", ""},
      {"9 Elm St, Phoenix, AZ, 85004", "9 Elm St", "", "Phoenix", "AZ", "85004", ""},
  };
  for (const auto& c : cases) {
    INFO("input: \"" << c.input << "\"");
    Address a = parse_address(c.input);
    CHECK(a.street == c.street);
    CHECK(a.unit == c.unit);
    CHECK(a.city == c.city);
    CHECK(a.state == c.state);
    CHECK(a.zip == c.zip);
    CHECK(a.zip4 == c.zip4);
  }
}

TEST_CASE("unparseable addresses are errors with a reason", "[address]") {
  struct Bad {
    const char *input, *reason;
  };
  const Bad bad[] = {
      {"", "address is empty"},
      {"   ", "address is empty"},
      {",,,", "address is empty"},
      {"Just some random text", "has no house number"},
      {"Main Street", "has no house number"},
      {"PO BOX 1234", "has no house number"},
      {"12345", "has no street name"},
      {"12 !!!", "has no street name"},
  };
  for (const auto& b : bad) {
    INFO("input: \"" << b.input << "\"");
    try {
      parse_address(b.input);
      FAIL("expected an AddressError");
    } catch (const AddressError& e) {
      CHECK_THAT(e.what(), Catch::Matchers::Contains(b.reason));
    }
  }
}

TEST_CASE("state, city and unit on their own", "[address]") {
  using namespace flowrun::normalizer;
  CHECK(normalize_state("Arizona") == "AZ");
  CHECK(normalize_state("ARIZ") == "AZ");
  CHECK(normalize_state("Ariz.") == "AZ");
  CHECK(normalize_state(" az ") == "AZ");
  CHECK(normalize_state("New Mexico") == "NM");
  CHECK(normalize_state("Atlantis") == "ATLANTIS");  // kept for the validator to flag, not guessed
  CHECK(normalize_state("") == "");
  CHECK(normalize_city("QUEEN  CREEK") == "Queen Creek");
  CHECK(normalize_city("Phoenix") == "Phoenix");
  CHECK(normalize_city("") == "");
  CHECK(normalize_unit("Unit B") == "B");
  CHECK(normalize_unit("#102") == "102");
  CHECK(normalize_unit("apt 4b") == "4B");
}
