// Round-robin proxy rotation with failure counting: a proxy that fails `max_failures` times in a
// row cools down for `cooldown` and is skipped meanwhile. Thread-safe.
#pragma once
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

namespace flowrun::http {

class ProxyPool {
 public:
  using Clock = std::chrono::steady_clock;
  ProxyPool(std::vector<std::string> proxies, int max_failures, std::chrono::milliseconds cooldown);

  bool empty() const { return proxies_.empty(); }
  std::size_t size() const { return proxies_.size(); }

  // The next proxy in turn that is not cooling down. When all are cooling down we still use
  // the one that comes back first rather than silently going direct (which would leak our
  // address where the user asked for a proxy). Returns its index.
  std::size_t next(Clock::time_point now = Clock::now());
  const std::string& url(std::size_t i) const { return proxies_[i]; }

  void success(std::size_t i);
  // Returns true when this failure sent the proxy into its cooldown.
  bool failure(std::size_t i, Clock::time_point now = Clock::now());
  bool cooling(std::size_t i, Clock::time_point now = Clock::now()) const;
  int failures(std::size_t i) const;

 private:
  struct State {
    int consecutive = 0;
    Clock::time_point until{};
  };
  std::vector<std::string> proxies_;
  int max_failures_;
  std::chrono::milliseconds cooldown_;
  mutable std::mutex mu_;
  std::vector<State> state_;
  std::size_t cursor_ = 0;
};

}  // namespace flowrun::http
