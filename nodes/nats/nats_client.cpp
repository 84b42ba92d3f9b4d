#include "nodes/nats/nats_client.hpp"

#include <csignal>
#include <mutex>

namespace flowrun::nats {

namespace {

constexpr std::int64_t kNs = 1'000'000;  // nanoseconds per millisecond

std::string last_error_text(natsStatus s) {
  natsStatus last = NATS_OK;
  const char* text = nats_GetLastError(&last);
  std::string out = natsStatus_GetText(s);
  if (text && *text && last == s && out != text) out += " (" + std::string(text) + ")";
  return out;
}

// libnats keeps process-wide state: opened once, never closed while threads may still use it.
void open_library() {
  static std::once_flag once;
  std::call_once(once, [] {
    // A write to a server that just went away must be an error to retry, not SIGPIPE's exit.
    std::signal(SIGPIPE, SIG_IGN);
    nats_Open(-1);
  });
}

}  // namespace

void check(natsStatus s, const std::string& what, jsErrCode jerr) {
  if (s == NATS_OK) return;
  std::string msg = what + ": " + last_error_text(s);
  if (jerr != 0) msg += " (JetStream error " + std::to_string(static_cast<int>(jerr)) + ")";
  throw NatsError(msg, s);
}

std::string redact_url(const std::string& urls) {
  std::string out, item;
  auto flush = [&] {
    const auto scheme = item.find("://");
    const auto at = item.rfind('@');
    if (at != std::string::npos) item = item.substr(0, scheme == std::string::npos ? 0 : scheme + 3) + item.substr(at + 1);
    out += (out.empty() ? "" : ",") + item;
    item.clear();
  };
  for (char c : urls) {
    if (c == ',') flush();
    else item += c;
  }
  flush();
  return out;
}

Connection::Connection(const ServerOptions& o) : where_(redact_url(o.urls)) {
  open_library();
  natsOptions* opts = nullptr;
  check(natsOptions_Create(&opts), "NATS options");
  std::unique_ptr<natsOptions, decltype(&natsOptions_Destroy)> guard(opts, natsOptions_Destroy);
  const std::string servers = o.urls;
  std::vector<std::string> list;
  std::string cur;
  for (char c : servers) {
    if (c == ',') list.push_back(cur), cur.clear();
    else if (c != ' ') cur += c;
  }
  if (!cur.empty()) list.push_back(cur);
  std::vector<const char*> ptrs;
  for (const auto& s : list) ptrs.push_back(s.c_str());
  check(natsOptions_SetServers(opts, ptrs.data(), static_cast<int>(ptrs.size())), "NATS server list '" + where_ + "'");
  if (!o.user.empty()) natsOptions_SetUserInfo(opts, o.user.c_str(), o.password.c_str());
  if (!o.token.empty()) natsOptions_SetToken(opts, o.token.c_str());
  if (!o.creds.empty()) check(natsOptions_SetUserCredentialsFromFiles(opts, o.creds.c_str(), nullptr), "NATS credentials " + o.creds);
  if (!o.name.empty()) natsOptions_SetName(opts, o.name.c_str());
  natsOptions_SetTimeout(opts, 5000);
  // Reconnect for as long as the cluster's `outage:` allows; publishes made meanwhile are buffered.
  const std::int64_t wait_ms = 500;
  natsOptions_SetMaxReconnect(opts, static_cast<int>(o.reconnect_for.count() / wait_ms) + 1);
  natsOptions_SetReconnectWait(opts, wait_ms);
  natsOptions_SetReconnectBufSize(opts, 64 * 1024 * 1024);
  natsOptions_SetPingInterval(opts, 2000);
  natsOptions_SetMaxPingsOut(opts, 3);
  natsStatus s = natsConnection_Connect(&nc_, opts);
  if (s != NATS_OK) throw NatsError("cannot reach NATS at " + where_ + ": " + last_error_text(s), s);
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = 5000;
  s = natsConnection_JetStream(&js_, nc_, &jo);
  if (s != NATS_OK) {
    natsConnection_Destroy(nc_);
    throw NatsError("NATS at " + where_ + ": no JetStream context: " + last_error_text(s), s);
  }
}

Connection::~Connection() {
  if (js_) jsCtx_Destroy(js_);
  if (nc_) {
    natsConnection_FlushTimeout(nc_, 2000);  // acks still in the buffer go out
    natsConnection_Close(nc_);
    natsConnection_Destroy(nc_);
  }
}

bool Connection::connected() const { return natsConnection_Status(nc_) == NATS_CONN_STATUS_CONNECTED; }

void Connection::ensure_stream(const std::string& name, const std::string& subjects, std::chrono::milliseconds max_age,
                               std::chrono::milliseconds dedup_window) {
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = name.c_str();
  const char* subj[] = {subjects.c_str()};
  cfg.Subjects = subj;
  cfg.SubjectsLen = 1;
  cfg.Retention = js_LimitsPolicy;  // kept after acks so the run can count what each edge carried
  cfg.Storage = js_FileStorage;
  cfg.MaxAge = max_age.count() * kNs;
  cfg.Duplicates = dedup_window.count() * kNs;
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_AddStream(&si, js_, &cfg, nullptr, &jerr);
  if (s != NATS_OK && jerr == JSStreamNameExistErr) s = js_UpdateStream(&si, js_, &cfg, nullptr, &jerr);
  if (si) jsStreamInfo_Destroy(si);
  check(s, "NATS at " + where_ + ": cannot create stream '" + name + "' (is JetStream on? `nats-server -js`)", jerr);
}

void Connection::purge_subject(const std::string& stream, const std::string& subject) {
  jsOptions o;
  jsOptions_Init(&o);
  o.Stream.Purge.Subject = subject.c_str();
  jsErrCode jerr = static_cast<jsErrCode>(0);
  check(js_PurgeStream(js_, stream.c_str(), &o, &jerr), "purge " + subject, jerr);
}

std::uint64_t Connection::subject_count(const std::string& stream, const std::string& subject) {
  jsOptions o;
  jsOptions_Init(&o);
  o.Stream.Info.SubjectsFilter = subject.c_str();
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  check(js_GetStreamInfo(&si, js_, stream.c_str(), &o, &jerr), "stream info " + stream, jerr);
  std::uint64_t n = 0;
  if (si->State.Subjects)
    for (int i = 0; i < si->State.Subjects->Count; ++i) n += si->State.Subjects->List[i].Msgs;
  jsStreamInfo_Destroy(si);
  return n;
}

void Connection::add_consumer(const std::string& stream, const std::string& durable, const std::string& subject,
                              std::chrono::milliseconds ack_wait, int max_ack_pending) {
  jsConsumerConfig cc;
  jsConsumerConfig_Init(&cc);
  cc.Durable = durable.c_str();
  cc.FilterSubject = subject.c_str();
  cc.AckPolicy = js_AckExplicit;
  cc.DeliverPolicy = js_DeliverAll;
  cc.AckWait = ack_wait.count() * kNs;
  cc.MaxAckPending = max_ack_pending;
  cc.MaxDeliver = -1;
  jsConsumerInfo* ci = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_AddConsumer(&ci, js_, stream.c_str(), &cc, nullptr, &jerr);
  if (ci) jsConsumerInfo_Destroy(ci);
  check(s, "cannot create consumer " + durable, jerr);
}

void Connection::delete_consumer(const std::string& stream, const std::string& durable) {
  jsErrCode jerr = static_cast<jsErrCode>(0);
  check(js_DeleteConsumer(js_, stream.c_str(), durable.c_str(), nullptr, &jerr), "delete consumer " + durable, jerr);
}

ConsumerState Connection::consumer_state(const std::string& stream, const std::string& durable) {
  jsConsumerInfo* ci = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  check(js_GetConsumerInfo(&ci, js_, stream.c_str(), durable.c_str(), nullptr, &jerr), "consumer info " + durable, jerr);
  ConsumerState st{ci->NumPending, ci->NumAckPending, ci->NumRedelivered, ci->Delivered.Consumer};
  jsConsumerInfo_Destroy(ci);
  return st;
}

Connection::Published Connection::publish(const std::string& subject, const std::string& data, const std::string& msg_id,
                                          std::chrono::milliseconds wait) {
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MsgId = msg_id.c_str();
  po.MaxWait = wait.count();
  jsPubAck* pa = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_Publish(&pa, js_, subject.c_str(), data.data(), static_cast<int>(data.size()), &po, &jerr);
  Published out;
  if (pa) {
    out.duplicate = pa->Duplicate;
    out.sequence = pa->Sequence;
    jsPubAck_Destroy(pa);
  }
  check(s, "publish to " + subject, jerr);
  return out;
}

std::unique_ptr<Kv> Connection::bucket(const std::string& name, bool create, std::chrono::milliseconds ttl) {
  kvStore* kv = nullptr;
  natsStatus s = js_KeyValue(&kv, js_, name.c_str());
  if (s == NATS_NOT_FOUND && create) {
    kvConfig cfg;
    kvConfig_Init(&cfg);
    cfg.Bucket = name.c_str();
    cfg.History = 1;
    cfg.StorageType = js_FileStorage;
    cfg.TTL = ttl.count() * kNs;
    s = js_CreateKeyValue(&kv, js_, &cfg);
  }
  check(s, "KV bucket " + name);
  return std::make_unique<Kv>(kv);
}

void Connection::delete_bucket(const std::string& name) { check(js_DeleteKeyValue(js_, name.c_str()), "delete KV bucket " + name); }

Connection::PullInbox Connection::pull_inbox(const std::string& stream, const std::string& durable) {
  consumer_state(stream, durable);  // throws when the consumer is missing, as binding to it would
  natsInbox* inbox = nullptr;
  check(natsInbox_Create(&inbox), "NATS inbox");
  PullInbox p;
  p.inbox = inbox;
  natsInbox_Destroy(inbox);
  p.next_subject = "$JS.API.CONSUMER.MSG.NEXT." + stream + "." + durable;
  check(natsConnection_SubscribeSync(&p.sub, nc_, (p.inbox + ".*").c_str()), "subscribe to the pull inbox of " + durable);
  // A pull never asks for more than 64 messages, but late ones of earlier pulls may queue: no limit
  // may drop a message that JetStream counts as delivered to us.
  natsSubscription_SetPendingLimits(p.sub, -1, -1);
  return p;
}

Kv::~Kv() {
  if (kv_) kvStore_Destroy(kv_);
}

void Kv::put(const std::string& key, const std::string& value) {
  std::uint64_t rev = 0;
  check(kvStore_Put(&rev, kv_, key.c_str(), value.data(), static_cast<int>(value.size())), "KV put " + key);
}

std::optional<std::pair<std::string, std::uint64_t>> Kv::get_rev(const std::string& key) {
  kvEntry* e = nullptr;
  natsStatus s = kvStore_Get(&e, kv_, key.c_str());
  if (s == NATS_NOT_FOUND) return std::nullopt;
  check(s, "KV get " + key);
  std::pair<std::string, std::uint64_t> out{std::string(static_cast<const char*>(kvEntry_Value(e)), kvEntry_ValueLen(e)),
                                            kvEntry_Revision(e)};
  kvEntry_Destroy(e);
  return out;
}

std::optional<std::string> Kv::get(const std::string& key) {
  auto v = get_rev(key);
  if (!v) return std::nullopt;
  return v->first;
}

std::vector<std::string> Kv::keys() {
  kvKeysList list{};
  natsStatus s = kvStore_Keys(&list, kv_, nullptr);
  if (s == NATS_NOT_FOUND) return {};
  check(s, "KV keys");
  std::vector<std::string> out;
  for (int i = 0; i < list.Count; ++i) out.emplace_back(list.Keys[i]);
  kvKeysList_Destroy(&list);
  return out;
}

void Kv::erase(const std::string& key) { check(kvStore_Delete(kv_, key.c_str()), "KV delete " + key); }

}  // namespace flowrun::nats
