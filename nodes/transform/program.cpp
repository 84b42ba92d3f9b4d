#include "nodes/transform/program.hpp"

#include <functional>
#include <stdexcept>

#include "engine/node.hpp"

namespace flowrun::transform {

namespace {

// An expression is compiled as `return (TEXT\n)`: one value, and the text's line 1 is the chunk's
// line 1 (the newline keeps a trailing `-- comment` from swallowing the parenthesis).
std::string chunk_source(const Chunk& c) {
  return c.kind == ChunkKind::script ? c.expr.text : "return (" + c.expr.text + "\n)";
}

std::string problem_text(const Chunk& c, const SyntaxError& e) {
  if (c.expr.text.find_first_not_of(" \t\r\n") == std::string::npos) return c.expr.label + ": is empty";
  return c.expr.label + ": " + e.message + syntax_hint(e.near, c.expr.text);
}

struct Protected {
  const std::function<void(int)>* body;
  std::string error;
};

// Runs C++ that touches the Lua stack inside a protected call: a memory error raised by the
// allocator then unwinds to here instead of aborting the process.
int trampoline(lua_State* L) {
  auto* p = static_cast<Protected*>(lua_touserdata(L, 1));
  try {
    (*p->body)(2);
  } catch (const std::exception& e) {  // only ours: Lua's own unwinding must pass through
    p->error = e.what();
  }
  return 0;
}

const char* kind_name(ChunkKind k) { return k == ChunkKind::script ? "script" : "expression"; }

// Names of what the sandbox leaves out, so that an error about them says why.
bool mentions_blocked(const std::string& why) {
  for (const char* n : {"'os'", "'io'", "'require'", "'load'", "'loadstring'", "'dofile'", "'loadfile'", "'ffi'",
                        "'jit'", "'debug'", "'package'", "'print'", "'pcall'", "'xpcall'", "'setfenv'", "'getfenv'",
                        "'collectgarbage'", "'setmetatable'", "'getmetatable'", "'module'"})
    if (why.find(n) != std::string::npos) return true;
  return false;
}

}  // namespace

std::vector<CompileProblem> compile_problems(const std::vector<Chunk>& chunks, const Limits& limits) {
  std::vector<CompileProblem> out;
  Sandbox sandbox(limits);
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    SyntaxError e;
    const bool empty = chunks[i].expr.text.find_first_not_of(" \t\r\n") == std::string::npos;
    if (!empty && sandbox.compile(chunk_source(chunks[i]), e) >= 0) continue;
    out.push_back({i, empty ? chunks[i].expr.at : locate(chunks[i].expr, e.line, e.near), problem_text(chunks[i], e)});
  }
  return out;
}

Program::Program(std::shared_ptr<const std::vector<Chunk>> chunks, const Limits& limits)
    : chunks_(std::move(chunks)), sandbox_(limits) {
  lua_State* L = sandbox_.L();
  sandbox_.push_env();
  install_record_access(L, -1, &binding_);
  lua_pop(L, 1);
  lua_pushcfunction(L, trampoline);
  trampoline_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);
  for (const auto& c : *chunks_) {
    SyntaxError e;
    const int ref = sandbox_.compile(chunk_source(c), e);
    if (ref < 0) throw std::runtime_error(locate(c.expr, e.line, e.near).str() + ": " + problem_text(c, e));
    refs_.push_back(ref);
    names_.push_back(names_in(c.expr.text));
  }
}

Program::~Program() = default;

void Program::bind(const json::object* record) {
  binding_.record = record;
  ++binding_.generation;  // proxies made for the previous record stop working
}

