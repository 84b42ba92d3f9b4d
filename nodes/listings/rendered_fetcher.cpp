// Rendering through Chromium with our own HTTP client as its network: one page target per page,
// the Fetch domain pausing every request it makes, and each paused request answered with what
// http::Client fetched (Fetch.fulfillRequest) or failed (Fetch.failRequest).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <stdexcept>

#include "engine/json_text.hpp"
#include "nodes/http/base64.hpp"
#include "nodes/http/http_client.hpp"
#include "nodes/listings/cdp_pipe.hpp"
#include "nodes/listings/page_fetcher.hpp"

namespace flowrun::listings {

namespace json = boost::json;
using Clock = CdpPipe::Clock;

namespace {

std::string str(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

const json::object& obj(const json::object& o, std::string_view key) {
  static const json::object empty;
  const json::value* v = o.if_contains(key);
  return v && v->is_object() ? v->as_object() : empty;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// Chromium's request headers, less those our client sets itself: its User-Agent (the client's
// is the one robots.txt and the site see) and Accept-Encoding (curl decodes what it asks for).
std::vector<std::pair<std::string, std::string>> forwarded_headers(const json::object& request) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, value] : obj(request, "headers")) {
    if (!value.is_string() || iequals(name, "user-agent") || iequals(name, "accept-encoding")) continue;
    out.emplace_back(std::string(name), std::string(value.as_string()));
  }
  return out;
}

std::string post_body(const json::object& request) {
  if (const json::value* entries = request.if_contains("postDataEntries"); entries && entries->is_array()) {
    std::string body;
    for (const auto& e : entries->as_array())
      if (e.is_object()) body += http::base64_decode(str(e.as_object(), "bytes"));
    return body;
  }
  return str(request, "postData");
}

// The response as Chromium should see it: the body is already decoded and whole, so the headers
// that describe its transfer no longer apply.
json::array response_headers(const http::Response& r) {
  json::array out;
  for (const auto& [name, value] : r.headers) {
    if (name == "content-encoding" || name == "content-length" || name == "transfer-encoding" || name == "connection" ||
        name == "keep-alive")
      continue;
    out.push_back(json::object{{"name", name}, {"value", value}});
  }
  return out;
}

// Requests that cannot change the DOM we read: pictures, sound, fonts and the tab's icon. Not
// fetching them spares the site and our rate limit; the page sees them fail as a blocker would.
bool cosmetic(const std::string& resource_type, const std::string& url) {
  if (resource_type == "Image" || resource_type == "Media" || resource_type == "Font") return true;
  auto path = url.find('/', url.find("://") + 3);
  return path != std::string::npos && url.compare(path, std::string::npos, "/favicon.ico") == 0;
}

// Flags for a browser that is only a renderer: nothing of its own on the network, no first-run
// chores. The proxy catches anything the Fetch domain would not pause (a service worker, say):
// it goes nowhere instead of around our rate limit.
std::vector<std::string> browser_args(const std::string& user_agent) {
  return {"--no-first-run",
          "--no-default-browser-check",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--disable-extensions",
          "--disable-default-apps",
          "--mute-audio",
          "--proxy-server=http://127.0.0.1:9",
          "--proxy-bypass-list=<-loopback>",
          "--user-agent=" + user_agent};
}

class RenderedFetcher : public PageFetcher {
 public:
  RenderedFetcher(http::Client& client, RenderOptions o) : client_(client), o_(std::move(o)) {}

  Page fetch(const std::string& url) override {
    // The URL goes to Chromium as data, but a file: or chrome: URL would still read local things.
    if (!(url.starts_with("http://") || url.starts_with("https://")))
      throw std::runtime_error("chromium render: refusing non-HTTP URL '" + url + "'");
    try {
      if (!browser_) start_browser();
      return render(url);
    } catch (...) {
      browser_.reset();  // a page left half-loaded is not worth keeping a browser for
      throw;
    }
  }

 private:
  // What one page load has seen so far.
  struct Load {
    std::string url, target, session;
    Clock::time_point deadline;
    std::optional<Page> document;  // the main document as our client fetched it (last redirect hop)
    std::string document_error;    // why the client could not fetch it
    int requests = 0;
    bool loaded = false;
    Clock::time_point last_activity;
  };

  // A cold start takes seconds on a busy machine; that is not the page's time.
  void start_browser() {
    browser_ = std::make_unique<CdpPipe>(o_.binary, browser_args(client_.options().user_agent));
    browser_->call("Browser.getVersion", {}, "", Clock::now() + std::chrono::seconds(60));
  }
  Page render(const std::string& url);
  void open_target(Load& load, Clock::time_point deadline);
  void handle(Load& load, const json::object& msg, int navigate_id);
  void answer(Load& load, const json::object& paused);
  std::string read_dom(const Load& load, Clock::time_point deadline);
  [[noreturn]] void fail(const Load& load, const std::string& why) const {
    throw std::runtime_error("chromium render of " + client_.redact(load.url) + ": " + why);
  }

