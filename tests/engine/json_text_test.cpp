// Numbers as people write them (DESIGN.md 3): shortest round-trip decimal, no exponent for
// ordinary magnitudes, in every JSON flowrun writes.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

#include "engine/json_text.hpp"

namespace json = boost::json;
using flowrun::format_number;
using flowrun::to_json_text;

TEST_CASE("numbers: shortest round-trip decimal without an exponent for ordinary magnitudes") {
  CHECK(format_number(1.5) == "1.5");
  CHECK(format_number(344.16) == "344.16");
  CHECK(format_number(1.0) == "1");
  CHECK(format_number(0.9090909090909091) == "0.9090909090909091");
  CHECK(format_number(33.208519) == "33.208519");
  CHECK(format_number(-112.345678) == "-112.345678");
  CHECK(format_number(2282000.0) == "2282000");
  CHECK(format_number(500000.0) == "500000");
  CHECK(format_number(0.1 + 0.2) == "0.30000000000000004");
  CHECK(format_number(1e-6) == "0.000001");
  CHECK(format_number(999999999999999.0) == "999999999999999");
  CHECK(format_number(0.0) == "0");
  // Outside 1e-6 .. 1e15 an exponent is shorter and clearer.
  CHECK(format_number(1e15) == "1e+15");
  CHECK(format_number(1.5e-7) == "1.5e-07");
  CHECK(format_number(std::nan("")) == "");
}

TEST_CASE("numbers round-trip through the JSON text") {
  // strtod, not json::parse: Boost.JSON 1.81's parser is not correctly rounded.
  for (double d : {1.5, 344.16, 0.9090909090909091, 1e-6, 123456.789, 1e300, 5e-324, -0.1}) {
    const std::string text = to_json_text(json::value(d));
    CHECK(std::strtod(text.c_str(), nullptr) == d);
  }
}

TEST_CASE("JSON text: objects, arrays, escapes and non-finite numbers") {
  json::object o{{"baths", 1.5},       {"price_per_sqft", 344.16}, {"quality_score", 1.0},
                 {"n", 3},             {"big", std::uint64_t(18446744073709551615ull)},
                 {"s", "a\"b\\c\n\t\x01/é"}, {"list", json::array{1, 2.5, nullptr, true}},
                 {"inf", std::numeric_limits<double>::infinity()}};
  CHECK(to_json_text(o) ==
        R"({"baths":1.5,"price_per_sqft":344.16,"quality_score":1,"n":3,"big":18446744073709551615,)"
        R"("s":"a\"b\\c\n\t\u0001/é","list":[1,2.5,null,true],"inf":null})");
  // Whatever we write, a JSON parser reads back (infinity becomes null).
  auto back = json::parse(to_json_text(o)).as_object();
  CHECK(back.at("s").as_string() == "a\"b\\c\n\t\x01/é");
  CHECK(back.at("inf").is_null());
}

// Everything flowrun writes goes through json_text: Boost's serializer writes `1.5E0`.
TEST_CASE("no output path uses json::serialize") {
  namespace fs = std::filesystem;
  const std::regex call(R"(json::serialize\s*\()");
  std::vector<std::string> offenders;
  for (const char* dir : {"engine", "nodes", "tools/flowrun"}) {
    for (const auto& e : fs::recursive_directory_iterator(fs::path(FLOWRUN_SOURCE_DIR) / dir)) {
      if (!e.is_regular_file()) continue;
      const auto ext = e.path().extension();
      if (ext != ".cpp" && ext != ".hpp") continue;
      std::ifstream in(e.path());
      std::string line;
      for (int n = 1; std::getline(in, line); ++n) {
        if (!std::regex_search(line, call)) continue;
        // The content hash keeps Boost's form on purpose (stored hashes stay valid).
        if (e.path().filename() == "record_rows.cpp") continue;
        offenders.push_back(e.path().string() + ":" + std::to_string(n));
      }
    }
  }
  INFO("json::serialize in: " << [&] { std::string s; for (auto& o : offenders) s += o + " "; return s; }());
  CHECK(offenders.empty());
}
