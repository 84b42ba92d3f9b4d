// `csv_listings`: listing exports read row by row (see csv_listings_node.cpp).
#pragma once
#include <string>
#include <vector>

#include "engine/context.hpp"
#include "engine/node.hpp"
#include "engine/options.hpp"
#include "engine/registry.hpp"

namespace flowrun::listings {

NodeDescriptor csv_listings_descriptor();

struct CsvListingsOptions {
  std::string path;  // a file or a glob, resolved from the pipeline's folder
  std::string source = "redfin";
  bool allow_empty = false;
};

class CsvListingsSource : public SourceNode {
 public:
  CsvListingsSource(const CsvListingsOptions& o, const NodeInfo& node);
  void open(RunContext& ctx) override;
  void run(RunContext& ctx, Emitter& out) override;

  struct Stats {
    int files = 0, records = 0, bad_rows = 0, notices = 0;
  };
  const Stats& stats() const { return stats_; }
  const std::vector<std::string>& files() const { return files_; }

 private:
  void read_file(RunContext& ctx, Emitter& out, const std::string& file);
  void emit_error(Emitter& out, const std::string& file, int line, const std::string& reason,
                  const std::vector<std::string>& cells);

  CsvListingsOptions o_;
  NodeInfo node_;
  std::vector<std::string> files_;
  Stats stats_;
};

// Files matching a glob, sorted (a plain path matches itself when it exists).
std::vector<std::string> expand_glob(const std::string& pattern);

}  // namespace flowrun::listings
