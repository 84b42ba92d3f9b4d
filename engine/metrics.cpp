#include "engine/metrics.hpp"

#include <cmath>

namespace flowrun {

// Bucket i covers (base^(i-1), base^i] microseconds with base 2^(1/4): ~19% wide, up to ~2.3 h.
static constexpr double kBase = 1.189207115002721;

double LatencyHistogram::bucket_upper_us(int i) { return std::pow(kBase, i); }

void LatencyHistogram::record(std::int64_t micros) {
  int i = micros <= 1 ? 0 : static_cast<int>(std::ceil(std::log(static_cast<double>(micros)) / std::log(kBase)));
  if (i >= kBuckets) i = kBuckets - 1;
  if (i < 0) i = 0;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
}

std::int64_t LatencyHistogram::count() const {
  std::int64_t n = 0;
  for (const auto& b : buckets_) n += b.load(std::memory_order_relaxed);
  return n;
}

double LatencyHistogram::percentile_ms(double p) const {
  const std::int64_t total = count();
  if (total == 0) return 0;
  const auto rank = static_cast<std::int64_t>(std::ceil(p * static_cast<double>(total)));
  std::int64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += buckets_[i].load(std::memory_order_relaxed);
    if (seen >= rank) return bucket_upper_us(i) / 1000.0;
  }
  return bucket_upper_us(kBuckets - 1) / 1000.0;
}

}  // namespace flowrun
