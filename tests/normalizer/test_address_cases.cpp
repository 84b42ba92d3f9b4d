// The address parser's case table (issue 19): every kind of line the issue lists, several
// examples each, the Phoenix-area forms of shared/facts/listings-and-normalizing.md, and the
// lines that must keep a part null or keep their text in the street with a warning. Written
// for this parser; no public labeled corpus was used.
#include <catch2/catch.hpp>

#include <string>

#include "nodes/normalizer/address.hpp"

using flowrun::normalizer::Address;
using flowrun::normalizer::parse_address;

namespace {

struct Case {
  const char* input;
  const char *street, *unit, *city, *state, *zip, *zip4;
  const char* warning;  // "" = no warning; else a piece of the one warning expected
};

void check(const Case& c) {
  INFO("input: \"" << c.input << "\"");
  Address a = parse_address(c.input);
  CHECK(a.street == c.street);
  CHECK(a.unit == c.unit);
  CHECK(a.city == c.city);
  CHECK(a.state == c.state);
  CHECK(a.zip == c.zip);
  CHECK(a.zip4 == c.zip4);
  if (std::string(c.warning).empty()) {
    CHECK(a.warnings.empty());
  } else {
    REQUIRE(a.warnings.size() == 1);
    CHECK_THAT(a.warnings.front(), Catch::Matchers::Contains(c.warning));
  }
}

}  // namespace

TEST_CASE("Phoenix-area forms: assessor, Redfin and listing lines", "[address][cases]") {
  const Case cases[] = {
      {"4027 N 55TH AVE", "4027 N 55th Ave", "", "", "", "", "", ""},
      {"7606 W INDIAN SCHOOL RD 1", "7606 W Indian School Rd", "1", "", "", "", "", ""},
      {"1720 E Thunderbird Rd #1098", "1720 E Thunderbird Rd", "1098", "", "", "", "", ""},
      {"0 W Baseline Rd Unit B", "0 W Baseline Rd", "B", "", "", "", "", ""},
      {"4027 N 55TH AVE, PHOENIX, AZ 85031", "4027 N 55th Ave", "", "Phoenix", "AZ", "85031", "", ""},
      {"123 Main Street, Phoenix, AZ 85001", "123 Main St", "", "Phoenix", "AZ", "85001", "", ""},
      {"123 mAiN sTreeT, pHoeNix, az 85001", "123 Main St", "", "Phoenix", "AZ", "85001", "", ""},
      {"1 Ash St, QUEEN CREEK, Arizona 85142", "1 Ash St", "", "Queen Creek", "AZ", "85142", "", ""},
      {"1 Ash St, Mesa, ARIZ 85201", "1 Ash St", "", "Mesa", "AZ", "85201", "", ""},
      {"123 Main St, Phoenix, AZ 85001-1234", "123 Main St", "", "Phoenix", "AZ", "85001", "1234", ""},
      {"123 Main St, Phoenix, AZ 85001 - 1234", "123 Main St", "", "Phoenix", "AZ", "85001", "1234", ""},
      {"123 Main St, Phoenix, AZ 850011234", "123 Main St", "", "Phoenix", "AZ", "85001", "1234", ""},
      {"123 Main St Apt 4B", "123 Main St", "4B", "", "", "", "", ""},
      {"123 Main St #4B", "123 Main St", "4B", "", "", "", "", ""},
      {"2020 N 42nd Street", "2020 N 42nd St", "", "", "", "", "", ""},
      {"100 W 1ST ST", "100 W 1st St", "", "", "", "", "", ""},
      {"15 E 3RD AVE 12", "15 E 3rd Ave", "12", "", "", "", "", ""},
      {"833 E FERN DR S 12", "833 E Fern Dr S", "12", "", "", "", "", ""},
      {"1 E WASHINGTON ST 200", "1 E Washington St", "200", "", "", "", "", ""},
      {"12345 N HIGHWAY 85", "12345 N Highway 85", "", "", "", "", "", ""},
      {"100 W LOWER BUCKEYE RD", "100 W Lower Buckeye Rd", "", "", "", "", "", ""},
      {"3800 N CENTRAL AVE 4B", "3800 N Central Ave", "4B", "", "", "", "", ""},
      {"1234 E VIA LINDA", "1234 E Via Linda", "", "", "", "", "", ""},
      {"9800 E VISTA DEL CERRO DR", "9800 E Vista Del Cerro Dr", "", "", "", "", "", ""},
      {"4500 N Scottsdale Rd, Scottsdale, AZ 85251", "4500 N Scottsdale Rd", "", "Scottsdale", "AZ", "85251", "", ""},
      {"4500 N Scottsdale Rd Scottsdale AZ 85251", "4500 N Scottsdale Rd", "", "Scottsdale", "AZ", "85251", "", ""},
      {"10 E Queen Creek Rd Queen Creek AZ 85142", "10 E Queen Creek Rd", "", "Queen Creek", "AZ", "85142", "", ""},
      {"1 W Apache Trl Apache Junction AZ 85120", "1 W Apache Trl", "", "Apache Junction", "AZ", "85120", "", ""},
      {"21 Sun City Blvd Sun City AZ 85351", "21 Sun City Blvd", "", "Sun City", "AZ", "85351", "", ""},
      {"15000 W Bell Rd Sun City West AZ 85375", "15000 W Bell Rd", "", "Sun City West", "AZ", "85375", "", ""},
      {"21 Sun City Blvd, SUN CITY W, AZ 85375", "21 Sun City Blvd", "", "Sun City West", "AZ", "85375", "", ""},
      {"12 Main St, LITCHFIELD PK, AZ 85340", "12 Main St", "", "Litchfield Park", "AZ", "85340", "", ""},
      {"5000 Paradise Valley Rd Paradise Valley AZ", "5000 Paradise Valley Rd", "", "Paradise Valley", "AZ", "", "", ""},
      {"16 Fountain Hills Blvd Fountain Hills AZ 85268", "16 Fountain Hills Blvd", "", "Fountain Hills", "AZ", "85268", "", ""},
      {"6 E Cave Creek Rd Cave Crk AZ 85331", "6 E Cave Creek Rd", "", "Cave Creek", "AZ", "85331", "", ""},
      {"20 W Main St Litchfield Park AZ 85340", "20 W Main St", "", "Litchfield Park", "AZ", "85340", "", ""},
      {"100 N El Mirage Rd El Mirage AZ 85335", "100 N El Mirage Rd", "", "El Mirage", "AZ", "85335", "", ""},
      {"9 E Gila Bend Hwy Gila Bend AZ", "9 E Gila Bend Hwy", "", "Gila Bend", "AZ", "", "", ""},
      {"3 N Main St Ft. McDowell AZ 85264", "3 N Main St", "", "Fort McDowell", "AZ", "85264", "", ""},
      {"7000 E Mayo Blvd Bldg 21 Phoenix AZ 85054", "7000 E Mayo Blvd", "21", "Phoenix", "AZ", "85054", "", ""},
      {"2 N Central Ave Suite 1800 Phoenix AZ 85004", "2 N Central Ave", "1800", "Phoenix", "AZ", "85004", "", ""},
      {"123 Main St Apt 4B Phoenix AZ 85001", "123 Main St", "4B", "Phoenix", "AZ", "85001", "", ""},
      {"123 Broadway Tempe AZ 85281", "123 Broadway", "", "Tempe", "AZ", "85281", "", ""},
      {"22 N Sunrise Cave Creek AZ", "22 N Sunrise", "", "Cave Creek", "AZ", "", "", ""},
      {"500 E San Tan Valley Pkwy San Tan Valley AZ 85143", "500 E San Tan Valley Pkwy", "", "San Tan Valley", "AZ", "85143", "", ""},
      {"123 Main St Mesa", "123 Main St", "", "Mesa", "", "", "", ""},
      {"123 W Main St, Laveen, AZ 85339", "123 W Main St", "", "Laveen", "AZ", "85339", "", ""},
      {"8 N Gold Canyon Dr Gold Canyon AZ 85118", "8 N Gold Canyon Dr", "", "Gold Canyon", "AZ", "85118", "", ""},
      {"1 S Church Ave Tucson AZ 85701", "1 S Church Ave", "", "Tucson", "AZ", "85701", "", ""},
      {"1 Dewey Ave Dewey-Humboldt AZ 86327", "1 Dewey Ave", "", "Dewey-Humboldt", "AZ", "86327", "", ""},
      {"1 Main St Sun City West", "1 Main St", "", "Sun City West", "", "", "", ""},
      {"5 Main St, Unit 5B,,, Mesa AZ", "5 Main St", "5B", "Mesa", "AZ", "", "", ""},
      {"123 Main St - Phoenix - AZ - 85001", "123 Main St", "", "Phoenix", "AZ", "85001", "", ""},
      {"123 Main St., Phoenix, Ariz. 85001", "123 Main St", "", "Phoenix", "AZ", "85001", "", ""},
      {"123 MAIN ST PHOENIX ARIZONA 85001", "123 Main St", "", "Phoenix", "AZ", "85001", "", ""},
  };
  for (const auto& c : cases) check(c);
}

