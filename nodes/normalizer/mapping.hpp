// A source mapping: which raw field feeds which canonical field, through which parser. Mappings
// are data (pipelines/mappings/*.yaml, format in docs/normalizing.md) so that a new county or
// listing site needs a YAML file, not C++.
#pragma once
#include <boost/json.hpp>

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "nodes/normalizer/numbers.hpp"

namespace flowrun::normalizer {

namespace json = boost::json;

// A bad mapping file; what() starts with "file:line:column: ".
struct MappingError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Where a value lives in the raw record: "SitusZip", "details.valuations[newest TaxYear].FullCashValue",
// "details.residential-details.LotSize", "photos[0]". A key that exists literally at the top
// level wins over the dotted reading ("URL (SEE https://www.redfin.com/...)" has dots).
struct RawPath {
  struct Step {
    enum Kind { by_key, by_index, by_newest } kind = by_key;
    std::string name;       // key, or the field compared by `newest`
    std::size_t index = 0;
  };
  std::string text;
  std::vector<Step> steps;
  bool dotted = false;  // has more than one step: try the literal key first
};
RawPath parse_raw_path(const std::string& text);  // throws std::invalid_argument
const json::value* lookup(const json::object& raw, const RawPath& path);

enum class Parser {
  string,   // trimmed, runs of spaces collapsed
  code,     // trimmed only; leading zeros kept ("0377"); numbers become their digits
  upper,
  lower,
  title,
  money,
  number,
  integer,
  beds,
  baths,
  area,     // square feet; `unit:` says what a bare number means (sqft | acres | sqm)
  year,
  boolean,
  apn,      // digits and letters only, upper-case ("103-06-005" -> "10306005")
  type,     // property-type vocabulary (`property_types:` in the mapping)
  listing_type,  // sale | rent ("For Rent", "FOR_SALE", "lease" ...); anything else null
  zip,      // 5 digits (+4 goes to address.zip4)
  state,
  city,
  unit,
};
std::optional<Parser> parser_from_name(const std::string& name);
const char* parser_name(Parser p);

struct FieldSpec {
  std::string name;               // canonical field ("price", "address.city", "attributes.url")
  std::vector<RawPath> from;      // candidates: the first one that yields a value wins
  Parser parser = Parser::string;
  AreaUnit unit = AreaUnit::sqft;
  std::optional<json::value> constant;  // `value:` -- a fact about the source (state: AZ)
  std::string constant_from;            // "=<constant>": its provenance, made once at load
};

struct Mapping {
  std::string kind, description, file;
  std::vector<std::string> detect_has;   // raw keys that identify this kind in a mixed stream
  std::vector<std::string> id_rules;     // apn | mls | address, first that applies wins
  std::optional<FieldSpec> source_id;
  std::optional<FieldSpec> line, unit, city, state, zip;  // the address
  std::vector<FieldSpec> fields;      // canonical top-level fields
  std::vector<FieldSpec> attributes;  // extra fields kept under `attributes`
  std::map<std::string, std::string> property_types;  // upper-case squished raw -> canonical
  std::string property_type_default;  // for raw values missing from the map ("" = null)

  bool detects(const json::object& raw) const;
};

// The canonical top-level fields a mapping may fill, with their default parsers.
const std::vector<std::pair<std::string, Parser>>& canonical_fields();
// The canonical fields kept as ranges: each has `<name>_min` and `<name>_max` beside it.
const std::vector<std::string>& ranged_fields();
// The property_type vocabulary.
const std::vector<std::string>& property_type_values();

Mapping load_mapping_file(const std::string& path);
Mapping parse_mapping(const std::string& yaml_text, const std::string& file_name);

// Applies one field spec: the parsed value and the raw path used. An exact value sets `value` and
// both bounds; a range ("0-2", "$3,834 - $4,002") only the bounds, never one end as the value.
struct Extracted {
  json::value value;     // null for a range or when nothing usable was found
  json::value min, max;  // the range's ends (read them through lo() and hi())
  bool monthly = false;  // money written as a monthly amount ("$1,850/mo"): a rent
  bool exact = false;    // an exact value: both ends are `value` (not copied into min and max)
  std::string_view from;  // raw path text, or "=<constant>" (points into the FieldSpec: no copy per record)
  bool found() const { return !value.is_null() || !min.is_null(); }
  const json::value& lo() const { return exact ? value : min; }
  const json::value& hi() const { return exact ? value : max; }
};
Extracted extract(const json::object& raw, const FieldSpec& spec, const Mapping& m);

}  // namespace flowrun::normalizer
