// Named, shared resources declared under `resources:` and referenced by nodes: rate limits,
// circuit breakers, budgets and adaptive concurrency limits (engine/adaptive_limit.hpp). oneTBB
// has no resource_limiter, so these are ours; all are thread-safe and shared by every node that
// names them.
#pragma once
#include <yaml-cpp/yaml.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace flowrun {

class AdaptiveLimit;

using Clock = std::chrono::steady_clock;

// At most `count` acquisitions in any window of length `per`, and at least `min_delay` between
// two. acquire() blocks the calling (I/O) thread until a slot is free and returns the wait.
//
// A caller that passes a Ticket holds its slot until release(): the slot's window then starts
// when the request was answered, not when it was sent. That makes the limit hold where it
// matters, at the server: a request granted late in one window may arrive after a fast one from
// the next, and counting from grant time alone let a server see 604 requests in a 600/min window.
class RateLimiter {
 public:
  using Ticket = std::uint64_t;
  RateLimiter(std::string name, int count, std::chrono::milliseconds per,
              std::chrono::milliseconds min_delay = {});
  std::chrono::milliseconds acquire(const std::function<bool()>& cancelled = {}, Ticket* held = nullptr);
  void release(Ticket t);  // the request that `t` allowed has been answered (or failed)
  const std::string& name() const { return name_; }
  std::int64_t waits() const { return waits_.load(); }
  std::chrono::milliseconds waited() const { return std::chrono::milliseconds(waited_ms_.load()); }
  int count() const { return count_; }
  std::chrono::milliseconds per() const { return per_; }

 private:
  struct Slot {
    Ticket id;
    Clock::time_point at;  // grant time, or answer time once released
    bool held;             // granted with a ticket and not released yet
  };
  std::string name_;
  int count_;
  std::chrono::milliseconds per_, min_delay_;
  std::mutex mu_;
  std::deque<Slot> slots_;  // at most `count` entries: memory is bounded by the limit itself
  Ticket next_ticket_ = 1;
  Clock::time_point last_{};
  std::atomic<std::int64_t> waits_{0}, waited_ms_{0};
};

// Classic three-state breaker: closed -> open after `failures` consecutive failures; open for
// `open_for`; then half-open lets `half_open_probes` calls through; one success closes it.
class CircuitBreaker {
 public:
  enum class State { closed, open, half_open };
  CircuitBreaker(std::string name, int failures, std::chrono::milliseconds open_for,
                 int half_open_probes = 1);
  bool allow();  // false while open (the caller takes its fallback)
  void record_success();
  void record_failure();
  State state();
  const std::string& name() const { return name_; }
  std::int64_t rejected() const { return rejected_.load(); }
  std::int64_t trips() const { return trips_.load(); }

 private:
  std::string name_;
  int threshold_;
  std::chrono::milliseconds open_for_;
  int probes_;
  std::mutex mu_;
  State state_ = State::closed;
  int consecutive_ = 0, probes_in_flight_ = 0;
  Clock::time_point opened_at_{};
  std::atomic<std::int64_t> rejected_{0}, trips_{0};
};

// A spendable amount per run (LLM tokens). try_reserve() is checked before a call, spend()
// records what it really cost; cost per 1k units is optional.
class Budget {
 public:
  Budget(std::string name, double limit, double price_per_1k = 0);
  bool exhausted() const;
  void spend(double units);
  double spent() const;
  double remaining() const;
  double cost() const;  // spent / 1000 * price_per_1k
  double limit() const { return limit_; }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  double limit_, price_;
  mutable std::mutex mu_;
  double spent_ = 0;
};

class Resources {
 public:
  // Builds every resource from the `resources:` map (throws std::invalid_argument on bad values).
  static std::unique_ptr<Resources> from_yaml(const YAML::Node& resources);

  RateLimiter* rate_limit(const std::string& name);  // nullptr when not declared
  CircuitBreaker* breaker(const std::string& name);
  Budget* budget(const std::string& name);
  // A resources.concurrency entry: one adaptive limit shared by every node that names it.
  std::shared_ptr<AdaptiveLimit> concurrency_limit(const std::string& name);

  bool has_rate_limit(const std::string& n) const { return rate_limits_.count(n) > 0; }
  bool has_breaker(const std::string& n) const { return breakers_.count(n) > 0; }
  bool has_budget(const std::string& n) const { return budgets_.count(n) > 0; }

  const std::map<std::string, std::unique_ptr<RateLimiter>>& rate_limits() const { return rate_limits_; }
  const std::map<std::string, std::unique_ptr<CircuitBreaker>>& breakers() const { return breakers_; }
  const std::map<std::string, std::unique_ptr<Budget>>& budgets() const { return budgets_; }
  const std::map<std::string, std::shared_ptr<AdaptiveLimit>>& concurrency_limits() const { return concurrency_; }

  void add_rate_limit(std::unique_ptr<RateLimiter> r);
  void add_breaker(std::unique_ptr<CircuitBreaker> b);
  void add_budget(std::unique_ptr<Budget> b);

 private:
  std::map<std::string, std::unique_ptr<RateLimiter>> rate_limits_;
  std::map<std::string, std::unique_ptr<CircuitBreaker>> breakers_;
  std::map<std::string, std::unique_ptr<Budget>> budgets_;
  std::map<std::string, std::shared_ptr<AdaptiveLimit>> concurrency_;
};

}  // namespace flowrun