TEST_CASE("kind 1: no comma between street and city", "[address][cases]") {
  const Case cases[] = {
      {"1234 S Martin Luther King Dr Chicago, IL 60637", "1234 S Martin Luther King Dr", "", "Chicago", "IL", "60637", "", ""},
      {"1234 S Martin Luther King Dr Chicago IL 60637", "1234 S Martin Luther King Dr", "", "Chicago", "IL", "60637", "", ""},
      {"1234 S Martin Luther King Dr Chicago IL", "1234 S Martin Luther King Dr", "", "Chicago", "IL", "", "", ""},
      {"1600 Pennsylvania Ave NW Washington DC 20500", "1600 Pennsylvania Ave NW", "", "Washington", "DC", "20500", "", ""},
      {"350 5th Ave New York NY 10118", "350 5th Ave", "", "New York", "NY", "10118", "", ""},
      {"350 Fifth Avenue New York, NY 10118", "350 Fifth Ave", "", "New York", "NY", "10118", "", ""},
      {"1 Infinite Loop Cupertino CA 95014", "1 Infinite Loop", "", "Cupertino", "CA", "95014", "", ""},
      {"233 S Wacker Dr Ste 3300 Chicago IL 60606", "233 S Wacker Dr", "3300", "Chicago", "IL", "60606", "", ""},
      {"100 Elm Ave Grants Pass OR 97526", "100 Elm Ave", "", "Grants Pass", "OR", "97526", "", ""},
      {"77 Massachusetts Ave Cambridge MA 02139", "77 Massachusetts Ave", "", "Cambridge", "MA", "02139", "", ""},
      {"500 Oak Street Springfield IL", "500 Oak St", "", "Springfield", "IL", "", "", ""},
      {"12 Harbor Way Santa Barbara CA", "12 Harbor Way", "", "Santa Barbara", "CA", "", "", ""},
      {"400 Broad Street Seattle WA 98109", "400 Broad St", "", "Seattle", "WA", "98109", "", ""},
      {"1 Main St Kansas City MO 64105", "1 Main St", "", "Kansas City", "MO", "64105", "", ""},
      {"99 Park Ave Palm Beach FL 33480", "99 Park Ave", "", "Palm Beach", "FL", "33480", "", ""},
      {"100 Garden Grove Blvd Garden Grove CA 92840", "100 Garden Grove Blvd", "", "Garden Grove", "CA", "92840", "", ""},
      {"123 Main St Omaha NE", "123 Main St", "", "Omaha", "NE", "", "", ""},
      {"123 Main St Hartford CT 06103", "123 Main St", "", "Hartford", "CT", "06103", "", ""},
      {"123 Main St Washington DC", "123 Main St", "", "Washington", "DC", "", "", ""},
      {"20 Jay St Brooklyn NY", "20 Jay St", "", "Brooklyn", "NY", "", "", ""},
      {"5 Elm St Apt 2 Burlington VT 05401", "5 Elm St", "2", "Burlington", "VT", "05401", "", ""},
      {"1 Main St # 5 Boise ID 83702", "1 Main St", "5", "Boise", "ID", "83702", "", ""},
      {"1 Main St 5 Boise ID 83702", "1 Main St", "5", "Boise", "ID", "83702", "", ""},
      {"88 Colin P Kelly Jr St San Francisco CA 94107", "88 Colin P Kelly Jr St", "", "San Francisco", "CA", "94107", "", ""},
      {"1 Main St Phenix AZ 85001", "1 Main St", "", "Phenix", "AZ", "85001", "", "not in the Arizona place table"},
      {"2 Ocean Blvd Myrtle Beach South Carolina 29577", "2 Ocean Blvd", "", "Myrtle Beach", "SC", "29577", "", ""},
      {"10 Capitol St Charleston West Virginia", "10 Capitol St", "", "Charleston", "WV", "", "", ""},
      {"3 Elm St Albany New York", "3 Elm St", "", "Albany", "NY", "", "", ""},
      {"9 Pine St Portland Oregon", "9 Pine St", "", "Portland", "OR", "", "", ""},
      {"14 Maple Dr NE Atlanta GA 30309", "14 Maple Dr NE", "", "Atlanta", "GA", "30309", "", ""},
  };
  for (const auto& c : cases) check(c);
}

