#include "nodes/nats/session.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "engine/node.hpp"
#include "nodes/nats/wire.hpp"

namespace flowrun::nats {

namespace {

std::mutex g_sessions_mu;
std::map<std::string, std::weak_ptr<Session>> g_sessions;
std::atomic<int> g_next_key{0};

// The root token of one message: acks (or naks) it when the last record derived from it is gone.
class MessageHandoff final : public Handoff {
 public:
  MessageHandoff(std::string id, std::shared_ptr<InputEdge> edge, natsMsg* m)
      : Handoff(std::move(id)), edge_(std::move(edge)), msg_(m) {}
  ~MessageHandoff() override { edge_->release(msg_, failed_.load()); }
  void fail(const std::string& why) override {
    if (!failed_.exchange(true)) spdlog::debug("record {} not handed on ({}): returned for redelivery", id(), why);
  }

 private:
  std::shared_ptr<InputEdge> edge_;
  natsMsg* msg_;
  std::atomic<bool> failed_{false};
};

}  // namespace

bool transient(natsStatus s) {
  switch (s) {
    case NATS_TIMEOUT:
    case NATS_NO_RESPONDERS:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_IO_ERROR:
    case NATS_NO_SERVER:
    case NATS_STALE_CONNECTION:
    case NATS_NOT_YET_CONNECTED:
    case NATS_ERR:  // JetStream answering "temporarily unavailable" while a server restarts
      return true;
    default:
      return false;
  }
}

void throw_outage(const Session& s, const std::string& what, const std::string& last) {
  throw FatalError("NATS at " + const_cast<Session&>(s).nats().where() + " unreachable for longer than cluster.outage (" +
                   std::to_string(s.options().outage.count() / 1000) + " s) while " + what + ": " + last);
}

// ---- InputEdge ----------------------------------------------------------------------------------

Delivery delivery_of(natsMsg* m) {
  // $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>, or with
  // <domain>.<account hash> after ACK and a trailing token (servers 2.9+ may send either).
  Delivery d;
  const char* reply = natsMsg_GetReply(m);
  if (!reply) return d;
  std::vector<std::string_view> t;
  std::string_view rest(reply);
  for (std::size_t dot; (dot = rest.find('.')) != std::string_view::npos; rest.remove_prefix(dot + 1)) t.push_back(rest.substr(0, dot));
  t.push_back(rest);
  if (t.size() < 9 || t[0] != "$JS" || t[1] != "ACK") return d;
  const std::size_t at = t.size() == 9 ? 4 : 6;
  auto number = [](std::string_view v) { return std::strtoull(std::string(v).c_str(), nullptr, 10); };
  d.delivered = std::max<std::uint64_t>(1, number(t[at]));
  d.stream_seq = number(t[at + 1]);
  return d;
}

InputEdge::~InputEdge() {
  for (auto* m : prefetched_) natsMsg_Destroy(m);
  if (in_.sub) {
    natsSubscription_Unsubscribe(in_.sub);
    natsSubscription_Destroy(in_.sub);
  }
}

natsStatus InputEdge::answer(natsMsg* m, const char* what) {
  const char* reply = natsMsg_GetReply(m);
  if (!reply) return NATS_ILLEGAL_STATE;
  return natsConnection_PublishString(conn_->nc(), reply, what);
}

void InputEdge::keep(natsMsg* m, int n, std::vector<natsMsg*>& out) {
  if (static_cast<int>(out.size()) < n) {
    out.push_back(m);
    return;
  }
  std::lock_guard lock(mu_);  // a late message of an earlier pull: ours, the next fetch's first
  prefetched_.push_back(m);
}

natsStatus InputEdge::fetch(int n, std::chrono::milliseconds wait, std::vector<natsMsg*>& out) {
  {
    std::lock_guard lock(mu_);
    while (!prefetched_.empty() && static_cast<int>(out.size()) < n) {
      out.push_back(prefetched_.front());
      prefetched_.pop_front();
    }
  }
  if (!out.empty()) return NATS_OK;
  std::lock_guard lock(fetch_mu_);
  auto is_record = [](natsMsg* m) {
    const char* reply = natsMsg_GetReply(m);
    return reply && std::strncmp(reply, "$JS.ACK.", 8) == 0;
  };
  // What came after an earlier pull stopped waiting (a server that restarted meanwhile) is ours.
  int queued = 0;
  natsSubscription_GetPending(in_.sub, &queued, nullptr);
  for (natsMsg* m = nullptr; queued-- > 0 && natsSubscription_NextMsg(&m, in_.sub, 1) == NATS_OK; m = nullptr) {
    if (is_record(m)) keep(m, n, out);
    else natsMsg_Destroy(m);  // the end of an earlier pull
  }
  if (!out.empty()) return NATS_OK;

  const std::string reply = in_.inbox + "." + std::to_string(++pulls_);
  const std::string body = "{\"batch\":" + std::to_string(n) + ",\"expires\":" + std::to_string(wait.count() * 1'000'000) + "}";
  natsStatus s = natsConnection_PublishRequestString(conn_->nc(), in_.next_subject.c_str(), reply.c_str(), body.c_str());
  if (s != NATS_OK) return s;
  // JetStream ends the pull with status 408 when it expires; the margin covers that answer's trip.
  const auto deadline = std::chrono::steady_clock::now() + wait + std::chrono::milliseconds(250);
  natsStatus last = NATS_TIMEOUT;
  while (static_cast<int>(out.size()) < n) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    natsMsg* m = nullptr;
    s = natsSubscription_NextMsg(&m, in_.sub, left.count());
    if (s != NATS_OK) {
      if (s != NATS_TIMEOUT) last = s;
      break;
    }
    if (is_record(m)) {
      keep(m, n, out);
      continue;
    }
    // A status: 408 (expired) or 404 ends a pull; 503 no JetStream (restarting); 409 the consumer
    // is gone or too many pulls wait; 100 is a heartbeat. Only the current pull's end matters.
    const char* code = nullptr;
    const int status = natsMsgHeader_Get(m, "Status", &code) == NATS_OK && code ? std::atoi(code) : 0;
    const bool current = reply == natsMsg_GetSubject(m);
    natsMsg_Destroy(m);
    if (!current || status == 100) continue;
    if (status == 503) last = NATS_NO_RESPONDERS;
    else if (status == 409) last = NATS_ERR;
    break;
  }
  return out.empty() ? last : NATS_OK;
}

