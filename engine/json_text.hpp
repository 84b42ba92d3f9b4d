// JSON text as people write it. Boost.JSON's serializer writes every double in exponent form
// (`1.5E0`, `3.4416E2`); flowrun's outputs (JSONL, CSV, store bodies, summaries, reports) are read
// by people and spreadsheets, so numbers are the shortest decimal that round-trips, without an
// exponent for magnitudes from 1e-6 up to 1e15 (`1.5`, `344.16`, `1`). Everything flowrun writes
// as JSON goes through here; a test greps the tree for `json::serialize` elsewhere.
#pragma once
#include <boost/json.hpp>

#include <string>
#include <string_view>

namespace flowrun {

// Appends `v` as compact JSON text to `out` (no whitespace, keys in object order).
void append_json(std::string& out, const boost::json::value& v);
void append_json(std::string& out, const boost::json::object& o);
// Appends a JSON string literal (quoted and escaped).
void append_json_string(std::string& out, std::string_view s);
// Appends a number: shortest round-trip decimal, fixed notation for 1e-6 <= |d| < 1e15,
// `null` for NaN and infinities (JSON has no spelling for them).
void append_number(std::string& out, double d);

std::string to_json_text(const boost::json::value& v);
std::string to_json_text(const boost::json::object& o);
// The number alone, as append_number writes it ("" for NaN/infinity: a CSV cell left empty).
std::string format_number(double d);

}  // namespace flowrun