TEST_CASE("kind 2 and issue 12: secondary unit designators of Pub 28", "[address][cases]") {
  const Case cases[] = {
      {"431 Marietta St NW Floor 3", "431 Marietta St NW", "3", "", "", "", "", ""},
      {"431 Marietta St NW Fl 3", "431 Marietta St NW", "3", "", "", "", "", ""},
      {"431 Marietta St NW Flr 3", "431 Marietta St NW", "3", "", "", "", "", ""},
      {"431 Marietta St NW 3rd Floor", "431 Marietta St NW", "3", "", "", "", "", ""},
      {"431 Marietta St NW 22nd Fl", "431 Marietta St NW", "22", "", "", "", "", ""},
      {"431 Marietta St NW, 3rd Floor, Atlanta, GA 30303", "431 Marietta St NW", "3", "Atlanta", "GA", "30303", "", ""},
      {"123 Main St 3rd FL", "123 Main St", "3", "", "", "", "", ""},
      {"1234 E Main St LOT 163", "1234 E Main St", "163", "", "", "", "", ""},
      {"1234 E MAIN ST SP#348", "1234 E Main St", "348", "", "", "", "", ""},
      {"1234 E Main St SP #348", "1234 E Main St", "348", "", "", "", "", ""},
      {"1234 E Main St SPC 12", "1234 E Main St", "12", "", "", "", "", ""},
      {"1234 E Main St SPACE 12", "1234 E Main St", "12", "", "", "", "", ""},
      {"1234 E Main St TRLR 4", "1234 E Main St", "4", "", "", "", "", ""},
      {"1234 E Main St Trailer 4", "1234 E Main St", "4", "", "", "", "", ""},
      {"3300 W Camelback Rd Lot 163, Phoenix, AZ 85017", "3300 W Camelback Rd", "163", "Phoenix", "AZ", "85017", "", ""},
      {"10960 N 67th Ave SPC 122 Glendale AZ 85304", "10960 N 67th Ave", "122", "Glendale", "AZ", "85304", "", ""},
      {"2050 S Roslyn Pl Space 51", "2050 S Roslyn Pl", "51", "", "", "", "", ""},
      {"123 Main St Apt 4B", "123 Main St", "4B", "", "", "", "", ""},
      {"123 Main St Apt. 4b", "123 Main St", "4B", "", "", "", "", ""},
      {"123 Main St APT #4", "123 Main St", "4", "", "", "", "", ""},
      {"123 Main St Apartment 12", "123 Main St", "12", "", "", "", "", ""},
      {"123 Main St Bldg C", "123 Main St", "C", "", "", "", "", ""},
      {"123 Main St Building 7", "123 Main St", "7", "", "", "", "", ""},
      {"123 Main St Ste 200", "123 Main St", "200", "", "", "", "", ""},
      {"123 Main St Suite 200", "123 Main St", "200", "", "", "", "", ""},
      {"123 Main St Suite A-1", "123 Main St", "A-1", "", "", "", "", ""},
      {"123 Main St Unit 5", "123 Main St", "5", "", "", "", "", ""},
      {"123 Main St Rm 101", "123 Main St", "101", "", "", "", "", ""},
      {"123 Main St Room 101", "123 Main St", "101", "", "", "", "", ""},
      {"123 Main St Dept 4", "123 Main St", "4", "", "", "", "", ""},
      {"123 Airport Rd Hngr 7", "123 Airport Rd", "7", "", "", "", "", ""},
      {"123 Airport Rd Hangar 7", "123 Airport Rd", "7", "", "", "", "", ""},
      {"1 Harbor Dr Pier 39", "1 Harbor Dr", "39", "", "", "", "", ""},
      {"1 Harbor Dr Slip 12", "1 Harbor Dr", "12", "", "", "", "", ""},
      {"123 Main St Apt No 5", "123 Main St", "5", "", "", "", "", ""},
      {"123 Main St # 7", "123 Main St", "7", "", "", "", "", ""},
      {"123 Main St #102, Phoenix, AZ 85001", "123 Main St", "102", "Phoenix", "AZ", "85001", "", ""},
      {"123 Main St, Unit 5, Tempe, AZ 85281", "123 Main St", "5", "Tempe", "AZ", "85281", "", ""},
      {"123 Main St, Apt 4, Phoenix, AZ 85001", "123 Main St", "4", "Phoenix", "AZ", "85001", "", ""},
      {"123 Main St, #4, Phoenix, AZ 85001", "123 Main St", "4", "Phoenix", "AZ", "85001", "", ""},
      {"123 Main St, 4B, Phoenix, AZ 85001", "123 Main St", "4B", "Phoenix", "AZ", "85001", "", ""},
      // the unitless designators: the designator is the unit
      {"123 Main St Rear", "123 Main St", "REAR", "", "", "", "", ""},
      {"123 Main St Bsmt", "123 Main St", "BSMT", "", "", "", "", ""},
      {"123 Main St Basement", "123 Main St", "BSMT", "", "", "", "", ""},
      {"123 Main St Frnt", "123 Main St", "FRNT", "", "", "", "", ""},
      {"123 Main St Front", "123 Main St", "FRNT", "", "", "", "", ""},
      {"123 Main St Lbby", "123 Main St", "LBBY", "", "", "", "", ""},
      {"123 Main St Lowr", "123 Main St", "LOWR", "", "", "", "", ""},
      {"123 Main St Lower", "123 Main St", "LOWR", "", "", "", "", ""},
      {"123 Main St Ofc", "123 Main St", "OFC", "", "", "", "", ""},
      {"123 Main St Office", "123 Main St", "OFC", "", "", "", "", ""},
      {"123 Main St PH", "123 Main St", "PH", "", "", "", "", ""},
      {"123 Main St Penthouse", "123 Main St", "PH", "", "", "", "", ""},
      {"123 Main St Side", "123 Main St", "SIDE", "", "", "", "", ""},
      {"123 Main St Uppr", "123 Main St", "UPPR", "", "", "", "", ""},
      {"123 Main St Upper", "123 Main St", "UPPR", "", "", "", "", ""},
      {"123 Main St Rear, Mesa, AZ 85201", "123 Main St", "REAR", "Mesa", "AZ", "85201", "", ""},
      // designator words that are names where they stand
      {"456 Side Rd", "456 Side Rd", "", "", "", "", "", ""},
      {"12 Front St", "12 Front St", "", "", "", "", "", ""},
      {"12 Upper Ridge Rd", "12 Upper Ridge Rd", "", "", "", "", "", ""},
      {"12 Office Park Dr", "12 Office Park Dr", "", "", "", "", "", ""},
      {"12 Unit Rd", "12 Unit Rd", "", "", "", "", "", ""},
      {"12 Suite Rd 5", "12 Suite Rd", "5", "", "", "", "", ""},
      // two units: both kept, and said
      {"1 E Washington St Bldg 3 Apt 4", "1 E Washington St", "BLDG 3 APT 4", "", "", "", "", "more than one secondary unit"},
  };
  for (const auto& c : cases) check(c);
}

