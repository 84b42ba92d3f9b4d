// A cpp-httplib server on 127.0.0.1 with an ephemeral port, run on its own thread for one test.
#pragma once
#include <httplib.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

namespace flowrun::testing {

class LoopbackServer {
 public:
  httplib::Server svr;

  ~LoopbackServer() { stop(); }

  // Call after registering handlers.
  void start() {
    port_ = svr.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) throw std::runtime_error("cannot bind 127.0.0.1");
    svr.set_tcp_nodelay(true);
    thread_ = std::thread([this] { svr.listen_after_bind(); });
    for (int i = 0; i < 500 && !svr.is_running(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  void stop() {
    if (thread_.joinable()) {
      svr.stop();
      thread_.join();
    }
  }
  int port() const { return port_; }
  std::string url(const std::string& path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  int port_ = 0;
  std::thread thread_;
};

// A loopback port nothing listens on (a server's, after it stopped): for refused connections, or
// for a child server to bind.
inline int closed_port() {
  LoopbackServer s;
  s.start();
  const int p = s.port();
  s.stop();
  return p;
}

}  // namespace flowrun::testing
