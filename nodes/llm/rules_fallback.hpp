// The deterministic fallback used when the LLM is unavailable (breaker open, budget spent, server
// down) and `on_unavailable: rules`: regular expressions fill what they can, nothing is invented
// (an unknown value stays absent), and the result is marked method "rules".
#pragma once
#include <boost/json.hpp>

#include <string>

namespace flowrun::llm {

// Task "enrich": a factual description built from the record's own fields and key features
// found in its text (pool, garage, solar ...). No investment numbers: those need a model.
boost::json::object rules_enrich(const boost::json::object& data);

// Task "extract": address, price, beds, baths, sqft read from listing text.
boost::json::object rules_extract(const std::string& text);

// Listing-style number parsing shared with the extractor: "$1.5M" -> 1500000, "$850k" ->
// 850000, "$389,900" -> 389900; negative when there is no dollar amount.
double parse_price_text(const std::string& text);

}  // namespace flowrun::llm