TEST_CASE("kind 3: a unit never swallows the city after it", "[address][cases]") {
  const Case cases[] = {
      {"102 Sottile St Unit 06-305 Charleston, SC 29403", "102 Sottile St", "06-305", "Charleston", "SC", "29403", "", ""},
      {"0 E WARDELL DR # APT 3 PEMBROKE 28372", "0 E Wardell Dr", "3", "Pembroke", "", "28372", "", ""},
      {"55 Water St Apt 4 New York NY 10041", "55 Water St", "4", "New York", "NY", "10041", "", ""},
      {"55 Water St Apt 4 New York, NY 10041", "55 Water St", "4", "New York", "NY", "10041", "", ""},
      {"9 Elm St Ste B Austin TX", "9 Elm St", "B", "Austin", "TX", "", "", ""},
      {"9 Elm St #B Austin TX 78701", "9 Elm St", "B", "Austin", "TX", "78701", "", ""},
      {"9 Elm St Lot 12 Mesa AZ 85201", "9 Elm St", "12", "Mesa", "AZ", "85201", "", ""},
      {"9 Elm St Spc 12 Apache Junction AZ", "9 Elm St", "12", "Apache Junction", "AZ", "", "", ""},
      {"9 Elm St Unit 4 Sun City AZ", "9 Elm St", "4", "Sun City", "AZ", "", "", ""},
      {"9 Elm St Unit 4, Sun City, AZ", "9 Elm St", "4", "Sun City", "AZ", "", "", ""},
      {"9 Elm St, Unit 06-305 Charleston, SC", "9 Elm St", "06-305", "Charleston", "SC", "", "", ""},
      {"9 Elm St Fl 2 Boston MA 02108", "9 Elm St", "2", "Boston", "MA", "02108", "", ""},
  };
  for (const auto& c : cases) check(c);
}

