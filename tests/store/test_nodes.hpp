// Small node types for pipeline-level tests: a generator source and a counting sink.
#pragma once
#include <atomic>
#include <string>

#include "engine/context.hpp"
#include "engine/registry.hpp"

namespace testnodes {

using namespace flowrun;
namespace json = boost::json;

// Emits `count` canonical property records: id apn:<i>, price base+i (+ `bump` for ids below
// `bump_below`), ZIP 8503<i%3>; every `no_id_every`-th record has no id (the store rejects it).
class Gen final : public SourceNode {
 public:
  explicit Gen(const NodeConfig& c)
      : count_(c.get_int("count", 10)),
        bump_(c.get_int("bump", 0)),
        bump_below_(c.get_int("bump_below", 0)),
        no_id_every_(c.get_int("no_id_every", 0)),
        no_address_every_(c.get_int("no_address_every", 0)) {}
  void run(RunContext& ctx, Emitter& out) override {
    for (std::int64_t i = 0; i < count_ && !ctx.stopping(); ++i) {
      json::object o;
      if (!(no_id_every_ > 0 && i % no_id_every_ == no_id_every_ - 1)) o["id"] = "apn:" + std::to_string(i);
      o["source"] = "assessor";
      if (no_address_every_ > 0 && i % no_address_every_ == 0) o["address"] = nullptr;
      else o["address"] = json::object{{"zip", "8503" + std::to_string(i % 3)}, {"city", "Phoenix"}};
      o["price"] = 100000 + i * 1000 + (i < bump_below_ ? bump_ : 0);
      o["assessed_value"] = 10000 + i;
      o["collected_at"] = std::to_string(now_us());  // volatile: must not change the hash
      Record r(std::move(o));
      r.env.source_id = std::to_string(i);
      out.emit(std::move(r));
    }
  }

 private:
  std::int64_t count_, bump_, bump_below_, no_id_every_, no_address_every_;
};

inline std::atomic<int> g_counted{0};

class Count final : public ProcessNode {
 public:
  void process(Record, RunContext&, Emitter&) override { ++g_counted; }
};

// Stands in for the LLM enricher: counts what it sees and marks each record's enrichment with
// `status` (done or pending), as llm_enricher does.
inline std::atomic<int> g_enriched{0};
class Enrich final : public ProcessNode {
 public:
  explicit Enrich(const NodeConfig& c) : status_(c.get_string("status", "done")) {}
  void process(Record in, RunContext&, Emitter& out) override {
    ++g_enriched;
    in.data["enrichment_meta"] = json::object{{"status", status_}};
    if (status_ == "done") in.data["enrichment"] = json::object{{"summary", "a house"}};
    out.emit(std::move(in));
  }

 private:
  std::string status_;
};

inline void register_test_nodes(Registry& r) {
  NodeDescriptor e;
  e.type = "test_enrich";
  e.role = Role::transform;
  e.options = {{"status", OptionType::string, "done", "enrichment status to set"}};
  e.factory = [](const NodeConfig& c) { return std::make_unique<Enrich>(c); };
  r.add(std::move(e));
  NodeDescriptor g;
  g.type = "test_gen";
  g.role = Role::source;
  g.options = {{"count", OptionType::integer, "10", "records"},
               {"bump", OptionType::integer, "0", "price change"},
               {"bump_below", OptionType::integer, "0", "ids below this get the bump"},
               {"no_id_every", OptionType::integer, "0", "every n-th record lacks an id"},
               {"no_address_every", OptionType::integer, "0", "every n-th record has a null address"}};
  g.factory = [](const NodeConfig& c) { return std::make_unique<Gen>(c); };
  r.add(std::move(g));
  NodeDescriptor c;
  c.type = "test_count";
  c.role = Role::sink;
  c.factory = [](const NodeConfig&) { return std::make_unique<Count>(); };
  r.add(std::move(c));
}

}  // namespace testnodes
