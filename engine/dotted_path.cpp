#include "engine/dotted_path.hpp"

namespace flowrun {

const boost::json::value* value_at(const boost::json::object& data, std::string_view path) {
  const boost::json::object* obj = &data;
  for (;;) {
    const auto dot = path.find('.');
    const auto* v = obj->if_contains(path.substr(0, dot));
    if (!v || dot == std::string_view::npos) return v;
    if (!v->is_object()) return nullptr;
    obj = &v->get_object();
    path.remove_prefix(dot + 1);
  }
}

}  // namespace flowrun
