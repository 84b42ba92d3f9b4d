// A fixed set of threads for blocking work (HTTP, LLM, database), so that oneTBB workers never
// wait on the network. One pool per I/O node: its size is the node's concurrency, which is what
// bounds requests in flight. With `concurrency: adaptive` the pool has `max` threads and every
// job first takes a permit from the node's AdaptiveLimit (engine/adaptive_limit.hpp), which also
// learns from the job: so the limit, not the thread count, decides how many bodies run.
#pragma once
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/adaptive_feedback.hpp"

namespace flowrun {

class IoPool {
 public:
  explicit IoPool(int threads, AdaptiveLimit* limit = nullptr) : limit_(limit) {
    for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { loop(); });
  }
  ~IoPool() { stop(); }
  IoPool(const IoPool&) = delete;
  IoPool& operator=(const IoPool&) = delete;

  void submit(std::function<void()> job) {
    {
      std::lock_guard lock(mu_);
      jobs_.push_back(std::move(job));
    }
    cv_.notify_one();
  }

  // Finishes queued jobs, then joins.
  void stop() {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_)
      if (t.joinable()) t.join();
  }

 private:
  void loop() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
        if (jobs_.empty()) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      AdaptiveBodyScope permit(limit_);  // nothing without a limit
      job();
    }
  }

  AdaptiveLimit* limit_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> workers_;
  bool stopping_ = false;
};

}  // namespace flowrun