TEST_CASE("kind 4: a post-directional, also after a comma", "[address][cases]") {
  const Case cases[] = {
      {"1800 M Street, NW, Washington, DC 20036", "1800 M St NW", "", "Washington", "DC", "20036", "", ""},
      {"75 Fifth Street, NW", "75 Fifth St NW", "", "", "", "", "", ""},
      {"1600 Pennsylvania Avenue NW, Washington, DC 20500", "1600 Pennsylvania Ave NW", "", "Washington", "DC", "20500", "", ""},
      {"1180 Peachtree Street, NE, Atlanta, GA 30309", "1180 Peachtree St NE", "", "Atlanta", "GA", "30309", "", ""},
      {"1180 Peachtree Street NE, Atlanta, GA", "1180 Peachtree St NE", "", "Atlanta", "GA", "", "", ""},
      {"833 E Fern Dr S", "833 E Fern Dr S", "", "", "", "", "", ""},
      {"833 EAST FERN DRIVE SOUTH", "833 E Fern Dr S", "", "", "", "", "", ""},
      {"100 Main St SW", "100 Main St SW", "", "", "", "", "", ""},
      {"100 Main St Southwest", "100 Main St SW", "", "", "", "", "", ""},
      {"100 Main St, SE, Suite 5, Grand Rapids, MI", "100 Main St SE", "5", "Grand Rapids", "MI", "", "", ""},
      {"100 Main St W Unit 3", "100 Main St W", "3", "", "", "", "", ""},
      {"100 Main St E 4", "100 Main St E", "4", "", "", "", "", ""},
  };
  for (const auto& c : cases) check(c);
}

TEST_CASE("kind 5: numbered roads are street names, not units", "[address][cases]") {
  const Case cases[] = {
      {"36401 County Road 43, Eaton, CO 80615", "36401 County Rd 43", "", "Eaton", "CO", "80615", "", ""},
      {"36401 COUNTY ROAD 43 EATON CO 80615", "36401 County Rd 43", "", "Eaton", "CO", "80615", "", ""},
      {"406 North Highway 71 Business Lowell AR", "406 N Highway 71 Business", "", "Lowell", "AR", "", "", ""},
      {"T703 State Route 66", "T703 State Route 66", "", "", "", "", "", ""},
      {"12345 N HIGHWAY 85", "12345 N Highway 85", "", "", "", "", "", ""},
      {"12345 N Hwy 85, Buckeye, AZ 85326", "12345 N Hwy 85", "", "Buckeye", "AZ", "85326", "", ""},
      {"100 US Highway 60 Gold Canyon AZ 85118", "100 US Highway 60", "", "Gold Canyon", "AZ", "85118", "", ""},
      {"1000 US 60 Phoenix AZ", "1000 US 60", "", "Phoenix", "AZ", "", "", ""},
      {"22 State Route 87 Payson AZ", "22 State Route 87", "", "Payson", "AZ", "", "", ""},
      {"5 Interstate 10 Frontage", "5 Interstate 10 Frontage", "", "", "", "", "", "could not be placed"},
      {"100 I-17 Frontage Rd", "100 I-17 Frontage Rd", "", "", "", "", "", ""},
      {"44 Route 9W Unit 2", "44 Route 9W", "2", "", "", "", "", ""},
      {"9 Farm to Market Road 1960", "9 Farm To Market Rd 1960", "", "", "", "", "", ""},
      {"17 County Rd 12 Bypass", "17 County Rd 12 Bypass", "", "", "", "", "", ""},
      {"300 SR 89A Sedona AZ 86336", "300 SR 89A", "", "Sedona", "AZ", "86336", "", ""},
      {"3 Hwy 95 Alt, Parker, AZ", "3 Hwy 95 Alt", "", "Parker", "AZ", "", "", ""},
      // a suffix before the bare number keeps it a unit
      {"7606 W Indian School Rd 1", "7606 W Indian School Rd", "1", "", "", "", "", ""},
  };
  for (const auto& c : cases) check(c);
}

