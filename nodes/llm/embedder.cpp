#include "nodes/llm/embedder.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <mutex>

#include "engine/json_text.hpp"
#include "engine/context.hpp"
#include "nodes/llm/llm_endpoint.hpp"
#include "nodes/llm/prompt_template.hpp"
#include "nodes/store/llm_cache.hpp"

namespace flowrun::llm {
namespace json = boost::json;

namespace {

const char* kEmbedFields = "[address.street, address.city, property_type, beds, baths, sqft, description]";

struct Pending {
  Record rec;
  std::string text, key;
};

class Embedder final : public ProcessNode {
 public:
  explicit Embedder(const NodeConfig& cfg) : cfg_(cfg), s_(read_endpoint_settings(cfg)) {
    if (s_.fields.empty())
      for (const auto& f : YAML::Load(kEmbedFields)) s_.fields.push_back(f.as<std::string>());
    auto b = cfg.get_int("batch_size", 16);
    if (b < 1 || b > 2048) throw std::invalid_argument("node '" + cfg.id() + "': batch_size must be 1..2048");
    batch_size_ = static_cast<std::size_t>(b);
  }

  void open(RunContext& ctx) override {
    endpoint_ = std::make_unique<Endpoint>(cfg_, s_, ctx);
    if (!s_.breaker.empty() && !(breaker_ = ctx.resources().breaker(s_.breaker)))
      throw std::invalid_argument("node '" + cfg_.id() + "': breaker '" + s_.breaker + "' is not declared");
    if (!s_.budget.empty() && !(budget_ = ctx.resources().budget(s_.budget)))
      throw std::invalid_argument("node '" + cfg_.id() + "': budget '" + s_.budget + "' is not declared");
    if (s_.cache) cache_ = store::open_llm_cache(ctx);
    unavailable_ = endpoint_->probe();
    if (!unavailable_.empty())
      spdlog::warn("embedder '{}': {}; records will {}", cfg_.id(), unavailable_, to_string(s_.on_unavailable));
  }

  void process(Record in, RunContext& ctx, Emitter& out) override {
    json::object trimmed = trim_input(in.data, s_.fields, s_.max_field_chars);
    if (trimmed.empty())
      throw RecordError(s_.fields.front(), "embed_input", "none of the embedding fields is present");
    Pending p{std::move(in), input_lines(trimmed), ""};
    p.key = "embed:" + s_.model + ":" + hash_hex(p.text);
    if (cache_) {
      if (auto hit = cache_->get(p.key)) {
        json::error_code ec;
        auto v = json::parse(*hit, ec);
        if (!ec && v.is_array()) {
          ctx.add_counter("llm.cache_hits", 1);
          return store(std::move(p.rec), std::move(v.get_array()), true, out);
        }
      }
      ctx.add_counter("llm.cache_misses", 1);
    }
    std::vector<Pending> batch;
    {
      std::lock_guard lock(mu_);
      pending_.push_back(std::move(p));
      if (pending_.size() < batch_size_) return;  // emitted with a later record, or in close()
      batch.swap(pending_);
    }
    send(std::move(batch), ctx, out);
  }

  void close(RunContext& ctx, Emitter& out) override {
    std::vector<Pending> batch;
    {
      std::lock_guard lock(mu_);
      batch.swap(pending_);
    }
    if (!batch.empty()) send(std::move(batch), ctx, out);
  }

 private:
  void store(Record rec, json::array vec, bool cache_hit, Emitter& out) {
    rec.data["embedding"] = std::move(vec);
    rec.data["embedding_model"] = s_.model;
    rec.meta["embedding_meta"] = json::object{{"model", s_.model}, {"cache_hit", cache_hit}, {"status", "done"}};
    out.emit(std::move(rec));
  }

