// Where a long crawl has got to, kept in the pipeline's store so that a crash or a Ctrl-C costs
// neither time nor API quota twice: every answer a source fetched (search page or detail, with its
// status, content hash and HTTP validators), the last page completed per query, and which crawl is
// current. A rerun with the same run id, or `flowrun run --resume`, serves what the crawl already
// fetched from here and asks the server only for the rest.
// The tables are created on first use (IF NOT EXISTS): they belong to this feature alone and are
// plain SQL both dialects run.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "nodes/store/store.hpp"

namespace flowrun::store {

struct FetchedItem {
  std::string crawl;  // the crawl that fetched it
  long status = 0;
  std::string body, content_hash, etag, last_modified;
  std::int64_t fetched_at = 0;  // epoch seconds
};

// Creates the checkpoint tables where they are missing (prune thins them in any store).
void ensure_checkpoint_tables(Store& store);

class Checkpoints {
 public:
  // One source (node id) of one pipeline in one store.
  Checkpoints(std::shared_ptr<Store> store, std::string source);

  // The crawl this run belongs to: with `resume`, the last crawl of this source that did not
  // finish (else a new one named `run_id`); without, `run_id` itself (a rerun of the same run id
  // continues it, a new run starts fresh).
  std::string begin(const std::string& run_id, bool resume);
  void finish(const std::string& crawl);

  std::optional<FetchedItem> item(const std::string& key);
  void save(const std::string& key, const FetchedItem& item);
  // Marks an existing item fetched again (a 304 Not Modified) by `crawl` at `now`.
  void touch(const std::string& key, const std::string& crawl, std::int64_t now);

  void page_done(const std::string& crawl, const std::string& query, long long page);
  long long last_page(const std::string& crawl, const std::string& query);  // 0 = none

 private:
  std::shared_ptr<Store> store_;
  std::string source_;
};

}  // namespace flowrun::store
