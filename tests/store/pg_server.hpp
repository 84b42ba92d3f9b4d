// A real PostgreSQL 15 for the tests: started once per test binary with tools/pg/pg-temp.sh in
// a temp dir on 127.0.0.1, stopped at exit. Each test gets a fresh database.
#pragma once
#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

namespace testpg {

inline bool binaries_present() {
  return std::filesystem::exists("/usr/lib/postgresql/15/bin/initdb") &&
         std::filesystem::exists("/usr/lib/postgresql/15/bin/pg_ctl");
}

// A free loopback port (the kernel picks; closed again before the server binds it).
inline int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  int port = ntohs(a.sin_port);
  close(fd);
  return port;
}

inline std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("cannot run " + cmd);
  char buf[512];
  while (fgets(buf, sizeof buf, p)) out += buf;
  int rc = pclose(p);
  if (rc != 0) throw std::runtime_error(cmd + " failed (" + std::to_string(rc) + "): " + out);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

class Server {
 public:
  static Server& instance() {
    static Server s;
    return s;
  }
  // postgresql://postgres@127.0.0.1:PORT/<fresh database>
  std::string fresh_database() {
    std::string name = "t" + std::to_string(getpid()) + "_" + std::to_string(++counter_);
    PGconn* c = PQconnectdb(admin_url_.c_str());
    if (PQstatus(c) != CONNECTION_OK) {
      std::string msg = PQerrorMessage(c);
      PQfinish(c);
      throw std::runtime_error("cannot reach test PostgreSQL: " + msg);
    }
    PQclear(PQexec(c, ("CREATE DATABASE " + name).c_str()));
    PQfinish(c);
    return base_ + name;
  }
  ~Server() {
    if (!dir_.empty()) std::system((script() + " stop " + dir_ + " >/dev/null 2>&1").c_str());
  }

 private:
  static std::string script() { return FLOWRUN_PG_SCRIPT; }
  Server() {
    char tmpl[] = "/tmp/flowrun-pg-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    // A few tries: the free port can be taken between our probe and the server's bind.
    std::string err;
    for (int i = 0; i < 3; ++i) {
      int port = free_port();
      try {
        admin_url_ = run(script() + " start " + dir_ + " " + std::to_string(port) + " 2>&1");
        base_ = "postgresql://postgres@127.0.0.1:" + std::to_string(port) + "/";
        return;
      } catch (const std::exception& e) {
        err = e.what();
        std::system((script() + " stop " + dir_ + " >/dev/null 2>&1; mkdir -p " + dir_).c_str());
      }
    }
    throw std::runtime_error("cannot start test PostgreSQL: " + err);
  }
  std::string dir_, admin_url_, base_;
  std::atomic<int> counter_{0};
};

}  // namespace testpg
