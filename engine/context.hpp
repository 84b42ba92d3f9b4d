// Run-wide services a node can reach: stop flag, resources, settings, shared objects.
#pragma once
#include <spdlog/spdlog.h>

#include <any>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/metrics.hpp"
#include "engine/resources.hpp"

namespace flowrun {

class RunContext {
 public:
  RunContext(std::string pipeline_name, std::string run_id, Resources& resources,
             std::map<std::string, std::string> settings)
      : pipeline_name_(std::move(pipeline_name)),
        run_id_(std::move(run_id)),
        resources_(resources),
        settings_(std::move(settings)) {}

  const std::string& pipeline_name() const { return pipeline_name_; }
  const std::string& run_id() const { return run_id_; }
  Resources& resources() { return resources_; }

  // Set by Ctrl-C or a fatal node: sources should return soon, in-flight work drains.
  bool stopping() const { return stop_.load(std::memory_order_relaxed); }
  void request_stop() { stop_.store(true); }

  // Run-wide settings from the pipeline and the command line, e.g. "store" (the pipeline's
  // store URL), "http.record" / "http.replay" (cassette folders), "pipeline.dir".
  std::string setting(const std::string& key, const std::string& fallback = "") const {
    auto it = settings_.find(key);
    return it == settings_.end() ? fallback : it->second;
  }

  // One object per key per run, shared by every node that asks (a store connection, an HTTP
  // cassette). The first caller's factory builds it.
  template <class T>
  std::shared_ptr<T> shared(const std::string& key, const std::function<std::shared_ptr<T>()>& make) {
    std::lock_guard lock(shared_mu_);
    auto& slot = shared_[key];
    if (!slot.has_value()) slot = std::shared_ptr<T>(make());
    return std::any_cast<std::shared_ptr<T>>(slot);
  }

  // Free-form run counters that end up in the summary and the run ledger (e.g. "llm.tokens").
  void add_counter(const std::string& name, double delta) {
    std::lock_guard lock(shared_mu_);
    counters_[name] += delta;
  }
  std::map<std::string, double> counters() const {
    std::lock_guard lock(shared_mu_);
    return counters_;
  }

  // A line for the summary's warnings (a source that found nothing, a site that blocked us): not
  // a failure by itself, but something a person reading the summary must see. Logged too.
  void warn(const std::string& message) {
    spdlog::warn("{}", message);
    std::lock_guard lock(shared_mu_);
    warnings_.push_back(message);
  }
  std::vector<std::string> warnings() const {
    std::lock_guard lock(shared_mu_);
    return warnings_;
  }

  // Where a node's records went (a published file, a store table): the summary's "wrote" lines.
  void add_output(OutputSummary o) {
    std::lock_guard lock(shared_mu_);
    outputs_.push_back(std::move(o));
  }
  std::vector<OutputSummary> outputs() const {
    std::lock_guard lock(shared_mu_);
    return outputs_;
  }

 private:
  std::string pipeline_name_, run_id_;
  Resources& resources_;
  std::map<std::string, std::string> settings_;
  std::atomic<bool> stop_{false};
  mutable std::mutex shared_mu_;
  std::map<std::string, std::any> shared_;
  std::map<std::string, double> counters_;
  std::vector<std::string> warnings_;
  std::vector<OutputSummary> outputs_;
};

}  // namespace flowrun
