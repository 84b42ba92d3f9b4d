// Shared by every test that runs a pipeline: the accounting rule, asserted for every node of a
// run summary (in-process RunSummary or the `flowrun run --json` object). Every record a node
// accepted ended as exactly one of out, errors, filtered or unwritten (what a node still held
// when it closed is counted unwritten), and what it took in is what its producers sent it (docs/reliability.md, "Counters").
#pragma once
#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <string>

#if __has_include("engine/metrics.hpp")
#include "engine/metrics.hpp"
#endif

namespace flowrun::testing {

inline std::int64_t count_of(const boost::json::object& n, const char* k) {
  const auto* v = n.if_contains(k);
  return v && v->is_number() ? v->to_number<std::int64_t>() : 0;
}

// `summary`: the object `flowrun run --json` prints (RunSummary::to_json()).
inline void check_balanced(const boost::json::value& summary) {
  const auto* nodes = summary.is_object() ? summary.get_object().if_contains("nodes") : nullptr;
  REQUIRE((nodes && nodes->is_array()));
  for (const auto& v : nodes->get_array()) {
    const auto& n = v.get_object();
    const std::string role = n.contains("role") ? std::string(n.at("role").as_string()) : "";
    INFO("node " << n.at("id").as_string().c_str() << ": in " << count_of(n, "in") << ", out " << count_of(n, "out")
                 << ", errors " << count_of(n, "errors") << ", filtered " << count_of(n, "filtered")
                 << ", unwritten " << count_of(n, "unwritten") << ", received " << count_of(n, "received"));
    if (role == "source") continue;  // a source accepts nothing: its out is what it emitted
    CHECK(count_of(n, "in") == count_of(n, "out") + count_of(n, "errors") + count_of(n, "filtered") +
                                   count_of(n, "unwritten"));
    CHECK(count_of(n, "in") == count_of(n, "received"));
  }
}

// The JSON summary printed on a child's stdout (`flowrun run --json`): parsed and checked.
inline void check_balanced(const std::string& json_text) {
  boost::json::error_code ec;
  auto v = boost::json::parse(json_text, ec);
  INFO("summary: " << json_text.substr(0, 400));
  REQUIRE(!ec);
  check_balanced(v);
}

#if __has_include("engine/metrics.hpp")
inline void check_balanced(const RunSummary& s) {
  for (const auto& n : s.nodes) {
    INFO("node " << n.id << ": in " << n.in << ", out " << n.out << ", errors " << n.errors << ", filtered "
                 << n.filtered << ", unwritten " << n.unwritten << ", received " << n.received);
    if (n.role == "source") continue;
    CHECK(n.in == n.out + n.errors + n.filtered + n.unwritten);
    CHECK(n.in == n.received);
  }
}
#endif

}  // namespace flowrun::testing
