// A record's hand-off token, for inputs that must be acknowledged only once what they became has
// reached its end (a NATS JetStream message in a cluster run, docs/cluster.md).
//
// The consuming source puts a root token on each record it emits; the engine gives every record
// a node emits while processing a tokened input a child token (Handoff::derive), so the root lives
// exactly as long as some descendant of the input is still on its way. A descendant is on its way
// until it is dropped (filtered), published downstream and acknowledged, or written by a sink. A
// sink that buffers records past process() (a batching store) keeps their tokens with the buffered
// rows and drops them after the commit; when the commit fails it calls fail() first, so the input
// is returned for redelivery instead of acknowledged. The root's owner acts in its destructor.
//
// Without a cluster no record carries a token and nothing here costs anything.
#pragma once
#include <memory>
#include <string>

namespace flowrun {

class Handoff {
 public:
  explicit Handoff(std::string id) : id_(std::move(id)) {}
  virtual ~Handoff() = default;
  Handoff(const Handoff&) = delete;
  Handoff& operator=(const Handoff&) = delete;

  // Stable across redeliveries of the same input when nodes are deterministic: the root's id is
  // the input message's id, a child's is its parent's plus the child's emit index. Publishers
  // derive the downstream message id from it, so a redelivered input duplicates nothing.
  const std::string& id() const { return id_; }

  // The record (or what it became) could not be handed on: the root input must not be
  // acknowledged. Safe from any thread, any number of times.
  virtual void fail(const std::string& why) {
    if (parent_) parent_->fail(why);
  }

  // The token of the index-th record emitted while processing a record holding `parent`.
  static std::shared_ptr<Handoff> derive(const std::shared_ptr<Handoff>& parent, int index) {
    auto child = std::make_shared<Handoff>(parent->id_ + "." + std::to_string(index));
    child->parent_ = parent;
    return child;
  }

 private:
  std::shared_ptr<Handoff> parent_;
  std::string id_;
};

}  // namespace flowrun
