// The one HTTP layer every network node uses: libcurl, gzip, timeouts, keep-alive reuse, retries
// with backoff and Retry-After, shared rate limits, proxy rotation, redaction of secrets,
// record/replay cassettes, and the feedback of every attempt to the calling node's adaptive
// concurrency limit (engine/adaptive_limit.hpp; nothing to do for the caller). Calls block: call them from process()/run() of nodes that run on I/O
// threads (sources, or descriptors with blocking_io = true).
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "engine/options.hpp"

namespace flowrun {
class RunContext;
class RateLimiter;
}  // namespace flowrun

namespace flowrun::http {

struct Request {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{0};  // 0 = the client's default
  // false: a 3xx comes back as it is, for a caller that follows redirects itself (a browser we
  // answer for, nodes/listings/rendered_fetcher.cpp).
  bool follow_redirects = true;
  // The record this request is made for (&rec.env.attempt), or null: each retry adds one, so
  // reports and `flowrun trace` see how hard a record was to get (Envelope::attempt).
  int* attempt = nullptr;
};

struct Response {
  long status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string effective_url;  // after redirects
  double elapsed_ms = 0;
  int attempts = 1;
  std::string header(const std::string& lower_name) const;  // "" when absent
};

// Transport failure (DNS, connect, timeout, reset) after all retries; message is redacted.
struct TransportError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// With a replay cassette, a request that was never recorded. The message names the method and
// the redacted URL. Derives from TransportError so nodes treat it like any failed fetch.
struct CassetteMiss : TransportError {
  using TransportError::TransportError;
};

struct RetryPolicy {
  int max_attempts = 4;  // total tries
  std::chrono::milliseconds base_delay{500}, max_delay{30000};
  std::set<long> retry_statuses;  // empty = the default: 408, 429, 500, 502, 503, 504 and other 5xx except 501
  // A Retry-After longer than this is not waited for: the response is returned as it is.
  std::chrono::milliseconds max_retry_after{120000};
  bool retry_status(long status) const;
};

struct ClientOptions {
  std::string user_agent;  // "" = kDefaultUserAgent
  std::chrono::milliseconds connect_timeout{10000}, timeout{60000};
  RetryPolicy retry;
  RateLimiter* rate_limit = nullptr;    // shared, may be null
  std::vector<std::string> proxies;     // round robin; "" entries ignored
  std::chrono::milliseconds proxy_cooldown{60000};
  int proxy_max_failures = 3;
  std::vector<std::string> secrets;     // values redacted from every message and cassette
  std::vector<std::pair<std::string, std::string>> headers;  // sent with every request unless it sets them
  std::string record_dir, replay_dir;   // cassettes (from --record / --replay)
  // URL prefix rewrites applied only when sending ("https://mcassessor.maricopa.gov" ->
  // "http://127.0.0.1:8089"): cassettes and messages keep the original URL, so a cassette
  // recorded against a fixture server replays for the real pipeline unchanged.
  std::vector<std::pair<std::string, std::string>> url_map;
  std::function<bool()> cancelled;      // e.g. [&]{ return ctx.stopping(); }
  // Run counters ("http.requests", "http.retries", ...); client_options wires it to
  // RunContext::add_counter. May be empty.
  std::function<void(const std::string&, double)> count;
  // Per-source counters go under this prefix (the node id): "<prefix>.http_2xx" ... "http_5xx" per
  // answered request, "http_failed" when no answer came; with proxies, "proxy_requests",
  // "proxy_failures" and "proxy_cooldowns". "" = none.
  std::string counter_prefix;
};

// The default User-Agent: honest about what we are, with a place to find out more.
inline constexpr const char* kDefaultUserAgent = "flowrun/0.1 (+https://github.com/flowrun)";

class Client {
 public:
  explicit Client(ClientOptions opts);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends with retries. Returns the final response, whatever its status (the caller decides
  // what a 404 means); throws TransportError when no response could be had.
  Response send(const Request& req);
  Response get(const std::string& url,
               std::vector<std::pair<std::string, std::string>> headers = {});

  std::string redact(std::string text) const;  // replaces every secret with "***"
  const ClientOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Node types include http::client_option_group() (nodes/http/client_options.hpp).

}  // namespace flowrun::http
