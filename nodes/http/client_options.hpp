// The HTTP client's options as one typed group that every HTTP node includes in its own table
// (`t.include(&MyOptions::http, http::client_option_group())`): user agent, extra headers,
// timeouts, retries, the shared rate limit and proxies. Cassettes and URL rewrites are not options:
// they come from the run (`--record`, `--replay`, `http.map` / FLOWRUN_HTTP_MAP).
#pragma once
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "engine/option_table.hpp"
#include "engine/registry.hpp"
#include "nodes/http/http_client.hpp"

namespace flowrun::http {

// Defaults are these member initialisers; a node whose server wants others (a slow local LLM)
// sets them in its own struct: `HttpOptions http{.timeout = std::chrono::seconds(120)}`.
struct HttpOptions {
  std::string user_agent;
  std::map<std::string, std::string> headers;
  std::chrono::milliseconds timeout{60000};
  std::chrono::milliseconds connect_timeout{10000};
  int retries = 3;
  std::chrono::milliseconds retry_base_delay{500};
  std::chrono::milliseconds retry_max_delay{30000};
  std::chrono::milliseconds max_retry_after{120000};
  std::vector<std::string> retry_statuses;
  std::string rate_limit;
  std::vector<std::string> proxies;
  int proxy_max_failures = 3;
  std::chrono::milliseconds proxy_cooldown{60000};
};

// The group's table, with its check that retry_statuses are HTTP statuses.
const OptionTable<HttpOptions>& client_option_group();

// The client options for one node in a run: the rate limit resolved from the run's resources,
// cassettes from the settings "http.record" / "http.replay", URL rewrites from "http.map" (else
// FLOWRUN_HTTP_MAP, "FROM=TO[,FROM=TO...]"), cancellation and counters wired to the run.
ClientOptions client_options(const HttpOptions& o, const NodeInfo& node, RunContext& ctx);

// For `flowrun check --env`: the same client for one quick live attempt (no retries, no rate limit,
// no cassette, at most 5 s to connect and 10 s in all).
ClientOptions probe_client_options(const HttpOptions& o, const NodeInfo& node, const Settings& settings);

}  // namespace flowrun::http
