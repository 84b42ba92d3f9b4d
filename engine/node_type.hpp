// Declares a node type around its typed options struct: the option table, the `validate` hook,
// the factory and the optional environment check, all typed; `descriptor()` erases the types for
// the registry. See engine/option_table.hpp for an example.
#pragma once
#include <memory>
#include <string>
#include <utility>

#include "engine/registry.hpp"

namespace flowrun {

template <class Opts>
class NodeType {
 public:
  NodeType(std::string type, Role role, std::string description) {
    d_.type = std::move(type);
    d_.role = role;
    d_.description = std::move(description);
  }

  template <class T>
  typename OptionTable<Opts>::Def option(std::string name, T Opts::*member, std::string doc) {
    return table_->add(std::move(name), member, std::move(doc));
  }
  typename OptionTable<Opts>::Def custom_option(std::string name, OptionType type, std::string doc,
                                                typename OptionTable<Opts>::Reader read,
                                                typename OptionTable<Opts>::Shower show) {
    return table_->add_custom(std::move(name), type, std::move(doc), std::move(read), std::move(show));
  }
  template <class Sub>
  NodeType& include(Sub Opts::*member, const OptionTable<Sub>& group) {
    table_->include(member, group);
    return *this;
  }
  // Cross-field rules and referenced files (they exist and parse): runs in `flowrun check`.
  NodeType& validate(typename OptionTable<Opts>::Validator v) {
    table_->validate(std::move(v));
    return *this;
  }

  NodeType& ports(std::vector<std::string> p) { return d_.ports = std::move(p), *this; }
  NodeType& data_ports(std::vector<std::string> p) { return d_.data_ports = std::move(p), *this; }
  NodeType& no_out_port() { return d_.sends_out = false, *this; }
  NodeType& blocking_io(bool b = true) { return d_.blocking_io = b, *this; }
  NodeType& dead_letter(bool b = true) { return d_.dead_letter = b, *this; }
  NodeType& default_concurrency(int c) { return d_.default_concurrency = c, *this; }

  template <class F>
  NodeType& create(F make) {
    d_.create = [make = std::move(make)](const BoundOptions& b, const NodeInfo& n) -> std::unique_ptr<Node> {
      return make(b.as<Opts>(), n);
    };
    return *this;
  }
  template <class F>
  NodeType& check_env(F probe) {
    d_.check_env = [probe = std::move(probe)](const BoundOptions& b, const NodeInfo& n, const Settings& s) {
      return probe(b.as<Opts>(), n, s);
    };
    return *this;
  }
  template <class F>
  NodeType& instance_ports(F ports) {
    d_.instance_ports = [ports = std::move(ports)](const BoundOptions& b) { return ports(b.as<Opts>()); };
    return *this;
  }

  // The fields this type's records carry (engine/fields.hpp): `f(opts, input)` returns them, or
  // nullopt when they cannot be known; `input` is what arrives (nullopt when unknown or a source).
  template <class F>
  NodeType& fields(F f) {
    d_.record_fields = [f = std::move(f)](const BoundOptions& b, const std::optional<FieldSet>& in) -> std::optional<FieldSet> {
      return f(b.as<Opts>(), in);
    };
    return *this;
  }
  // Records leave with the fields they came with (a filter, a router, a validator).
  NodeType& passes_fields() {
    d_.record_fields = [](const BoundOptions&, const std::optional<FieldSet>& in) { return in; };
    return *this;
  }

  NodeDescriptor descriptor() const {
    NodeDescriptor d = d_;
    d.schema = std::make_shared<TypedSchema<Opts>>(table_);
    return d;
  }

 private:
  NodeDescriptor d_;
  std::shared_ptr<OptionTable<Opts>> table_ = std::make_shared<OptionTable<Opts>>();
};

}  // namespace flowrun
