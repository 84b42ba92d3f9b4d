#include "nodes/http/retry.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cmath>

namespace flowrun::http {

bool RetryPolicy::retry_status(long status) const {
  if (!retry_statuses.empty()) return retry_statuses.count(status) > 0;
  // 501 Not Implemented will not change by asking again; other 5xx are usually transient.
  if (status == 408 || status == 429) return true;
  return status >= 500 && status <= 599 && status != 501;
}

std::optional<std::chrono::milliseconds> parse_retry_after(const std::string& raw,
                                                           std::chrono::system_clock::time_point now) {
  auto b = raw.find_first_not_of(" \t");
  if (b == std::string::npos) return std::nullopt;
  auto e = raw.find_last_not_of(" \t\r\n");
  std::string v = raw.substr(b, e - b + 1);
  if (std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c); })) {
    if (v.size() > 9) return std::chrono::milliseconds(999'999'999LL * 1000);  // absurd; caller caps
    return std::chrono::milliseconds(std::stoll(v) * 1000);
  }
  // curl_getdate() understands the three date formats RFC 9110 allows.
  time_t when = curl_getdate(v.c_str(), nullptr);
  if (when == -1) return std::nullopt;
  auto target = std::chrono::system_clock::from_time_t(when);
  auto diff = std::chrono::duration_cast<std::chrono::milliseconds>(target - now);
  return std::max(diff, std::chrono::milliseconds(0));
}

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int retry, std::mt19937_64& rng) {
  double ceiling = static_cast<double>(policy.base_delay.count()) * std::pow(2.0, std::min(retry, 30));
  ceiling = std::min(ceiling, static_cast<double>(policy.max_delay.count()));
  if (ceiling <= 0) return std::chrono::milliseconds(0);
  std::uniform_real_distribution<double> dist(0.0, ceiling);
  return std::chrono::milliseconds(static_cast<std::int64_t>(dist(rng)));
}

}  // namespace flowrun::http
