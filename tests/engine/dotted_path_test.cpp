// engine/dotted_path.hpp: the one dotted-field lookup the csv sink, the chunker, the validator's
// rules and the LLM prompts share. What each of their own copies did, kept.
#include <catch2/catch.hpp>

#include "engine/dotted_path.hpp"

using flowrun::value_at;
namespace json = boost::json;

namespace {

const json::object kRecord = json::parse(R"({
  "id": "apn:1",
  "price": 250000,
  "address": {"street": "1 W Main St", "zip": null, "geo": {"lat": 33.4}},
  "tags": ["a", "b"],
  "a.b": "flat",
  "": {"x": 1},
  "empty": {}
})").as_object();

}  // namespace

TEST_CASE("value_at: a top-level key, a nested one, a deeper one", "[fields][path]") {
  REQUIRE(value_at(kRecord, "id"));
  CHECK(*value_at(kRecord, "id") == "apn:1");
  CHECK(*value_at(kRecord, "address.street") == "1 W Main St");
  CHECK(value_at(kRecord, "address.geo.lat")->as_double() == 33.4);
  CHECK(value_at(kRecord, "address")->is_object());  // a whole object is a value too
}

TEST_CASE("value_at: a present null is returned, a missing step is nullptr", "[fields][path]") {
  const auto* zip = value_at(kRecord, "address.zip");
  REQUIRE(zip);
  CHECK(zip->is_null());
  CHECK(value_at(kRecord, "nope") == nullptr);
  CHECK(value_at(kRecord, "address.nope") == nullptr);
  CHECK(value_at(kRecord, "nope.street") == nullptr);
  CHECK(value_at(kRecord, "empty.x") == nullptr);
}

TEST_CASE("value_at: a step through a value that is not an object is nullptr", "[fields][path]") {
  CHECK(value_at(kRecord, "price.value") == nullptr);
  CHECK(value_at(kRecord, "address.street.x") == nullptr);
  CHECK(value_at(kRecord, "address.zip.x") == nullptr);  // null is not an object
  CHECK(value_at(kRecord, "tags.0") == nullptr);         // no array indexes
}

TEST_CASE("value_at: every dot separates keys; empty keys are keys", "[fields][path]") {
  // A key with a dot in it is not reached by a path (the csv sink looks the whole column up first).
  CHECK(value_at(kRecord, "a.b") == nullptr);
  CHECK(*value_at(kRecord, ".x") == 1);   // the key "" then "x"
  CHECK(value_at(kRecord, "")->is_object());
  CHECK(value_at(kRecord, "address.") == nullptr);  // "address" then "", which it lacks
  CHECK(value_at(json::object{}, "id") == nullptr);
}
