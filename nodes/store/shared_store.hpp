// One Store (one connection) per URL per run, shared by every node, the ledger and the LLM cache.
#pragma once
#include <memory>
#include <string>

#include "engine/context.hpp"
#include "nodes/store/store.hpp"

namespace flowrun::store {

inline std::shared_ptr<Store> shared_store(RunContext& ctx, const std::string& url) {
  return ctx.shared<Store>("store:" + url, [&] { return std::shared_ptr<Store>(Store::open(url)); });
}

}  // namespace flowrun::store
