// What a node implementation sees. Node code never touches oneTBB: the engine wraps every body,
// counts, catches exceptions, routes ports and decides which threads run it.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "engine/record.hpp"

namespace flowrun {

class Resources;
class RunContext;
struct RunSummary;

// Hands records to the node's output ports. "out" is the default port; "errors" is always there;
// other ports are declared in the node's descriptor.
//
// Every record a node accepts ends as exactly one of: out (emitted, or written by a sink),
// errors (dead-lettered with its reason), filtered (dropped on purpose) or unwritten (a sink could
// not write it and there was no dead-letter path left). Batching nodes hold records and settle
// them later; what is still held when close() returns is counted unwritten and fails the run.
class Emitter {
 public:
  virtual ~Emitter() = default;
  virtual void emit(Record r) { emit("out", std::move(r)); }
  virtual void emit(std::string_view port, Record r) = 0;
  // Count the current input as intentionally dropped (a filter said no), not as an error.
  virtual void filtered() = 0;

  // The record in hand stays with the node (a store's open batch, an embedder's request, a line in
  // a file not yet published); it counts as held until released or written.
  // The defaults suit emitters that only collect (test harnesses); the runner's emitter accounts.
  virtual void hold() {}
  // A held record leaves now: on `out` (a batching transform's result) or `errors` (a failed
  // batch, dead-lettered with its reason). Also valid in close().
  virtual void release(std::string_view port, Record r) { emit(port, std::move(r)); }
  // `n` held records are now durably written (a sink's batch committed, a file published).
  virtual void written(std::int64_t) {}
  // The node's output is broken (disk full, database gone): the run fails whatever `fatal:` says,
  // and records that reach the node later are dead-lettered without being processed.
  virtual void broken(const std::string&) {}
  // Whether any node consumes `port`. A record emitted on a port nobody consumes is counted as
  // output and discarded; a node that would rather count it as filtered asks first.
  virtual bool consumed(std::string_view /*port*/) const { return true; }
  // For sources that pull from a shared queue (a cluster edge): how many more records the nodes
  // downstream could start on now (free concurrency slots of the busiest one), so the source takes
  // no more than this process can work on; -1 when unknown.
  virtual std::int64_t room() const { return -1; }
};

// Throw this from a body to send the record to `errors` with a field and rule attached.
// Any other std::exception is also caught; its what() becomes the reason.
struct RecordError : std::runtime_error {
  RecordError(std::string field, std::string rule, std::string message)
      : std::runtime_error(std::move(message)), field(std::move(field)), rule(std::move(rule)) {}
  std::string field, rule;
};

// Thrown by a sink when a write, flush or close fails: the record in hand goes to dead letters,
// the node is broken (see Emitter::broken) and the run fails, whatever `fatal:` says.
struct WriteError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Thrown by a node to stop the whole run, whatever its `fatal:` option says: the node knows the run
// cannot go on (its database is gone, its key is rejected). The record in hand is dead-lettered.
// Other exceptions stop the run only from nodes marked `fatal: true`.
struct FatalError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Node {
 public:
  virtual ~Node() = default;
  // Called once before any record flows (connect, check a server, open files).
  virtual void open(RunContext&) {}
  // Called once after every input has finished and every record was processed; may still emit
  // (aggregates) and release what it holds (flushed batches). A throw fails the run.
  virtual void close(RunContext&, Emitter&) {}
  // Called once after the run's outcome is known and the run observers (the run ledger) have
  // recorded it, in file order: for outputs about the run itself (a report, a notification), so
  // they show the finished run. A throw fails the run (exit 1); counters and warnings added here
  // (RunContext) reach the summary; the ledger is told again of either. When another node could
  // not start, after_run comes without open() (every node but the one that failed hears of it).
  virtual void after_run(RunContext&, const RunSummary&) {}
};

// A source runs on its own thread (never a TBB worker), so it may block on the network.
// emit() blocks while downstream buffers are full: that is the pipeline's backpressure.
class SourceNode : public Node {
 public:
  virtual void run(RunContext& ctx, Emitter& out) = 0;
};

// Transforms and sinks. process() is called once per input record, by up to `concurrency`
// threads at once: TBB workers for CPU nodes, the node's I/O threads for nodes whose descriptor
// says `blocking_io`. A sink that returns normally has written the record.
class ProcessNode : public Node {
 public:
  virtual void process(Record in, RunContext& ctx, Emitter& out) = 0;
  // What the engine calls. `in` is the engine's own record (moved to this node when it is the
  // message's last consumer) and is what goes to dead letters if the body throws; the default
  // hands process() a copy, so a node may change its input freely. A node on a hot path may
  // override this instead, without the copy, if it leaves `in` as it came until nothing more can
  // throw (e.g. `out.emit(std::move(in))` as its last step).
  virtual void process_in_place(Record& in, RunContext& ctx, Emitter& out) { process(in, ctx, out); }
};

}  // namespace flowrun