TEST_CASE("kind 6: cities that begin with St., Saint, Ste. or a directional", "[address][cases]") {
  const Case cases[] = {
      {"800 N. Lindberg St. Louis MO", "800 N Lindberg", "", "St. Louis", "MO", "", "", "read as part of the city"},
      {"800 N Lindbergh Blvd St. Louis MO 63141", "800 N Lindbergh Blvd", "", "St. Louis", "MO", "63141", "", ""},
      {"800 N Lindbergh Blvd Saint Louis MO", "800 N Lindbergh Blvd", "", "St. Louis", "MO", "", "", ""},
      {"800 N Lindbergh Blvd, St Louis, MO", "800 N Lindbergh Blvd", "", "St. Louis", "MO", "", "", ""},
      {"75 W 5th St St Paul MN 55102", "75 W 5th St", "", "St. Paul", "MN", "55102", "", ""},
      {"1 Main St St Petersburg FL", "1 Main St", "", "St. Petersburg", "FL", "", "", ""},
      {"123 Main St Sault Ste. Marie MI", "123 Main St", "", "Sault Ste. Marie", "MI", "", "", ""},
      {"123 Portage Ave Sault Ste Marie MI 49783", "123 Portage Ave", "", "Sault Ste. Marie", "MI", "49783", "", ""},
      {"12 Market St Ste. Genevieve MO", "12 Market St", "", "Ste. Genevieve", "MO", "", "", ""},
      {"12 Market St Sainte Genevieve MO", "12 Market St", "", "Ste. Genevieve", "MO", "", "", ""},
      {"100 Ocean Dr North Palm Beach FL", "100 Ocean Dr", "", "North Palm Beach", "FL", "", "", ""},
      {"100 Main St W Palm Beach FL 33401", "100 Main St", "", "West Palm Beach", "FL", "33401", "", ""},
      {"123 Main St North Las Vegas NV", "123 Main St", "", "North Las Vegas", "NV", "", "", ""},
      {"123 Main St N Las Vegas NV", "123 Main St", "", "North Las Vegas", "NV", "", "", ""},
      {"123 Main St South Bend IN 46601", "123 Main St", "", "South Bend", "IN", "46601", "", ""},
      {"5 Elm St North Hampton NH", "5 Elm St", "", "North Hampton", "NH", "", "", "first word of the city"},
      {"5 Elm St East Aurora NY", "5 Elm St", "", "East Aurora", "NY", "", "", "first word of the city"},
      {"123 Main St North Phoenix AZ", "123 Main St N", "", "Phoenix", "AZ", "", "", ""},
      {"1 W Main St South Tucson AZ", "1 W Main St", "", "South Tucson", "AZ", "", "", ""},
  };
  for (const auto& c : cases) check(c);
}

TEST_CASE("kind 7: house numbers that are not plain digits", "[address][cases]") {
  const Case cases[] = {
      {"N165 W2123 Tartan Ct", "N165 W2123 Tartan Ct", "", "", "", "", "", ""},
      {"N165W2123 Tartan Ct", "N165W2123 Tartan Ct", "", "", "", "", "", ""},
      {"W204 N11509 Goldendale Rd, Germantown, WI 53022", "W204 N11509 Goldendale Rd", "", "Germantown", "WI", "53022", "", ""},
      {"T703 State Route 66", "T703 State Route 66", "", "", "", "", "", ""},
      {"# 2 Turner Rd", "2 Turner Rd", "", "", "", "", "", ""},
      {"#2 Turner Rd", "2 Turner Rd", "", "", "", "", "", ""},
      {"One S. Dearborn St.", "One S Dearborn St", "", "", "", "", "", ""},
      {"One S. Dearborn St., Chicago, IL 60603", "One S Dearborn St", "", "Chicago", "IL", "60603", "", ""},
      {"Two Penn Plaza, New York, NY", "Two Penn Plz", "", "New York", "NY", "", "", ""},
      {"123 1/2 Main St", "123 1/2 Main St", "", "", "", "", "", ""},
      {"123 1/2 N Main St Apt 2", "123 1/2 N Main St", "2", "", "", "", "", ""},
      {"123A Main St", "123A Main St", "", "", "", "", "", ""},
      {"12-14 Main St", "12-14 Main St", "", "", "", "", "", ""},
      {"0 Main St", "0 Main St", "", "", "", "", "", ""},
      {"A12 Main St", "A12 Main St", "", "", "", "", "", ""},
  };
  for (const auto& c : cases) check(c);
}