void InputEdge::put_back(natsMsg* m) {
  std::lock_guard lock(mu_);
  prefetched_.push_back(m);
}

bool InputEdge::has_prefetched() {
  std::lock_guard lock(mu_);
  return !prefetched_.empty();
}

std::shared_ptr<Handoff> InputEdge::take(natsMsg* m, std::string id) {
  {
    std::lock_guard lock(mu_);
    held_[m] = std::chrono::steady_clock::now();
  }
  return std::make_shared<MessageHandoff>(std::move(id), shared_from_this(), m);
}

void InputEdge::nak(natsMsg* m) {
  answer(m, "-NAK");
  natsMsg_Destroy(m);
}

std::size_t InputEdge::held() {
  std::lock_guard lock(mu_);
  return held_.size();
}

void InputEdge::release(natsMsg* m, bool failed) {
  // An ack that cannot be sent now (NATS restarting) is buffered by the client; if it is lost the
  // message comes back after AckWait and the duplicate downstream is dropped by its message id.
  // Under the lock: keep_alive() must not send `in progress` on a message being acknowledged.
  natsStatus s;
  {
    std::lock_guard lock(mu_);
    held_.erase(m);
    s = answer(m, failed ? "-NAK" : "+ACK");
  }
  if (s != NATS_OK) spdlog::warn("NATS: could not {} a message: {}", failed ? "nak" : "ack", natsStatus_GetText(s));
  natsMsg_Destroy(m);
}

void InputEdge::keep_alive(std::chrono::milliseconds older_than) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  for (auto& [m, since] : held_)
    if (now - since >= older_than) {
      answer(m, "+WPI");
      since = now;
    }
}

