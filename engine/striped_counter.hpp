// A counter that many threads add to and few read (a node's in/out/errors ...). Two workers
// running the same node would otherwise take turns owning one cache line per record; here each
// thread adds to a line of its own and a read sums the lines. Reads are for summaries, progress
// and metrics, never the hot path. Counters that decide something (`queued`, `in_flight`) stay
// single atomics: they must be exact at every moment.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>

namespace flowrun {

class StripedCounter {
 public:
  static constexpr int kStripes = 8;

  // Returns what this thread's stripe held before: a per-thread count, e.g. for sampling.
  std::int64_t add(std::int64_t n) { return stripes_[stripe()].v.fetch_add(n, std::memory_order_relaxed); }
  StripedCounter& operator+=(std::int64_t n) {
    add(n);
    return *this;
  }
  std::int64_t load() const {
    std::int64_t sum = 0;
    for (const auto& s : stripes_) sum += s.v.load(std::memory_order_relaxed);
    return sum;
  }
  operator std::int64_t() const { return load(); }  // NOLINT: reads like the atomic it replaced

 private:
  struct alignas(64) Stripe {
    std::atomic<std::int64_t> v{0};
  };
  // Threads take stripes in turn as they first count; with more threads than stripes some share.
  static int stripe() {
    static std::atomic<int> next{0};
    thread_local const int mine = next.fetch_add(1, std::memory_order_relaxed) % kStripes;
    return mine;
  }
  std::array<Stripe, kStripes> stripes_{};
};

}  // namespace flowrun
