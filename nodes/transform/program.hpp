// The compiled expressions and scripts of one node in one sandboxed Lua state, and a pool of
// such programs so that a node with `concurrency: N` runs N records at once (a Lua state is
// single-threaded).
#pragma once
#include <boost/json.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "nodes/transform/expression.hpp"
#include "nodes/transform/lua_json.hpp"
#include "nodes/transform/sandbox.hpp"

namespace flowrun::transform {

enum class ChunkKind {
  condition,  // true or false (nil counts as false)
  value,      // any value, stored as JSON
  script,     // statements over `record`, a Lua table merged back into the record
};

struct Chunk {
  Expr expr;
  ChunkKind kind = ChunkKind::condition;
};

// A chunk that does not compile, located in the pipeline file.
struct CompileProblem {
  std::size_t index = 0;
  Location where;
  std::string message;  // "<label>: <Lua's message><hint>"
};

// Compiles every chunk in a scratch sandbox: what `flowrun check` reports.
std::vector<CompileProblem> compile_problems(const std::vector<Chunk>& chunks, const Limits& limits);

class Program {
 public:
  // Throws std::runtime_error when a chunk does not compile (check reports those first).
  Program(std::shared_ptr<const std::vector<Chunk>> chunks, const Limits& limits);
  ~Program();

  // Each throws RecordError (field: the chunk's label) when the chunk fails on this record: a
  // Lua error, the time or memory limit, or a result of the wrong kind.
  bool test(std::size_t chunk, const json::object& record);
  json::value value(std::size_t chunk, const json::object& record);
  void script(std::size_t chunk, json::object& record);

  std::size_t memory_used() const { return sandbox_.memory_used(); }

 private:
  void bind(const json::object* record);
  std::string protect(int nargs, const std::function<void(int first_arg)>& body);
  [[noreturn]] void fail(std::size_t chunk, const std::string& why, const json::object& record) const;

  std::shared_ptr<const std::vector<Chunk>> chunks_;
  Sandbox sandbox_;
  Binding binding_;
  std::vector<int> refs_;
  std::vector<std::vector<std::string>> names_;
  int trampoline_ref_ = -1;
};

// Programs for concurrent workers, made on demand and reused.
class ProgramPool {
 public:
  ProgramPool(std::shared_ptr<const std::vector<Chunk>> chunks, Limits limits);

  class Lease {
   public:
    Lease(ProgramPool& pool, std::unique_ptr<Program> p) : pool_(&pool), p_(std::move(p)) {}
    Lease(Lease&&) = default;
    ~Lease();
    Program* operator->() { return p_.get(); }
    Program& operator*() { return *p_; }

   private:
    ProgramPool* pool_;
    std::unique_ptr<Program> p_;
  };
  Lease acquire();

 private:
  std::shared_ptr<const std::vector<Chunk>> chunks_;
  Limits limits_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Program>> idle_;
};

}  // namespace flowrun::transform
