#include "nodes/store/llm_cache.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <map>
#include <mutex>

#include "engine/context.hpp"
#include "nodes/store/record_rows.hpp"
#include "nodes/store/shared_store.hpp"

namespace flowrun::store {

namespace {

std::int64_t expiry(std::chrono::seconds ttl) {
  return ttl.count() > 0 ? epoch_now() + ttl.count() : 0;  // 0: never expires
}

class MemoryCache final : public KeyValueCache {
 public:
  std::optional<std::string> get(const std::string& key) override {
    std::lock_guard lock(mu_);
    auto it = map_.find(key);
    if (it == map_.end()) return std::nullopt;
    if (it->second.second != 0 && it->second.second <= epoch_now()) return std::nullopt;
    return it->second.first;
  }
  void put(const std::string& key, const std::string&, const std::string& value, std::chrono::seconds ttl,
           const std::string&) override {
    std::lock_guard lock(mu_);
    map_[key] = {value, expiry(ttl)};
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::pair<std::string, std::int64_t>> map_;
};

// A cache must never fail a record: store errors are logged (once) and read as a miss.
class StoreCache final : public KeyValueCache {
 public:
  StoreCache(std::shared_ptr<Store> s, std::string run_id) : store_(std::move(s)), run_id_(std::move(run_id)) {}
  std::optional<std::string> get(const std::string& key) override {
    try {
      return store_->cache_get(key, epoch_now());
    } catch (const std::exception& e) {
      warn(e);
      return std::nullopt;
    }
  }
  void put(const std::string& key, const std::string& model, const std::string& value, std::chrono::seconds ttl,
           const std::string& trace_id) override {
    try {
      store_->cache_put(key, model, value, iso_now(), expiry(ttl), trace_id, run_id_);
    } catch (const std::exception& e) {
      warn(e);
    }
  }

 private:
  void warn(const std::exception& e) {
    if (!warned_.exchange(true)) spdlog::warn("llm cache: store error, treating as a miss: {}", e.what());
  }
  std::shared_ptr<Store> store_;
  std::string run_id_;
  std::atomic<bool> warned_{false};
};

}  // namespace

std::shared_ptr<KeyValueCache> open_llm_cache(RunContext& ctx) {
  const std::string url = ctx.setting("store");
  if (url.empty())
    return ctx.shared<KeyValueCache>("llm_cache:memory", [] { return std::make_shared<MemoryCache>(); });
  // Get the store first: ctx.shared() must not be called from inside another shared() factory.
  std::shared_ptr<Store> store;
  try {
    store = shared_store(ctx, url);
  } catch (const std::exception& e) {
    spdlog::warn("llm cache: cannot open the store ({}); caching in memory for this run", e.what());
    return ctx.shared<KeyValueCache>("llm_cache:memory", [] { return std::make_shared<MemoryCache>(); });
  }
  return ctx.shared<KeyValueCache>("llm_cache:" + url,
                                   [&] { return std::make_shared<StoreCache>(store, ctx.run_id()); });
}

}  // namespace flowrun::store
