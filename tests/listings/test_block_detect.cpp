#include <catch2/catch.hpp>

#include "nodes/listings/block_detect.hpp"
#include "test_support.hpp"

using namespace flowrun::listings;
using listings_test::fixture_path;
using listings_test::read_file;

TEST_CASE("every block marker is recognised", "[block]") {
  struct Case {
    const char* name;
    long status;
    std::string body, final_url, location;
    BlockKind kind;
  };
  std::vector<Case> cases = {
      {"429 status", 429, "<h1>Slow down</h1>", "", "", BlockKind::rate_limited},
      {"'too many requests' text on 200", 200, "<html><body>Too Many Requests</body></html>", "", "", BlockKind::rate_limited},
      {"403 access denied (Akamai)", 403, read_file(fixture_path("block_access_denied.html")), "", "", BlockKind::access_denied},
      {"access denied on a short 200 page", 200, "<title>Access Denied</title>", "", "", BlockKind::access_denied},
      {"bare 403", 403, "", "", "", BlockKind::access_denied},
      {"403 Cloudflare ray id", 403, "<p>Sorry, you have been blocked</p><p>Cloudflare Ray ID: 8a1b</p>", "", "", BlockKind::challenge},
      {"Cloudflare 'checking your browser'", 403, read_file(fixture_path("block_cloudflare_403.html")), "", "", BlockKind::challenge},
      {"challenge on a 200 (JS challenge)", 200, "<div id=\"cf-challenge-running\"></div>", "", "", BlockKind::challenge},
      {"reCAPTCHA", 200, "<form><div class=\"g-recaptcha\" data-sitekey=\"x\"></div></form>", "", "", BlockKind::captcha},
      {"data-sitekey alone", 200, "<div data-sitekey=\"abc\"></div>", "", "", BlockKind::captcha},
      {"hCaptcha iframe", 200, read_file(fixture_path("block_hcaptcha.html")), "", "", BlockKind::captcha},
      {"Turnstile + verify you are human", 200, read_file(fixture_path("block_turnstile.html")), "", "", BlockKind::captcha},
      {"'verify you are human' text", 200, "<h1>Please verify you are human</h1>", "", "", BlockKind::captcha},
      {"503 maintenance", 503, read_file(fixture_path("block_maintenance_503.html")), "", "", BlockKind::maintenance},
      {"503 without words", 503, "", "", "", BlockKind::unavailable},
      {"redirected to /login", 200, "<form>sign in</form>", "http://h.test/login?next=/search", "", BlockKind::login},
      {"unfollowed 302 to /account/signin", 302, "", "http://h.test/search", "/account/signin", BlockKind::login},
      {"login.php", 200, "", "http://h.test/login.php", "", BlockKind::login},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    BlockVerdict v = detect_block(c.status, c.body, c.final_url, c.location);
    CHECK(to_string(v.kind) == std::string(to_string(c.kind)));
    CHECK_FALSE(v.reason.empty());
    CHECK_THAT(v.reason, Catch::Contains("HTTP " + std::to_string(c.status)));
  }
}

TEST_CASE("ordinary pages are not blocks", "[block]") {
  CHECK_FALSE(detect_block(200, read_file(fixture_path("messy_soup.html")), "http://h.test/search").blocked());
  // A long listing page mentioning "maintenance", "access denied", "too many requests".
  CHECK_FALSE(detect_block(200, read_file(fixture_path("normal_page_with_block_words.html")), "http://h.test/s").blocked());
  CHECK_FALSE(detect_block(404, "<h1>Not found</h1>", "http://h.test/listing/9").blocked());
  CHECK_FALSE(detect_block(500, "", "http://h.test/x").blocked());
  CHECK_FALSE(detect_block(200, "", "http://h.test/blog/how-to-login-faster").blocked());  // "login" must be a path segment
  CHECK_FALSE(detect_block(301, "", "http://h.test/a", "/b").blocked());
}
