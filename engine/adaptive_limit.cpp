#include "engine/adaptive_limit.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>
#include <stdexcept>

#include "engine/graph.hpp"
#include "engine/resources.hpp"

namespace flowrun {

namespace {

using Clock = AdaptiveLimit::Clock;

constexpr double kTolerance = 1.5;     // a window this much slower than no-load is queueing
constexpr int kMinAnswers = 4;         // answers a window needs before it decides anything ...
constexpr int kMaxAnswers = 256;       // ... and at most, however much the round trips vary
constexpr double kNoiseZ = 3.0;        // windows big enough that noise alone seldom looks slow
constexpr double kSigmaAlpha = 0.2;    // smoothing of the spread of round trips
constexpr int kCeilingWindows = 4;     // windows at a 429 ceiling without a 429 before it is dropped
constexpr double kScalingGain = 1.41;  // throughput a doubling of the limit must buy (sqrt 2)
constexpr int kFloorWindows = 3;       // slow windows at min before the no-load time is relearnt
constexpr double kEwmaAlpha = 0.4;     // smoothing of the window length (Vector's default)
constexpr double kBackoff = 0.5;       // cut on back-pressure
constexpr std::int64_t kProbeAfter = 200;     // answers below a 429 ceiling before trying it again
constexpr std::int64_t kProbeAfterMax = 800;  // ... doubling after each failed try, up to this

double micros(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

}  // namespace

Signal signal_of_status(long status) {
  if (status == 429 || status == 503) return Signal::overloaded;
  if (status == 504) return Signal::failed;  // a gateway gave up waiting: a timeout
  if (status >= 200 && status < 500) return Signal::ok;
  return Signal::neutral;
}

AdaptiveLimit::AdaptiveLimit(std::string name, AdaptiveBounds bounds)
    : name_(std::move(name)), bounds_(bounds), limit_(bounds.initial), ssthresh_(bounds.max) {
  if (bounds_.min < 1 || bounds_.max < bounds_.min || bounds_.initial < bounds_.min || bounds_.initial > bounds_.max)
    throw std::invalid_argument("adaptive concurrency '" + name_ + "': needs 1 <= min <= initial <= max");
  open_window(Clock::now());
}

// ---- permits --------------------------------------------------------------------------------

// Whether the limit is what holds work back, the evidence a window needs to raise it. Once the
// node makes requests, that is requests at the server: a body that holds a permit but waits for
// a rate limit is not using it (and raising the limit would only let more bodies wait). Before,
// or for nodes that make no requests, it is permits.
void AdaptiveLimit::note_demand(int busy, bool waited) {
  if (waited || busy >= std::max(1, (whole_limit() * 3 + 3) / 4)) window_.saturated = true;
}

void AdaptiveLimit::acquire() {
  std::unique_lock lock(mu_);
  if (in_flight_ >= whole_limit()) {
    if (!seen_request_) note_demand(in_flight_, true);
    ++waiters_;
    cv_.wait(lock, [&] { return in_flight_ < whole_limit(); });
    --waiters_;
  }
  peak_ = std::max(peak_, ++in_flight_);
  if (!seen_request_) note_demand(in_flight_, false);
}

bool AdaptiveLimit::try_acquire() {
  std::lock_guard lock(mu_);
  if (in_flight_ >= whole_limit()) {
    if (!seen_request_) note_demand(in_flight_, true);
    return false;
  }
  peak_ = std::max(peak_, ++in_flight_);
  if (!seen_request_) note_demand(in_flight_, false);
  return true;
}

void AdaptiveLimit::request_started() {
  std::lock_guard lock(mu_);
  note_demand(++requests_, false);
  window_.peak_requests = std::max(window_.peak_requests, requests_);
}

void AdaptiveLimit::note_throttled() {
  std::lock_guard lock(mu_);
  window_.throttled = true;
}

void AdaptiveLimit::request_ended() {
  std::lock_guard lock(mu_);
  --requests_;
}

void AdaptiveLimit::release() {
  {
    std::lock_guard lock(mu_);
    --in_flight_;
  }
  cv_.notify_one();
}

// ---- learning -------------------------------------------------------------------------------

void AdaptiveLimit::record(Signal s, Clock::time_point start, Clock::time_point end, Source src) {
  std::lock_guard lock(mu_);
  if (src == Source::body && seen_request_) return;
  if (src == Source::request && !seen_request_) {
    seen_request_ = true;
    restart_learning(start);  // this request is the first of the new window
  }
  ++samples_;
  if (s == Signal::ok) {
    ++answers_since_overload_;
    ++answered_since_refusal_;
  } else if (s == Signal::overloaded || s == Signal::failed) {
    ++backpressure_;
    window_.refused = true;
  }
  if (start < last_cut_) return;  // sent before the last cut: already acted on
  switch (s) {
    case Signal::ok: {
      if (start < window_.opened) break;  // sent under an earlier limit: not this window's news
      const double us = std::max(1.0, micros(end - start));
      window_.answers++;
      window_.rtt_sum_us += us;
      window_.log_sum += std::log(us);
      window_.log_sq_sum += std::log(us) * std::log(us);
      if (window_.answers >= answers_needed() && end >= window_.end) close_window(end);
      break;
    }
    case Signal::overloaded:
    case Signal::failed:
      // Once per round trip: a server that refuses at once (429 in a millisecond) would
      // otherwise halve the limit again with every request sent after the last cut.
      if (end < last_cut_ + std::chrono::microseconds(static_cast<std::int64_t>(rtt_ewma_us_))) break;
      on_backpressure(s, end);
      break;
    case Signal::neutral:
      break;
  }
}

void AdaptiveLimit::record_service(Clock::time_point start, Clock::time_point end, std::chrono::microseconds served) {
  std::lock_guard lock(mu_);
  if (start < last_cut_ || start < window_.opened || served.count() <= 0) return;  // as in record()
  const double us = static_cast<double>(served.count());
  window_.served++;
  window_.served_sum_us += us;
  window_.wait_sum_us += std::max(0.0, micros(end - start) - us);
}

// Learning starts with the first real request (what bodies taught before, from cache hits or
// refusals, is forgotten). Its first window runs at `min` to time the server unloaded: a window
// at `initial` could already be queueing, and a no-load time measured in a queue would make that
// queue look normal for good. Then the limit goes to `initial` and on from there.
void AdaptiveLimit::restart_learning(Clock::time_point now) {
  resume_at_ = std::min(limit_, static_cast<double>(bounds_.initial));
  limit_ = bounds_.min;
  timing_unloaded_ = true;
  ssthresh_ = bounds_.max;
  ceiling_ = last_good_peak_ = 0;
  rtt_ewma_us_ = base_rtt_us_ = sigma_ = 0;
  recent_.clear();
  recent_wait_.clear();
  slow_at_floor_ = slow_windows_ = 0;
  failing_ = false;
  open_window(now);
}

void AdaptiveLimit::open_window(Clock::time_point now) {
  window_ = Window{};
  window_.opened = now;
  // About one round trip; a stall (one absurd round trip) must not freeze decisions for long.
  const double len = base_rtt_us_ > 0 ? std::min(rtt_ewma_us_, 4 * base_rtt_us_) : rtt_ewma_us_;
  window_.end = now + std::chrono::microseconds(static_cast<std::int64_t>(len));
  window_.saturated = false;
}

// Windows must hold enough answers that their mean is steadier than the 1.5x tolerance: a
// server whose round trips vary a lot (an LLM writing 10 or 500 tokens) needs more of them. The
// spread is what windows showed so far; while it is unknown (the first window), this window's own.
int AdaptiveLimit::answers_needed() const {
  double sigma = sigma_;
  if (sigma == 0 && window_.answers >= kMinAnswers) {
    const double m = window_.log_sum / window_.answers;
    sigma = std::sqrt(std::max(0.0, window_.log_sq_sum / window_.answers - m * m));
  }
  const double n = std::pow(kNoiseZ * sigma / std::log(kTolerance), 2);
  return std::clamp(static_cast<int>(std::ceil(n)), kMinAnswers, kMaxAnswers);
}

void AdaptiveLimit::close_window(Clock::time_point now) {
  const int n = window_.answers;
  const double mean_us = window_.rtt_sum_us / n;
  const double log_mean = window_.log_sum / n;  // log of the geometric mean: outliers weigh less
  const double spread = std::sqrt(std::max(0.0, window_.log_sq_sum / n - log_mean * log_mean));
  rtt_ewma_us_ = rtt_ewma_us_ == 0 ? mean_us : rtt_ewma_us_ + kEwmaAlpha * (mean_us - rtt_ewma_us_);
  sigma_ = sigma_ == 0 ? spread : sigma_ + kSigmaAlpha * (spread - sigma_);
  failing_ = false;
  // Where the server said how long it worked on most answers (the answer to the record that
  // closes a window reports its time after the window closed, hence "most"): their round trips
  // over that time, less the wait that is no queue.
  const bool told = window_.served >= std::max(kMinAnswers - 1, (n + 1) / 2);
  double queue = 0;
  if (told) {
    const double served_us = window_.served_sum_us / window_.served, wait_us = window_.wait_sum_us / window_.served;
    queue = (served_us + std::max(0.0, wait_us - learn_wait(wait_us))) / std::max(1.0, served_us);
  }
  if (timing_unloaded_) {
    timing_unloaded_ = false;
    learn_base(log_mean);
    set_limit(resume_at_);
    return open_window(now);
  }
  // This window over the no-load time, as a ratio; or the queue, where the server said.
  const double over_base = learn_base(log_mean);
  const double excess = told ? queue : over_base;
  if (excess > kTolerance && (told || !still_scaling(log_mean))) {
    // One slow window may be bad luck; queueing stays. Cut on the second in a row.
    if (whole_limit() > bounds_.min && ++slow_windows_ >= 2) {
      slow_at_floor_ = slow_windows_ = 0;
      cut_to(limit_ * std::clamp(1 / excess, 0.5, 0.9), now);
      ssthresh_ = limit_;  // from here on, grow one at a time
      return;
    }
    // Slow even at min, again and again: the no-load time is wrong (learnt from lucky answers,
    // or the server got slower for good). What it does at min is its no-load time.
    if (whole_limit() <= bounds_.min && ++slow_at_floor_ >= kFloorWindows) {
      recent_.clear();
      learn_base(log_mean);
      if (told) {
        recent_wait_.clear();
        learn_wait(window_.wait_sum_us / window_.served);
      }
      slow_at_floor_ = 0;
    }
  } else {
    slow_at_floor_ = slow_windows_ = 0;
    if (!window_.refused) last_good_peak_ = window_.peak_requests;
    // Windows with the ceiling's number of requests at the server and no 429: the ceiling has
    // moved up. Several, since a server at exactly its capacity sometimes has a slot free by
    // luck for a window.
    const bool used = window_.saturated && !window_.throttled;
    const bool at_ceiling = ceiling_ > 0 && whole_limit() >= ceiling_;
    if (!at_ceiling) {
      if (used) grow();
    } else if (window_.peak_requests >= ceiling_ && ++windows_at_ceiling_ >= kCeilingWindows) {
      ceiling_ = 0;
      grow();
    }
  }
  open_window(now);
}

// A server that batches (llama-server on a CPU) answers more slowly with every request it takes
// on, and yet answers more requests a second: slower is not queueing there. So a slow window is
// forgiven while concurrency still buys throughput: requests a second (limit / round trip, by
// Little's law) at least sqrt(2) times what recent windows at about half the limit managed. A
// server that queues past K gains nothing from a doubling, and is cut as before; without recent
// windows at half the limit there is nothing to compare with, and it is cut as before too.
bool AdaptiveLimit::still_scaling(double log_mean) const {
  const int level = whole_limit();
  double best_half = 0;
  for (int i = 0; i < recent_.count; ++i) {
    const Seen& w = recent_.seen[static_cast<std::size_t>(i)];
    if (w.level * 2 <= level && w.level * 8 >= level * 3)  // about half: 3/8 to 1/2 of it
      best_half = std::max(best_half, w.level / std::exp(w.value));
  }
  return best_half > 0 && level / std::exp(log_mean) >= kScalingGain * best_half;
}

// The no-load round trip: from the last 50 windows, the lower quartile of those run at the lowest
// limits (the lower third). Not the minimum: with a server whose answers vary, that is the
// luckiest window and everything else would look slow. Not all windows: those run
// above the capacity are queueing, and counting them would make queueing look normal. The
// lowest limits recently used are the ones least likely to queue (a cut brings the limit back to
// the capacity). Returns this window's geometric mean over that.
double AdaptiveLimit::learn_base(double log_mean) {
  const double base_log = recent_.add(whole_limit(), log_mean);
  base_rtt_us_ = std::exp(base_log);
  return std::exp(log_mean - base_log);
}

// The wait outside the server's time that is no queue, picked as learn_base() picks the no-load
// time. Returns it (this window included).
double AdaptiveLimit::learn_wait(double wait_us) { return recent_wait_.add(whole_limit(), wait_us); }

double AdaptiveLimit::RecentWindows::add(int level, double value) {
  seen[static_cast<std::size_t>(next)] = {level, value};
  next = (next + 1) % kBaseWindows;
  count = std::min(count + 1, kBaseWindows);
  std::array<Seen, kBaseWindows> by_level = seen;
  std::sort(by_level.begin(), by_level.begin() + count, [](const Seen& a, const Seen& b) { return a.level < b.level; });
  const int low = std::max(1, count / 3);
  std::vector<double> values;
  for (int i = 0; i < low; ++i) values.push_back(by_level[static_cast<std::size_t>(i)].value);
  std::nth_element(values.begin(), values.begin() + low / 4, values.end());
  return values[static_cast<std::size_t>(low / 4)];
}

void AdaptiveLimit::grow() {
  double next = limit_ < ssthresh_ ? std::min(limit_ * 2, ssthresh_) : limit_ + 1;
  next = std::max(next, static_cast<double>(whole_limit() + 1));
  if (ceiling_ > 0 && next >= ceiling_) {
    if (answers_since_overload_ < probe_after_) next = std::max(limit_, static_cast<double>(ceiling_ - 1));
    else next = ceiling_;  // try the ceiling once more
  }
  set_limit(next);
}

void AdaptiveLimit::on_backpressure(Signal s, Clock::time_point now) {
  const int at = whole_limit();
  // "Too many" while other requests are answered says where the capacity ends. A refusal with no
  // answer since the last one (a server that is down, or still loading, answers 503 to all)
  // says nothing about it: it counts as a failure and sets no ceiling, which would otherwise
  // hold the limit low long after the server is back.
  if (s == Signal::overloaded && answered_since_refusal_ == 0) s = Signal::failed;
  answered_since_refusal_ = 0;
  if (s == Signal::overloaded && at > bounds_.min) {
    if (ceiling_ > 0 && at >= ceiling_) {
      // A failed try of the known ceiling: the capacity is just below it, as before.
      probe_after_ = std::min(probe_after_ * 2, kProbeAfterMax);
      windows_at_ceiling_ = 0;
      answers_since_overload_ = 0;
      return cut_to(ceiling_ - 1, now);
    }
    probe_after_ = kProbeAfter;
    // The level that was too many: just above the most requests a recent window had at the server
    // without a refusal (a doubling in slow start overshoots the capacity by up to twice), or, if
    // this is below a known ceiling, the capacity has dropped to below `at`.
    const int good = last_good_peak_ > 0 ? last_good_peak_ + 1 : at;
    ceiling_ = ceiling_ > 0 && at < ceiling_ ? at : std::max(bounds_.min + 1, std::min(at, good));
    windows_at_ceiling_ = 0;
    ssthresh_ = std::max(bounds_.min, ceiling_ - 1);  // come back quickly to just below it
    answers_since_overload_ = 0;
  } else if (s == Signal::failed && !failing_) {
    ssthresh_ = std::max(static_cast<double>(bounds_.min), limit_ * kBackoff);
    failing_ = true;
  }
  cut_to(limit_ * kBackoff, now);
}

void AdaptiveLimit::cut_to(double next, Clock::time_point now) {
  next = std::max(next, static_cast<double>(bounds_.min));
  if (static_cast<int>(next) < whole_limit()) ++decreases_;
  limit_ = next;
  last_cut_ = now;
  open_window(now);
}

void AdaptiveLimit::set_limit(double next) {
  next = std::clamp(next, static_cast<double>(bounds_.min), static_cast<double>(bounds_.max));
  const bool more = static_cast<int>(next) > whole_limit();
  limit_ = next;
  if (more) {
    ++increases_;
    cv_.notify_all();
  }
}

int AdaptiveLimit::limit() const {
  std::lock_guard lock(mu_);
  return whole_limit();
}

AdaptiveSummary AdaptiveLimit::snapshot() const {
  std::lock_guard lock(mu_);
  AdaptiveSummary s;
  s.name = name_;
  s.limit = whole_limit();
  s.min = bounds_.min;
  s.max = bounds_.max;
  s.in_flight = in_flight_;
  s.peak_in_flight = peak_;
  s.samples = samples_;
  s.increases = increases_;
  s.decreases = decreases_;
  s.backpressure = backpressure_;
  s.rtt_ms = rtt_ewma_us_ / 1000;
  s.base_rtt_ms = base_rtt_us_ / 1000;
  return s;
}

std::shared_ptr<AdaptiveLimit> adaptive_limit_for(const GraphNode& n, Resources& resources) {
  if (!n.adaptive) return nullptr;
  if (!n.adaptive->shared.empty()) return resources.concurrency_limit(n.adaptive->shared);
  return std::make_shared<AdaptiveLimit>(n.id, n.adaptive->bounds);
}

}  // namespace flowrun
