// The HTTP client against real servers on 127.0.0.1: retries, Retry-After, gzip, timeouts,
// proxies, shared rate limits.
#include <zlib.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <thread>

#include "engine/resources.hpp"
#include "loopback_server.hpp"
#include "nodes/http/http_client.hpp"

using namespace flowrun;
using namespace flowrun::http;
using namespace std::chrono_literals;
using flowrun::testing::closed_port;
using flowrun::testing::LoopbackServer;

namespace {

ClientOptions fast_options() {
  ClientOptions o;
  o.retry.max_attempts = 4;
  o.retry.base_delay = 1ms;
  o.retry.max_delay = 5ms;
  o.timeout = 10s;
  return o;
}

std::string gzip(const std::string& in) {
  z_stream zs{};
  deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  std::string out(deflateBound(&zs, in.size()) + 32, '\0');
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}


}  // namespace

TEST_CASE("503 is retried until the server answers 200") {
  LoopbackServer s;
  std::atomic<int> hits{0};
  s.svr.Get("/flaky", [&](const httplib::Request&, httplib::Response& res) {
    if (++hits <= 2) {
      res.status = 503;
      res.set_content("busy", "text/plain");
    } else {
      res.set_content("{\"ok\":true}", "application/json");
    }
  });
  s.start();
  Client c(fast_options());
  auto r = c.get(s.url("/flaky"));
  CHECK(r.status == 200);
  CHECK(r.body == "{\"ok\":true}");
  CHECK(r.attempts == 3);
  CHECK(hits == 3);
}

TEST_CASE("retries give up after max_attempts and return the last response") {
  LoopbackServer s;
  std::atomic<int> hits{0};
  s.svr.Get("/down", [&](const httplib::Request&, httplib::Response& res) {
    ++hits;
    res.status = 502;
  });
  s.start();
  Client c(fast_options());
  auto r = c.get(s.url("/down"));
  CHECK(r.status == 502);
  CHECK(r.attempts == 4);
  CHECK(hits == 4);
}

TEST_CASE("404, 400, 401, 403 and 501 are not retried") {
  LoopbackServer s;
  std::atomic<int> hits{0};
  s.svr.Get(R"(/status/(\d+))", [&](const httplib::Request& req, httplib::Response& res) {
    ++hits;
    res.status = std::stoi(req.matches[1]);
  });
  s.start();
  Client c(fast_options());
  for (int st : {404, 400, 401, 403, 501}) {
    hits = 0;
    auto r = c.get(s.url("/status/" + std::to_string(st)));
    CHECK(r.status == st);
    CHECK(r.attempts == 1);
    CHECK(hits == 1);
  }
}

TEST_CASE("Retry-After is honoured: the retry waits at least the stated seconds") {
  LoopbackServer s;
  std::atomic<int> hits{0};
  s.svr.Get("/limited", [&](const httplib::Request&, httplib::Response& res) {
    if (++hits == 1) {
      res.status = 429;
      res.set_header("Retry-After", "1");
    } else {
      res.set_content("done", "text/plain");
    }
  });
  s.start();
  Client c(fast_options());  // backoff alone would wait at most 5 ms
  auto t0 = std::chrono::steady_clock::now();
  auto r = c.get(s.url("/limited"));
  auto waited = std::chrono::steady_clock::now() - t0;
  CHECK(r.status == 200);
  CHECK(r.attempts == 2);
  CHECK(hits == 2);
  CHECK(waited >= 1000ms);
}

TEST_CASE("a Retry-After longer than max_retry_after returns the 429 instead of waiting") {
  LoopbackServer s;
  std::atomic<int> hits{0};
  s.svr.Get("/later", [&](const httplib::Request&, httplib::Response& res) {
    ++hits;
    res.status = 429;
    res.set_header("Retry-After", "3600");
  });
  s.start();
  auto o = fast_options();
  o.retry.max_retry_after = 2s;
  Client c(o);
  auto r = c.get(s.url("/later"));
  CHECK(r.status == 429);
  CHECK(hits == 1);
}

TEST_CASE("a gzip-encoded body is decoded, and gzip is asked for") {
  LoopbackServer s;
  std::string body(5000, 'x');
  for (std::size_t i = 0; i < body.size(); i += 7) body[i] = 'a' + (i % 26);
  std::string accept;
  s.svr.Get("/gz", [&](const httplib::Request& req, httplib::Response& res) {
    accept = req.get_header_value("Accept-Encoding");
    res.set_header("Content-Encoding", "gzip");
    res.set_content(gzip(body), "application/octet-stream");
  });
  s.start();
  Client c(fast_options());
  auto r = c.get(s.url("/gz"));
  CHECK(accept.find("gzip") != std::string::npos);
  CHECK(r.status == 200);
  CHECK(r.body == body);
  CHECK(r.header("content-encoding") == "gzip");
}

