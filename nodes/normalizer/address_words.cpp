#include "nodes/normalizer/address_words.hpp"

#include <string>

#include "nodes/normalizer/address_table.hpp"

namespace flowrun::normalizer::addr {
namespace {

// USPS Publication 28, appendix C1: standard abbreviation (as printed), whether it is a
// "primary" suffix, and every spelling the publication lists. Primary suffixes are the ones
// that end streets and almost never begin or end a city's name; when a line has no comma
// between street and city, the last primary suffix is where the street ends. Secondary ones
// (Creek, Park, Valley, Beach ...) are names of places as often as they are street types.
// TRAILER/TRLR is left out: Pub 28 C2 lists it as a unit designator, which is how it is used.
struct SuffixRow {
  const char* abbr;
  bool primary;
  const char* spellings;  // space-separated, upper-case
};
constexpr SuffixRow kSuffixes[] = {
    {"Aly", true, "ALLEY ALLEE ALLY ALY"},
    {"Anx", false, "ANEX ANNEX ANNX ANX"},
    {"Arc", false, "ARC ARCADE"},
    {"Ave", true, "AVENUE AV AVE AVEN AVENU AVN AVNUE"},
    {"Byu", false, "BAYOU BAYOO BYU"},
    {"Bch", false, "BEACH BCH"},
    {"Bnd", false, "BEND BND"},
    {"Blf", false, "BLUFF BLF BLUF"},
    {"Blfs", false, "BLUFFS BLFS"},
    {"Btm", false, "BOTTOM BOT BTM BOTTM"},
    {"Blvd", true, "BOULEVARD BLVD BOUL BOULV BLV"},
    {"Br", false, "BRANCH BR BRNCH"},
    {"Brg", false, "BRIDGE BRDGE BRG"},
    {"Brk", false, "BROOK BRK"},
    {"Brks", false, "BROOKS BRKS"},
    {"Bg", false, "BURG BG"},
    {"Bgs", false, "BURGS BGS"},
    {"Byp", true, "BYPASS BYP BYPA BYPAS BYPS"},
    {"Cp", false, "CAMP CP CMP"},
    {"Cyn", false, "CANYON CANYN CNYN CYN"},
    {"Cpe", false, "CAPE CPE"},
    {"Cswy", true, "CAUSEWAY CAUSWA CSWY"},
    {"Ctr", false, "CENTER CEN CENT CENTR CENTRE CNTER CNTR CTR"},
    {"Ctrs", false, "CENTERS CTRS"},
    {"Cir", true, "CIRCLE CIR CIRC CIRCL CRCL CRCLE"},
    {"Cirs", false, "CIRCLES CIRS"},
    {"Clf", false, "CLIFF CLF"},
    {"Clfs", false, "CLIFFS CLFS"},
    {"Clb", false, "CLUB CLB"},
    {"Cmn", false, "COMMON CMN"},
    {"Cmns", false, "COMMONS CMNS"},
    {"Cor", false, "CORNER COR"},
    {"Cors", false, "CORNERS CORS"},
    {"Crse", false, "COURSE CRSE"},
    {"Ct", true, "COURT CT"},
    {"Cts", true, "COURTS CTS"},
    {"Cv", true, "COVE CV"},
    {"Cvs", false, "COVES CVS"},
    {"Crk", false, "CREEK CRK"},
    {"Cres", true, "CRESCENT CRES CRSENT CRSNT"},
    {"Crst", false, "CREST CRST"},
    {"Xing", true, "CROSSING CRSSNG XING"},
    {"Xrd", false, "CROSSROAD XRD"},
    {"Xrds", false, "CROSSROADS XRDS"},
    {"Curv", false, "CURVE CURV"},
    {"Dl", false, "DALE DL"},
    {"Dm", false, "DAM DM"},
    {"Dv", false, "DIVIDE DIV DV DVD"},
    {"Dr", true, "DRIVE DR DRIV DRV"},
    {"Drs", true, "DRIVES DRS"},
    {"Est", false, "ESTATE EST"},
    {"Ests", false, "ESTATES ESTS"},
    {"Expy", true, "EXPRESSWAY EXP EXPR EXPRESS EXPW EXPY"},
    {"Ext", false, "EXTENSION EXT EXTN EXTNSN"},
    {"Exts", false, "EXTENSIONS EXTS"},
    {"Fall", false, "FALL"},
    {"Fls", false, "FALLS FLS"},
    {"Fry", false, "FERRY FRRY FRY"},
    {"Fld", false, "FIELD FLD"},
    {"Flds", false, "FIELDS FLDS"},
    {"Flt", false, "FLAT FLT"},
    {"Flts", false, "FLATS FLTS"},
    {"Frd", false, "FORD FRD"},
    {"Frds", false, "FORDS FRDS"},
    {"Frst", false, "FOREST FORESTS FRST"},
    {"Frg", false, "FORGE FORG FRG"},
    {"Frgs", false, "FORGES FRGS"},
    {"Frk", false, "FORK FRK"},
    {"Frks", false, "FORKS FRKS"},
    {"Ft", false, "FORT FRT FT"},
    {"Fwy", true, "FREEWAY FREEWY FRWAY FRWY FWY"},
    {"Gdn", false, "GARDEN GARDN GRDEN GRDN GDN"},
    {"Gdns", false, "GARDENS GDNS GRDNS"},
    {"Gtwy", false, "GATEWAY GATEWY GATWAY GTWAY GTWY"},
    {"Gln", false, "GLEN GLN"},
    {"Glns", false, "GLENS GLNS"},
    {"Grn", false, "GREEN GRN"},
    {"Grns", false, "GREENS GRNS"},
    {"Grv", false, "GROVE GROV GRV"},
    {"Grvs", false, "GROVES GRVS"},
    {"Hbr", false, "HARBOR HARB HARBR HBR HRBOR"},
    {"Hbrs", false, "HARBORS HBRS"},
    {"Hvn", false, "HAVEN HVN"},
    {"Hts", false, "HEIGHTS HT HTS"},
    {"Hwy", true, "HIGHWAY HIGHWY HIWAY HIWY HWAY HWY"},
    {"Hl", false, "HILL HL"},
    {"Hls", false, "HILLS HLS"},
    {"Holw", false, "HOLLOW HLLW HOLLOWS HOLW HOLWS"},
    {"Inlt", false, "INLET INLT"},
    {"Is", false, "ISLAND ISLND IS"},
    {"Iss", false, "ISLANDS ISLNDS ISS"},
    {"Isle", false, "ISLE ISLES"},
    {"Jct", false, "JUNCTION JCT JCTION JCTN JUNCTN JUNCTON"},
    {"Jcts", false, "JUNCTIONS JCTNS JCTS"},
    {"Ky", false, "KEY KY"},
    {"Kys", false, "KEYS KYS"},
    {"Knl", false, "KNOLL KNL KNOL"},
    {"Knls", false, "KNOLLS KNLS"},
    {"Lk", false, "LAKE LK"},
    {"Lks", false, "LAKES LKS"},
    {"Land", false, "LAND"},
    {"Lndg", false, "LANDING LNDG LNDNG"},
    {"Ln", true, "LANE LN"},
    {"Lgt", false, "LIGHT LGT"},
    {"Lgts", false, "LIGHTS LGTS"},
    {"Lf", false, "LOAF LF"},
    {"Lck", false, "LOCK LCK"},
    {"Lcks", false, "LOCKS LCKS"},
    {"Ldg", false, "LODGE LDG LDGE LODG"},
    {"Loop", true, "LOOP LOOPS LP"},
    {"Mall", true, "MALL"},
    {"Mnr", false, "MANOR MNR"},
    {"Mnrs", false, "MANORS MNRS"},
    {"Mdw", false, "MEADOW"},
    {"Mdws", false, "MEADOWS MDW MDWS MEDOWS"},
    {"Mews", true, "MEWS"},
    {"Ml", false, "MILL"},
    {"Mls", false, "MILLS"},
    {"Msn", false, "MISSION MISSN MSSN"},
    {"Mtwy", true, "MOTORWAY MTWY"},
    {"Mt", false, "MOUNT MNT MT"},
    {"Mtn", false, "MOUNTAIN MNTAIN MNTN MOUNTIN MTIN MTN"},
    {"Mtns", false, "MOUNTAINS MNTNS"},
    {"Nck", false, "NECK NCK"},
    {"Orch", false, "ORCHARD ORCH ORCHRD"},
    {"Oval", false, "OVAL OVL"},
    {"Opas", true, "OVERPASS OPAS"},
    {"Park", false, "PARK PRK PARKS"},
    {"Pkwy", true, "PARKWAY PARKWY PKWAY PKWY PKY PARKWAYS PKWYS"},
    {"Pass", false, "PASS"},
    {"Psge", false, "PASSAGE PSGE"},
    {"Path", true, "PATH PATHS"},
    {"Pike", true, "PIKE PIKES"},
    {"Pne", false, "PINE PNE"},
    {"Pnes", false, "PINES PNES"},
    {"Pl", true, "PLACE PL"},
    {"Pln", false, "PLAIN PLN"},
    {"Plns", false, "PLAINS PLNS"},
    {"Plz", true, "PLAZA PLZ PLZA"},
    {"Pt", false, "POINT PT"},
    {"Pts", false, "POINTS PTS"},
    {"Prt", false, "PORT PRT"},
    {"Prts", false, "PORTS PRTS"},
    {"Pr", false, "PRAIRIE PR PRR"},
    {"Radl", false, "RADIAL RAD RADIEL RADL"},
    {"Ramp", true, "RAMP"},
    {"Rnch", false, "RANCH RANCHES RNCH RNCHS"},
    {"Rpd", false, "RAPID RPD"},
    {"Rpds", false, "RAPIDS RPDS"},
    {"Rst", false, "REST RST"},
    {"Rdg", false, "RIDGE RDG RDGE"},
    {"Rdgs", false, "RIDGES RDGS"},
    {"Riv", false, "RIVER RIV RVR RIVR"},
    {"Rd", true, "ROAD RD"},
    {"Rds", true, "ROADS RDS"},
    {"Rte", true, "ROUTE RTE"},
    {"Row", true, "ROW"},
    {"Rue", true, "RUE"},
    {"Run", true, "RUN"},
    {"Shl", false, "SHOAL SHL"},
    {"Shls", false, "SHOALS SHLS"},
    {"Shr", false, "SHORE SHOAR SHR"},
    {"Shrs", false, "SHORES SHOARS SHRS"},
    {"Skwy", true, "SKYWAY SKWY"},
    {"Spg", false, "SPRING SPG SPNG SPRNG"},
    {"Spgs", false, "SPRINGS SPGS SPNGS SPRNGS"},
    {"Spur", false, "SPUR SPURS"},
    {"Sq", true, "SQUARE SQ SQR SQRE SQU"},
    {"Sqs", false, "SQUARES SQRS"},
    {"Sta", false, "STATION STA STATN STN"},
    {"Stra", true, "STRAVENUE STRA STRAV STRAVEN STRAVN STRVN STRVNUE"},
    {"Strm", false, "STREAM STREME STRM"},
    {"St", true, "STREET ST STRT STR"},
    {"Sts", true, "STREETS STS"},
    {"Smt", false, "SUMMIT SMT SUMIT SUMITT"},
    {"Ter", true, "TERRACE TER TERR"},
    {"Trwy", true, "THROUGHWAY TRWY"},
    {"Trce", false, "TRACE TRACES TRCE"},
    {"Trak", false, "TRACK TRACKS TRAK TRK TRKS"},
    {"Trfy", true, "TRAFFICWAY TRFY"},
    {"Trl", true, "TRAIL TRAILS TRL TRLS"},
    {"Tunl", false, "TUNNEL TUNEL TUNL TUNLS TUNNELS TUNNL"},
    {"Tpke", true, "TURNPIKE TRNPK TURNPK TPKE"},
    {"Upas", true, "UNDERPASS UPAS"},
    {"Un", false, "UNION UN"},
    {"Uns", false, "UNIONS UNS"},
    {"Vly", false, "VALLEY VALLY VLLY VLY"},
    {"Vlys", false, "VALLEYS VLYS"},
    {"Via", false, "VIADUCT VDCT VIA VIADCT"},
    {"Vw", false, "VIEW VW"},
    {"Vws", false, "VIEWS VWS"},
    {"Vlg", false, "VILLAGE VILL VILLAG VILLG VILLIAGE VLG"},
    {"Vlgs", false, "VILLAGES VLGS"},
    {"Vl", false, "VILLE VL"},
    {"Vis", false, "VISTA VIS VIST VST VSTA"},
    {"Walk", true, "WALK WALKS"},
    {"Wall", false, "WALL"},
    {"Way", true, "WAY WY"},
    {"Ways", true, "WAYS"},
    {"Wl", false, "WELL"},
    {"Wls", false, "WELLS WLS"},
};

// Pub 28 C2. `needs_number` designators take the following value as the unit ("LOT 163" ->
// 163); the others are the unit themselves ("REAR").
struct DesignatorRow {
  const char* abbr;
  bool needs_number;
  const char* spellings;
};
constexpr DesignatorRow kDesignators[] = {
    {"APT", true, "APARTMENT APT APTS APRT"},
    {"BLDG", true, "BUILDING BLDG BLD BLDNG"},
    {"DEPT", true, "DEPARTMENT DEPT"},
    {"FL", true, "FLOOR FL FLR"},
    {"HNGR", true, "HANGAR HANGER HNGR"},
    {"KEY", true, "KEY"},
    {"LOT", true, "LOT"},
    {"PIER", true, "PIER"},
    {"RM", true, "ROOM RM"},
    {"SLIP", true, "SLIP"},
    {"SPC", true, "SPACE SPC SP"},
    {"STOP", true, "STOP"},
    {"STE", true, "SUITE STE"},
    {"TRLR", true, "TRAILER TRLR"},
    {"UNIT", true, "UNIT UNT"},
    {"BSMT", false, "BASEMENT BSMT"},
    {"FRNT", false, "FRONT FRNT"},
    {"LBBY", false, "LOBBY LBBY"},
    {"LOWR", false, "LOWER LOWR"},
    {"OFC", false, "OFFICE OFC"},
    {"PH", false, "PENTHOUSE PH"},
    {"REAR", false, "REAR"},
    {"SIDE", false, "SIDE"},
    {"UPPR", false, "UPPER UPPR"},
};

struct DirectionalRow {
  const char* abbr;
  const char* spelled;
};
constexpr DirectionalRow kDirectionals[] = {
    {"N", "NORTH"},     {"S", "SOUTH"},     {"E", "EAST"},      {"W", "WEST"},
    {"NE", "NORTHEAST"}, {"NW", "NORTHWEST"}, {"SE", "SOUTHEAST"}, {"SW", "SOUTHWEST"},
};

struct StateRow {
  const char* code;
  const char* names;  // '|'-separated upper-case names and old abbreviations
};
constexpr StateRow kStates[] = {
    {"AL", "ALABAMA|ALA"}, {"AK", "ALASKA"}, {"AZ", "ARIZONA|ARIZ"}, {"AR", "ARKANSAS|ARK"},
    {"CA", "CALIFORNIA|CALIF|CAL"}, {"CO", "COLORADO|COLO"}, {"CT", "CONNECTICUT|CONN"},
    {"DE", "DELAWARE"}, {"DC", "DISTRICT OF COLUMBIA|DIST OF COLUMBIA"}, {"FL", "FLORIDA|FLA"},
    {"GA", "GEORGIA"}, {"HI", "HAWAII"}, {"ID", "IDAHO"}, {"IL", "ILLINOIS"}, {"IN", "INDIANA"},
    {"IA", "IOWA"}, {"KS", "KANSAS|KANS"}, {"KY", "KENTUCKY"}, {"LA", "LOUISIANA"},
    {"ME", "MAINE"}, {"MD", "MARYLAND"}, {"MA", "MASSACHUSETTS|MASS"}, {"MI", "MICHIGAN|MICH"},
    {"MN", "MINNESOTA|MINN"}, {"MS", "MISSISSIPPI"}, {"MO", "MISSOURI"}, {"MT", "MONTANA|MONT"},
    {"NE", "NEBRASKA|NEBR"}, {"NV", "NEVADA|NEV"}, {"NH", "NEW HAMPSHIRE"}, {"NJ", "NEW JERSEY"},
    {"NM", "NEW MEXICO|N MEX|N MEXICO"}, {"NY", "NEW YORK"}, {"NC", "NORTH CAROLINA"},
    {"ND", "NORTH DAKOTA"}, {"OH", "OHIO"}, {"OK", "OKLAHOMA|OKLA"}, {"OR", "OREGON|ORE"},
    {"PA", "PENNSYLVANIA|PENNA"}, {"RI", "RHODE ISLAND"}, {"SC", "SOUTH CAROLINA"},
    {"SD", "SOUTH DAKOTA"}, {"TN", "TENNESSEE|TENN"}, {"TX", "TEXAS|TEX"}, {"UT", "UTAH"},
    {"VT", "VERMONT"}, {"VA", "VIRGINIA"}, {"WA", "WASHINGTON|WASH"}, {"WV", "WEST VIRGINIA"},
    {"WI", "WISCONSIN|WIS|WISC"}, {"WY", "WYOMING|WYO"}, {"PR", "PUERTO RICO"}, {"GU", "GUAM"},
    {"VI", "VIRGIN ISLANDS"}, {"AS", "AMERICAN SAMOA"}, {"MP", "NORTHERN MARIANA ISLANDS"},
};

// First three ZIP digits -> state (USPS), as inclusive ranges.
struct ZipRange {
  int lo, hi;
  const char* state;
};
constexpr ZipRange kZipRanges[] = {
    {5, 5, "NY"},     {6, 7, "PR"},     {8, 8, "VI"},     {9, 9, "PR"},     {10, 27, "MA"},
    {28, 29, "RI"},   {30, 38, "NH"},   {39, 49, "ME"},   {50, 54, "VT"},   {55, 55, "MA"},
    {56, 59, "VT"},   {60, 69, "CT"},   {70, 89, "NJ"},   {100, 149, "NY"}, {150, 196, "PA"},
    {197, 199, "DE"}, {200, 200, "DC"}, {201, 201, "VA"}, {202, 205, "DC"}, {206, 219, "MD"},
    {220, 246, "VA"}, {247, 268, "WV"}, {270, 289, "NC"}, {290, 299, "SC"}, {300, 319, "GA"},
    {320, 339, "FL"}, {341, 349, "FL"}, {350, 369, "AL"}, {370, 385, "TN"}, {386, 397, "MS"},
    {398, 399, "GA"}, {400, 427, "KY"}, {430, 459, "OH"}, {460, 479, "IN"}, {480, 499, "MI"},
    {500, 528, "IA"}, {530, 549, "WI"}, {550, 567, "MN"}, {569, 569, "DC"}, {570, 577, "SD"},
    {580, 588, "ND"}, {590, 599, "MT"}, {600, 629, "IL"}, {630, 658, "MO"}, {660, 679, "KS"},
    {680, 693, "NE"}, {700, 714, "LA"}, {716, 729, "AR"}, {730, 749, "OK"}, {750, 799, "TX"},
    {800, 816, "CO"}, {820, 831, "WY"}, {832, 838, "ID"}, {840, 847, "UT"}, {850, 865, "AZ"},
    {870, 884, "NM"}, {885, 885, "TX"}, {889, 898, "NV"}, {900, 961, "CA"}, {967, 968, "HI"},
    {969, 969, "GU"}, {970, 979, "OR"}, {980, 994, "WA"}, {995, 999, "AK"},
};

using WordMap = WordTable<WordInfo>;

// Calls f(word) for each space- or '|'-separated word of `list`; the views point into the
// literal, which outlives the tables.
template <class F>
void each_word(std::string_view list, char sep, F f) {
  while (!list.empty()) {
    auto end = list.find(sep);
    f(list.substr(0, end));
    if (end == std::string_view::npos) break;
    list.remove_prefix(end + 1);
  }
}

void add_suffixes(WordMap& m) {
  for (const auto& row : kSuffixes) {
    // The place key is the standard abbreviation upper-cased, so "QUEEN CREEK" and
    // "QUEEN CRK" meet in the place table. Its storage: the first spelling that matches it.
    each_word(row.spellings, ' ', [&](std::string_view w) {
      WordInfo& info = m[w];
      info.flags |= kSuffix | (row.primary ? kPrimarySuffix : 0u);
      info.suffix = row.abbr;
    });
  }
  m.for_each([&](std::string_view word, WordInfo& info) {
    if (!info.is(kSuffix)) return;
    // The spelling equal to the upper-cased abbreviation ("CRK"), when the row lists it.
    info.place_key = word;
    for (const auto& row : kSuffixes) {
      if (std::string_view(row.abbr) != info.suffix) continue;
      each_word(row.spellings, ' ', [&](std::string_view w) {
        bool same = w.size() == info.suffix.size();
        for (std::size_t i = 0; same && i < w.size(); ++i)
          same = w[i] == (info.suffix[i] >= 'a' && info.suffix[i] <= 'z' ? info.suffix[i] - 32 : info.suffix[i]);
        if (same) info.place_key = w;
      });
    }
  });
}

void add_designators(WordMap& m) {
  for (const auto& row : kDesignators) {
    each_word(row.spellings, ' ', [&](std::string_view w) {
      WordInfo& info = m[w];
      info.flags |= row.needs_number ? kDesignator : kUnitless;
      info.designator = row.abbr;
      if (std::string_view(row.abbr) == "FL") info.flags |= kFloor;
    });
  }
}

void add_directionals(WordMap& m) {
  for (const auto& row : kDirectionals) {
    WordInfo& abbr = m[row.abbr];
    abbr.flags |= kDirectional;
    abbr.directional = row.abbr;
    abbr.place_key = row.spelled;
    WordInfo& spelled = m[row.spelled];
    spelled.flags |= kDirectional | kDirSpelled;
    spelled.directional = row.abbr;
    spelled.place_key = row.spelled;
  }
}

void add_states(WordMap& m) {
  for (const auto& row : kStates) {
    WordInfo& code = m[row.code];
    code.flags |= kStateCode;
    code.state = row.code;
    each_word(row.names, '|', [&](std::string_view name) {
      auto space = name.rfind(' ');
      if (space != std::string_view::npos) {  // multi-word: state_of_words; mark its last word
        m[name.substr(space + 1)].flags |= kStateLastWord;
        return;
      }
      WordInfo& info = m[name];
      info.flags |= kStateName;
      info.state = row.code;
    });
  }
}

void add_misc(WordMap& m) {
  auto flag = [&](std::string_view list, std::uint32_t f) {
    each_word(list, ' ', [&](std::string_view w) { m[w].flags |= f; });
  };
  // A number after these is part of the road's name ("Highway 71", "I 17", "US 60"), not a unit.
  flag("HIGHWAY HWY HIWAY ROUTE RTE RT INTERSTATE I US SR CR FM FREEWAY FWY EXPRESSWAY EXPY", kRoadWord);
  flag("ROAD RD", kRoadQualified);
  flag("COUNTY CO STATE FOREST RANCH TOWNSHIP TWP MARKET FARM INDIAN NATIONAL", kRoadQualifier);
  flag("BUSINESS BUS BYPASS BYP ALTERNATE ALT SPUR TRUCK CONNECTOR", kRouteTag);
  flag("US SR CR FM", kUpperName);
  flag("ONE TWO THREE FOUR FIVE SIX SEVEN EIGHT NINE TEN ELEVEN TWELVE THIRTEEN FOURTEEN FIFTEEN "
       "SIXTEEN SEVENTEEN EIGHTEEN NINETEEN TWENTY THIRTY FORTY FIFTY SIXTY SEVENTY EIGHTY NINETY",
       kSpelledNumber);
  flag("USA", kCountry);
  // Floors written out: "Second Floor" is floor 2; "Ground Floor" stays GROUND.
  const char* ordinals[] = {"FIRST", "SECOND", "THIRD", "FOURTH", "FIFTH", "SIXTH", "SEVENTH", "EIGHTH", "NINTH", "TENTH", "GROUND"};
  const char* digits[] = {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "GROUND"};
  for (int i = 0; i < 11; ++i) {
    WordInfo& w = m[ordinals[i]];
    w.flags |= kSpelledOrdinal;
    w.number = digits[i];
  }
  // Saint, Sainte, Fort and Mount have one spelling in place keys ("SAINT LOUIS" = "ST LOUIS").
  m["SAINT"].place_key = "ST";
  m["SAINTE"].place_key = "STE";
}

const WordMap& words() {
  static const WordMap m = [] {
    WordMap t(1024);
    add_suffixes(t);
    add_designators(t);
    add_directionals(t);
    add_states(t);
    add_misc(t);
    return t;
  }();
  return m;
}

const WordTable<std::string_view>& multi_word_states() {
  static const auto m = [] {
    WordTable<std::string_view> t(256);
    for (const auto& row : kStates) {
      t[row.code] = row.code;
      each_word(row.names, '|', [&](std::string_view name) { t[name] = row.code; });
    }
    return t;
  }();
  return m;
}

}  // namespace

const WordInfo* lookup_word(std::string_view upper) { return words().find(upper); }

std::optional<std::string_view> state_of_words(std::string_view upper_joined) {
  const std::string_view* code = multi_word_states().find(upper_joined);
  if (!code) return std::nullopt;
  return *code;
}

std::string_view state_of_zip(std::string_view zip5) {
  if (zip5.size() < 3) return {};
  int p = 0;
  for (int i = 0; i < 3; ++i) {
    if (zip5[i] < '0' || zip5[i] > '9') return {};
    p = p * 10 + (zip5[i] - '0');
  }
  for (const auto& r : kZipRanges)
    if (p >= r.lo && p <= r.hi) return r.state;
  return {};
}

}  // namespace flowrun::normalizer::addr