// ---- Session ------------------------------------------------------------------------------------

Session::Session(std::shared_ptr<Connection> conn, ClusterOptions opts, RunNames names, std::vector<ClusterEdge> edges,
                 std::string process_id, bool main)
    : conn_(std::move(conn)),
      opts_(std::move(opts)),
      names_(std::move(names)),
      edges_(std::move(edges)),
      process_id_(std::move(process_id)),
      main_(main),
      ended_(edges_.size(), false) {}

Session::~Session() = default;

std::string Session::add(std::shared_ptr<Session> s) {
  std::lock_guard lock(g_sessions_mu);
  const std::string key = "nats-session-" + std::to_string(++g_next_key);
  g_sessions[key] = s;
  return key;
}

std::shared_ptr<Session> Session::find(const std::string& key) {
  std::lock_guard lock(g_sessions_mu);
  auto it = g_sessions.find(key);
  return it == g_sessions.end() ? nullptr : it->second.lock();
}

void Session::remove(const std::string& key) {
  std::lock_guard lock(g_sessions_mu);
  g_sessions.erase(key);
}

bool Session::ended(int i) {
  {
    std::lock_guard lock(mu_);
    if (ended_.at(static_cast<std::size_t>(i))) return true;
  }
  if (main_ || !run_kv_) return false;
  auto v = run_kv_->get("ended.e" + std::to_string(i));
  if (!v) return false;
  set_ended(i);
  return true;
}

void Session::set_ended(int i) {
  std::lock_guard lock(mu_);
  ended_.at(static_cast<std::size_t>(i)) = true;
}

std::shared_ptr<InputEdge> Session::input(int i) {
  std::lock_guard lock(mu_);
  auto& slot = inputs_[i];
  if (!slot) {
    const auto& e = edge(i);
    slot = std::make_shared<InputEdge>(conn_, conn_->pull_inbox(names_.stream, names_.consumer(e.index)));
  }
  return slot;
}

void Session::keep_alive() {
  std::vector<std::shared_ptr<InputEdge>> ins;
  {
    std::lock_guard lock(mu_);
    for (auto& [i, in] : inputs_) ins.push_back(in);
  }
  for (auto& in : ins) in->keep_alive(opts_.ack_wait / 3);
}

void Session::fail(const std::string& why) {
  {
    std::lock_guard lock(mu_);
    if (failure_.empty()) failure_ = why;
  }
  stop_ = true;
}

std::string Session::failure() {
  std::lock_guard lock(mu_);
  return failure_;
}

bool Session::isolate(int edge) {
  std::unique_lock lock(isolation_mu_);  // waits for admissions under way: they are counted in_flight()
  int none = -1;
  return isolated_by_.compare_exchange_strong(none, edge) || none == edge;
}

std::size_t Session::in_flight() {
  std::vector<std::shared_ptr<InputEdge>> ins;
  {
    std::lock_guard lock(mu_);
    for (auto& [i, in] : inputs_) ins.push_back(in);
  }
  std::size_t n = 0;
  for (auto& in : ins) n += in->held();
  return n;
}

namespace {
std::string tries_key(int edge, const std::string& id) {
  std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a: message ids may hold characters KV keys may not
  for (unsigned char c : id) h = (h ^ c) * 0x100000001b3ULL;
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return "tries.e" + std::to_string(edge) + "." + buf;
}
}  // namespace

int Session::started_alone(int edge, const std::string& id) {
  if (!run_kv_) return 0;
  const auto v = with_retry("reading the tries of a redelivered record", [&] { return run_kv_->get(tries_key(edge, id)); });
  return v ? std::atoi(v->c_str()) : 0;
}

void Session::set_started_alone(int edge, const std::string& id, int n) {
  if (!run_kv_) return;
  with_retry("counting the tries of a redelivered record", [&] { run_kv_->put(tries_key(edge, id), std::to_string(n)); });
}

std::string Session::next_message_id(int edge) {
  return message_id(names_.run_id + ":" + process_id_ + ":e" + std::to_string(edge) + ":" + std::to_string(++counter_));
}

}  // namespace flowrun::nats
