#include "engine/resources.hpp"

#include <algorithm>
#include <stdexcept>
#include <thread>

#include "engine/adaptive_limit.hpp"
#include "engine/options.hpp"

namespace flowrun {

// ---- RateLimiter: a sliding window log. Exact ("never exceeded in any window of `per`"),
// and the log holds at most `count` timestamps, so memory is bounded by the limit itself.

RateLimiter::RateLimiter(std::string name, int count, std::chrono::milliseconds per,
                         std::chrono::milliseconds min_delay)
    : name_(std::move(name)), count_(count), per_(per), min_delay_(min_delay) {
  if (count_ <= 0) throw std::invalid_argument("rate limit '" + name_ + "': count must be > 0");
  if (per_.count() <= 0) throw std::invalid_argument("rate limit '" + name_ + "': per must be > 0");
}

std::chrono::milliseconds RateLimiter::acquire(const std::function<bool()>& cancelled, Ticket* held) {
  const auto start = Clock::now();
  bool waited = false;
  for (;;) {
    Clock::time_point wake;
    {
      std::lock_guard lock(mu_);
      const auto now = Clock::now();
      // Released slots older than the window are free again; held ones stay until released.
      slots_.erase(std::remove_if(slots_.begin(), slots_.end(),
                                  [&](const Slot& s) { return !s.held && now - s.at >= per_; }),
                   slots_.end());
      Clock::time_point ready = now;
      if (static_cast<int>(slots_.size()) >= count_) {
        // Full: the earliest released slot frees first; if every slot is held, poll shortly.
        ready = Clock::time_point::max();
        for (const auto& s : slots_)
          if (!s.held) ready = std::min(ready, s.at + per_);
        if (ready == Clock::time_point::max()) ready = now + std::chrono::milliseconds(5);
      }
      if (min_delay_.count() > 0 && last_ != Clock::time_point{})
        ready = std::max(ready, last_ + min_delay_);
      if (ready <= now) {
        const Ticket id = next_ticket_++;
        slots_.push_back(Slot{id, now, held != nullptr});
        if (held) *held = id;
        last_ = now;
        auto w = std::chrono::duration_cast<std::chrono::milliseconds>(now - start);
        if (waited) {
          waits_++;
          waited_ms_ += w.count();
        }
        return w;
      }
      wake = ready;
    }
    waited = true;
    if (cancelled && cancelled()) return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    // Sleep in short slices so a stop request is noticed quickly.
    auto slice = std::min<Clock::duration>(wake - Clock::now(), std::chrono::milliseconds(100));
    if (slice > Clock::duration::zero()) std::this_thread::sleep_for(slice);
  }
}

void RateLimiter::release(Ticket t) {
  std::lock_guard lock(mu_);
  for (auto& s : slots_)
    if (s.id == t && s.held) {
      s.held = false;
      s.at = Clock::now();
      return;
    }
}

// ---- CircuitBreaker

CircuitBreaker::CircuitBreaker(std::string name, int failures, std::chrono::milliseconds open_for,
                               int half_open_probes)
    : name_(std::move(name)), threshold_(failures), open_for_(open_for), probes_(half_open_probes) {
  if (threshold_ <= 0) throw std::invalid_argument("breaker '" + name_ + "': failures must be > 0");
  if (probes_ <= 0) probes_ = 1;
}

bool CircuitBreaker::allow() {
  std::lock_guard lock(mu_);
  if (state_ == State::open) {
    if (Clock::now() - opened_at_ < open_for_) {
      rejected_++;
      return false;
    }
    state_ = State::half_open;
    probes_in_flight_ = 0;
  }
  if (state_ == State::half_open) {
    if (probes_in_flight_ >= probes_) {
      rejected_++;
      return false;
    }
    probes_in_flight_++;
  }
  return true;
}

void CircuitBreaker::record_success() {
  std::lock_guard lock(mu_);
  consecutive_ = 0;
  if (state_ == State::half_open) state_ = State::closed, probes_in_flight_ = 0;
}

void CircuitBreaker::record_failure() {
  std::lock_guard lock(mu_);
  if (state_ == State::half_open || ++consecutive_ >= threshold_) {
    if (state_ != State::open) trips_++;
    state_ = State::open;
    opened_at_ = Clock::now();
    consecutive_ = 0;
    probes_in_flight_ = 0;
  }
}

CircuitBreaker::State CircuitBreaker::state() {
  std::lock_guard lock(mu_);
  if (state_ == State::open && Clock::now() - opened_at_ >= open_for_) return State::half_open;
  return state_;
}

// ---- Budget

Budget::Budget(std::string name, double limit, double price_per_1k)
    : name_(std::move(name)), limit_(limit), price_(price_per_1k) {
  if (limit_ < 0) throw std::invalid_argument("budget '" + name_ + "': limit must be >= 0");
}
bool Budget::exhausted() const {
  std::lock_guard lock(mu_);
  return spent_ >= limit_;
}
void Budget::spend(double units) {
  std::lock_guard lock(mu_);
  spent_ += units;
}
double Budget::spent() const {
  std::lock_guard lock(mu_);
  return spent_;
}
double Budget::remaining() const {
  std::lock_guard lock(mu_);
  return std::max(0.0, limit_ - spent_);
}
double Budget::cost() const {
  std::lock_guard lock(mu_);
  return spent_ / 1000.0 * price_;
}

// ---- Resources

static std::chrono::milliseconds duration_of(const YAML::Node& n, const std::string& what) {
  auto d = parse_duration(n.as<std::string>());
  if (!d || d->count() < 0) throw std::invalid_argument(what + " must be a duration like 30s or 1h");
  return *d;
}

std::unique_ptr<Resources> Resources::from_yaml(const YAML::Node& res) {
  auto out = std::make_unique<Resources>();
  if (!res || res.IsNull()) return out;
  if (const auto& rl = res["rate_limits"]) {
    for (const auto& kv : rl) {
      const std::string name = kv.first.as<std::string>();
      const auto& v = kv.second;
      std::string where = "rate limit '" + name + "'";
      if (!v["count"] || !v["per"]) throw std::invalid_argument(where + " needs count and per");
      out->add_rate_limit(std::make_unique<RateLimiter>(
          name, v["count"].as<int>(), duration_of(v["per"], where + ": per"),
          v["min_delay"] ? duration_of(v["min_delay"], where + ": min_delay") : std::chrono::milliseconds{}));
    }
  }
  if (const auto& br = res["breakers"]) {
    for (const auto& kv : br) {
      const std::string name = kv.first.as<std::string>();
      const auto& v = kv.second;
      std::string where = "breaker '" + name + "'";
      out->add_breaker(std::make_unique<CircuitBreaker>(
          name, v["failures"] ? v["failures"].as<int>() : 5,
          v["open_for"] ? duration_of(v["open_for"], where + ": open_for") : std::chrono::seconds(60),
          v["half_open_probes"] ? v["half_open_probes"].as<int>() : 1));
    }
  }
  if (const auto& bu = res["budgets"]) {
    for (const auto& kv : bu) {
      const std::string name = kv.first.as<std::string>();
      const auto& v = kv.second;
      double limit = v["tokens_per_run"] ? v["tokens_per_run"].as<double>()
                     : v["limit"]        ? v["limit"].as<double>()
                                         : throw std::invalid_argument("budget '" + name + "' needs tokens_per_run");
      out->add_budget(std::make_unique<Budget>(name, limit, v["price_per_1k"] ? v["price_per_1k"].as<double>() : 0));
    }
  }
  if (const auto& cl = res["concurrency"])  // checked with file:line:column by check_concurrency_resources
    for (const auto& kv : cl) {
      const std::string name = kv.first.as<std::string>();
      out->concurrency_[name] = std::make_shared<AdaptiveLimit>(name, adaptive_bounds_of(kv.second));
    }
  return out;
}

std::shared_ptr<AdaptiveLimit> Resources::concurrency_limit(const std::string& n) {
  auto it = concurrency_.find(n);
  return it == concurrency_.end() ? nullptr : it->second;
}

RateLimiter* Resources::rate_limit(const std::string& n) {
  auto it = rate_limits_.find(n);
  return it == rate_limits_.end() ? nullptr : it->second.get();
}
CircuitBreaker* Resources::breaker(const std::string& n) {
  auto it = breakers_.find(n);
  return it == breakers_.end() ? nullptr : it->second.get();
}
Budget* Resources::budget(const std::string& n) {
  auto it = budgets_.find(n);
  return it == budgets_.end() ? nullptr : it->second.get();
}
void Resources::add_rate_limit(std::unique_ptr<RateLimiter> r) { rate_limits_[r->name()] = std::move(r); }
void Resources::add_breaker(std::unique_ptr<CircuitBreaker> b) { breakers_[b->name()] = std::move(b); }
void Resources::add_budget(std::unique_ptr<Budget> b) { budgets_[b->name()] = std::move(b); }

}  // namespace flowrun
