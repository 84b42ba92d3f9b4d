// Getting a page: over the shared HTTP client, or through headless Chromium for pages that build
// their listings with JavaScript. The scraper only sees a Page either way.
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace flowrun::http {
class Client;
}

namespace flowrun::listings {

struct Page {
  long status = 0;
  std::string body;
  std::string final_url;    // after redirects
  std::string location;     // Location header of an unfollowed redirect
  std::string retry_after;  // Retry-After header, raw
};

class PageFetcher {
 public:
  virtual ~PageFetcher() = default;
  // Throws on transport failure (after the client's own retries).
  virtual Page fetch(const std::string& url) = 0;
};

std::unique_ptr<PageFetcher> make_http_fetcher(http::Client& client);

struct ChromiumOptions {
  std::string binary = "/usr/bin/chromium";
  std::chrono::milliseconds timeout{30000};
  std::string proxy;       // --proxy-server, "" = none
  std::string user_agent;  // --user-agent, "" = Chromium's own
  std::function<bool()> cancelled;
};
std::unique_ptr<PageFetcher> make_chromium_fetcher(ChromiumOptions opts);

// The DOM after scripts ran (`chromium --headless --dump-dom URL`). Throws std::runtime_error
// naming the URL when Chromium fails, times out or prints nothing.
std::string chromium_dump_dom(const std::string& url, const ChromiumOptions& opts);

}  // namespace flowrun::listings
