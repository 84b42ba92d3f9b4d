// `maricopa_api`: searches the Maricopa County Assessor API by ZIP or text, pages through
// TOTAL/Results 25 at a time, fetches the chosen detail endpoints per parcel and emits one raw
// record per parcel as soon as it is complete.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "engine/node.hpp"
#include "engine/options.hpp"
#include "nodes/http/client_options.hpp"
#include "nodes/http/http_client.hpp"
#include "nodes/maricopa/assessor_body.hpp"
#include "nodes/store/checkpoints.hpp"

namespace flowrun::maricopa {

// The detail endpoints a record can carry, by the name used in `details:` and in the record.
const std::vector<std::string>& detail_names();  // valuations, residential-details, ...

// The node's options as its table (register.cpp) binds and checks them.
struct MaricopaOptions {
  std::string base_url = "https://mcassessor.maricopa.gov";
  std::string api_key;
  std::vector<std::string> queries, zips;
  std::string search = "property";
  std::int64_t max_pages = 0, limit = 0;
  std::vector<std::string> details;
  int body_retries = 2;
  bool checkpoints = true;
  std::chrono::milliseconds refresh_after{0};
  http::HttpOptions http;
  // The queries to search: `queries` then `zips`, blanks dropped.
  std::vector<std::string> all_queries() const;
  // base_url without its trailing slashes.
  std::string root() const;
};

class MaricopaSource : public SourceNode {
 public:
  MaricopaSource(const MaricopaOptions& o, const NodeInfo& node);
  void run(RunContext& ctx, Emitter& out) override;

 private:
  struct Fetched {
    Body body;
    long status = 0;
    std::string problem;  // why there is no data, when that is a problem (not for 404/[]/null)
  };
  // `key` names the answer in the checkpoints; a detail may be served from an earlier crawl.
  Fetched fetch(http::Client& client, const std::string& url, const std::string& key, bool detail);
  http::Response get(http::Client& client, const std::string& url, const std::string& key, bool detail,
                     RunContext& ctx, bool& asked);
  std::string search_url(const std::string& q, long long page) const;
  std::string detail_url(const std::string& apn, const std::string& detail) const;
  [[noreturn]] void bad_key(long status) const;
  // Returns false when the run should stop (limit reached or stopping).
  bool crawl(const std::string& q, RunContext& ctx, Emitter& out, std::vector<std::string>& failures);

  MaricopaOptions o_;
  NodeInfo node_;
  std::string base_url_;
  std::vector<std::string> queries_;
  long long emitted_ = 0;
  std::unique_ptr<store::Checkpoints> checkpoints_;  // null without a store or with checkpoints: false
  std::string crawl_;
  RunContext* ctx_ = nullptr;
  bool first_request_ = true;
  std::unique_ptr<http::Client> client_, probe_;
  std::vector<std::pair<std::string, std::string>> headers_;
};

}  // namespace flowrun::maricopa
