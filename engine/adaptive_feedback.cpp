#include "engine/adaptive_feedback.hpp"

namespace flowrun {

namespace {

using Clock = AdaptiveLimit::Clock;

struct ThreadState {
  AdaptiveLimit* limit = nullptr;
  bool body = false;       // a body holds a permit for its whole run
  bool held = false;       // ... and holds it right now (not inside an AdaptiveWait)
  bool attempted = false;  // an attempt was reported during this body
  Clock::time_point start{};
  Clock::duration waited{};
  Clock::time_point last_start{}, last_end{};  // the last finished attempt (adaptive_service_time)
  bool last_answered = false;
};

thread_local ThreadState t_state;

}  // namespace

AdaptiveAttempt::AdaptiveAttempt() {
  auto& t = t_state;
  if (!t.limit) return;
  if (!t.held) {
    t.limit->acquire();
    took_ = true;
  }
  limit_ = t.limit;
  limit_->request_started();
  start_ = Clock::now();
}

void AdaptiveAttempt::finish(Signal s) {
  if (!limit_ || finished_) return;
  finished_ = true;
  t_state.attempted = true;
  const auto end = Clock::now();
  t_state.last_start = start_;
  t_state.last_end = end;
  t_state.last_answered = s == Signal::ok;
  limit_->record(s, start_, end);
}

void adaptive_service_time(std::chrono::microseconds served) {
  auto& t = t_state;
  if (!t.limit || !t.last_answered) return;
  t.last_answered = false;  // once per attempt
  t.limit->record_service(t.last_start, t.last_end, served);
}

AdaptiveAttempt::~AdaptiveAttempt() {
  if (!limit_) return;
  limit_->request_ended();
  if (took_) limit_->release();
}

AdaptiveWait::AdaptiveWait(Kind kind) : kind_(kind) {
  auto& t = t_state;
  if (t.limit) start_ = Clock::now();
  if (!t.limit || !t.body || !t.held) return;
  t.limit->release();
  t.held = false;
  gave_ = true;
}

AdaptiveWait::~AdaptiveWait() {
  auto& t = t_state;
  if (!t.limit) return;
  // Waiting for a rate limit means the rate limit, not this limit, held the request back.
  if (kind_ == Kind::rate_limit && Clock::now() - start_ >= std::chrono::milliseconds(1)) t.limit->note_throttled();
  if (!gave_) return;
  t.limit->acquire();
  t.held = true;
  t.waited += Clock::now() - start_;
}

AdaptiveBodyScope::AdaptiveBodyScope(AdaptiveLimit* limit) {
  if (!limit) return;
  limit->acquire();
  t_state = ThreadState{limit, true, true, false, Clock::now(), {}, {}, {}, false};
  active_ = true;
}

AdaptiveBodyScope::~AdaptiveBodyScope() {
  if (!active_) return;
  auto& t = t_state;
  if (!t.attempted) t.limit->record(Signal::ok, t.start + t.waited, Clock::now(), AdaptiveLimit::Source::body);
  if (t.held) t.limit->release();
  t = ThreadState{};
}

AdaptiveSourceScope::AdaptiveSourceScope(AdaptiveLimit* limit) {
  if (!limit) return;
  t_state = ThreadState{limit, false, false, false, Clock::now(), {}};
  active_ = true;
}

AdaptiveSourceScope::~AdaptiveSourceScope() {
  if (active_) t_state = ThreadState{};
}

}  // namespace flowrun
