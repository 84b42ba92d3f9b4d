// The value at a dotted path in a record (`address.street` -> data["address"]["street"]): the one
// lookup every node uses when an option names a field (csv columns, the chunker's fields, the
// validator's rules, the LLM prompts). Part of flowrun_json, so that code which does not link the
// engine (the LLM core) uses it too.
#pragma once
#include <boost/json.hpp>

#include <string_view>

namespace flowrun {

// Each dot separates two keys; every step but the last must be an object. nullptr when a step is
// missing or is not an object. No escapes: a key with a dot in it is reached only by a caller that
// looks it up whole first (the csv sink does).
const boost::json::value* value_at(const boost::json::object& data, std::string_view path);

}  // namespace flowrun