TEST_CASE("kind 8: ZIPs as people write them", "[address][cases]") {
  const Case cases[] = {
      {"1 Main St, Brooklyn, NY 11201.", "1 Main St", "", "Brooklyn", "NY", "11201", "", ""},
      {"1 Main St, San Francisco, CA 94103\xE2\x80\x94" "1612", "1 Main St", "", "San Francisco", "CA", "94103", "1612", ""},
      {"1 Main St, San Francisco, CA 94103\xE2\x80\x93" "1612", "1 Main St", "", "San Francisco", "CA", "94103", "1612", ""},
      {"1 Main St, Portland, OR 97212 4321", "1 Main St", "", "Portland", "OR", "97212", "4321", ""},
      {"1 Main St, Portland, OR 97212-4321.", "1 Main St", "", "Portland", "OR", "97212", "4321", ""},
      {"1 Main St, Portland, OR 97212- 4321", "1 Main St", "", "Portland", "OR", "97212", "4321", ""},
      {"1 Main St, Portland, OR 97212 -4321", "1 Main St", "", "Portland", "OR", "97212", "4321", ""},
      {"1 Main St, Portland, OR 972124321", "1 Main St", "", "Portland", "OR", "97212", "4321", ""},
      {"9 Elm St, Phoenix, AZ, 85004", "9 Elm St", "", "Phoenix", "AZ", "85004", "", ""},
      {"123 Main St, Phoenix 85001", "123 Main St", "", "Phoenix", "", "85001", "", ""},
      {"123 Main St 85001", "123 Main St", "", "", "", "85001", "", ""},
      {"123 Main St, Phoenix, AZ 85001, USA", "123 Main St", "", "Phoenix", "AZ", "85001", "", ""},
      {"123 Main St, Phoenix, AZ 85001 United States", "123 Main St", "", "Phoenix", "AZ", "85001", "", ""},
      {"123 Main St, Phoenix, AZ 85001 US", "123 Main St", "", "Phoenix", "AZ", "85001", "", ""},
      {"123 Main St FL 33101", "123 Main St", "", "", "FL", "33101", "", ""},
      // not ZIPs
      {"123 Main St Suite 10001", "123 Main St", "10001", "", "", "", "", ""},
      {"123 Main St # 10001", "123 Main St", "10001", "", "", "", "", ""},
      {"123 Main St 8500", "123 Main St", "8500", "", "", "", "", ""},
      {"123 Main St 85.375", "123 Main St 85.375", "", "", "", "", "", "'85.375' after the street could not be placed"},  // a fuzz find
  };
  for (const auto& c : cases) check(c);
}

TEST_CASE("no state or city is taken from a directional, a suffix or a unit", "[address][cases]") {
  const Case cases[] = {
      {"1180 Peachtree Street, NE", "1180 Peachtree St NE", "", "", "", "", "", "read as a directional, not the state"},
      {"1180 Peachtree St NE", "1180 Peachtree St NE", "", "", "", "", "", "read as a directional, not the state"},
      {"1180 Peachtree Street, NE 30309", "1180 Peachtree St NE", "", "", "", "30309", "", "read as a directional, not the state"},
      {"100 Main NE", "100 Main NE", "", "", "", "", "", "read as a directional, not the state"},
      {"123 Maple Ct", "123 Maple Ct", "", "", "", "", "", ""},
      {"123 Maple CT 85001", "123 Maple Ct", "", "", "", "85001", "", ""},
      {"9 Harbor Ky", "9 Harbor Ky", "", "", "", "", "", ""},
      {"9 Green Mt", "9 Green Mt", "", "", "", "", "", ""},
      {"9 Cedar Wy", "9 Cedar Way", "", "", "", "", "", ""},
      {"9 Cedar Pr", "9 Cedar Pr", "", "", "", "", "", ""},
      {"123 Main St Apt OK", "123 Main St", "OK", "", "", "", "", ""},
      {"75 Fifth Street, NW", "75 Fifth St NW", "", "", "", "", "", ""},
      {"123 Main St, Phoenix, NW", "123 Main St", "", "Phoenix", "", "", "", "part 'NW' not placed"},
      {"500 N Indiana", "500 N Indiana", "", "", "", "", "", ""},
      {"10 W Virginia Ave", "10 W Virginia Ave", "", "", "", "", "", ""},
      {"10 West Virginia", "10 W Virginia", "", "", "", "", "", ""},
      {"77 Nevada Way", "77 Nevada Way", "", "", "", "", "", ""},
      {"2 Colorado", "2 Colorado", "", "", "", "", "", ""},
      {"100 Old Virginia", "100 Old Virginia", "", "", "", "", "", ""},
      {"100 Old Virginia 22314", "100 Old", "", "", "VA", "22314", "", ""},
      {"123 Main St Virginia", "123 Main St", "", "", "VA", "", "", ""},
      {"123 Old Virginia, Virginia", "123 Old Virginia", "", "", "VA", "", "", "the city may be in the street"},
  };
  for (const auto& c : cases) check(c);
}

TEST_CASE("what cannot be placed stays in the street, with a warning", "[address][cases]") {
  const Case cases[] = {
      {"123 Main St Chicago", "123 Main St Chicago", "", "", "", "", "", "'Chicago' after the street could not be placed"},
      {"742 Evergreen Terrace Springfield", "742 Evergreen Ter Springfield", "", "", "", "", "", "could not be placed"},
      {"123 Main St Apt", "123 Main St Apt", "", "", "", "", "", "'Apt' after the street could not be placed"},
      {"123 Main St Suite Phoenix AZ", "123 Main St Suite", "", "Phoenix", "AZ", "", "", "'Suite' after the street"},
      {"123 Broadway Chicago IL", "123 Broadway Chicago", "", "", "IL", "", "", "the city may be in the street"},
      {"3 Spring Creek Palm Beach FL", "3 Spring Creek Palm Bch", "", "", "FL", "", "", "the city may be in the street"},
      {"0 E Wardell Dr # Apt 3 Pembroke", "0 E Wardell Dr Pembroke", "3", "", "", "", "", "'Pembroke' after the street"},
      {"123 Main St 4 5 Tempe AZ", "123 Main St 5", "4", "Tempe", "AZ", "", "", "'5' after the street"},
      {"100 Main St, Sunnyslope, Phoenix, AZ", "100 Main St", "", "Phoenix", "AZ", "", "", "part 'Sunnyslope'"},
      {"100 Main St, Maricopa County, AZ", "100 Main St", "", "", "AZ", "", "", "names a county"},
      {"100 Main St, Phoenix, Maricopa County, AZ 85001", "100 Main St", "", "Phoenix", "AZ", "85001", "", "names a county"},
  };
  for (const auto& c : cases) check(c);
}

