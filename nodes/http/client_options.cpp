// The option group every HTTP node shares, and its translation into ClientOptions.
#include "nodes/http/client_options.hpp"

#include <cstdlib>
#include <memory>
#include <stdexcept>

#include "engine/context.hpp"
#include "engine/resources.hpp"

namespace flowrun::http {

namespace {

OptionTable<HttpOptions> make_group() {
  using O = HttpOptions;
  OptionTable<HttpOptions> t;
  t.add("user_agent", &O::user_agent, std::string("User-Agent header; default \"") + kDefaultUserAgent + "\"");
  t.add("headers", &O::headers, "extra request headers sent with every request (a request's own win)");
  t.add("timeout", &O::timeout, "total time allowed for one attempt").at_least(0.001);
  t.add("connect_timeout", &O::connect_timeout, "time allowed to connect").at_least(0.001);
  t.add("retries", &O::retries, "retries after the first attempt (transport errors and retry_statuses)").range(0, 100);
  t.add("retry_base_delay", &O::retry_base_delay, "first backoff step; doubles per retry, full jitter");
  t.add("retry_max_delay", &O::retry_max_delay, "cap on one backoff wait");
  t.add("max_retry_after", &O::max_retry_after,
        "longest Retry-After honoured; a longer one returns the response instead of waiting");
  t.add("retry_statuses", &O::retry_statuses, "HTTP statuses that are retried; default 408, 429 and 5xx except 501");
  t.add("rate_limit", &O::rate_limit, "name of a resources.rate_limits entry, acquired before every attempt")
      .rate_limit();
  t.add("proxies", &O::proxies,
        "proxy URLs used round robin, e.g. http://${env.PROXY_USER}:${env.PROXY_PASS}@host:3128");
  t.add("proxy_max_failures", &O::proxy_max_failures, "consecutive failures before a proxy cools down").at_least(1);
  t.add("proxy_cooldown", &O::proxy_cooldown, "how long a failing proxy is skipped");
  t.validate([](const HttpOptions& o, Check& check) {
    for (const auto& s : o.retry_statuses) {
      char* end = nullptr;
      long v = std::strtol(s.c_str(), &end, 10);
      if (s.empty() || *end != '\0' || v < 100 || v > 599)
        check.error("retry_statuses", "'" + s + "' is not an HTTP status (100-599)");
    }
  });
  return t;
}

std::vector<std::pair<std::string, std::string>> url_map(std::string map) {
  if (map.empty())
    if (const char* env = std::getenv("FLOWRUN_HTTP_MAP")) map = env;
  std::vector<std::pair<std::string, std::string>> out;
  for (std::size_t i = 0; i < map.size();) {
    auto j = map.find(',', i);
    if (j == std::string::npos) j = map.size();
    auto item = map.substr(i, j - i);
    auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      throw std::invalid_argument("http.map / FLOWRUN_HTTP_MAP entry '" + item + "' is not FROM=TO");
    out.emplace_back(item.substr(0, eq), item.substr(eq + 1));
    i = j + 1;
  }
  return out;
}

// Everything that does not depend on the run.
ClientOptions static_options(const HttpOptions& o, const std::string& http_map) {
  ClientOptions c;
  c.user_agent = o.user_agent;
  for (const auto& [k, v] : o.headers) c.headers.emplace_back(k, v);
  c.timeout = o.timeout;
  c.connect_timeout = o.connect_timeout;
  c.retry.max_attempts = o.retries + 1;
  c.retry.base_delay = o.retry_base_delay;
  c.retry.max_delay = o.retry_max_delay;
  c.retry.max_retry_after = o.max_retry_after;
  for (const auto& s : o.retry_statuses) c.retry.retry_statuses.insert(std::stol(s));  // checked by the group
  c.proxies = o.proxies;
  c.proxy_max_failures = o.proxy_max_failures;
  c.proxy_cooldown = o.proxy_cooldown;
  c.url_map = url_map(http_map);
  return c;
}

}  // namespace

const OptionTable<HttpOptions>& client_option_group() {
  static const OptionTable<HttpOptions> group = make_group();
  return group;
}

ClientOptions client_options(const HttpOptions& o, const NodeInfo& node, RunContext& ctx) {
  ClientOptions c = static_options(o, ctx.setting("http.map"));
  if (!o.rate_limit.empty()) {
    c.rate_limit = ctx.resources().rate_limit(o.rate_limit);
    if (!c.rate_limit)
      throw std::invalid_argument("node '" + node.id + "': rate_limit '" + o.rate_limit +
                                  "' is not declared under resources.rate_limits");
  }
  c.record_dir = ctx.setting("http.record");
  c.replay_dir = ctx.setting("http.replay");
  c.cancelled = [&ctx] { return ctx.stopping(); };
  c.count = [&ctx](const std::string& name, double d) { ctx.add_counter(name, d); };
  c.counter_prefix = node.id;
  return c;
}

ClientOptions probe_client_options(const HttpOptions& o, const NodeInfo&, const Settings& settings) {
  auto map = settings.find("http.map");
  ClientOptions c = static_options(o, map == settings.end() ? std::string() : map->second);
  c.retry.max_attempts = 1;
  c.connect_timeout = std::min(c.connect_timeout, std::chrono::milliseconds(5000));
  c.timeout = std::min(c.timeout, std::chrono::milliseconds(10000));
  return c;
}

}  // namespace flowrun::http
