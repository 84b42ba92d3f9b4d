#include "nodes/listings/robots.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

namespace flowrun::listings {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

struct Group {
  std::vector<std::string> agents;
  std::vector<std::pair<bool, std::string>> rules;
  std::optional<double> delay_s;
};

}  // namespace

std::string robots_agent_token(std::string_view ua) {
  ua = trim(ua);
  std::size_t end = 0;
  while (end < ua.size() && (std::isalnum(static_cast<unsigned char>(ua[end])) || ua[end] == '-' || ua[end] == '_')) ++end;
  std::string t = lower(ua.substr(0, end));
  return t.empty() ? "flowrun" : t;
}

bool robots_pattern_matches(std::string_view pattern, std::string_view path) {
  bool anchored = !pattern.empty() && pattern.back() == '$';
  if (anchored) pattern.remove_suffix(1);
  // Classic two-pointer wildcard match with backtracking to the last '*'; the pattern is a
  // prefix match unless anchored with '$'.
  std::size_t p = 0, s = 0, star = std::string_view::npos, mark = 0;
  while (s < path.size()) {
    if (p == pattern.size() && !anchored) return true;
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = s;
    } else if (p < pattern.size() && pattern[p] == path[s]) {
      ++p;
      ++s;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      s = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

RobotsRules RobotsRules::allow_all() { return RobotsRules{}; }

RobotsRules RobotsRules::disallow_all() {
  RobotsRules r;
  r.rules_.push_back({false, "/"});
  return r;
}

RobotsRules RobotsRules::parse(std::string_view text, std::string_view agent) {
  std::vector<Group> groups;
  bool in_agents = false;  // the previous line was a User-agent line
  std::size_t pos = 0;
  if (text.starts_with("\xEF\xBB\xBF")) pos = 3;
  while (pos <= text.size()) {
    std::size_t nl = text.find_first_of("\r\n", pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string key = lower(trim(line.substr(0, colon)));
    std::string_view value = trim(line.substr(colon + 1));
    if (key == "user-agent") {
      if (!in_agents) groups.emplace_back();
      groups.back().agents.push_back(lower(value));
      in_agents = true;
      continue;
    }
    in_agents = false;
    if (groups.empty()) continue;  // rules before any User-agent belong to nobody
    if (key == "allow" || key == "disallow") {
      if (value.empty()) continue;  // "Disallow:" with nothing means allow everything
      groups.back().rules.emplace_back(key == "allow", std::string(value));
    } else if (key == "crawl-delay") {
      try {
        double d = std::stod(std::string(value));
        if (d >= 0 && std::isfinite(d)) groups.back().delay_s = d;
      } catch (...) {
      }
    }
  }
  std::string me = lower(agent);
  auto pick = [&](auto pred) {
    RobotsRules r;
    bool any = false;
    for (const auto& g : groups) {
      if (!std::any_of(g.agents.begin(), g.agents.end(), pred)) continue;
      any = true;
      for (const auto& [allow, pat] : g.rules) r.rules_.push_back({allow, pat});
      if (g.delay_s && !r.crawl_delay_)
        r.crawl_delay_ = std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(*g.delay_s * 1000)));
    }
    return std::make_pair(any, r);
  };
  if (auto [found, r] = pick([&](const std::string& a) { return a == me; }); found) return r;
  return pick([](const std::string& a) { return a == "*"; }).second;
}

bool RobotsRules::allowed(std::string_view path) const {
  if (auto scheme = path.find("://"); scheme != std::string_view::npos) {
    auto slash = path.find('/', scheme + 3);
    path = slash == std::string_view::npos ? std::string_view("/") : path.substr(slash);
  }
  if (auto hash = path.find('#'); hash != std::string_view::npos) path = path.substr(0, hash);
  if (path.empty()) path = "/";
  if (path == "/robots.txt") return true;
  std::size_t best_len = 0;
  bool best_allow = true, matched = false;
  for (const auto& r : rules_) {
    if (!robots_pattern_matches(r.pattern, path)) continue;
    std::size_t len = r.pattern.size();
    if (!matched || len > best_len || (len == best_len && r.allow && !best_allow)) {
      best_len = len;
      best_allow = r.allow;
      matched = true;
    }
  }
  return !matched || best_allow;
}

}  // namespace flowrun::listings
