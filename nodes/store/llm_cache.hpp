// The LLM response cache lives in the pipeline's store (table llm_cache), so it survives runs and
// is shared by every machine using the same PostgreSQL store. Keys are hashes the caller makes
// (model + template hash + input hash).
#pragma once
#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace flowrun {
class RunContext;
}

namespace flowrun::store {

class KeyValueCache {
 public:
  virtual ~KeyValueCache() = default;
  // The value stored under key, unless absent or older than its TTL.
  virtual std::optional<std::string> get(const std::string& key) = 0;
  // `trace_id`: the record whose answer this is; the store keeps it, with the run id, as lineage.
  virtual void put(const std::string& key, const std::string& model, const std::string& value,
                   std::chrono::seconds ttl, const std::string& trace_id = "") = 0;
};

// The run's cache: opened once per run on the pipeline's `store:` URL (ctx.setting("store")),
// shared by every node. With no store configured, an in-memory cache for this run only.
std::shared_ptr<KeyValueCache> open_llm_cache(RunContext& ctx);

}  // namespace flowrun::store
