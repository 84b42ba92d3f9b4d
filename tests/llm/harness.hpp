// Runs one LLM node by hand, the way the engine would (open, process per record with errors
// caught and routed, close), so node behaviour is tested without the scheduler in the way.
#pragma once
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "engine/context.hpp"
#include "engine/node.hpp"
#include "engine/registry.hpp"
#include "engine/resources.hpp"
#include "nodes/llm/register.hpp"

namespace flowrun::testing {

struct Routed {
  std::string port;
  Record rec;
  std::string reason, rule;
};

class CollectingEmitter : public Emitter {
 public:
  void emit(std::string_view port, Record r) override {
    std::lock_guard lock(mu);
    out.push_back({std::string(port), std::move(r), "", ""});
  }
  void filtered() override {
    std::lock_guard lock(mu);
    ++n_filtered;
  }
  std::vector<Routed> on(const std::string& port) const {
    std::lock_guard lock(mu);
    std::vector<Routed> v;
    for (auto& r : out)
      if (r.port == port) v.push_back(r);
    return v;
  }
  mutable std::mutex mu;
  std::vector<Routed> out;
  int n_filtered = 0;
};

inline const Registry& llm_registry() {
  static Registry r = [] {
    Registry reg;
    register_llm_nodes(reg);
    return reg;
  }();
  return r;
}

// A node built from YAML options through its type's option table and checks (as the engine does).
inline std::unique_ptr<ProcessNode> make_node(const std::string& type, const std::string& yaml_options,
                                              const std::string& base_dir = FLOWRUN_SOURCE_DIR "/pipelines",
                                              const std::string& resources_yaml = "{}") {
  const NodeDescriptor* d = llm_registry().find(type);
  YAML::Node opts = YAML::Load(yaml_options);
  if (!opts || opts.IsNull()) opts = YAML::Node(YAML::NodeType::Map);
  auto node = flowrun::make_node(*d, "n1", opts, base_dir, YAML::Load(resources_yaml));
  auto* p = dynamic_cast<ProcessNode*>(node.release());
  return std::unique_ptr<ProcessNode>(p);
}

// A shipped data file's text (pipelines/KIND/NAME), for tests that need the schema itself.
inline std::string shipped_text(const std::string& relative) {
  std::ifstream in(std::string(FLOWRUN_SOURCE_DIR "/pipelines/") + relative, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
inline std::string enrich_schema_text() { return shipped_text("schemas/enrichment.schema.json"); }
inline std::string extract_schema_text() { return shipped_text("schemas/extraction.schema.json"); }

struct Harness {
  std::unique_ptr<Resources> resources;
  std::unique_ptr<RunContext> ctx;
  CollectingEmitter out;

  explicit Harness(const std::string& resources_yaml = "{}", std::map<std::string, std::string> settings = {})
      : resources(Resources::from_yaml(YAML::Load(resources_yaml))),
        ctx(std::make_unique<RunContext>("test", "run-1", *resources, std::move(settings))) {}

  // Like the engine's wrapper: an exception sends the record to "errors" with its reason.
  void feed(ProcessNode& node, Record r) {
    Record copy = r;
    try {
      node.process(std::move(r), *ctx, out);
    } catch (const RecordError& e) {
      std::lock_guard lock(out.mu);
      out.out.push_back({"errors", std::move(copy), e.what(), e.rule});
    } catch (const std::exception& e) {
      std::lock_guard lock(out.mu);
      out.out.push_back({"errors", std::move(copy), e.what(), ""});
    }
  }

  void run(ProcessNode& node, std::vector<Record> records, int threads = 1) {
    node.open(*ctx);
    if (threads <= 1) {
      for (auto& r : records) feed(node, std::move(r));
    } else {
      std::mutex mu;
      std::size_t next = 0;
      std::vector<std::thread> pool;
      for (int t = 0; t < threads; ++t)
        pool.emplace_back([&] {
          while (true) {
            Record r;
            {
              std::lock_guard lock(mu);
              if (next >= records.size()) return;
              r = std::move(records[next++]);
            }
            feed(node, std::move(r));
          }
        });
      for (auto& t : pool) t.join();
    }
    node.close(*ctx, out);
  }

  double counter(const std::string& name) const {
    auto c = ctx->counters();
    auto it = c.find(name);
    return it == c.end() ? 0 : it->second;
  }
};

inline Record property(int i, const std::string& description = "Updated 3 bed home with pool and 2-car garage") {
  json::object d{{"id", "apn:100-00-" + std::to_string(100 + i)},
                 {"address", json::object{{"street", std::to_string(4000 + i) + " N 55th Ave"}, {"city", "Phoenix"},
                                          {"state", "AZ"}, {"zip", "85031"}}},
                 {"property_type", "single_family"},
                 {"price", 350000 + i * 1000},
                 {"beds", 3},
                 {"baths", 2},
                 {"sqft", 1500 + i},
                 {"year_built", 1978},
                 {"description", description}};
  Record r(std::move(d));
  r.env.source = "test";
  r.env.source_id = std::to_string(i);
  return r;
}

inline std::vector<Record> properties(int n) {
  std::vector<Record> v;
  for (int i = 0; i < n; ++i) v.push_back(property(i));
  return v;
}

// A fresh temporary folder, removed at the end of the test.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::random_device rd;
    path = std::filesystem::temp_directory_path() / ("flowrun-llm-test-" + std::to_string(rd()));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string str() const { return path.string(); }
};

}  // namespace flowrun::testing
