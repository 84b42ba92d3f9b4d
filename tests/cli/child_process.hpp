// Runs the built `flowrun` as a child process in a chosen folder, capturing stdout and stderr
// into files, with a generous timeout (a child that hangs is killed and the test fails).
#pragma once
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/shared/run_checks.hpp"

namespace flowrun::testing {

struct ChildResult {
  bool exited = false;  // false: killed by a signal or by the timeout
  int code = -1;        // exit status when exited
  bool timed_out = false;
  std::string out, err;
};

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class Child {
 public:
  Child(const std::vector<std::string>& args, const std::filesystem::path& cwd) : dir_(cwd) {
    out_ = cwd / ".child.out";
    err_ = cwd / ".child.err";
    pid_ = ::fork();
    if (pid_ == 0) {
      if (::chdir(cwd.c_str()) != 0) ::_exit(127);
      if (!std::freopen(out_.c_str(), "w", stdout) || !std::freopen(err_.c_str(), "w", stderr)) ::_exit(127);
      std::vector<char*> argv;
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
  }
  ~Child() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  bool running() {
    if (reaped_) return false;
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      reaped_ = true;
      status_ = st;
      return false;
    }
    return true;
  }
  ChildResult wait(std::chrono::seconds timeout = std::chrono::seconds(60)) {
    ChildResult r;
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (running()) {
      if (std::chrono::steady_clock::now() > until) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status_, 0);
        reaped_ = true;
        r.timed_out = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    r.exited = !r.timed_out && WIFEXITED(status_);
    r.code = r.exited ? WEXITSTATUS(status_) : -1;
    r.out = slurp(out_);
    r.err = slurp(err_);
    return r;
  }

 private:
  std::filesystem::path dir_, out_, err_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
};

// A `flowrun` command that ran a pipeline has its summary checked here (every node balances,
// tests/shared/run_checks.hpp), so each test that runs the binary through this helper checks it.
inline ChildResult run_child(const std::vector<std::string>& args, const std::filesystem::path& cwd) {
  Child c(args, cwd);
  auto r = c.wait();
  if (r.exited && !args.empty() && std::filesystem::path(args[0]).filename() == "flowrun")
    check_run_output({args.begin() + 1, args.end()}, r.code, r.out, r.err);
  return r;
}

}  // namespace flowrun::testing
