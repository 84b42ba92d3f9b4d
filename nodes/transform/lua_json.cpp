#include "nodes/transform/lua_json.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/json_text.hpp"
#include "engine/utf8.hpp"

namespace flowrun::transform {

namespace {

constexpr const char* kProxyMeta = "flowrun.record";
constexpr int kMaxDepth = 100;
constexpr double kMaxExactInteger = 9007199254740992.0;  // 2^53: doubles are exact integers below it

struct Proxy {
  const json::object* object;
  std::uint32_t generation;
  Binding* binding;
};

const Proxy& check_proxy(lua_State* L, int index) {
  auto* p = static_cast<Proxy*>(luaL_checkudata(L, index, kProxyMeta));
  if (p->generation != p->binding->generation)
    luaL_error(L, "a value from an earlier record was kept and used later; read fields from the current record");
  return *p;
}

int proxy_index(lua_State* L) {
  const Proxy& p = check_proxy(L, 1);
  std::size_t n = 0;
  const char* key = lua_type(L, 2) == LUA_TSTRING ? lua_tolstring(L, 2, &n) : nullptr;
  const json::value* v = key ? p.object->if_contains(std::string_view(key, n)) : nullptr;
  if (v) push_lazy(L, *v, p.binding);
  else lua_pushnil(L);
  return 1;
}

int proxy_read_only(lua_State* L) {
  return luaL_error(L, "the record is read-only here; change fields with a map node's set:, rename:, delete: or script:");
}

int proxy_len(lua_State* L) {
  lua_pushnumber(L, static_cast<lua_Number>(check_proxy(L, 1).object->size()));
  return 1;
}

int proxy_tostring(lua_State* L) {
  const std::string text = to_json_text(*check_proxy(L, 1).object);
  lua_pushlstring(L, text.data(), text.size());
  return 1;
}

int env_index(lua_State* L) {
  auto* b = static_cast<Binding*>(lua_touserdata(L, lua_upvalueindex(1)));
  if (lua_type(L, 2) != LUA_TSTRING) return 0;
  std::size_t n = 0;
  const char* key = lua_tolstring(L, 2, &n);
  const std::string_view name(key, n);
  if (b->table_ref != LUA_NOREF) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, b->table_ref);
    if (name == "record") return 1;
    lua_pushvalue(L, 2);
    lua_rawget(L, -2);
    return 1;
  }
  if (!b->record) return 0;
  if (name == "record") {
    push_lazy_object(L, *b->record, b);
    return 1;
  }
  if (const json::value* v = b->record->if_contains(name)) {
    push_lazy(L, *v, b);
    return 1;
  }
  return 0;
}

void push_string(lua_State* L, const json::string& s) { lua_pushlstring(L, s.data(), s.size()); }

void push_table_at(lua_State* L, const json::value& v, int depth);

void push_object_table(lua_State* L, const json::object& o, int depth) {
  if (depth > kMaxDepth) luaL_error(L, "the record nests deeper than %d levels", kMaxDepth);
  luaL_checkstack(L, 3, "record too deep");
  lua_createtable(L, 0, static_cast<int>(o.size()));
  for (const auto& kv : o) {
    if (kv.value().is_null()) continue;
    lua_pushlstring(L, kv.key().data(), kv.key().size());
    push_table_at(L, kv.value(), depth + 1);
    lua_rawset(L, -3);
  }
}

void push_table_at(lua_State* L, const json::value& v, int depth) {
  switch (v.kind()) {
    case json::kind::null: lua_pushnil(L); break;
    case json::kind::bool_: lua_pushboolean(L, v.get_bool()); break;
    case json::kind::int64: lua_pushnumber(L, static_cast<lua_Number>(v.get_int64())); break;
    case json::kind::uint64: lua_pushnumber(L, static_cast<lua_Number>(v.get_uint64())); break;
    case json::kind::double_: lua_pushnumber(L, v.get_double()); break;
    case json::kind::string: push_string(L, v.get_string()); break;
    case json::kind::object: push_object_table(L, v.get_object(), depth); break;
    case json::kind::array: {
      if (depth > kMaxDepth) luaL_error(L, "the record nests deeper than %d levels", kMaxDepth);
      luaL_checkstack(L, 3, "record too deep");
      const auto& a = v.get_array();
      lua_createtable(L, static_cast<int>(a.size()), 0);
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i].is_null()) continue;
        push_table_at(L, a[i], depth + 1);
        lua_rawseti(L, -2, static_cast<int>(i + 1));
      }
      break;
    }
  }
}

