#include "nodes/transform/sandbox.hpp"

#include <lua.hpp>
#include <luajit.h>

#include <cstdlib>
#include <stdexcept>

namespace flowrun::transform {

namespace {

// Instructions between two looks at the clock: a clock read costs about 20 ns, so checking every
// 1000 instructions adds well under 1% and stops a runaway loop within microseconds of its limit.
constexpr int kHookEvery = 1000;
constexpr const char* kTimeoutMarker = "\x01timeout";

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Base functions that only compute. Left out on purpose: load, loadstring, dofile, loadfile,
// require, module (code and files), getfenv/setfenv (escape the environment), getmetatable/
// setmetatable/rawset (change shared tables), pcall/xpcall (would swallow the time and memory
// limits), collectgarbage, newproxy, print (writes to our stdout).
constexpr const char* kBaseAllowed[] = {"assert", "error",    "ipairs",   "next",     "pairs", "select",
                                        "tonumber", "tostring", "type",   "unpack",   "rawequal", "rawget"};
// Whole libraries, each behind a read-only view. io, os, package, debug, ffi and jit are never opened.
constexpr const char* kLibraries[] = {"string", "table", "math", "bit"};

int read_only(lua_State* L) {
  return luaL_error(L, "the standard libraries are read-only in flowrun expressions");
}

int no_global_assignment(lua_State* L) {
  const char* name = lua_tostring(L, 2);
  return luaL_error(L, "cannot assign global '%s': declare it `local %s`, or set a record field as record.%s = ...",
                    name ? name : "?", name ? name : "x", name ? name : "x");
}

// Opens one library the way the Lua manual asks (through a call), leaving its table in _G.
void open_library(lua_State* L, lua_CFunction open, const char* name) {
  lua_pushcfunction(L, open);
  lua_pushstring(L, name);
  lua_call(L, 1, 0);
}

}  // namespace

Sandbox::Sandbox(Limits limits) : limits_(limits) {
  alloc_.limit = static_cast<std::size_t>(limits_.memory_mb) << 20;
  L_ = lua_newstate(&Sandbox::allocate, &alloc_);
  if (!L_) throw std::runtime_error("cannot create a Lua state (out of memory?)");
  // Off for the whole state before any code exists: compiled traces would skip the time-limit hook.
  luaJIT_setmode(L_, 0, LUAJIT_MODE_ENGINE | LUAJIT_MODE_OFF);
  open_library(L_, luaopen_base, "");
  open_library(L_, luaopen_string, LUA_STRLIBNAME);
  open_library(L_, luaopen_table, LUA_TABLIBNAME);
  open_library(L_, luaopen_math, LUA_MATHLIBNAME);
  open_library(L_, luaopen_bit, LUA_BITLIBNAME);
  build_env();
  lua_sethook(L_, &Sandbox::on_count, LUA_MASKCOUNT, kHookEvery);
}

Sandbox::~Sandbox() {
  if (L_) lua_close(L_);
}

void Sandbox::build_env() {
  lua_State* L = L_;
  lua_newtable(L);  // the environment
  for (const char* name : kBaseAllowed) {
    lua_getglobal(L, name);
    lua_setfield(L, -2, name);
  }
  for (const char* name : kLibraries) {
    lua_newtable(L);                  // the view
    lua_newtable(L);                  // its metatable
    lua_getglobal(L, name);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, read_only);
    lua_setfield(L, -2, "__newindex");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_setfield(L, -2, name);
  }
  lua_newtable(L);  // the environment's metatable: __index is set by whoever binds records
  lua_pushcfunction(L, no_global_assignment);
  lua_setfield(L, -2, "__newindex");
  lua_setmetatable(L, -2);
  env_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);
}

void Sandbox::push_env() const { lua_rawgeti(L_, LUA_REGISTRYINDEX, env_ref_); }