  void send(std::vector<Pending> batch, RunContext& ctx, Emitter& out) {
    std::string problem = unavailable_;
    if (problem.empty() && budget_ && budget_->exhausted()) problem = fmt::format("budget '{}' is spent", budget_->name());
    if (problem.empty() && breaker_ && !breaker_->allow()) problem = fmt::format("breaker '{}' is open", breaker_->name());
    std::vector<std::vector<double>> vectors;
    if (problem.empty()) {
      std::vector<std::string> texts;
      for (auto& p : batch) texts.push_back(p.text);
      try {
        ctx.add_counter("llm.embed_calls", 1);
        auto r = endpoint_->post(embed_path(s_.provider), build_embed_body(s_.provider, s_.model, texts));
        if (r.status != 200) {
          std::string msg = error_message(r.body);
          problem = fmt::format("embedding server answered HTTP {}{}", r.status, msg.empty() ? "" : ": " + endpoint_->redact(msg));
        } else {
          vectors = parse_embed_reply(s_.provider, r.body);
          if (vectors.size() != batch.size())
            problem = fmt::format("embedding server returned {} vectors for {} inputs", vectors.size(), batch.size());
        }
      } catch (const http::TransportError& e) {
        problem = fmt::format("embedding server at {} did not answer: {}", endpoint_->base_url(), endpoint_->redact(e.what()));
      } catch (const ProtocolError& e) {
        problem = e.what();
      }
      if (breaker_) problem.empty() ? breaker_->record_success() : breaker_->record_failure();
      if (budget_ && problem.empty()) {
        // Embedding APIs do not all report usage; charge the estimate.
        double tokens = 0;
        for (auto& p : batch) tokens += static_cast<double>(estimate_tokens(p.text));
        budget_->spend(tokens);
        ctx.add_counter("llm.tokens", tokens);
      }
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
      Record rec = std::move(batch[i].rec);
      if (problem.empty()) {
        json::array vec;
        vec.reserve(vectors[i].size());
        for (double x : vectors[i]) vec.push_back(x);
        if (cache_) {
          try {
            cache_->put(batch[i].key, s_.model, to_json_text(vec), s_.cache_ttl);
          } catch (const std::exception& e) {
            spdlog::warn("embedder '{}': could not write the cache: {}", cfg_.id(), e.what());
          }
        }
        store(std::move(rec), std::move(vec), false, out);
        continue;
      }
      // Several records share one failure, so they cannot all be thrown: route each explicitly.
      json::object meta{{"model", s_.model}, {"status", "pending"}, {"reason", problem}};
      rec.meta["embedding_meta"] = meta;
      if (s_.on_unavailable == OnUnavailable::dead_letter) {
        rec.meta["error"] = json::object{{"node", cfg_.id()}, {"field", "embedding"}, {"rule", "embed_unavailable"},
                                         {"message", problem}};
        out.emit("errors", std::move(rec));
      } else {
        rec.data["embedding_meta"] = std::move(meta);
        out.emit(std::move(rec));
      }
    }
  }

  NodeConfig cfg_;
  EndpointSettings s_;
  std::size_t batch_size_ = 16;
  std::unique_ptr<Endpoint> endpoint_;
  CircuitBreaker* breaker_ = nullptr;
  Budget* budget_ = nullptr;
  std::shared_ptr<store::KeyValueCache> cache_;
  std::string unavailable_;
  std::mutex mu_;
  std::vector<Pending> pending_;
};

}  // namespace

std::vector<OptionSpec> embedder_option_specs() {
  std::vector<OptionSpec> specs = {
      {"batch_size", OptionType::integer, "16", "records per embedding request (the last batch is sent at the end)"},
  };
  auto common = endpoint_option_specs("");
  for (auto& s : common) {
    if (s.name == "model") s.default_value = "nomic-embed-text:latest";
    if (s.name == "fields") s.doc = std::string("record fields embedded together; default ") + kEmbedFields;
    if (s.name == "on_unavailable") {
      s.doc = "when the server is down, the breaker open or the budget spent: pass_through (emit without a vector, "
              "marked pending) or dead_letter";
      s.choices = {"pass_through", "dead_letter"};
    }
  }
  specs.insert(specs.end(), common.begin(), common.end());
  return specs;
}

std::unique_ptr<ProcessNode> make_embedder(const NodeConfig& cfg) { return std::make_unique<Embedder>(cfg); }

}  // namespace flowrun::llm
