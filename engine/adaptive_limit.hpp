// Adaptive concurrency: how many requests an I/O node (or every node sharing one server) keeps in
// flight, learned at run time from what the server does. See docs/pipeline.md ("Adaptive
// concurrency") for the user's view and docs/architecture.md for where it sits in a run; I/O code
// reports to it through engine/adaptive_feedback.hpp, never directly.
//
// How it decides (after Vector's adaptive request concurrency and Netflix's concurrency-limits):
// - Samples are request attempts: their round-trip time (waits that are ours, such as a rate
//   limit or a retry backoff, are not part of it) and what they signalled. Only answered
//   requests give a time; 429/503, timeouts and refused or reset connections are back-pressure.
// - The first window runs at `min`, to time the server unloaded; then the limit starts at
//   `initial`.
// - Time is cut into windows of about one round trip, each judging the requests sent while it
//   was open (so, the limit it ran under), with at least 4 answers, and more when round trips
//   vary (an LLM's do): enough that chance alone seldom makes a window look 1.5x slower.
// - The no-load round trip is learnt from the recent windows run at the lowest limits. A window
//   within 1.5x of it (geometric means) that used the limit (requests at the server reached 3/4
//   of it) raises the limit: doubling at first (slow start), then +1. The limit never grows on
//   evidence it did not use, nor in a window where requests waited for a rate limit: the rate
//   limit is a ceiling it never pushes against (and the wait is no part of any round trip).
// - Two windows in a row slower than that lower the limit by the ratio no-load/now (0.5 to 0.9):
//   a server that queues at K slots answers C requests in C/K of its time, so this lands on K.
//   Unless the slower answers still come faster overall: a server that batches (llama-server on
//   a CPU) is slower per request with each one it takes on, yet serves more; a slow window is
//   forgiven while the limit gives at least sqrt(2) times the requests a second of half of it.
// - A server that says how long it worked on each request (an LLM server's timings) answers the
//   question directly: a round trip over that time is time spent waiting for a free slot. There,
//   a window is slow when its answers spent more than 1.5x the server's own time in the round
//   trip (a third of it in the queue), whatever the no-load time (less the wait outside the
//   server's time that windows at the lowest limits saw: the HTTP exchange, threads waiting
//   for a core, a constant that is no queue): llama-server on a CPU shares
//   the CPU among its slots, so every request it takes on slows the others, and its round trips
//   rise just the same whether the requests are in its slots or in its queue; only the server
//   knows which. The limit then fills the slots and keeps a short queue (K slots, C in flight:
//   each waits (C - K) / C of its round trip), and is cut by the same ratio back to about K.
// - Back-pressure lowers the limit at once by half, at most once per round trip. A 429/503 while
//   other requests are answered sets a ceiling just above the most requests a recent window had
//   at the server without a refusal: the limit comes back within a window to just below it and
//   tries it again only after a few hundred answers (twice as long after each failed try, which
//   only steps back to just below it; several clean windows at it drop it), so an explicit "too
//   many" is seldom heard twice. Timeouts, connection errors and a server that
//   refuses everything set no ceiling (a server that is down says nothing about its capacity);
//   after a run of them the limit slow-starts back to half what it was.
// - The limit stays within [min, max] and min is at least 1: a node never stops asking. An open
//   breaker sends nothing, so it neither lowers nor raises the limit.
#pragma once
#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "engine/adaptive_config.hpp"
#include "engine/metrics.hpp"

namespace flowrun {

class Resources;

// What one request attempt said about the server's load.
enum class Signal {
  ok,          // answered (2xx-4xx other than 429): its round-trip time is a sample
  overloaded,  // 429 Too Many Requests or 503 Service Unavailable: an explicit "too many"
  failed,      // timed out, or the connection was refused or reset
  neutral,     // says nothing about load (another 5xx, a cancelled transfer)
};
Signal signal_of_status(long http_status);

class AdaptiveLimit {
 public:
  using Clock = std::chrono::steady_clock;

  // Whether a sample timed a real request or, for nodes that make none through the HTTP client
  // (a database store), a whole body. Once a limit has seen a request, body samples (a cache hit,
  // a record refused before any call) are ignored: they say nothing about the server.
  enum class Source { request, body };

  AdaptiveLimit(std::string name, AdaptiveBounds bounds);
  AdaptiveLimit(const AdaptiveLimit&) = delete;
  AdaptiveLimit& operator=(const AdaptiveLimit&) = delete;

