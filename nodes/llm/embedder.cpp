#include "nodes/llm/embedder.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <mutex>

#include "engine/context.hpp"
#include "engine/json_text.hpp"
#include "engine/node_type.hpp"
#include "nodes/llm/llm_endpoint.hpp"
#include "nodes/llm/prompt_template.hpp"
#include "nodes/store/llm_cache.hpp"

namespace flowrun::llm {
namespace json = boost::json;

namespace {

const std::vector<std::string> kEmbedFields = {"address.street", "address.city", "property_type", "beds",
                                               "baths", "sqft", "description"};

struct Pending {
  Record rec;
  std::string text, key;
};

class Embedder final : public ProcessNode {
 public:
  Embedder(const EmbedderOptions& o, const NodeInfo& node)
      : o_(o), id_(node.id), s_(settings_of(o.endpoint, kEmbedFields)), batch_size_(static_cast<std::size_t>(o.batch_size)) {}

  void open(RunContext& ctx) override {
    endpoint_ = std::make_unique<Endpoint>(o_.endpoint, s_, id_, ctx);
    if (!s_.breaker.empty() && !(breaker_ = ctx.resources().breaker(s_.breaker)))
      throw std::invalid_argument("node '" + id_ + "': breaker '" + s_.breaker + "' is not declared");
    if (!s_.budget.empty() && !(budget_ = ctx.resources().budget(s_.budget)))
      throw std::invalid_argument("node '" + id_ + "': budget '" + s_.budget + "' is not declared");
    if (s_.cache) cache_ = store::open_llm_cache(ctx);
    unavailable_ = endpoint_->probe();
    if (!unavailable_.empty())
      spdlog::warn("embedder '{}': {}; records will {}", id_, unavailable_, to_string(s_.on_unavailable));
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
    out.hold();  // the record waits for its batch, and leaves with it (release)
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
  // A cache hit leaves at once (emit); a batched record was held and leaves with its batch (release).
  void store(Record rec, json::array vec, bool cache_hit, Emitter& out) {
    rec.data["embedding"] = std::move(vec);
    rec.data["embedding_model"] = s_.model;
    rec.meta["embedding_meta"] = json::object{{"model", s_.model}, {"cache_hit", cache_hit}, {"status", "done"}};
    if (cache_hit) out.emit(std::move(rec));
    else out.release("out", std::move(rec));
  }

  void send(std::vector<Pending> batch, RunContext& ctx, Emitter& out) {
    std::string problem = unavailable_;
    if (problem.empty() && budget_ && budget_->exhausted()) problem = fmt::format("budget '{}' is spent", budget_->name());
    if (problem.empty() && breaker_ && !breaker_->allow()) problem = fmt::format("breaker '{}' is open", breaker_->name());
    std::vector<std::vector<double>> vectors;
    int retries = 0;  // HTTP retries of the batch's request: every record in it went through them
    if (problem.empty()) {
      std::vector<std::string> texts;
      for (auto& p : batch) texts.push_back(p.text);
      try {
        ctx.add_counter("llm.embed_calls", 1);
        auto r = endpoint_->post(embed_path(s_.provider), build_embed_body(s_.provider, s_.model, texts), &retries);
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
      rec.env.attempt += retries;
      if (problem.empty()) {
        json::array vec;
        vec.reserve(vectors[i].size());
        for (double x : vectors[i]) vec.push_back(x);
        if (cache_) {
          try {
            cache_->put(batch[i].key, s_.model, to_json_text(vec), s_.cache_ttl, rec.env.trace_id);
          } catch (const std::exception& e) {
            spdlog::warn("embedder '{}': could not write the cache: {}", id_, e.what());
          }
        }
        store(std::move(rec), std::move(vec), false, out);
        continue;
      }
      // Several records share one failure, so they cannot all be thrown: route each explicitly.
      json::object meta{{"model", s_.model}, {"status", "pending"}, {"reason", problem}};
      rec.meta["embedding_meta"] = meta;
      if (s_.on_unavailable == OnUnavailable::dead_letter) {
        rec.meta["error"] = json::object{{"node", id_}, {"port", "errors"}, {"field", "embedding"},
                                         {"rule", "embed_unavailable"}, {"message", problem}};
        out.release("errors", std::move(rec));
      } else {
        rec.data["embedding_meta"] = std::move(meta);
        out.release("out", std::move(rec));
      }
    }
  }

  EmbedderOptions o_;
  std::string id_;
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

std::string list_text(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return "[" + s + "]";
}

}  // namespace

NodeDescriptor embedder_type() {
  using O = EmbedderOptions;
  NodeType<O> t("embedder", Role::transform,
                "Adds an embedding vector of a record's text fields (Ollama /api/embed or OpenAI /v1/embeddings), batched");
  t.option("batch_size", &O::batch_size, "records per embedding request (the last batch is sent at the end)").range(1, 2048);
  t.include(&O::endpoint,
            endpoint_table("record fields embedded together; default " + list_text(kEmbedFields),
                           {"pass_through", "dead_letter"},
                           "when the server is down, the breaker open or the budget spent: pass_through (emit without "
                           "a vector, marked pending) or dead_letter"));
  t.blocking_io().default_concurrency(1);
  t.create([](const O& o, const NodeInfo& n) -> std::unique_ptr<Node> { return std::make_unique<Embedder>(o, n); });
  t.check_env([](const O& o, const NodeInfo& n, const Settings& s) { return probe_endpoint(o.endpoint, n, s); });
  return t.descriptor();
}

}  // namespace flowrun::llm
