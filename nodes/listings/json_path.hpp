// Paths into JSON, for listing pages whose data is JSON (JSON-LD blocks, a Next.js
// __NEXT_DATA__ payload): `props.searchData.homes[*]`, `offers[0].price`, `address.streetAddress`,
// `["key.with.dots"]`. A dotted key path with [N] (an index) and [*] (every element of an array
// or every value of an object); a leading `$` or `$.` is allowed and ignored.
#pragma once
#include <boost/json.hpp>

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace flowrun::listings {

// A path that does not parse; `offset` is the 0-based character where it went wrong.
struct JsonPathError : std::invalid_argument {
  JsonPathError(const std::string& msg, std::size_t offset) : std::invalid_argument(msg), offset(offset) {}
  std::size_t offset;
};

class JsonPath {
 public:
  struct Step {
    enum Kind { key, at_index, every } kind = key;
    std::string name;
    std::size_t index = 0;
  };

  JsonPath() = default;  // the empty path: the value itself
  static JsonPath compile(std::string_view text);  // throws JsonPathError

  // Every value the path reaches, in document order; none when a step is missing (a key that is
  // absent, an index past the end, a key on an array). Never a neighbour's value.
  std::vector<const boost::json::value*> select(const boost::json::value& root) const;
  // The first value reached that is neither null nor "" (nullptr when none).
  const boost::json::value* first(const boost::json::value& root) const;

  const std::string& source() const { return source_; }
  bool empty() const { return steps_.empty(); }

 private:
  std::string source_;
  std::vector<Step> steps_;
};

// Parses JSON as pages ship it: comments and trailing commas allowed, raw control characters in
// strings (a newline in a description) escaped, and text around the value ignored
// (`window.__DATA__ = {...};`, `<!-- ... -->`): the value starts at the first `{` or `[`.
// Throws std::invalid_argument naming the character where the JSON went wrong.
boost::json::value parse_page_json(std::string_view text);

}  // namespace flowrun::listings
