#include "nodes/http/http_client.hpp"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <strings.h>

#include <cctype>
#include <mutex>
#include <random>
#include <thread>

#include "engine/adaptive_feedback.hpp"
#include "engine/resources.hpp"
#include "nodes/http/cassette.hpp"
#include "nodes/http/proxy_pool.hpp"
#include "nodes/http/redact.hpp"
#include "nodes/http/retry.hpp"

namespace flowrun::http {

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

void global_init() {
  // curl_global_init is not thread-safe; do it once, before any handle exists.
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// What a failed transfer says to an adaptive concurrency limit (engine/adaptive_limit.hpp): a
// timeout or a refused / reset connection is back-pressure; a cancelled or malformed one is not.
Signal load_signal(CURLcode c) {
  switch (c) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
      return Signal::failed;
    default:
      return Signal::neutral;
  }
}

// Failures worth another try: the network or the far end hiccuped. A malformed URL or an
// unsupported scheme will fail the same way every time.
bool transient(CURLcode c) {
  switch (c) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_PROXY:
      return true;
    default:
      return false;
  }
}

struct Transfer {
  Response* resp;
  const std::function<bool()>* cancelled;
};

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  t->resp->body.append(data, size * n);
  return size * n;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string line(data, size * n);
  // A new status line starts a new response (redirects, 100 Continue): keep only the last.
  if (line.rfind("HTTP/", 0) == 0) {
    t->resp->headers.clear();
    return size * n;
  }
  auto colon = line.find(':');
  if (colon != std::string::npos)
    t->resp->headers.emplace_back(lower(trim(line.substr(0, colon))), trim(line.substr(colon + 1)));
  return size * n;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  return (*t->cancelled && (*t->cancelled)()) ? 1 : 0;  // non-zero aborts the transfer
}

}  // namespace

std::string Response::header(const std::string& lower_name) const {
  for (const auto& [k, v] : headers)
    if (k == lower_name) return v;
  return "";
}

struct Client::Impl {
  ClientOptions o;
  std::unique_ptr<ProxyPool> proxies;
  std::mutex handles_mu;
  std::vector<CURL*> handles;  // idle easy handles; each keeps its own connection cache
  std::mutex rng_mu;
  std::mt19937_64 rng{std::random_device{}()};

  explicit Impl(ClientOptions opts) : o(std::move(opts)) {
    if (o.user_agent.empty()) o.user_agent = kDefaultUserAgent;
    for (const auto& p : o.proxies) {
      auto pw = url_password(p);
      if (!pw.empty()) o.secrets.push_back(pw);
    }
    proxies = std::make_unique<ProxyPool>(o.proxies, o.proxy_max_failures, o.proxy_cooldown);
    // A configured pool reports its health from the start: 0 failures, not "no data".
    if (!proxies->empty())
      for (const char* what : {"proxy_requests", "proxy_failures", "proxy_cooldowns"}) count_source(what, 0);
  }
  ~Impl() {
    for (auto* h : handles) curl_easy_cleanup(h);
  }

  void count(const char* name, double d = 1) {
    if (o.count) o.count(name, d);
  }
  void count_source(const std::string& what, double d = 1) {
    if (!o.counter_prefix.empty()) count((o.counter_prefix + "." + what).c_str(), d);
  }
  void count_answer(long status) {
    count_source(status >= 100 && status < 600 ? "http_" + std::to_string(status / 100) + "xx" : "http_other");
  }
  void proxy_failed(int proxy) {
    count_source("proxy_failures");
    if (proxies->failure(proxy)) count_source("proxy_cooldowns");
  }
  bool cancelled() const { return o.cancelled && o.cancelled(); }
  std::string redact(std::string s) const { return redact_text(std::move(s), o.secrets); }

  CURL* take() {
    {
      std::lock_guard lock(handles_mu);
      if (!handles.empty()) {
        CURL* h = handles.back();
        handles.pop_back();
        return h;
      }
    }
    CURL* h = curl_easy_init();
    if (!h) throw TransportError("curl_easy_init failed");
    return h;
  }
  void give(CURL* h) {
    std::lock_guard lock(handles_mu);
    handles.push_back(h);
  }

