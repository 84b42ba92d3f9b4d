#include "nodes/nats/cluster_options.hpp"

#include <algorithm>

#include "engine/yaml_util.hpp"

namespace flowrun::nats {

namespace {

bool group_name_ok(const std::string& g) {
  return !g.empty() && std::all_of(g.begin(), g.end(), [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '-'; });
}

void check_groups(const ClusterOptions& o, Check& c) {
  if (!o.groups.IsDefined() || o.groups.IsNull()) return;
  const std::string& file = c.node().where.file;
  if (!o.groups.IsMap()) {
    c.error("groups", "must map group names to their settings, e.g. {llm: {max_ack_pending: 64}}");
    return;
  }
  for (const auto& kv : o.groups) {
    const std::string name = kv.first.Scalar();
    if (!group_name_ok(name))
      c.error_at(location_of(file, kv.first), "cluster.groups: group name '" + name + "' may hold only letters, digits, '_' and '-'");
    if (kv.second.IsNull()) continue;
    if (!kv.second.IsMap()) {
      c.error_at(location_of(file, kv.second), "cluster.groups." + name + " must be a map (or empty)");
      continue;
    }
    for (const auto& opt : kv.second) {
      const std::string k = opt.first.Scalar();
      long long v = 0;
      if (k != "max_ack_pending")
        c.error_at(location_of(file, opt.first), "cluster.groups." + name + ": unknown setting '" + k + "'" +
                                                     did_you_mean(k, {"max_ack_pending"}));
      else if (!opt.second.IsScalar() || !YAML::convert<long long>::decode(opt.second, v) || v < 1 || v > 1'000'000)
        c.error_at(location_of(file, opt.second), "cluster.groups." + name + ".max_ack_pending must be an integer from 1 to 1000000");
    }
  }
}

}  // namespace

const std::shared_ptr<const OptionSchema>& cluster_schema() {
  static const std::shared_ptr<const OptionSchema> schema = [] {
    auto t = std::make_shared<OptionTable<ClusterOptions>>();
    using O = ClusterOptions;
    t->add("nats", &O::nats, "NATS server URL(s), comma-separated: `nats://host:4222`. Needs JetStream (`nats-server -js`).")
        .required();
    t->add("stream", &O::stream, "JetStream stream that carries the records between groups (default: the pipeline's name).");
    t->add("user", &O::user, "NATS user name.");
    t->add("password", &O::password, "NATS password; give it as `${env.X}`.").secret();
    t->add("token", &O::token, "NATS token; give it as `${env.X}`.").secret();
    t->add("creds", &O::creds, "NATS credentials file (JWT + NKey seed).").path();
    t->add("ack_wait", &O::ack_wait,
           "How long a worker may hold a record without a sign of life before NATS gives it to another worker; "
           "workers send `in progress` every third of it while they work.")
        .range(1, 24 * 3600);
    t->add("max_deliver", &O::max_deliver,
           "Deliveries of one record before it goes to dead letters as poison (a worker crashed or stalled on it each time).")
        .range(1, 1000);
    t->add("dedup_window", &O::dedup_window,
           "How long JetStream remembers a message id, so that a record published again (after a retry or a "
           "redelivery) is stored once. Keep it above ack_wait x max_deliver.")
        .range(1, 7 * 24 * 3600);
    t->add("max_age", &O::max_age, "The longest a run's records stay in the stream (a run deletes its own when it ends).")
        .range(60, 365 * 24 * 3600);
    t->add("outage", &O::outage, "How long NATS may be unreachable mid-run before the run fails (reconnects go on until then).")
        .range(1, 24 * 3600);
    t->add("worker_lost_after", &O::worker_lost_after,
           "A worker silent this long is taken for dead: its records come back after ack_wait, its counts are missing "
           "from the summary (a warning says so).")
        .range(2, 3600);
    t->add("stall_timeout", &O::stall_timeout,
           "The run fails when no record moves anywhere this long (e.g. no worker of a group ever joined).")
        .range(5, 7 * 24 * 3600);
    t->add("max_ack_pending", &O::max_ack_pending,
           "Records of one cluster edge held unacknowledged across all workers at once (the cluster's bound); "
           "per group in `groups:`. Size it to the group's total concurrency plus what its batching sinks hold.")
        .range(1, 1'000'000);
    t->add("groups", &O::groups,
           "The worker groups nodes may name in `group:`, each with optional settings: `{llm: {max_ack_pending: 64}}`.")
        .object();
    t->validate(check_groups);
    t->validate([](const ClusterOptions& o, Check& c) {
      if (o.dedup_window < o.ack_wait)
        c.warning("dedup_window", "is shorter than ack_wait: a record redelivered after a worker died may be stored twice "
                                  "on cluster edges (sinks still upsert by id)");
    });
    return std::shared_ptr<const OptionSchema>(std::make_shared<TypedSchema<ClusterOptions>>(t));
  }();
  return schema;
}

std::vector<std::string> declared_groups(const ClusterOptions& o) {
  std::vector<std::string> out;
  if (o.groups.IsMap())
    for (const auto& kv : o.groups) out.push_back(kv.first.Scalar());
  return out;
}

int max_ack_pending_for(const ClusterOptions& o, const std::string& group) {
  if (o.groups.IsMap())
    for (const auto& kv : o.groups)
      if (kv.first.Scalar() == group && kv.second.IsMap())
        for (const auto& opt : kv.second)
          if (opt.first.Scalar() == "max_ack_pending") return opt.second.as<int>();
  // Main is one process whose intake its own concurrency and batch sizes already bound; a smaller
  // cap than a batching sink's batch would stop delivery to it for good.
  if (group == "main") return 1'000'000;
  return o.max_ack_pending;
}

std::string safe_name(const std::string& s) {
  std::string out;
  for (unsigned char c : s) out += std::isalnum(c) || c == '_' || c == '-' ? static_cast<char>(c) : '_';
  return out.empty() ? "flowrun" : out;
}

RunNames run_names(const ClusterOptions& o, const std::string& pipeline_name, const std::string& run_id) {
  RunNames n;
  n.stream = safe_name(o.stream.empty() ? pipeline_name : o.stream);
  n.runs_bucket = "flowrun-" + n.stream;
  n.run_id = run_id;
  n.run_bucket = "flowrun-" + n.stream + "-" + safe_name(run_id);
  return n;
}

std::string RunNames::subjects() const { return "flowrun." + stream + ".>"; }
std::string RunNames::run_subjects() const { return "flowrun." + stream + "." + safe_name(run_id) + ".>"; }
std::string RunNames::subject(int edge) const {
  return "flowrun." + stream + "." + safe_name(run_id) + ".e" + std::to_string(edge);
}
std::string RunNames::consumer(int edge) const { return safe_name(run_id) + "-e" + std::to_string(edge); }

}  // namespace flowrun::nats
