// Builds the canonical property record (shared/facts/listings-and-normalizing.md) from one raw
// record and its mapping. Unknown stays null: nothing is defaulted or guessed.
#pragma once
#include <boost/json.hpp>

#include <string>
#include <vector>

#include "nodes/normalizer/mapping.hpp"

namespace flowrun::normalizer {

struct SourceInfo {
  std::string source;        // the source node id (Record.env.source)
  std::string source_id;     // Record.env.source_id, used when the mapping names none
  std::string collected_at;  // ISO 8601 UTC, used when the raw record carries none
};

// Throws flowrun::RecordError(field "address", rule "parseable", reason) for a record without a
// usable street address.
json::object to_canonical(const json::object& raw, const Mapping& m, const SourceInfo& src);

// "apn:10306005", "mls:armls:6543210", "addr:<16 hex>" -- see docs/normalizing.md.
std::string address_key(const json::object& address);

std::string utc_now_iso();

// Every field a canonical record can carry, as dotted paths ("address.street", "attributes.*" for
// the mapping's free-form attributes): what the normalizer declares to `flowrun check`.
std::vector<std::string> record_fields();

}  // namespace flowrun::normalizer
