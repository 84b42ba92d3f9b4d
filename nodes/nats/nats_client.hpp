// A small C++ face over the NATS C client (libnats 3.4): one connection per process with its
// JetStream context, the stream/consumer/KV calls flowrun needs, and errors as exceptions whose
// message says what failed and never holds a password.
#pragma once
#include <nats/nats.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace flowrun::nats {

struct NatsError : std::runtime_error {
  NatsError(const std::string& what, natsStatus s) : std::runtime_error(what), status(s) {}
  natsStatus status;
};

struct ServerOptions {
  std::string urls;  // comma-separated
  std::string user, password, token, creds;
  std::string name;  // shown by the server's monitoring
  std::chrono::milliseconds reconnect_for{60'000};  // keep reconnecting this long after a loss
};

// "nats://host:4222" without any user:password@ part, for messages.
std::string redact_url(const std::string& urls);

struct ConsumerState {
  std::uint64_t pending = 0;     // in the stream, not yet delivered
  std::int64_t ack_pending = 0;  // delivered, not yet acknowledged (redeliveries included)
  std::int64_t redelivered = 0;
  std::uint64_t delivered = 0;   // consumer sequence: deliveries so far
};

class Kv;

class Connection {
 public:
  // Connects or throws NatsError("cannot reach NATS at ...: reason").
  explicit Connection(const ServerOptions& o);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  natsConnection* nc() const { return nc_; }
  jsCtx* js() const { return js_; }
  bool connected() const;
  const std::string& where() const { return where_; }  // the redacted URL

  // A limits-retention stream on `subjects` (created, or updated to these settings).
  void ensure_stream(const std::string& name, const std::string& subjects, std::chrono::milliseconds max_age,
                     std::chrono::milliseconds dedup_window);
  void purge_subject(const std::string& stream, const std::string& subject);
  std::uint64_t subject_count(const std::string& stream, const std::string& subject);
  // A durable pull consumer with explicit acks; redeliveries are never given up by the server
  // (flowrun dead-letters a record delivered too often itself, with the reason).
  void add_consumer(const std::string& stream, const std::string& durable, const std::string& subject,
                    std::chrono::milliseconds ack_wait, int max_ack_pending);
  void delete_consumer(const std::string& stream, const std::string& durable);
  ConsumerState consumer_state(const std::string& stream, const std::string& durable);

  struct Published {
    bool duplicate = false;
    std::uint64_t sequence = 0;
  };
  // Publishes and waits for JetStream's acknowledgement; throws NatsError when none came.
  Published publish(const std::string& subject, const std::string& data, const std::string& msg_id,
                    std::chrono::milliseconds wait);

  // A KV bucket; `create` makes it when missing (history 1, file storage, entries expire after ttl).
  std::unique_ptr<Kv> bucket(const std::string& name, bool create, std::chrono::milliseconds ttl = {});
  void delete_bucket(const std::string& name);

  // The inbox on which this process pulls from an existing durable consumer (InputEdge).
  struct PullInbox {
    natsSubscription* sub = nullptr;  // <inbox>.* : messages and the status of each pull
    std::string inbox;
    std::string next_subject;  // $JS.API.CONSUMER.MSG.NEXT.<stream>.<durable>
  };
  PullInbox pull_inbox(const std::string& stream, const std::string& durable);

 private:
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
  std::string where_;
};

class Kv {
 public:
  explicit Kv(kvStore* kv) : kv_(kv) {}
  ~Kv();
  Kv(const Kv&) = delete;
  Kv& operator=(const Kv&) = delete;
  void put(const std::string& key, const std::string& value);
  std::optional<std::string> get(const std::string& key);
  // The value and its revision (which changes on every put).
  std::optional<std::pair<std::string, std::uint64_t>> get_rev(const std::string& key);
  std::vector<std::string> keys();
  void erase(const std::string& key);

 private:
  kvStore* kv_;
};

// Throws NatsError naming `what` when s is not NATS_OK.
void check(natsStatus s, const std::string& what, jsErrCode jerr = static_cast<jsErrCode>(0));

}  // namespace flowrun::nats
