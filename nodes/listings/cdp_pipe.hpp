// A headless Chromium we talk to over the DevTools protocol on a pipe (--remote-debugging-pipe):
// Chromium reads JSON messages on its fd 3 and writes them on its fd 4, each ended by a NUL byte.
// No port is opened, so nothing else on the machine can drive the browser.
#pragma once
#include <boost/json.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace flowrun::listings {

class CdpPipe {
 public:
  using Clock = std::chrono::steady_clock;

  // Starts `binary` headless with a throwaway profile. Throws std::runtime_error when it cannot.
  CdpPipe(const std::string& binary, const std::vector<std::string>& extra_args);
  ~CdpPipe();  // kills the browser and its helpers, removes the profile
  CdpPipe(const CdpPipe&) = delete;
  CdpPipe& operator=(const CdpPipe&) = delete;

  // Sends a command (to the browser, or to an attached target's `session`); returns its id.
  int send(const std::string& method, boost::json::object params, const std::string& session = "");
  // The next message (a reply or an event), or an empty object when `deadline` passes. Throws
  // std::runtime_error when Chromium closes the pipe (it crashed or exited).
  boost::json::object next(Clock::time_point deadline);
  // Sends and waits for the reply's "result"; events that arrive meanwhile are kept for next().
  // Throws std::runtime_error with the protocol's error message, or on timeout.
  boost::json::object call(const std::string& method, boost::json::object params, const std::string& session,
                           Clock::time_point deadline);

 private:
  bool read_some(Clock::time_point deadline);  // false on timeout
  bool take_buffered(boost::json::object& out);  // a whole message already read
  void write_all(const std::string& bytes);

  pid_t pid_ = -1;
  int to_browser_ = -1, from_browser_ = -1;
  std::string profile_dir_;
  std::string inbox_;  // bytes read, not yet a whole message
  std::deque<boost::json::object> pending_;  // events that arrived while call() waited
  int next_id_ = 0;
};

}  // namespace flowrun::listings
