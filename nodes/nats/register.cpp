#include "nodes/nats/register.hpp"

#include "engine/cluster.hpp"
#include "nodes/nats/cluster_options.hpp"
#include "nodes/nats/cluster_run.hpp"
#include "nodes/nats/transport_nodes.hpp"

namespace flowrun {

void register_nats_nodes(Registry& registry) {
  auto t = std::make_shared<ClusterTransport>();
  t->name = "nats";
  t->schema = nats::cluster_schema();
  t->groups = [](const BoundOptions& b) { return nats::declared_groups(b.as<nats::ClusterOptions>()); };
  t->publisher = nats::publisher_descriptor();
  t->subscriber = nats::subscriber_descriptor();
  t->check_env = nats::check_cluster_env;
  t->run = nats::run_cluster;
  t->serve = nats::serve_worker;
  registry.set_cluster(std::move(t));
}

}  // namespace flowrun