TEST_CASE("streets without a suffix, names that look like suffixes", "[address][cases]") {
  const Case cases[] = {
      {"123 North Ave", "123 North Ave", "", "", "", "", "", ""},
      {"12 Court Street", "12 Court St", "", "", "", "", "", ""},
      {"123 E Vista", "123 E Vista", "", "", "", "", "", ""},
      {"5 Park Place", "5 Park Pl", "", "", "", "", "", ""},
      {"5 Park", "5 Park", "", "", "", "", "", ""},
      {"10 Avenue of the Americas", "10 Avenue Of The Americas", "", "", "", "", "", ""},
      {"10 Broadway", "10 Broadway", "", "", "", "", "", ""},
      {"1 Camino Real", "1 Camino Real", "", "", "", "", "", ""},
      {"5 Lake Shore Dr", "5 Lake Shore Dr", "", "", "", "", "", ""},
      {"5 Spring Creek Road", "5 Spring Creek Rd", "", "", "", "", "", ""},
      {"5 Spring Creek", "5 Spring Crk", "", "", "", "", "", ""},
      {"7 Old Mill Rd", "7 Old Mill Rd", "", "", "", "", "", ""},
      {"1 Infinite Loop", "1 Infinite Loop", "", "", "", "", "", ""},
      {"2 Circle Dr", "2 Circle Dr", "", "", "", "", "", ""},
      {"40 W Loop Rd", "40 W Loop Rd", "", "", "", "", "", ""},
      {"11 St Andrews Way", "11 St Andrews Way", "", "", "", "", "", ""},
      {"11 Mount Vernon Ave", "11 Mount Vernon Ave", "", "", "", "", "", ""},
      {"11 O'Brien Ln", "11 O'Brien Ln", "", "", "", "", "", ""},
      {"9 Martin Luther King Jr Blvd", "9 Martin Luther King Jr Blvd", "", "", "", "", "", ""},
      {"9 E Paradise Ln", "9 E Paradise Ln", "", "", "", "", "", ""},
      {"200 Tucson Stravenue", "200 Tucson Stra", "", "", "", "", "", ""},
      {"4 Via Del Mar", "4 Via Del Mar", "", "", "", "", "", ""},
  };
  for (const auto& c : cases) check(c);
}

TEST_CASE("units written together with their number, spelled-out floors, parts before the street", "[address][cases]") {
  const Case cases[] = {
      {"123 Main St APT4B", "123 Main St", "4B", "", "", "", "", ""},
      {"123 Main St STE100, Phoenix, AZ", "123 Main St", "100", "Phoenix", "AZ", "", "", ""},
      {"123 Main St LOT12", "123 Main St", "12", "", "", "", "", ""},
      {"123 Main St SP12", "123 Main St", "12", "", "", "", "", ""},
      {"123 Main St FL3", "123 Main St", "3", "", "", "", "", ""},
      {"123 Aptos Rd", "123 Aptos Rd", "", "", "", "", "", ""},
      {"123 Main St Second Floor", "123 Main St", "2", "", "", "", "", ""},
      {"123 Main St, Tenth Floor, Chicago, IL", "123 Main St", "10", "Chicago", "IL", "", "", ""},
      {"123 Main St, Ground Floor", "123 Main St", "GROUND", "", "", "", "", ""},
      {"12 First St", "12 First St", "", "", "", "", "", ""},
      {"Suite 200, 100 Main St, Phoenix, AZ 85004", "100 Main St", "200", "Phoenix", "AZ", "85004", "", ""},
      {"Apt 4, 123 Main St", "123 Main St", "4", "", "", "", "", ""},
      {"Empire State Building, 350 5th Ave, New York, NY 10118", "350 5th Ave", "", "New York", "NY", "10118", "",
       "part 'Empire State Building' before the street not placed"},
      {"Attn: Accounts, 123 Main St, Mesa, AZ", "123 Main St", "", "Mesa", "AZ", "", "", "before the street not placed"},
      {"One World Trade Center, New York, NY 10007", "One World Trade Ctr", "", "New York", "NY", "10007", "", ""},
      {"123 Main St\nPhoenix, AZ 85001", "123 Main St", "", "Phoenix", "AZ", "85001", "", ""},
      {"123 Main St\nChicago, IL 60601", "123 Main St", "", "Chicago", "IL", "60601", "", ""},
      {"1234 Highway 50 East", "1234 Highway 50 E", "", "", "", "", "", ""},
      {"Phoenix, AZ 85001", nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr},
  };
  for (const auto& c : cases) {
    if (!c.street) {  // no street in the line: an error, not a guess
      INFO("input: \"" << c.input << "\"");
      CHECK_THROWS_AS(parse_address(c.input), flowrun::normalizer::AddressError);
      continue;
    }
    check(c);
  }
}
