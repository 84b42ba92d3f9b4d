#include "nodes/http/redact.hpp"

#include <algorithm>
#include <cctype>

namespace flowrun::http {

static std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string redact_text(std::string text, const std::vector<std::string>& secrets) {
  std::vector<std::string> sorted;
  for (const auto& s : secrets)
    if (!s.empty()) sorted.push_back(s);
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  for (const auto& s : sorted) {
    for (auto pos = text.find(s); pos != std::string::npos; pos = text.find(s, pos + 3))
      text.replace(pos, s.size(), "***");
  }
  // scheme://user:password@host -> scheme://user:***@host
  for (auto pos = text.find("://"); pos != std::string::npos; pos = text.find("://", pos + 3)) {
    auto start = pos + 3;
    auto end = text.find_first_of("/ \t\r\n\"'?#", start);
    if (end == std::string::npos) end = text.size();
    auto at = text.rfind('@', end);
    if (at == std::string::npos || at < start) continue;
    auto colon = text.find(':', start);
    if (colon == std::string::npos || colon > at) continue;
    if (text.compare(colon + 1, at - colon - 1, "***") == 0) continue;
    text.replace(colon + 1, at - colon - 1, "***");
  }
  return text;
}

std::string url_password(const std::string& url) {
  auto pos = url.find("://");
  if (pos == std::string::npos) return "";
  auto start = pos + 3;
  auto end = url.find_first_of("/?#", start);
  if (end == std::string::npos) end = url.size();
  auto at = url.rfind('@', end);
  if (at == std::string::npos || at < start) return "";
  auto colon = url.find(':', start);
  if (colon == std::string::npos || colon > at) return "";
  return url.substr(colon + 1, at - colon - 1);
}

bool is_credential_header(const std::string& name) {
  static const char* names[] = {"authorization", "proxy-authorization", "cookie", "set-cookie",
                                "x-api-key", "api-key", "x-auth-token"};
  auto l = lower(name);
  return std::any_of(std::begin(names), std::end(names), [&](const char* n) { return l == n; });
}

}  // namespace flowrun::http