  // Sleeps in short slices so a stopping run is not held up by a long backoff. A backoff or a
  // Retry-After is ours to wait, not a request in flight: an adaptive permit is given back.
  void sleep_for(std::chrono::milliseconds d, const Request& req) {
    AdaptiveWait ours;
    auto until = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < until) {
      if (cancelled()) throw TransportError("cancelled while waiting to retry " + describe(req));
      auto left = until - std::chrono::steady_clock::now();
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(50)));
    }
  }

  std::string describe(const Request& req) const { return req.method + " " + redact(req.url); }

  std::chrono::milliseconds backoff(int retry) {
    std::lock_guard lock(rng_mu);
    return backoff_delay(o.retry, retry, rng);
  }

  // One attempt. Returns CURLE_OK and fills `resp`, or the curl error with `err` set.
  CURLcode perform(const Request& req, int proxy, Response& resp, std::string& err) {
    CURL* h = take();
    struct Give {
      Impl* self;
      CURL* h;
      ~Give() { self->give(h); }
    } give_back{this, h};
    curl_easy_reset(h);  // keeps live connections, so keep-alive still works
    Transfer t{&resp, &o.cancelled};
    char errbuf[CURL_ERROR_SIZE] = {0};
    std::string url = req.url;
    for (const auto& [from, to] : o.url_map)
      if (!from.empty() && url.rfind(from, 0) == 0) {
        url = to + url.substr(from.size());
        break;
      }
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, req.follow_redirects ? 1L : 0L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");  // every encoding curl can decode (gzip ...)
    curl_easy_setopt(h, CURLOPT_USERAGENT, o.user_agent.c_str());
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.connect_timeout.count()));
    auto total = req.timeout.count() > 0 ? req.timeout : o.timeout;
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(total.count()));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &t);
    if (proxy >= 0) curl_easy_setopt(h, CURLOPT_PROXY, proxies->url(proxy).c_str());

    std::string method = req.method.empty() ? "GET" : req.method;
    for (auto& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (method == "HEAD") {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (method != "GET" || !req.body.empty()) {
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, req.body.data());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
      if (method != "POST") curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
    }
    curl_slist* hdrs = nullptr;
    for (const auto& [k, v] : req.headers) hdrs = curl_slist_append(hdrs, (k + ": " + v).c_str());
    hdrs = curl_slist_append(hdrs, "Expect:");  // no 100-continue round trip for small bodies
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);

    auto t0 = std::chrono::steady_clock::now();
    CURLcode rc = curl_easy_perform(h);
    resp.elapsed_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    curl_slist_free_all(hdrs);
    if (rc == CURLE_OK) {
      curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp.status);
      char* eff = nullptr;
      curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &eff);
      if (eff) resp.effective_url = eff;
    } else {
      err = errbuf[0] ? errbuf : curl_easy_strerror(rc);
      if (proxy >= 0) err += " (via proxy " + proxies->url(proxy) + ")";
    }
    return rc;
  }

  Exchange exchange_for(const Request& req) const {
    Exchange ex;
    ex.method = req.method.empty() ? "GET" : req.method;
    ex.url = redact(req.url);
    for (const auto& [k, v] : req.headers)
      if (!is_credential_header(k)) ex.request_headers.emplace_back(k, redact(v));
    ex.request_body = redact(req.body);
    return ex;
  }

  void record(const Request& req, const Response* resp, const std::string& error) {
    if (o.record_dir.empty()) return;
    Exchange ex = exchange_for(req);
    if (resp) {
      ex.response = *resp;
      ex.response.body = redact(resp->body);
      ex.response.effective_url = redact(resp->effective_url);
      ex.response.headers.clear();
      for (const auto& [k, v] : resp->headers)
        if (!is_credential_header(k)) ex.response.headers.emplace_back(k, redact(v));
    }
    ex.error = error;
    try {
      save_exchange(o.record_dir, cassette_key(ex.method, ex.url, ex.request_body), ex);
      count("http.recorded");
    } catch (const std::exception& e) {
      spdlog::warn("http: could not record {}: {}", describe(req), redact(e.what()));
    }
  }

  Response replay(const Request& req) {
    Exchange want = exchange_for(req);
    auto key = cassette_key(want.method, want.url, want.request_body);
    auto got = load_exchange(o.replay_dir, want.method, key);
    if (!got)
      throw CassetteMiss("replay: no recorded response for " + want.method + " " + want.url +
                         " in cassette " + o.replay_dir + " (expected file " +
                         cassette_path(o.replay_dir, want.method, key) + ")");
    count("http.replayed");
    if (!got->error.empty()) throw TransportError(got->error);
    got->response.attempts = 1;
    return got->response;
  }

  Response send(const Request& req) {
    count("http.requests");
    if (!o.replay_dir.empty()) return replay(req);
    const int max_attempts = std::max(1, o.retry.max_attempts);
    std::string last_error;
    for (int attempt = 1;; ++attempt) {
      if (cancelled()) throw TransportError("cancelled before " + describe(req));
      // The rate-limit slot is held until the answer is in (see RateLimiter), so the limit holds
      // at the server too.
      RateLimiter::Ticket ticket = 0;
      if (o.rate_limit) {
        // A rate-limit wait is ours, not the server's: no permit held, no round trip counted.
        AdaptiveWait ours(AdaptiveWait::Kind::rate_limit);
        auto waited = o.rate_limit->acquire(o.cancelled, &ticket);
        if (waited.count() > 0) count("http.rate_limit_wait_ms", static_cast<double>(waited.count()));
        if (cancelled()) {
          if (ticket) o.rate_limit->release(ticket);
          throw TransportError("cancelled while rate limited: " + describe(req));
        }
      }
      count("http.attempts");
      if (attempt > 1) {
        count("http.retries");
        if (req.attempt) ++*req.attempt;
      }
      int proxy = proxies->empty() ? -1 : static_cast<int>(proxies->next());
      if (proxy >= 0) count_source("proxy_requests");
      Response resp;
      std::string err;
      CURLcode rc;
      try {
        AdaptiveAttempt attempt;  // times this attempt for the node's adaptive limit, if it has one
        rc = perform(req, proxy, resp, err);
        attempt.finish(rc == CURLE_OK ? signal_of_status(resp.status) : load_signal(rc));
      } catch (...) {
        if (ticket) o.rate_limit->release(ticket);
        throw;
      }
      if (ticket) o.rate_limit->release(ticket);
      if (rc != CURLE_OK) {
        if (proxy >= 0) proxy_failed(proxy);
        count("http.transport_errors");
        last_error = redact(describe(req) + ": " + err);
        if (rc == CURLE_ABORTED_BY_CALLBACK && cancelled())
          throw TransportError("cancelled during " + describe(req));
        if (!transient(rc) || attempt >= max_attempts) {
          std::string msg = last_error + " (after " + std::to_string(attempt) + " attempt" +
                            (attempt == 1 ? "" : "s") + ")";
          record(req, nullptr, msg);
          throw TransportError(msg);
        }
        auto wait = backoff(attempt - 1);
        spdlog::debug("http: {}; retrying in {} ms", last_error, wait.count());
        sleep_for(wait, req);
        continue;
      }
      if (proxy >= 0) {
        // 407: the proxy refused us; 429/403 through a proxy usually means its address is blocked.
        if (resp.status == 407 || resp.status == 429 || resp.status == 403) proxy_failed(proxy);
        else proxies->success(proxy);
      }
      resp.attempts = attempt;
      if (o.retry.retry_status(resp.status) && attempt < max_attempts) {
        std::chrono::milliseconds wait = backoff(attempt - 1);
        if (auto ra = parse_retry_after(resp.header("retry-after"))) {
          if (*ra > o.retry.max_retry_after) {
            spdlog::warn("http: {} answered {} with Retry-After {} s, longer than the {} s we wait",
                         describe(req), resp.status, ra->count() / 1000,
                         o.retry.max_retry_after.count() / 1000);
            record(req, &resp, "");
            return resp;
          }
          wait = *ra;
        }
        spdlog::debug("http: {} answered {}; retry {} in {} ms", describe(req), resp.status, attempt,
                      wait.count());
        sleep_for(wait, req);
        continue;
      }
      record(req, &resp, "");
      return resp;
    }
  }
};

Client::Client(ClientOptions opts) {
  global_init();
  impl_ = std::make_unique<Impl>(std::move(opts));
}
Client::~Client() = default;

Response Client::send(const Request& given) {
  Request req = given;
  for (const auto& [k, v] : impl_->o.headers) {
    bool set = std::any_of(req.headers.begin(), req.headers.end(),
                           [&](const auto& h) { return strcasecmp(h.first.c_str(), k.c_str()) == 0; });
    if (!set) req.headers.emplace_back(k, v);
  }
  try {
    Response r = impl_->send(req);  // live or replayed, after retries
    impl_->count_answer(r.status);
    return r;
  } catch (const TransportError&) {
    impl_->count_source("http_failed");
    throw;
  }
}

Response Client::get(const std::string& url, std::vector<std::pair<std::string, std::string>> headers) {
  Request r;
  r.url = url;
  r.headers = std::move(headers);
  return send(r);
}

std::string Client::redact(std::string text) const { return impl_->redact(std::move(text)); }
const ClientOptions& Client::options() const { return impl_->o; }

}  // namespace flowrun::http