// ---- Lua -> JSON -----------------------------------------------------------------------------

json::value number_to_json(lua_Number d) {
  if (!std::isfinite(d)) throw std::runtime_error("the result is not a finite number (JSON has no NaN or infinity)");
  if (d == std::trunc(d) && std::fabs(d) < kMaxExactInteger) return static_cast<std::int64_t>(d);
  return d;
}

json::value to_json_at(lua_State* L, int index, int depth);

// Whether the table at `index` is a list: keys exactly 1..n, n > 0.
bool is_list(lua_State* L, int index) {
  const std::size_t len = lua_objlen(L, index);
  if (len == 0) return false;
  std::size_t count = 0;
  lua_pushnil(L);
  while (lua_next(L, index) != 0) {
    lua_pop(L, 1);
    ++count;
    if (lua_type(L, -1) != LUA_TNUMBER) {
      lua_pop(L, 1);
      return false;
    }
    const lua_Number k = lua_tonumber(L, -1);
    if (k < 1 || k > static_cast<lua_Number>(len) || k != std::trunc(k)) {
      lua_pop(L, 1);
      return false;
    }
  }
  return count == len;
}

std::string key_text(lua_State* L, int index) {
  switch (lua_type(L, index)) {
    case LUA_TSTRING: {
      std::size_t n = 0;
      const char* s = lua_tolstring(L, index, &n);
      return to_valid_utf8(std::string_view(s, n));
    }
    case LUA_TNUMBER: return format_number(lua_tonumber(L, index));
    default: throw std::runtime_error(std::string("a table key of type ") + luaL_typename(L, index) + " cannot be a JSON field name");
  }
}

// The table at `index` as a JSON object, fields in name order; keys in `skip` are left out.
json::object table_to_object(lua_State* L, int index, int depth, const json::object* skip) {
  std::vector<std::pair<std::string, json::value>> fields;
  lua_pushnil(L);
  while (lua_next(L, index) != 0) {
    std::string key = key_text(L, -2);
    if (!skip || !skip->contains(key)) fields.emplace_back(std::move(key), to_json_at(L, lua_gettop(L), depth + 1));
    lua_pop(L, 1);
  }
  std::sort(fields.begin(), fields.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  json::object o;
  o.reserve(fields.size());
  for (auto& [k, v] : fields) o.emplace(k, std::move(v));
  return o;
}

json::value table_to_json(lua_State* L, int index, int depth) {
  if (depth > kMaxDepth) throw std::runtime_error("the result nests deeper than 100 levels (a table that contains itself?)");
  luaL_checkstack(L, 4, "result too deep");
  if (!is_list(L, index)) return table_to_object(L, index, depth, nullptr);
  const std::size_t len = lua_objlen(L, index);
  json::array a;
  a.reserve(len);
  for (std::size_t i = 1; i <= len; ++i) {
    lua_rawgeti(L, index, static_cast<int>(i));
    a.push_back(to_json_at(L, lua_gettop(L), depth + 1));
    lua_pop(L, 1);
  }
  return a;
}

json::value to_json_at(lua_State* L, int index, int depth) {
  switch (lua_type(L, index)) {
    case LUA_TNIL: return nullptr;
    case LUA_TBOOLEAN: return static_cast<bool>(lua_toboolean(L, index));
    case LUA_TNUMBER: return number_to_json(lua_tonumber(L, index));
    case LUA_TSTRING: {
      std::size_t n = 0;
      const char* s = lua_tolstring(L, index, &n);
      const std::string_view text(s, n);
      if (is_valid_utf8(text)) return json::string(text);
      return json::string(to_valid_utf8(text));
    }
    case LUA_TTABLE: return table_to_json(L, index, depth);
    case LUA_TUSERDATA:
      if (auto* p = static_cast<Proxy*>(luaL_testudata(L, index, kProxyMeta))) {
        if (p->generation != p->binding->generation) throw std::runtime_error("a value from an earlier record was kept and used later");
        return *p->object;
      }
      [[fallthrough]];
    default: throw std::runtime_error(std::string("a ") + luaL_typename(L, index) + " cannot be stored in a record");
  }
}

// Restores the stack when a conversion throws halfway through a table walk.
template <class F>
auto guarded(lua_State* L, F f) {
  const int top = lua_gettop(L);
  try {
    return f();
  } catch (...) {
    lua_settop(L, top);
    throw;
  }
}

json::value merge_value(lua_State* L, int index, const json::value& original, int depth);

json::object merge_object(lua_State* L, int index, const json::object& original, int depth) {
  if (depth > kMaxDepth) throw std::runtime_error("the result nests deeper than 100 levels (a table that contains itself?)");
  luaL_checkstack(L, 4, "result too deep");
  json::object out;
  out.reserve(original.size());
  for (const auto& kv : original) {
    lua_pushlstring(L, kv.key().data(), kv.key().size());
    lua_rawget(L, index);
    out.emplace(kv.key(), merge_value(L, lua_gettop(L), kv.value(), depth + 1));
    lua_pop(L, 1);
  }
  for (auto& kv : table_to_object(L, index, depth, &original)) out.emplace(kv.key(), std::move(kv.value()));
  return out;
}

json::value merge_value(lua_State* L, int index, const json::value& original, int depth) {
  const int type = lua_type(L, index);
  if (type == LUA_TNUMBER && original.is_number()) {
    // Unchanged numbers keep their kind (a double 2.0 stays a double).
    if (lua_tonumber(L, index) == original.to_number<double>()) return original;
  } else if (type == LUA_TTABLE && original.is_object() && !is_list(L, index)) {
    return merge_object(L, index, original.get_object(), depth);
  }
  return to_json_at(L, index, depth);
}

}  // namespace

