#include "nodes/listings/page_fetcher.hpp"

#include "nodes/http/http_client.hpp"

namespace flowrun::listings {

namespace {

class HttpFetcher : public PageFetcher {
 public:
  explicit HttpFetcher(http::Client& c) : client_(c) {}
  Page fetch(const std::string& url) override {
    http::Response r = client_.get(url, {{"Accept", "text/html,application/xhtml+xml"}});
    Page p;
    p.status = r.status;
    p.body = std::move(r.body);
    p.final_url = r.effective_url.empty() ? url : r.effective_url;
    p.location = r.header("location");
    p.retry_after = r.header("retry-after");
    return p;
  }

 private:
  http::Client& client_;
};

}  // namespace

std::unique_ptr<PageFetcher> make_http_fetcher(http::Client& client) { return std::make_unique<HttpFetcher>(client); }

}  // namespace flowrun::listings
