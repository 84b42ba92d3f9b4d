// Records between Boost.JSON and Lua, without JSON text in between.
//
// Expressions read the record in place: a field is looked up in the json::object when the
// expression names it, and a nested object becomes a read-only proxy (a userdata) that does the
// same, so a condition that reads two fields of a 60-field record touches two fields. Arrays are
// copied into Lua tables (they are short, and `#`, ipairs and table.concat then work).
// Scripts get the whole record as a Lua table and it is merged back afterwards.
// JSON null and a missing field both read as nil.
#pragma once
#include <lua.hpp>

#include <boost/json.hpp>
#include <cstdint>

namespace flowrun::transform {

namespace json = boost::json;

// The record that the environment's field lookups read. Proxies remember the generation they
// were made in; one used after its record moved on raises an error instead of reading freed memory.
struct Binding {
  const json::object* record = nullptr;  // expressions
  int table_ref = LUA_NOREF;             // scripts: the record as a Lua table
  std::uint32_t generation = 1;
};

// Registers the proxy metatables and makes the environment at `env_index` look fields up in
// `binding`'s record (bare names) and answer `record` with the whole record.
void install_record_access(lua_State* L, int env_index, Binding* binding);

// Pushes `v`: scalars as Lua values, null as nil, arrays as tables, objects as proxies.
void push_lazy(lua_State* L, const json::value& v, Binding* binding);
void push_lazy_object(lua_State* L, const json::object& o, Binding* binding);
// Pushes `v` converted completely into Lua tables (null fields left out).
void push_table(lua_State* L, const json::value& v);
void push_table(lua_State* L, const json::object& o);

// The Lua value at `index` as JSON: nil is null, integral numbers below 2^53 are integers,
// tables with keys 1..n are arrays and other tables objects (keys sorted), proxies are copied.
// Throws std::runtime_error for what JSON cannot hold (functions, NaN, a cycle); the Lua stack
// is restored either way.
json::value to_json(lua_State* L, int index);

// A script's record table merged over the record it started from: the original's fields keep
// their order, a field the script set to nil becomes null (never removed), new fields follow in
// name order, and unchanged numbers keep their JSON kind.
json::object merge_to_json(lua_State* L, int index, const json::object& original);

}  // namespace flowrun::transform
