#include "nodes/http/proxy_pool.hpp"

#include <algorithm>

namespace flowrun::http {

ProxyPool::ProxyPool(std::vector<std::string> proxies, int max_failures,
                     std::chrono::milliseconds cooldown)
    : max_failures_(std::max(1, max_failures)), cooldown_(cooldown) {
  for (auto& p : proxies)
    if (!p.empty()) proxies_.push_back(std::move(p));
  state_.resize(proxies_.size());
}

std::size_t ProxyPool::next(Clock::time_point now) {
  std::lock_guard lock(mu_);
  const std::size_t n = proxies_.size();
  for (std::size_t k = 0; k < n; ++k) {
    std::size_t i = (cursor_ + k) % n;
    if (state_[i].until <= now) {
      cursor_ = (i + 1) % n;
      return i;
    }
  }
  std::size_t best = 0;
  for (std::size_t i = 1; i < n; ++i)
    if (state_[i].until < state_[best].until) best = i;
  cursor_ = (best + 1) % n;
  return best;
}

void ProxyPool::success(std::size_t i) {
  std::lock_guard lock(mu_);
  state_[i].consecutive = 0;
}

bool ProxyPool::failure(std::size_t i, Clock::time_point now) {
  std::lock_guard lock(mu_);
  if (++state_[i].consecutive < max_failures_) return false;
  state_[i].until = now + cooldown_;
  state_[i].consecutive = 0;
  return true;
}

bool ProxyPool::cooling(std::size_t i, Clock::time_point now) const {
  std::lock_guard lock(mu_);
  return state_[i].until > now;
}

int ProxyPool::failures(std::size_t i) const {
  std::lock_guard lock(mu_);
  return state_[i].consecutive;
}

}  // namespace flowrun::http
