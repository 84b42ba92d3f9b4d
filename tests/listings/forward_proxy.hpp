// A small HTTP forward proxy on 127.0.0.1 for tests: it takes the absolute-form requests a client
// sends a proxy ("GET http://127.0.0.1:PORT/path HTTP/1.1"), forwards them to that origin and
// relays the answer (redirects included, unfollowed; bodies uncompressed), counting what passed
// through it.
#pragma once
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

namespace listings_test {

class ForwardProxy {
 public:
  ForwardProxy() {
    server_.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      forward(req, res);
      return httplib::Server::HandlerResponse::Handled;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) throw std::runtime_error("forward proxy: cannot bind 127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    for (int i = 0; i < 500 && !server_.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ~ForwardProxy() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  ForwardProxy(const ForwardProxy&) = delete;
  ForwardProxy& operator=(const ForwardProxy&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int forwarded() const { return forwarded_; }

 private:
  void forward(const httplib::Request& req, httplib::Response& res) {
    const std::string& target = req.target;
    if (!target.starts_with("http://")) {
      res.status = 400;
      res.set_content("forward proxy: not an absolute-form http:// request: " + target, "text/plain");
      return;
    }
    auto slash = target.find('/', 7);
    std::string origin = target.substr(0, slash), path = slash == std::string::npos ? "/" : target.substr(slash);
    httplib::Client upstream(origin);
    upstream.set_follow_location(false);
    httplib::Headers headers;
    for (const auto& [k, v] : req.headers)
      if (k != "Host" && k != "Proxy-Connection" && k != "Connection" && k != "Content-Length" && k != "Accept-Encoding" &&
          k != "REMOTE_ADDR" && k != "REMOTE_PORT" && k != "LOCAL_ADDR" && k != "LOCAL_PORT")
        headers.emplace(k, v);
    httplib::Request out;
    out.method = req.method;
    out.path = path;
    out.headers = headers;
    out.body = req.body;
    auto r = upstream.send(out);
    ++forwarded_;
    if (!r) {
      res.status = 502;
      res.set_content("forward proxy: upstream " + origin + " failed", "text/plain");
      return;
    }
    res.status = r->status;
    for (const auto& [k, v] : r->headers)
      if (k != "Content-Length" && k != "Transfer-Encoding" && k != "Content-Encoding" && k != "Connection" &&
          k != "Keep-Alive")
        res.set_header(k, v);
    res.body = r->body;
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> forwarded_{0};
};

}  // namespace listings_test