  // Permits: acquire() blocks while limit() are out; try_acquire() does not.
  void acquire();
  bool try_acquire();
  void release();
  // A request is at the server (AdaptiveAttempt): what tells whether the limit is in use.
  void request_started();
  void request_ended();
  // A request waited for a rate limit: this window is no evidence for raising the limit.
  void note_throttled();

  // One finished attempt that started at `start` and ended at `end` (so that tests can drive the
  // limit on a simulated clock).
  void record(Signal s, Clock::time_point start, Clock::time_point end, Source src = Source::request);
  // The server said it worked `served` of that answered request's round trip (start..end): the
  // rest it waited in the server's queue (engine/adaptive_feedback.hpp, adaptive_service_time).
  void record_service(Clock::time_point start, Clock::time_point end, std::chrono::microseconds served);

  int limit() const;
  AdaptiveSummary snapshot() const;  // engine/metrics.hpp
  const std::string& name() const { return name_; }
  const AdaptiveBounds& bounds() const { return bounds_; }

 private:
  struct Window {
    Clock::time_point opened{}, end{};  // it judges requests sent after `opened`
    int answers = 0;
    double rtt_sum_us = 0, log_sum = 0, log_sq_sum = 0;
    bool saturated = false;  // the limit held work back (note_demand)
    bool throttled = false;  // ... or was it a rate limit (note_throttled)
    int peak_requests = 0;   // most requests at the server at once
    bool refused = false;    // a 429/503/failure came in it
    int served = 0;          // answers whose server said how long it worked on them ...
    double served_sum_us = 0, wait_sum_us = 0;  // ... that time, and the rest of their round trips
  };

  int whole_limit() const { return static_cast<int>(limit_); }
  void note_demand(int busy, bool waited);
  void restart_learning(Clock::time_point now);
  void close_window(Clock::time_point now);
  double learn_base(double log_mean);
  double learn_wait(double wait_us);
  bool still_scaling(double log_mean) const;
  int answers_needed() const;
  void on_backpressure(Signal s, Clock::time_point now);
  void grow();
  void cut_to(double next, Clock::time_point now);
  void set_limit(double next);
  void open_window(Clock::time_point now);

  const std::string name_;
  const AdaptiveBounds bounds_;
  mutable std::mutex mu_;
  std::condition_variable cv_;

  double limit_;
  int in_flight_ = 0, peak_ = 0, waiters_ = 0, requests_ = 0;
  Window window_;
  static constexpr int kBaseWindows = 50;
  struct Seen {
    int level = 0;      // the limit a window ran under
    double value = 0;   // what it measured (the log of its mean round trip, or a wait)
  };
  // The last kBaseWindows windows' values, and the one to trust from them: the lower quartile of
  // those run at the lowest limits (the lower third); learn_base() says why.
  struct RecentWindows {
    std::array<Seen, kBaseWindows> seen{};
    int count = 0, next = 0;
    double add(int level, double value);  // returns the pick, this window included
    void clear() { count = next = 0; }
  };
  double rtt_ewma_us_ = 0, base_rtt_us_ = 0;
  double sigma_ = 0;                          // spread of log round trips within a window
  RecentWindows recent_;       // log mean round trips, for the no-load time
  RecentWindows recent_wait_;  // windows with the server's times: mean wait per answer, us
  int slow_windows_ = 0;                      // slow windows in a row
  int slow_at_floor_ = 0;                     // ... while at min
  double ssthresh_;                // below it the limit doubles per window, above it adds one
  int ceiling_ = 0;                // level of the last 429/503; 0 = none
  int windows_at_ceiling_ = 0;     // windows tried at it without a 429
  int last_good_peak_ = 0;         // most requests at the server in the last window without refusals
  std::int64_t answers_since_overload_ = 0, probe_after_ = 0;
  std::int64_t answered_since_refusal_ = 0;  // ok answers since the last 429/503/failure
  bool failing_ = false;           // in a run of timeouts / connection errors
  bool seen_request_ = false;
  bool timing_unloaded_ = false;   // the first window, at min, times the server unloaded
  double resume_at_ = 0;           // ... and then the limit goes here
  Clock::time_point last_cut_{};   // answers to requests sent before it are ignored
  std::int64_t samples_ = 0, increases_ = 0, decreases_ = 0, backpressure_ = 0;
};

// The limit a node runs under: its own (a new one per run), the shared resources.concurrency
// entry it names, or null for a fixed concurrency.
std::shared_ptr<AdaptiveLimit> adaptive_limit_for(const GraphNode& n, Resources& resources);

}  // namespace flowrun