TEST_CASE("User-Agent is honest by default and configurable, headers are sent") {
  LoopbackServer s;
  std::string ua, auth;
  s.svr.Get("/ua", [&](const httplib::Request& req, httplib::Response& res) {
    ua = req.get_header_value("User-Agent");
    auth = req.get_header_value("AUTHORIZATION");
    res.set_content("ok", "text/plain");
  });
  s.start();
  {
    Client c(fast_options());
    c.get(s.url("/ua"), {{"AUTHORIZATION", "tok"}});
    CHECK(ua == kDefaultUserAgent);
    CHECK(auth == "tok");
  }
  auto o = fast_options();
  o.user_agent = "phoenix-research/1.0 (me@example.org)";
  Client c(o);
  c.get(s.url("/ua"));
  CHECK(ua == "phoenix-research/1.0 (me@example.org)");
}

TEST_CASE("POST sends its body") {
  LoopbackServer s;
  s.svr.Post("/echo", [&](const httplib::Request& req, httplib::Response& res) {
    res.set_content(req.body, "application/json");
  });
  s.start();
  Client c(fast_options());
  Request rq;
  rq.method = "POST";
  rq.url = s.url("/echo");
  rq.body = "{\"a\":1}";
  rq.headers = {{"Content-Type", "application/json"}};
  auto r = c.send(rq);
  CHECK(r.body == "{\"a\":1}");
}

TEST_CASE("connection refused is retried, then a redacted TransportError") {
  auto o = fast_options();
  o.secrets = {"s3cr3t-key"};
  Client c(o);
  std::string url = "http://127.0.0.1:" + std::to_string(closed_port()) + "/x?api_key=s3cr3t-key";
  try {
    c.get(url);
    FAIL("expected a TransportError");
  } catch (const TransportError& e) {
    std::string m = e.what();
    CHECK(m.find("s3cr3t-key") == std::string::npos);
    CHECK(m.find("api_key=***") != std::string::npos);
    CHECK(m.find("4 attempts") != std::string::npos);
  }
  CHECK(c.redact("key s3cr3t-key") == "key ***");
}

TEST_CASE("a hung response times out and the retry succeeds") {
  LoopbackServer s;
  std::atomic<int> hits{0};
  s.svr.Get("/slow", [&](const httplib::Request&, httplib::Response& res) {
    if (++hits == 1) std::this_thread::sleep_for(1500ms);
    res.set_content("fast now", "text/plain");
  });
  s.start();
  auto o = fast_options();
  o.timeout = 300ms;
  Client c(o);
  auto r = c.get(s.url("/slow"));
  CHECK(r.body == "fast now");
  CHECK(r.attempts == 2);
}

TEST_CASE("cancellation stops a long backoff promptly") {
  LoopbackServer s;
  s.svr.Get("/wait", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 503;
    res.set_header("Retry-After", "30");
  });
  s.start();
  std::atomic<bool> stop{false};
  auto o = fast_options();
  o.cancelled = [&] { return stop.load(); };
  Client c(o);
  std::thread stopper([&] {
    std::this_thread::sleep_for(300ms);
    stop = true;
  });
  auto t0 = std::chrono::steady_clock::now();
  CHECK_THROWS_AS(c.get(s.url("/wait")), TransportError);
  stopper.join();
  CHECK(std::chrono::steady_clock::now() - t0 < 20s);  // far below the 30 s Retry-After
}

