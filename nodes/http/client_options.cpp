// The option table every HTTP node shares, and its translation into ClientOptions.
#include <stdexcept>

#include "engine/context.hpp"
#include "engine/resources.hpp"
#include "nodes/http/client_table.hpp"
#include "nodes/http/http_client.hpp"

namespace flowrun::http {

std::vector<OptionSpec> client_option_specs() {
  using T = OptionType;
  return {
      {"user_agent", T::string, "", std::string("User-Agent header; default \"") + kDefaultUserAgent + "\""},
      {"timeout", T::duration, "60s", "total time allowed for one attempt"},
      {"connect_timeout", T::duration, "10s", "time allowed to connect"},
      {"retries", T::integer, "3", "retries after the first attempt (transport errors and retry_statuses)"},
      {"retry_base_delay", T::duration, "500ms", "first backoff step; doubles per retry, full jitter"},
      {"retry_max_delay", T::duration, "30s", "cap on one backoff wait"},
      {"max_retry_after", T::duration, "120s",
       "longest Retry-After honoured; a longer one returns the response instead of waiting"},
      {"retry_statuses", T::string_list, "",
       "HTTP statuses that are retried; default 408, 429 and 5xx except 501"},
      {"rate_limit", T::rate_limit, "", "name of a resources.rate_limits entry, acquired before every attempt"},
      {"proxies", T::string_list, "",
       "proxy URLs used round robin, e.g. http://${env.PROXY_USER}:${env.PROXY_PASS}@host:3128"},
      {"proxy_max_failures", T::integer, "3", "consecutive failures before a proxy cools down"},
      {"proxy_cooldown", T::duration, "60s", "how long a failing proxy is skipped"},
  };
}

ClientOptions client_options_from(const NodeConfig& cfg, RunContext& ctx) {
  ClientOptions o;
  o.user_agent = cfg.get_string("user_agent", "");
  o.timeout = cfg.get_duration("timeout", o.timeout);
  o.connect_timeout = cfg.get_duration("connect_timeout", o.connect_timeout);
  auto retries = cfg.get_int("retries", o.retry.max_attempts - 1);
  if (retries < 0) throw std::invalid_argument("node '" + cfg.id() + "': option 'retries' must be >= 0");
  o.retry.max_attempts = static_cast<int>(retries) + 1;
  o.retry.base_delay = cfg.get_duration("retry_base_delay", o.retry.base_delay);
  o.retry.max_delay = cfg.get_duration("retry_max_delay", o.retry.max_delay);
  o.retry.max_retry_after = cfg.get_duration("max_retry_after", o.retry.max_retry_after);
  for (const auto& s : cfg.get_list("retry_statuses")) {
    try {
      std::size_t used = 0;
      long v = std::stol(s, &used);
      if (used != s.size() || v < 100 || v > 599) throw std::invalid_argument(s);
      o.retry.retry_statuses.insert(v);
    } catch (const std::exception&) {
      throw std::invalid_argument("node '" + cfg.id() + "': option 'retry_statuses' has '" + s +
                                  "', which is not an HTTP status (100-599)");
    }
  }
  auto limit = cfg.get_string("rate_limit", "");
  if (!limit.empty()) {
    o.rate_limit = ctx.resources().rate_limit(limit);
    if (!o.rate_limit)
      throw std::invalid_argument("node '" + cfg.id() + "': rate_limit '" + limit +
                                  "' is not declared under resources.rate_limits");
  }
  o.proxies = cfg.get_list("proxies");
  o.proxy_max_failures = static_cast<int>(cfg.get_int("proxy_max_failures", o.proxy_max_failures));
  o.proxy_cooldown = cfg.get_duration("proxy_cooldown", o.proxy_cooldown);
  apply_run_settings(o, cfg.id(), ctx);  // client_table.cpp
  return o;
}

}  // namespace flowrun::http