std::string Program::protect(int nargs, const std::function<void(int)>& body) {
  lua_State* L = sandbox_.L();
  Protected p{&body, {}};
  lua_rawgeti(L, LUA_REGISTRYINDEX, trampoline_ref_);
  lua_insert(L, -(nargs + 1));
  lua_pushlightuserdata(L, &p);
  lua_insert(L, -(nargs + 1));
  const int rc = lua_pcall(L, nargs + 1, 0, 0);
  if (rc == LUA_ERRMEM) {
    lua_pop(L, 1);
    lua_gc(L, LUA_GCCOLLECT, 0);
    return "exceeded the memory limit of " + std::to_string(sandbox_.limits().memory_mb) + " MB";
  }
  if (rc != 0) {
    p.error = lua_tostring(L, -1) ? lua_tostring(L, -1) : "error";
    lua_pop(L, 1);
  }
  return p.error;
}

void Program::fail(std::size_t i, const std::string& why, const json::object& record) const {
  const Chunk& c = (*chunks_)[i];
  std::string msg = c.expr.label + " (" + c.expr.at.str() + "): " + why;
  if (why.find("nil") != std::string::npos) {
    std::string missing;
    for (const auto& n : names_[i]) {
      const json::value* v = record.if_contains(n);
      if (!v || v->is_null()) missing += (missing.empty() ? "" : ", ") + n;
    }
    if (!missing.empty()) msg += "; null or missing in this record: " + missing;
  }
  if (mentions_blocked(why))
    msg += " (expressions have no file, process, network or module access: os, io, require, load, ffi, debug and print "
           "do not exist here)";
  throw RecordError(c.expr.label, kind_name(c.kind), msg);
}

bool Program::test(std::size_t i, const json::object& record) {
  lua_State* L = sandbox_.L();
  bind(&record);
  const std::string why = sandbox_.call(refs_[i], 0);
  binding_.record = nullptr;
  if (!why.empty()) fail(i, why, record);
  const int type = lua_type(L, -1);
  if (type == LUA_TBOOLEAN || type == LUA_TNIL) {
    const bool yes = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return yes;
  }
  std::string got = luaL_typename(L, -1);
  if (type == LUA_TNUMBER || type == LUA_TSTRING) got += std::string(" (") + lua_tostring(L, -1) + ")";
  lua_pop(L, 1);
  fail(i, "must be true or false, got a " + got + "; compare it, e.g. `x > 0` or `x ~= nil`", record);
}

json::value Program::value(std::size_t i, const json::object& record) {
  lua_State* L = sandbox_.L();
  bind(&record);
  std::string why = sandbox_.call(refs_[i], 0);
  json::value out;
  if (why.empty()) why = protect(1, [&](int arg) { out = to_json(L, arg); });
  binding_.record = nullptr;
  if (!why.empty()) fail(i, why, record);
  return out;
}

void Program::script(std::size_t i, json::object& record) {
  lua_State* L = sandbox_.L();
  bind(&record);
  std::string why = protect(0, [&](int) {
    push_table(L, record);
    binding_.table_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  });
  if (why.empty()) {
    why = sandbox_.call(refs_[i], 0);
    if (why.empty()) lua_pop(L, 1);  // what the script returned: unused
  }
  json::object merged;
  if (why.empty())
    why = protect(0, [&](int) {
      lua_rawgeti(L, LUA_REGISTRYINDEX, binding_.table_ref);
      merged = merge_to_json(L, -1, record);
    });
  luaL_unref(L, LUA_REGISTRYINDEX, binding_.table_ref);
  binding_.table_ref = LUA_NOREF;
  binding_.record = nullptr;
  if (!why.empty()) fail(i, why, record);
  record = std::move(merged);
}

ProgramPool::ProgramPool(std::shared_ptr<const std::vector<Chunk>> chunks, Limits limits)
    : chunks_(std::move(chunks)), limits_(limits) {
  idle_.push_back(std::make_unique<Program>(chunks_, limits_));  // fails at start, not at the first record
}

ProgramPool::Lease ProgramPool::acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      auto p = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(p));
    }
  }
  return Lease(*this, std::make_unique<Program>(chunks_, limits_));
}

ProgramPool::Lease::~Lease() {
  if (!p_) return;
  std::lock_guard lock(pool_->mu_);
  pool_->idle_.push_back(std::move(p_));
}

}  // namespace flowrun::transform
