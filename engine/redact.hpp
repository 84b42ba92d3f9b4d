// Secrets (values read from ${env.X}, options typed `secret`) never appear in what flowrun
// prints or writes: diagnostics, logs, DOT, dead letters, probe results.
#pragma once
#include <algorithm>
#include <string>
#include <vector>

namespace flowrun {

// Replaces each secret of 4 or more characters with "***" (shorter ones would mangle ordinary
// text); longer secrets first, so one that contains another is not half-masked.
inline std::string redact_secrets(std::string text, std::vector<std::string> secrets) {
  std::sort(secrets.begin(), secrets.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  for (const auto& secret : secrets) {
    if (secret.size() < 4) continue;
    for (auto pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos))
      text.replace(pos, secret.size(), "***");
  }
  return text;
}

}  // namespace flowrun
