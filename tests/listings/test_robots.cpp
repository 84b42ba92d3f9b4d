#include <catch2/catch.hpp>

#include "nodes/listings/robots.hpp"

using namespace flowrun::listings;

TEST_CASE("robots.txt groups: our token, else *", "[robots]") {
  const char* txt =
      "\xEF\xBB\xBF# comment\n"
      "User-agent: *\n"
      "Disallow: /private/\n"
      "Disallow: /search?*sort=\n"
      "Allow: /private/open-house$\n"
      "Crawl-delay: 2.5\n"
      "\n"
      "User-agent: BadBot\n"
      "User-agent: flowrun\n"
      "Disallow: /admin   # trailing comment\n"
      "Allow: /admin/public\n"
      "Crawl-delay: 1\n";
  SECTION("generic agent uses the * group") {
    auto r = RobotsRules::parse(txt, "somebot");
    CHECK(r.allowed("/search?zip=85031"));
    CHECK_FALSE(r.allowed("/private/listing/1"));
    CHECK(r.allowed("/private/open-house"));
    CHECK_FALSE(r.allowed("/private/open-house/2"));  // $ anchors
    CHECK_FALSE(r.allowed("/search?zip=1&sort=price"));  // * wildcard inside the query
    CHECK(r.allowed("/admin"));
    CHECK(r.crawl_delay() == std::chrono::milliseconds(2500));
  }
  SECTION("a group naming us (case-insensitively, among several agents) replaces *") {
    auto r = RobotsRules::parse(txt, "FlowRun");
    CHECK(r.allowed("/private/listing/1"));
    CHECK_FALSE(r.allowed("/admin/x"));
    CHECK(r.allowed("/admin/public/y"));  // longest match wins
    CHECK(r.crawl_delay() == std::chrono::milliseconds(1000));
    CHECK(r.allowed("http://h.test/robots.txt"));
    CHECK_FALSE(r.allowed("http://h.test/admin?x=1"));  // full URLs accepted
  }
}

TEST_CASE("robots edge cases", "[robots]") {
  CHECK(RobotsRules::parse("", "flowrun").allowed("/anything"));
  CHECK(RobotsRules::parse("User-agent: *\nDisallow:\n", "flowrun").allowed("/x"));  // empty Disallow = allow all
  auto all = RobotsRules::parse("User-agent: *\nDisallow: /\n", "flowrun");
  CHECK_FALSE(all.allowed("/"));
  CHECK(all.allowed("/robots.txt"));
  // Allow wins a tie of equal length.
  CHECK(RobotsRules::parse("User-agent: *\nDisallow: /page\nAllow: /page\n", "x").allowed("/page"));
  // Rules before any User-agent belong to no group.
  CHECK(RobotsRules::parse("Disallow: /\n", "flowrun").allowed("/x"));
  CHECK_FALSE(RobotsRules::disallow_all().allowed("/x"));
  CHECK(robots_agent_token("flowrun/0.1 (+https://x)") == "flowrun");
  CHECK(robots_agent_token("Mozilla/5.0 (compatible)") == "mozilla");
  CHECK(robots_pattern_matches("/*.pdf$", "/a/b.pdf"));
  CHECK_FALSE(robots_pattern_matches("/*.pdf$", "/a/b.pdf?x"));
  CHECK(robots_pattern_matches("/a*b*c", "/aXXbYYc/more"));
  CHECK_FALSE(robots_pattern_matches("/a*b*c", "/aXXcYYb"));
}