void* Sandbox::allocate(void* ud, void* ptr, std::size_t old_size, std::size_t new_size) {
  auto* a = static_cast<Alloc*>(ud);
  if (ptr == nullptr) old_size = 0;  // Lua passes a type tag in old_size for new blocks
  if (new_size == 0) {
    std::free(ptr);
    a->used -= old_size;
    return nullptr;
  }
  if (new_size > old_size && a->used - old_size + new_size > a->limit) return nullptr;  // Lua raises "not enough memory"
  void* p = std::realloc(ptr, new_size);
  if (p) a->used = a->used - old_size + new_size;
  return p;
}

void Sandbox::on_count(lua_State* L, lua_Debug*) {
  void* ud = nullptr;
  lua_getallocf(L, &ud);
  const auto* a = static_cast<Alloc*>(ud);
  if (a->deadline_ns != 0 && now_ns() > a->deadline_ns) {
    lua_pushstring(L, kTimeoutMarker);
    lua_error(L);
  }
}

int Sandbox::compile(std::string_view source, SyntaxError& err) {
  // Mode "t": text only. A binary chunk could be crafted to break out of the VM.
  const int rc = luaL_loadbufferx(L_, source.data(), source.size(), "=expr", "t");
  if (rc != 0) {
    const char* m = lua_tostring(L_, -1);
    std::string msg = m ? m : "cannot compile";
    lua_pop(L_, 1);
    err.message = strip_position(msg, &err.line);
    const auto near = err.message.rfind(" near '");
    if (near != std::string::npos && err.message.back() == '\'')
      err.near = err.message.substr(near + 7, err.message.size() - near - 8);
    else if (err.message.size() > 11 && err.message.compare(err.message.size() - 11, 11, " near <eof>") == 0)
      err.near = "<eof>";
    if (rc == LUA_ERRMEM) err.message = "the expression is too large for the memory limit";
    return -1;
  }
  push_env();
  lua_setfenv(L_, -2);
  return luaL_ref(L_, LUA_REGISTRYINDEX);
}

std::string Sandbox::call(int ref, int nargs) {
  lua_rawgeti(L_, LUA_REGISTRYINDEX, ref);
  lua_insert(L_, -(nargs + 1));
  alloc_.deadline_ns = now_ns() + std::chrono::duration_cast<std::chrono::nanoseconds>(limits_.time).count();
  const int rc = lua_pcall(L_, nargs, 1, 0);
  alloc_.deadline_ns = 0;
  if (rc == 0) return "";
  std::string why;
  if (rc == LUA_ERRMEM) {
    why = "exceeded the memory limit of " + std::to_string(limits_.memory_mb) + " MB";
  } else if (const char* m = lua_tostring(L_, -1); m && std::string_view(m) == kTimeoutMarker) {
    why = "ran longer than the time limit of " + std::to_string(limits_.time.count()) + "ms (an endless loop?)";
  } else if (m) {
    why = strip_position(m);
  } else {
    why = std::string("raised an error that is not a string (a ") + luaL_typename(L_, -1) + ")";
  }
  lua_pop(L_, 1);
  if (rc == LUA_ERRMEM) lua_gc(L_, LUA_GCCOLLECT, 0);  // give the memory back before the next record
  return why;
}

std::string Sandbox::strip_position(std::string_view message, int* line) {
  // "expr:12: message" (our chunk name), possibly nested in a message from error().
  if (line) *line = 0;
  constexpr std::string_view prefix = "expr:";
  if (message.substr(0, prefix.size()) != prefix) return std::string(message);
  std::size_t i = prefix.size();
  int n = 0;
  while (i < message.size() && message[i] >= '0' && message[i] <= '9') n = n * 10 + (message[i++] - '0');
  if (i >= message.size() || message[i] != ':') return std::string(message);
  if (line) *line = n;
  ++i;
  if (i < message.size() && message[i] == ' ') ++i;
  return std::string(message.substr(i));
}

}  // namespace flowrun::transform
