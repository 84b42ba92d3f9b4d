// A record travelling through a pipeline: a JSON object plus its envelope.
#pragma once
#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace flowrun {

namespace json = boost::json;

class Handoff;  // engine/handoff.hpp

// The envelope says where a record came from and how it got here. It travels with the record so
// that dead letters, logs and the store can always name the record (source + source id + trace).
struct Envelope {
  std::string source;     // node id of the source that produced it
  std::string source_id;  // the source's own id for it (APN, MLS#, line number, ...)
  std::string trace_id;   // unique per record per run; every log line about it carries this
  int attempt = 0;        // retries so far (LLM, HTTP), for reports
  // Only on records that came over a cluster edge: acknowledges the input message once every
  // record derived from it has reached its end (engine/handoff.hpp). Null otherwise.
  std::shared_ptr<Handoff> handoff;
};

struct Record {
  json::object data;
  Envelope env;
  json::object meta;  // node annotations (tokens, latency, cache hit, warnings ...)

  Record() = default;
  explicit Record(json::object d) : data(std::move(d)) {}
};

// Microseconds on the steady clock, for latency accounting.
inline std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace flowrun
