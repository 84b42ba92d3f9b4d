// `flowrun run` of a clustered pipeline: sets up the run's stream, consumers and KV buckets,
// runs group main with the coordinator beside it, and cleans up what the run made in NATS.
#include "nodes/nats/cluster_run.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <ctime>
#include <iomanip>
#include <random>
#include <sstream>

#include "engine/json_text.hpp"
#include "nodes/nats/coordinator.hpp"
#include "nodes/nats/session.hpp"

namespace flowrun::nats {

namespace json = boost::json;

std::shared_ptr<Connection> connect(const ClusterOptions& o, const std::string& client_name) {
  ServerOptions so;
  so.urls = o.nats;
  so.user = o.user;
  so.password = o.password;
  so.token = o.token;
  so.creds = o.creds;
  so.name = client_name;
  so.reconnect_for = o.outage;
  return std::make_shared<Connection>(so);
}

std::string fingerprint(const Graph& expanded) {
  std::string text;
  for (const auto& n : expanded.nodes) {
    text += n.id + "|" + n.type + "|" + n.group;
    for (const auto& in : n.inputs) text += "|" + in.str();
    text += "\n";
  }
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) h = (h ^ c) * 0x100000001b3ULL;
  return fmt::format("{:016x}", h);
}

std::string make_run_id() {
  auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::ostringstream os;
  os << std::put_time(&tm, "%Y%m%dT%H%M%SZ") << "-" << std::hex << (std::random_device{}() & 0xffff);
  return os.str();
}

std::string host_process_id() {
  char host[128] = {0};
  gethostname(host, sizeof host - 1);
  return safe_name(host) + "-" + std::to_string(getpid()) + "-" + fmt::format("{:04x}", std::random_device{}() & 0xffff);
}

std::string check_cluster_env(const Graph& graph) {
  const auto& o = graph.cluster.as<ClusterOptions>();
  try {
    auto conn = connect(o, "flowrun check");
    jsAccountInfo* ai = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_GetAccountInfo(&ai, conn->js(), nullptr, &jerr);
    if (ai) jsAccountInfo_Destroy(ai);
    if (s != NATS_OK) return "NATS at " + conn->where() + " answers but has no JetStream (start it with `nats-server -js`)";
    return "";
  } catch (const std::exception& e) {
    return e.what();
  }
}

namespace {

RunSummary failed_to_start(const Graph& graph, const std::string& run_id, const std::string& why) {
  RunSummary s;
  s.pipeline = graph.name;
  s.run_id = run_id;
  s.status = "failed";
  s.exit_code = 1;
  s.failure = why;
  spdlog::error("{}", why);
  return s;
}

// What the run made in NATS goes when it ends: its consumers, records and KV bucket.
void clean_up(Connection& conn, const RunNames& names, const std::vector<ClusterEdge>& edges, Kv& runs) {
  auto quietly = [](const char* what, auto&& op) {
    try {
      op();
    } catch (const std::exception& e) {
      spdlog::warn("cluster clean-up: {}: {}", what, e.what());
    }
  };
  for (const auto& e : edges) quietly("consumer", [&] { conn.delete_consumer(names.stream, names.consumer(e.index)); });
  quietly("records", [&] { conn.purge_subject(names.stream, names.run_subjects()); });
  quietly("run bucket", [&] { conn.delete_bucket(names.run_bucket); });
  quietly("announcement", [&] { runs.erase("run." + names.run_id); });
}

}  // namespace

RunSummary run_cluster(const Graph& graph, const Registry& registry, const RunOptions& opts) {
  const ClusterTransport& t = *registry.cluster();
  const Graph expanded = expand_cluster(graph, t);
  const auto edges = cluster_edges(expanded, t);
  const Graph main_part = cut_group(expanded, "main");
  if (edges.empty()) return run_pipeline(main_part, registry, opts);

  const auto& co = graph.cluster.as<ClusterOptions>();
  const std::string run_id = opts.run_id.empty() ? make_run_id() : opts.run_id;
  const RunNames names = run_names(co, graph.name, run_id);
  std::shared_ptr<Connection> conn;
  std::shared_ptr<Kv> runs, run_kv;
  try {
    conn = connect(co, "flowrun run " + run_id);
    conn->ensure_stream(names.stream, names.subjects(), co.max_age, co.dedup_window);
    runs = conn->bucket(names.runs_bucket, true, co.max_age);
    run_kv = conn->bucket(names.run_bucket, true, co.max_age);
    for (const auto& e : edges)
      conn->add_consumer(names.stream, names.consumer(e.index), names.subject(e.index), co.ack_wait,
                         max_ack_pending_for(co, e.to_group));
  } catch (const std::exception& e) {
    return failed_to_start(graph, run_id, std::string("cluster: ") + e.what());
  }
  spdlog::info("cluster run {} on NATS {} (stream {}): {} edges between groups", run_id, conn->where(), names.stream,
               edges.size());

  auto session = std::make_shared<Session>(conn, co, names, edges, "main", true);
  const std::string key = Session::add(session);
  std::string announcement = "{\"run_id\":";
  append_json_string(announcement, run_id);
  announcement += ",\"pipeline\":";
  append_json_string(announcement, graph.name);
  announcement += ",\"fingerprint\":\"" + fingerprint(expanded) + "\"}";
  Coordinator coordinator(expanded, t, session, runs, run_kv, announcement);
  session->on_publisher_done = [s = session.get()](int edge) { s->set_ended(edge); };

  RunOptions o = opts;
  o.run_id = run_id;
  o.settings["nats.session"] = key;
  o.on_progress = [&coordinator, user = opts.on_progress](const RunSummary& partial) {
    std::int64_t total = 0;
    for (const auto& n : partial.nodes) total += n.in + n.out + n.errors;
    coordinator.note_local_progress(total);
    if (user) user(partial);
  };
  o.complete = [&coordinator](RunSummary& s, RunContext& ctx, bool stopped) { return coordinator.finish(s, ctx, stopped); };
  RunSummary s;
  try {
    coordinator.start();
    s = run_pipeline(main_part, registry, o);
  } catch (...) {
    session->fail("run stopped");
    coordinator.stop();
    clean_up(*conn, names, edges, *runs);
    Session::remove(key);
    throw;
  }
  coordinator.stop();
  clean_up(*conn, names, edges, *runs);
  Session::remove(key);
  return s;
}

}  // namespace flowrun::nats
