// The one path from I/O code to the adaptive concurrency limit (engine/adaptive_limit.hpp) of the
// node it runs for. The engine installs the running node's limit on the thread that runs its body
// (the node's I/O pool, engine/io_pool.hpp) or its run() (a source). I/O code reports through
// AdaptiveAttempt and AdaptiveWait and never sees the limit, so no node calls it by hand:
// nodes/http's client wraps each attempt in an AdaptiveAttempt and each wait that is not the
// server's doing (rate limit, backoff, Retry-After) in an AdaptiveWait. Both do nothing on a
// thread without a limit.
#pragma once
#include "engine/adaptive_limit.hpp"

namespace flowrun {

// One request attempt: starts the clock; on a source's thread (where no body holds a permit)
// takes a permit for the attempt, blocking at the limit. finish() reports it; an attempt left
// without finish() (an exception) reports nothing.
class AdaptiveAttempt {
 public:
  AdaptiveAttempt();
  ~AdaptiveAttempt();
  AdaptiveAttempt(const AdaptiveAttempt&) = delete;
  AdaptiveAttempt& operator=(const AdaptiveAttempt&) = delete;
  void finish(Signal s);

 private:
  AdaptiveLimit* limit_ = nullptr;
  bool took_ = false, finished_ = false;
  AdaptiveLimit::Clock::time_point start_;
};

// A wait that is ours, not the server's: a body hands its permit back while it waits, and takes
// one again after (blocking at the limit), and the wait is not counted as round-trip time. A
// wait for a rate limit also tells the limit that the rate limit is what holds requests back.
class AdaptiveWait {
 public:
  enum class Kind { backoff, rate_limit };
  explicit AdaptiveWait(Kind kind = Kind::backoff);
  ~AdaptiveWait();
  AdaptiveWait(const AdaptiveWait&) = delete;
  AdaptiveWait& operator=(const AdaptiveWait&) = delete;

 private:
  Kind kind_;
  bool gave_ = false;
  AdaptiveLimit::Clock::time_point start_;
};

// The server said how long it worked on the request whose attempt last finished on this thread
// (an LLM server's own timings: llama.cpp's prompt_ms + predicted_ms, Ollama's eval durations);
// the rest of that round trip was spent in the server's queue. Call it after the client returned
// the answer. Does nothing on a thread without a limit or without a finished attempt.
void adaptive_service_time(std::chrono::microseconds served);

// Engine side. A body on an I/O thread holds one permit from start to end; if it made no request
// attempt, its own time (less its waits) is the sample.
class AdaptiveBodyScope {
 public:
  explicit AdaptiveBodyScope(AdaptiveLimit* limit);
  ~AdaptiveBodyScope();
  AdaptiveBodyScope(const AdaptiveBodyScope&) = delete;
  AdaptiveBodyScope& operator=(const AdaptiveBodyScope&) = delete;

 private:
  bool active_ = false;
};

// A source's thread: the source issues its own requests, each takes a permit (AdaptiveAttempt).
class AdaptiveSourceScope {
 public:
  explicit AdaptiveSourceScope(AdaptiveLimit* limit);
  ~AdaptiveSourceScope();
  AdaptiveSourceScope(const AdaptiveSourceScope&) = delete;
  AdaptiveSourceScope& operator=(const AdaptiveSourceScope&) = delete;

 private:
  bool active_ = false;
};

}  // namespace flowrun
