// robots.txt as RFC 9309 reads it: groups of User-agent lines, Allow/Disallow with `*` and `$`,
// the longest matching rule wins and Allow wins a tie; plus the widely used Crawl-delay.
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace flowrun::listings {

class RobotsRules {
 public:
  // Rules for `agent` (our product token, e.g. "flowrun"): the groups naming it, else the `*`
  // groups, else everything is allowed.
  static RobotsRules parse(std::string_view robots_txt, std::string_view agent);
  static RobotsRules allow_all();
  static RobotsRules disallow_all();  // robots.txt unreachable (5xx): RFC 9309 says assume this

  // `path_and_query` as in the URL ("/search?zip=85031"); a full URL is also accepted.
  bool allowed(std::string_view path_and_query) const;
  std::optional<std::chrono::milliseconds> crawl_delay() const { return crawl_delay_; }
  std::size_t rule_count() const { return rules_.size(); }

 private:
  struct Rule {
    bool allow;
    std::string pattern;
  };
  std::vector<Rule> rules_;
  std::optional<std::chrono::milliseconds> crawl_delay_;
};

// The product token of a User-Agent header: "flowrun/0.1 (+mailto:x)" -> "flowrun".
std::string robots_agent_token(std::string_view user_agent);
// Does `pattern` (robots syntax: `*` any run, `$` end) match the start of `path`?
bool robots_pattern_matches(std::string_view pattern, std::string_view path);

}  // namespace flowrun::listings
