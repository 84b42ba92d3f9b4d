// Getting a page: over the shared HTTP client, or rendered by headless Chromium (for pages that
// build their listings with JavaScript) with every request still made by the shared client. The
// scraper only sees a Page either way.
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
  int requests = 1;         // HTTP requests it took (a rendered page's scripts and XHR included)
};

class PageFetcher {
 public:
  virtual ~PageFetcher() = default;
  // Throws on transport failure (after the client's own retries).
  virtual Page fetch(const std::string& url) = 0;
};

std::unique_ptr<PageFetcher> make_http_fetcher(http::Client& client);

struct RenderOptions {
  std::string binary = "/usr/bin/chromium";
  std::chrono::milliseconds timeout{30000};  // for the whole page: document, scripts, XHR, DOM
  // Quiet time after the load event before the DOM is read, for requests scripts start late.
  std::chrono::milliseconds settle{500};
  std::function<bool()> cancelled;
};

// Renders pages in headless Chromium (cdp_pipe.hpp) while every request the page makes (the
// document, its redirects, scripts, XHR) is answered by `client`, so rendered pages get the same
// rate limit, retries, proxies and cassettes as plain ones. The Page's status, final URL and
// Retry-After are those of the main document as `client` fetched it; its body is the DOM after
// scripts ran. The browser starts on the first fetch and stays up for the fetcher's lifetime.
// Throws std::runtime_error naming the URL when the document cannot be had or the page does not
// finish within the timeout.
std::unique_ptr<PageFetcher> make_rendered_fetcher(http::Client& client, RenderOptions opts);

}  // namespace flowrun::listings