  http::Client& client_;
  RenderOptions o_;
  std::unique_ptr<CdpPipe> browser_;
};

void RenderedFetcher::open_target(Load& load, Clock::time_point deadline) {
  load.target = str(browser_->call("Target.createTarget", {{"url", "about:blank"}}, "", deadline), "targetId");
  // A flat session: the target's messages come on this same pipe, tagged with its sessionId.
  load.session = str(browser_->call("Target.attachToTarget", {{"targetId", load.target}, {"flatten", true}}, "", deadline),
                     "sessionId");
  if (load.target.empty() || load.session.empty()) fail(load, "Chromium gave no page target");
  browser_->call("Fetch.enable", {{"patterns", json::array{json::object{{"urlPattern", "*"}}}}}, load.session, deadline);
  browser_->call("Page.enable", {}, load.session, deadline);
}

Page RenderedFetcher::render(const std::string& url) {
  Load load;
  load.url = url;
  // A new tab starts a renderer process, seconds on a busy machine; the page's clock starts after.
  open_target(load, Clock::now() + std::chrono::seconds(60));
  const auto deadline = Clock::now() + o_.timeout;
  load.deadline = deadline;
  const int navigate_id = browser_->send("Page.navigate", {{"url", url}}, load.session);
  for (;;) {
    if (o_.cancelled && o_.cancelled()) fail(load, "cancelled");
    const auto now = Clock::now();
    const auto until = load.loaded ? std::min(deadline, load.last_activity + o_.settle) : deadline;
    if (now >= until) {
      if (!load.loaded) fail(load, "timed out after " + std::to_string(o_.timeout.count()) + " ms");
      break;  // loaded, and quiet for `settle` (or out of time: take the DOM as it is)
    }
    // Short waits, so that a stopping run is not held up by a page that hangs.
    json::object msg = browser_->next(std::min(until, now + std::chrono::milliseconds(200)));
    if (!msg.empty()) handle(load, msg, navigate_id);
  }
  if (!load.document) fail(load, load.document_error.empty() ? "no document" : load.document_error);
  Page page = std::move(*load.document);
  page.body = read_dom(load, deadline + std::chrono::seconds(5));
  page.requests = load.requests;
  browser_->call("Target.closeTarget", {{"targetId", load.target}}, "", deadline + std::chrono::seconds(5));
  return page;
}

// One message of the page load.
void RenderedFetcher::handle(Load& load, const json::object& msg, int navigate_id) {
  const std::string method = str(msg, "method");
  const bool ours = str(msg, "sessionId") == load.session;
  if (method == "Fetch.requestPaused" && ours) {
    answer(load, obj(msg, "params"));
  } else if (method == "Page.loadEventFired" && ours) {
    // Only the load of our document counts, not a late one of the blank tab it replaces.
    if (!load.document) return;
    load.loaded = true;
  } else if ((method == "Inspector.targetCrashed" && ours) || method == "Target.targetCrashed") {
    fail(load, "the page crashed");
  } else if (const json::value* id = msg.if_contains("id"); id && id->is_int64() && id->as_int64() == navigate_id) {
    // Navigation that did not commit: the document failed (our client could not fetch it) or
    // Chromium refused it. A document with an error status still commits and is reported.
    // (An error status with an empty body commits as Chromium's own error page, with an
    // errorText: the status we fetched is still the answer.)
    if (std::string err = str(obj(msg, "result"), "errorText"); !err.empty() && !load.document)
      fail(load, load.document_error.empty() ? err : load.document_error);
    return;
  } else {
    if (const json::value* e = msg.if_contains("error"))
      spdlog::debug("chromium render of {}: {}", client_.redact(load.url), to_json_text(*e));
    return;
  }
  load.last_activity = Clock::now();
}

void RenderedFetcher::answer(Load& load, const json::object& paused) {
  const json::object& request = obj(paused, "request");
  const std::string id = str(paused, "requestId"), url = str(request, "url");
  // The main frame's id is its target's id: its documents are the page (each redirect hop too).
  const bool document = str(paused, "resourceType") == "Document" && str(paused, "frameId") == load.target;
  if (!(url.starts_with("http://") || url.starts_with("https://")) || cosmetic(str(paused, "resourceType"), url)) {
    browser_->send("Fetch.failRequest", {{"requestId", id}, {"errorReason", "BlockedByClient"}}, load.session);
    return;
  }
  http::Request req;
  req.method = str(request, "method");
  req.url = url;
  req.headers = forwarded_headers(request);
  req.body = post_body(request);
  req.follow_redirects = false;  // Chromium follows a 3xx itself and asks us for the next hop
  // No request outlives the page's own time.
  req.timeout = std::max(std::chrono::milliseconds(1),
                         std::chrono::duration_cast<std::chrono::milliseconds>(load.deadline - Clock::now()));
  ++load.requests;
  http::Response resp;
  try {
    resp = client_.send(req);
  } catch (const std::exception& e) {
    // A script or image that fails is the page's business; a document that fails is the page.
    if (document) load.document_error = client_.redact(e.what());
    spdlog::debug("chromium render of {}: {} failed: {}", client_.redact(load.url), client_.redact(url),
                  client_.redact(e.what()));
    browser_->send("Fetch.failRequest", {{"requestId", id}, {"errorReason", "Failed"}}, load.session);
    return;
  }
  if (document) {
    Page p;
    p.status = resp.status;
    p.final_url = url;
    p.retry_after = resp.header("retry-after");
    load.document = std::move(p);
  }
  browser_->send("Fetch.fulfillRequest",
                 {{"requestId", id},
                  {"responseCode", resp.status},
                  {"responseHeaders", response_headers(resp)},
                  {"body", http::base64_encode(resp.body)}},
                 load.session);
}

std::string RenderedFetcher::read_dom(const Load& load, Clock::time_point deadline) {
  json::object r = browser_->call(
      "Runtime.evaluate", {{"expression", "document.documentElement.outerHTML"}, {"returnByValue", true}}, load.session,
      deadline);
  const json::object& result = obj(r, "result");
  const json::value* value = result.if_contains("value");
  if (!value || !value->is_string()) fail(load, "the page has no DOM to read");
  return "<!DOCTYPE html>\n" + std::string(value->as_string());
}

}  // namespace

std::unique_ptr<PageFetcher> make_rendered_fetcher(http::Client& client, RenderOptions opts) {
  return std::make_unique<RenderedFetcher>(client, std::move(opts));
}

}  // namespace flowrun::listings
