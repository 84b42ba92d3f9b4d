#include "nodes/http/client_table.hpp"

#include <stdexcept>

#include "engine/context.hpp"
#include "engine/resources.hpp"

namespace flowrun::http {

namespace {

// "503" -> 503; -1 when the text is not an HTTP status.
long status_of(const std::string& s) {
  try {
    std::size_t used = 0;
    const long v = std::stol(s, &used);
    return used == s.size() && v >= 100 && v <= 599 ? v : -1;
  } catch (const std::exception&) {
    return -1;
  }
}

}  // namespace

const OptionTable<ClientSettings>& client_table() {
  static const OptionTable<ClientSettings> table = [] {
    using S = ClientSettings;
    OptionTable<S> t;
    t.add("user_agent", &S::user_agent, std::string("User-Agent header; default \"") + kDefaultUserAgent + "\"");
    t.add("timeout", &S::timeout, "total time allowed for one attempt");
    t.add("connect_timeout", &S::connect_timeout, "time allowed to connect");
    t.add("retries", &S::retries, "retries after the first attempt (transport errors and retry_statuses)").range(0, 100);
    t.add("retry_base_delay", &S::retry_base_delay, "first backoff step; doubles per retry, full jitter");
    t.add("retry_max_delay", &S::retry_max_delay, "cap on one backoff wait");
    t.add("max_retry_after", &S::max_retry_after,
          "longest Retry-After honoured; a longer one returns the response instead of waiting");
    t.add("retry_statuses", &S::retry_statuses, "HTTP statuses that are retried; default 408, 429 and 5xx except 501");
    t.add("rate_limit", &S::rate_limit, "name of a resources.rate_limits entry, acquired before every attempt")
        .rate_limit();
    t.add("proxies", &S::proxies, "proxy URLs used round robin, e.g. http://${env.PROXY_USER}:${env.PROXY_PASS}@host:3128");
    t.add("proxy_max_failures", &S::proxy_max_failures, "consecutive failures before a proxy cools down").at_least(1);
    t.add("proxy_cooldown", &S::proxy_cooldown, "how long a failing proxy is skipped");
    t.validate([](const S& s, Check& check) {
      for (const auto& st : s.retry_statuses)
        if (status_of(st) < 0) check.error("retry_statuses", "'" + st + "' is not an HTTP status (100-599)");
    });
    return t;
  }();
  return table;
}

void apply_run_settings(ClientOptions& o, const std::string& node_id, RunContext& ctx) {
  std::string map = ctx.setting("http.map");
  if (map.empty())
    if (const char* env = std::getenv("FLOWRUN_HTTP_MAP")) map = env;
  for (std::size_t i = 0; i < map.size();) {
    auto j = map.find(',', i);
    if (j == std::string::npos) j = map.size();
    auto item = map.substr(i, j - i);
    auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      throw std::invalid_argument("http.map / FLOWRUN_HTTP_MAP entry '" + item + "' is not FROM=TO");
    o.url_map.emplace_back(item.substr(0, eq), item.substr(eq + 1));
    i = j + 1;
  }
  o.record_dir = ctx.setting("http.record");
  o.replay_dir = ctx.setting("http.replay");
  o.cancelled = [&ctx] { return ctx.stopping(); };
  o.count = [&ctx](const std::string& name, double d) { ctx.add_counter(name, d); };
  o.counter_prefix = node_id;
}

ClientOptions client_options(const ClientSettings& s, const std::string& node_id, RunContext& ctx) {
  ClientOptions o;
  o.user_agent = s.user_agent;
  o.timeout = s.timeout;
  o.connect_timeout = s.connect_timeout;
  o.retry.max_attempts = s.retries + 1;
  o.retry.base_delay = s.retry_base_delay;
  o.retry.max_delay = s.retry_max_delay;
  o.retry.max_retry_after = s.max_retry_after;
  for (const auto& st : s.retry_statuses) o.retry.retry_statuses.insert(status_of(st));  // checked at load
  if (!s.rate_limit.empty()) {
    o.rate_limit = ctx.resources().rate_limit(s.rate_limit);
    if (!o.rate_limit)  // checked at load; a node made by hand may still name one the run lacks
      throw std::invalid_argument("node '" + node_id + "': rate_limit '" + s.rate_limit +
                                  "' is not declared under resources.rate_limits");
  }
  o.proxies = s.proxies;
  o.proxy_max_failures = s.proxy_max_failures;
  o.proxy_cooldown = s.proxy_cooldown;
  apply_run_settings(o, node_id, ctx);
  return o;
}

}  // namespace flowrun::http