TEST_CASE("proxies: round robin, a dead proxy is skipped, credentials stay out of errors") {
  // Two loopback servers acting as forward proxies: curl sends them absolute-form requests.
  LoopbackServer a, b;
  std::atomic<int> via_a{0}, via_b{0};
  a.svr.Get(".*", [&](const httplib::Request&, httplib::Response& res) {
    ++via_a;
    res.set_content("A", "text/plain");
  });
  b.svr.Get(".*", [&](const httplib::Request&, httplib::Response& res) {
    ++via_b;
    res.set_content("B", "text/plain");
  });
  a.start();
  b.start();
  std::string target = "http://127.0.0.1:9/thing";  // never contacted: the proxies answer
  {
    auto o = fast_options();
    o.proxies = {"http://127.0.0.1:" + std::to_string(a.port()), "http://127.0.0.1:" + std::to_string(b.port())};
    Client c(o);
    for (int i = 0; i < 6; ++i) c.get(target);
    CHECK(via_a == 3);
    CHECK(via_b == 3);
  }
  via_a = via_b = 0;
  {
    auto o = fast_options();
    o.proxy_max_failures = 1;
    o.proxy_cooldown = 60s;
    o.proxies = {"http://user:pr0xypass@127.0.0.1:" + std::to_string(closed_port()),
                 "http://127.0.0.1:" + std::to_string(a.port())};
    Client c(o);
    for (int i = 0; i < 5; ++i) CHECK(c.get(target).body == "A");
    CHECK(via_a == 5);
  }
  {
    auto o = fast_options();
    o.retry.max_attempts = 2;
    o.proxies = {"http://user:pr0xypass@127.0.0.1:" + std::to_string(closed_port())};
    Client c(o);
    try {
      c.get(target);
      FAIL("expected a TransportError");
    } catch (const TransportError& e) {
      CHECK(std::string(e.what()).find("pr0xypass") == std::string::npos);
    }
  }
}

TEST_CASE("two clients sharing one rate limiter never exceed it") {
  LoopbackServer s;
  std::mutex mu;
  std::vector<std::chrono::steady_clock::time_point> seen;
  s.svr.Get("/r", [&](const httplib::Request&, httplib::Response& res) {
    {
      std::lock_guard lock(mu);
      seen.push_back(std::chrono::steady_clock::now());
    }
    res.set_content("ok", "text/plain");
  });
  s.start();
  constexpr int kLimit = 4;
  const auto kPer = 500ms;
  RateLimiter limiter("shared", kLimit, kPer);
  auto o = fast_options();
  o.rate_limit = &limiter;
  Client c1(o), c2(o);
  constexpr int kEach = 8;
  auto t0 = std::chrono::steady_clock::now();
  std::thread t1([&] { for (int i = 0; i < kEach; ++i) c1.get(s.url("/r")); });
  std::thread t2([&] { for (int i = 0; i < kEach; ++i) c2.get(s.url("/r")); });
  t1.join();
  t2.join();
  auto elapsed = std::chrono::steady_clock::now() - t0;
  REQUIRE(seen.size() == 2 * kEach);
  // 16 grants at 4 per 500 ms need at least three full windows after the first burst.
  CHECK(elapsed >= 3 * kPer);
  // Count arrivals in every window starting at an arrival. The client holds its slot until the
  // answer is in, so the limit holds at the server for the full window, not just at the limiter.
  std::sort(seen.begin(), seen.end());
  const auto window = kPer;
  int worst = 0;
  for (std::size_t i = 0; i < seen.size(); ++i) {
    int n = 0;
    for (std::size_t j = i; j < seen.size() && seen[j] - seen[i] < window; ++j) ++n;
    worst = std::max(worst, n);
  }
  CHECK(worst <= kLimit);
}

TEST_CASE("the rate limiter is acquired before every attempt, retries included") {
  LoopbackServer s;
  std::atomic<int> hits{0};
  s.svr.Get("/x", [&](const httplib::Request&, httplib::Response& res) {
    if (++hits % 2 == 1) res.status = 503;
    else res.set_content("ok", "text/plain");
  });
  s.start();
  RateLimiter limiter("one", 2, 400ms);
  auto o = fast_options();
  o.rate_limit = &limiter;
  Client c(o);
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; ++i) CHECK(c.get(s.url("/x")).status == 200);
  // 6 attempts at 2 per 400 ms: at least 2 full windows, which 3 requests alone would not need.
  CHECK(hits == 6);
  CHECK(std::chrono::steady_clock::now() - t0 >= 800ms);
}

TEST_CASE("redirects are followed unless the request asks for the 3xx itself") {
  LoopbackServer s;
  s.svr.Get("/moved", [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/here", 302); });
  s.svr.Get("/here", [](const httplib::Request&, httplib::Response& res) { res.set_content("here", "text/plain"); });
  s.start();
  Client c(fast_options());
  Response followed = c.get(s.url("/moved"));
  CHECK(followed.status == 200);
  CHECK(followed.body == "here");
  CHECK(followed.effective_url == s.url("/here"));
  Request r;
  r.url = s.url("/moved");
  r.follow_redirects = false;
  Response hop = c.send(r);
  CHECK(hop.status == 302);
  CHECK(hop.header("location") == "/here");
  CHECK(hop.effective_url == s.url("/moved"));
}
