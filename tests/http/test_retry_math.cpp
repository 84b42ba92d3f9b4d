#include <catch2/catch.hpp>

#include "nodes/http/proxy_pool.hpp"
#include "nodes/http/redact.hpp"
#include "nodes/http/retry.hpp"

using namespace flowrun::http;
using namespace std::chrono_literals;

TEST_CASE("default retry statuses: 408, 429 and 5xx except 501, never 4xx client errors") {
  RetryPolicy p;
  for (long s : {408L, 429L, 500L, 502L, 503L, 504L, 599L}) CHECK(p.retry_status(s));
  for (long s : {200L, 301L, 400L, 401L, 403L, 404L, 501L}) CHECK_FALSE(p.retry_status(s));
  p.retry_statuses = {503};
  CHECK(p.retry_status(503));
  CHECK_FALSE(p.retry_status(500));
  CHECK_FALSE(p.retry_status(429));
}

TEST_CASE("Retry-After as seconds or an HTTP date") {
  auto now = std::chrono::system_clock::from_time_t(1445412470);  // Wed, 21 Oct 2015 07:27:50 GMT
  CHECK(parse_retry_after("1", now) == 1000ms);
  CHECK(parse_retry_after(" 120 ", now) == 120000ms);
  CHECK(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now) == 10000ms);
  CHECK(parse_retry_after("Wed, 21 Oct 2015 07:20:00 GMT", now) == 0ms);  // already past
  CHECK_FALSE(parse_retry_after("", now));
  CHECK_FALSE(parse_retry_after("soon", now));
}

TEST_CASE("backoff is full jitter under an exponential ceiling and a cap") {
  RetryPolicy p;
  p.base_delay = 100ms;
  p.max_delay = 1000ms;
  std::mt19937_64 rng(42);
  for (int retry = 0; retry < 8; ++retry) {
    long long ceiling = std::min<long long>(1000, 100LL << retry);
    long long lo = ceiling, hi = 0;
    for (int i = 0; i < 200; ++i) {
      long long d = backoff_delay(p, retry, rng).count();
      REQUIRE(d >= 0);
      REQUIRE(d <= ceiling);
      lo = std::min(lo, d);
      hi = std::max(hi, d);
    }
    // Full jitter spreads over the whole range, not just near the ceiling.
    CHECK(lo < ceiling / 4);
    CHECK(hi > ceiling / 2);
  }
}

TEST_CASE("redaction masks secrets and URL passwords") {
  CHECK(redact_text("key=abc123&x=abc123", {"abc123"}) == "key=***&x=***");
  CHECK(redact_text("token abcdef and abc", {"abc", "abcdef"}) == "token *** and ***");
  CHECK(redact_text("nothing here", {""}) == "nothing here");
  CHECK(redact_text("via http://bob:hunter2@proxy:3128/x failed", {}) ==
        "via http://bob:***@proxy:3128/x failed");
  CHECK(url_password("http://bob:hunter2@proxy:3128") == "hunter2");
  CHECK(url_password("http://proxy:3128") == "");
  CHECK(is_credential_header("AUTHORIZATION"));
  CHECK(is_credential_header("Cookie"));
  CHECK_FALSE(is_credential_header("Accept"));
}

TEST_CASE("proxy pool rotates, cools a failing proxy down and brings it back") {
  ProxyPool pool({"http://a:1", "", "http://b:1", "http://c:1"}, 2, 1000ms);
  REQUIRE(pool.size() == 3);
  auto t = ProxyPool::Clock::now();
  CHECK(pool.next(t) == 0);
  CHECK(pool.next(t) == 1);
  CHECK(pool.next(t) == 2);
  CHECK(pool.next(t) == 0);
  pool.failure(1, t);
  CHECK_FALSE(pool.cooling(1, t));  // one failure is not enough
  pool.failure(1, t);
  CHECK(pool.cooling(1, t));
  for (int i = 0; i < 6; ++i) CHECK(pool.next(t) != 1);
  CHECK_FALSE(pool.cooling(1, t + 1001ms));
  bool seen = false;
  for (int i = 0; i < 3; ++i) seen |= pool.next(t + 1001ms) == 1;
  CHECK(seen);
  // A success resets the count of consecutive failures.
  pool.failure(0, t);
  pool.success(0);
  pool.failure(0, t);
  CHECK_FALSE(pool.cooling(0, t));
  // Everything cooling: the one that comes back first is still used (never go direct).
  pool.failure(0, t);  // second in a row -> cooling until t+1000
  pool.failure(2, t + 10ms);
  pool.failure(2, t + 10ms);
  pool.failure(1, t + 20ms);
  pool.failure(1, t + 20ms);
  CHECK(pool.next(t + 30ms) == 0);
}