void install_record_access(lua_State* L, int env_index_, Binding* binding) {
  if (luaL_newmetatable(L, kProxyMeta)) {
    lua_pushcfunction(L, proxy_index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, proxy_read_only);
    lua_setfield(L, -2, "__newindex");
    lua_pushcfunction(L, proxy_len);
    lua_setfield(L, -2, "__len");
    lua_pushcfunction(L, proxy_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
  }
  lua_pop(L, 1);
  const int env = env_index_ < 0 ? lua_gettop(L) + env_index_ + 1 : env_index_;
  lua_getmetatable(L, env);
  lua_pushlightuserdata(L, binding);
  lua_pushcclosure(L, env_index, 1);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
}

void push_lazy(lua_State* L, const json::value& v, Binding* binding) {
  switch (v.kind()) {
    case json::kind::object: push_lazy_object(L, v.get_object(), binding); break;
    case json::kind::array: push_table_at(L, v, 0); break;
    case json::kind::string: push_string(L, v.get_string()); break;
    case json::kind::double_: lua_pushnumber(L, v.get_double()); break;
    case json::kind::int64: lua_pushnumber(L, static_cast<lua_Number>(v.get_int64())); break;
    case json::kind::uint64: lua_pushnumber(L, static_cast<lua_Number>(v.get_uint64())); break;
    case json::kind::bool_: lua_pushboolean(L, v.get_bool()); break;
    case json::kind::null: lua_pushnil(L); break;
  }
}

void push_lazy_object(lua_State* L, const json::object& o, Binding* binding) {
  auto* p = static_cast<Proxy*>(lua_newuserdata(L, sizeof(Proxy)));
  *p = Proxy{&o, binding->generation, binding};
  luaL_getmetatable(L, kProxyMeta);
  lua_setmetatable(L, -2);
}

void push_table(lua_State* L, const json::value& v) { push_table_at(L, v, 0); }
void push_table(lua_State* L, const json::object& o) { push_object_table(L, o, 0); }

json::value to_json(lua_State* L, int index) {
  const int abs = index < 0 ? lua_gettop(L) + index + 1 : index;
  return guarded(L, [&] { return to_json_at(L, abs, 0); });
}

json::object merge_to_json(lua_State* L, int index, const json::object& original) {
  const int abs = index < 0 ? lua_gettop(L) + index + 1 : index;
  if (lua_type(L, abs) != LUA_TTABLE) throw std::runtime_error("`record` is no longer a table");
  return guarded(L, [&] { return merge_object(L, abs, original, 0); });
}

}  // namespace flowrun::transform
