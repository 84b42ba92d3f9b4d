// `maricopa_api`: searches the Maricopa County Assessor API by ZIP or text, pages through
// TOTAL/Results 25 at a time, fetches the chosen detail endpoints per parcel and emits one raw
// record per parcel as soon as it is complete.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "engine/node.hpp"
#include "engine/options.hpp"
#include "nodes/http/http_client.hpp"
#include "nodes/maricopa/assessor_body.hpp"

namespace flowrun::maricopa {

// The detail endpoints a record can carry, by the name used in `details:` and in the record.
const std::vector<std::string>& detail_names();  // valuations, residential-details, ...

class MaricopaSource : public SourceNode {
 public:
  explicit MaricopaSource(const NodeConfig& cfg);  // throws std::invalid_argument on bad options
  void run(RunContext& ctx, Emitter& out) override;

 private:
  struct Fetched {
    Body body;
    long status = 0;
    std::string problem;  // why there is no data, when that is a problem (not for 404/[]/null)
  };
  Fetched fetch(http::Client& client, const std::string& url);
  std::string search_url(const std::string& q, long long page) const;
  std::string detail_url(const std::string& apn, const std::string& detail) const;
  [[noreturn]] void bad_key(long status) const;
  // Returns false when the run should stop (limit reached or stopping).
  bool crawl(const std::string& q, RunContext& ctx, Emitter& out, std::vector<std::string>& failures);

  NodeConfig cfg_;
  std::string base_url_, api_key_, search_;
  std::vector<std::string> queries_, details_;
  long long max_pages_ = 0, limit_ = 0, emitted_ = 0;
  int body_retries_ = 2;
  bool first_request_ = true;
  std::unique_ptr<http::Client> client_, probe_;
  std::vector<std::pair<std::string, std::string>> headers_;
};

}  // namespace flowrun::maricopa
