// A LuaJIT state that cannot reach outside itself: no file, process, network, module loading or
// debug access; a memory cap enforced by its allocator and a time limit per call enforced by an
// instruction-count hook. The JIT compiler is switched off: LuaJIT does not run hooks inside
// compiled traces, so `while true do end` could never be stopped; the interpreter alone is fast
// enough for per-record expressions (docs/benchmarks/transform.md).
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

struct lua_State;
struct lua_Debug;

namespace flowrun::transform {

struct Limits {
  std::chrono::milliseconds time{100};  // per record
  int memory_mb = 64;                   // per Lua state (one per concurrent worker)
};

// What compiling a chunk reported: the library's message without its chunk-name prefix, the line
// (1-based, within the chunk) and the token it stopped at ("" when none).
struct SyntaxError {
  std::string message;
  int line = 0;
  std::string near;
};

class Sandbox {
 public:
  explicit Sandbox(Limits limits);
  ~Sandbox();
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  lua_State* L() const { return L_; }
  const Limits& limits() const { return limits_; }

  // Compiles `source` (text only: precompiled bytecode is refused) into a function whose globals
  // are the sandbox environment. Returns a registry reference, or -1 with `err` filled in.
  int compile(std::string_view source, SyntaxError& err);

  // Calls the function `ref` with `nargs` arguments already pushed and leaves one result on the
  // stack. Returns "" on success, else a message (the time or memory limit, or the script's own
  // error, without the chunk-name prefix); the stack is then back where it was before the args.
  std::string call(int ref, int nargs);

  // The environment table every compiled function sees (on the stack: push with push_env()).
  void push_env() const;
  // Lua memory in use, in bytes.
  std::size_t memory_used() const { return alloc_.used; }

  // Strips "name:LINE: " from a Lua message, returning the line (0 when there is none).
  static std::string strip_position(std::string_view message, int* line = nullptr);

 private:
  struct Alloc {
    std::size_t used = 0, limit = 0;
    std::int64_t deadline_ns = 0;  // steady clock; 0 = no call running
  };
  static void* allocate(void* ud, void* ptr, std::size_t old_size, std::size_t new_size);
  static void on_count(lua_State* L, lua_Debug* ar);
  void build_env();

  Limits limits_;
  Alloc alloc_;
  lua_State* L_ = nullptr;
  int env_ref_ = -1;
};

}  // namespace flowrun::transform
