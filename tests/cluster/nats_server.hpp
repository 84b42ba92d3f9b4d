// A real nats-server with JetStream for the tests, on 127.0.0.1 with its store in a temp dir (the
// way tests/store/pg_server.hpp starts PostgreSQL). It can be stopped and started again on the
// same port and store, for the tests of a server restarting mid-run.
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>

namespace testnats {

inline const char* kBinary = "/usr/sbin/nats-server";

inline bool binary_present() { return std::filesystem::exists(kBinary); }

inline int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  const int port = ntohs(a.sin_port);
  close(fd);
  return port;
}

inline bool accepts(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

class Server {
 public:
  explicit Server(const std::filesystem::path& dir) : dir_(dir), port_(free_port()) {
    std::filesystem::create_directories(dir_ / "js");
    start();
  }
  ~Server() { stop(); }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const { return port_; }
  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }

  void start() {
    pid_ = fork();
    if (pid_ == 0) {
      const std::string log = (dir_ / "nats.log").string();
      if (!std::freopen(log.c_str(), "a", stdout) || !std::freopen(log.c_str(), "a", stderr)) _exit(127);
      const std::string port = std::to_string(port_), store = (dir_ / "js").string();
      execl(kBinary, kBinary, "-js", "-sd", store.c_str(), "-a", "127.0.0.1", "-p", port.c_str(), nullptr);
      _exit(127);
    }
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!accepts(port_)) {
      if (std::chrono::steady_clock::now() > until) throw std::runtime_error("nats-server did not start on " + url());
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  // A clean shutdown (SIGTERM): JetStream syncs its store first.
  void stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  std::filesystem::path dir_;
  int port_;
  pid_t pid_ = -1;
};

}  // namespace testnats
