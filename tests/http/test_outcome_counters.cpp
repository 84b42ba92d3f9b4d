// Per-source outcome counters of the HTTP client (the collection dashboard's API success rates
// and proxy health): one status class per answered request, http_failed when none came, and the
// proxy pool's requests, failures and cooldowns.
#include <catch2/catch.hpp>
#include <map>
#include <mutex>

#include "loopback_server.hpp"
#include "nodes/http/http_client.hpp"

using namespace flowrun::http;
using namespace std::chrono_literals;
using flowrun::testing::closed_port;
using flowrun::testing::LoopbackServer;

namespace {

struct Counted {
  std::mutex mu;
  std::map<std::string, double> c;
  ClientOptions options(const std::string& prefix) {
    ClientOptions o;
    o.retry.max_attempts = 2;
    o.retry.base_delay = 1ms;
    o.retry.max_delay = 2ms;
    o.counter_prefix = prefix;
    o.count = [this](const std::string& name, double d) {
      std::lock_guard lock(mu);
      c[name] += d;
    };
    return o;
  }
  double operator[](const std::string& k) {
    std::lock_guard lock(mu);
    return c.count(k) ? c[k] : -1;  // -1: never counted, not even 0
  }
};


}  // namespace

TEST_CASE("outcome counters: one status class per request after retries, http_failed without an answer") {
  LoopbackServer s;
  int flaky = 0;
  s.svr.Get("/ok", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok", "text/plain"); });
  s.svr.Get("/gone", [](const httplib::Request&, httplib::Response& res) { res.status = 404; });
  s.svr.Get("/flaky", [&](const httplib::Request&, httplib::Response& res) {
    res.status = ++flaky == 1 ? 503 : 200;  // a retried 503 that then succeeds counts as one 2xx
  });
  s.svr.Get("/down", [](const httplib::Request&, httplib::Response& res) { res.status = 502; });
  s.start();
  Counted n;
  Client c(n.options("assessor"));
  c.get(s.url("/ok"));
  c.get(s.url("/ok"));
  c.get(s.url("/gone"));
  c.get(s.url("/flaky"));
  c.get(s.url("/down"));  // 502 twice: the answer is 502
  CHECK_THROWS_AS(c.get("http://127.0.0.1:" + std::to_string(closed_port()) + "/x"), TransportError);
  CHECK(n["assessor.http_2xx"] == 3);
  CHECK(n["assessor.http_4xx"] == 1);
  CHECK(n["assessor.http_5xx"] == 1);
  CHECK(n["assessor.http_failed"] == 1);
  CHECK(n["assessor.proxy_requests"] == -1);  // no proxies: no proxy counters at all
  CHECK(n["http.requests"] == 6);

  Counted none;
  Client anonymous(none.options(""));  // no prefix (a client made outside a node): no per-source counters
  anonymous.get(s.url("/ok"));
  CHECK(none["http.requests"] == 1);
  CHECK(none.c.size() == 2);  // http.requests, http.attempts
}

TEST_CASE("outcome counters: proxy requests, failures and cooldowns, present at 0 from the start") {
  Counted n;
  auto o = n.options("grid_homes");
  o.proxies = {"http://127.0.0.1:" + std::to_string(closed_port())};
  o.proxy_max_failures = 2;
  o.proxy_cooldown = 60s;
  Client c(o);
  CHECK(n["grid_homes.proxy_requests"] == 0);
  CHECK(n["grid_homes.proxy_failures"] == 0);
  CHECK(n["grid_homes.proxy_cooldowns"] == 0);
  CHECK_THROWS_AS(c.get("http://127.0.0.1:9/x"), TransportError);  // 2 attempts through the dead proxy
  CHECK(n["grid_homes.proxy_requests"] == 2);
  CHECK(n["grid_homes.proxy_failures"] == 2);
  CHECK(n["grid_homes.proxy_cooldowns"] == 1);  // the second failure in a row rests it
  CHECK(n["grid_homes.http_failed"] == 1);
}
