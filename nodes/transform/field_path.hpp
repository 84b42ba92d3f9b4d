// Dotted field paths (`address.zip`) into a record, for map's set:, rename: and delete:.
#pragma once
#include <boost/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace flowrun::transform {

namespace json = boost::json;

struct FieldPath {
  std::string text;                   // as written
  std::vector<std::string> segments;  // split at dots
};

// "" when `text` is a usable path, else why not (an empty segment).
std::string path_problem(const std::string& text);
FieldPath parse_path(const std::string& text);

// Sets the field, making the objects on the way (a null one becomes an object). Throws
// RecordError when something on the way is a value of another kind.
void set_path(json::object& record, const FieldPath& p, json::value v);
// Removes the field and returns its value; nullopt when it is not there.
std::optional<json::value> take_path(json::object& record, const FieldPath& p);

}  // namespace flowrun::transform
