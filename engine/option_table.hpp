// One typed option table per node type: each entry binds an option to a member of the node's
// options struct (a pointer-to-member is C++'s offsetof), with its doc, range, choices, aliases and
// kind (path, data file, secret, resource name). The loader fills the struct once from the YAML,
// `flowrun check` runs the type's `validate` hook, and the factory receives the struct: no node
// reads a raw option or restates a default. Defaults are the struct's own member initialisers.
//
//   struct JsonlOptions { std::string path; bool append = false; };
//   NodeType<JsonlOptions> t("jsonl", Role::sink, "Writes one JSON object per line.");
//   t.option("path", &JsonlOptions::path, "Output file.").required().output_path();
//   t.option("append", &JsonlOptions::append, "Append instead of replacing.");
//   t.create([](const JsonlOptions& o, const NodeInfo&) { return std::make_unique<JsonlSink>(o); });
//   registry.add(t.descriptor());
#pragma once
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/options.hpp"

namespace flowrun {

// What reading a value needs besides the YAML: the node (for messages and relative paths), the
// pipeline's declared resources (for rate_limit/breaker/budget names) and where to report.
struct BindContext {
  const NodeInfo& node;
  const YAML::Node& resources;
  Diagnostics& diags;
  std::string file;  // the pipeline file, for locations
};

namespace option_detail {

// Readers for the member types a table can bind. Each checks shape, range, choices and kind
// (resolving paths and data files) and returns false after reporting a diagnostic.
bool read(std::string& out, const YAML::Node& v, const OptionSpec& s, BindContext& c);
bool read(bool& out, const YAML::Node& v, const OptionSpec& s, BindContext& c);
bool read(int& out, const YAML::Node& v, const OptionSpec& s, BindContext& c);
bool read(std::int64_t& out, const YAML::Node& v, const OptionSpec& s, BindContext& c);
bool read(double& out, const YAML::Node& v, const OptionSpec& s, BindContext& c);
bool read(std::chrono::milliseconds& out, const YAML::Node& v, const OptionSpec& s, BindContext& c);
bool read(std::vector<std::string>& out, const YAML::Node& v, const OptionSpec& s, BindContext& c);
bool read(std::map<std::string, std::string>& out, const YAML::Node& v, const OptionSpec& s, BindContext& c);
bool read(YAML::Node& out, const YAML::Node& v, const OptionSpec& s, BindContext& c);
template <class T>
bool read(std::optional<T>& out, const YAML::Node& v, const OptionSpec& s, BindContext& c) {
  T value{};
  if (!read(value, v, s, c)) return false;
  out = std::move(value);
  return true;
}

// A value as the docs show it ("" for none).
std::string show(const std::string& v);
std::string show(bool v);
std::string show(int v);
std::string show(std::int64_t v);
std::string show(double v);
std::string show(std::chrono::milliseconds v);
std::string show(const std::vector<std::string>& v);
std::string show(const std::map<std::string, std::string>& v);
std::string show(const YAML::Node& v);
template <class T>
std::string show(const std::optional<T>& v) {
  return v ? show(*v) : std::string();
}

template <class T> struct TypeOf;
template <> struct TypeOf<std::string> { static constexpr OptionType value = OptionType::string; };
template <> struct TypeOf<bool> { static constexpr OptionType value = OptionType::boolean; };
template <> struct TypeOf<int> { static constexpr OptionType value = OptionType::integer; };
template <> struct TypeOf<std::int64_t> { static constexpr OptionType value = OptionType::integer; };
template <> struct TypeOf<double> { static constexpr OptionType value = OptionType::number; };
template <> struct TypeOf<std::chrono::milliseconds> { static constexpr OptionType value = OptionType::duration; };
template <> struct TypeOf<std::vector<std::string>> { static constexpr OptionType value = OptionType::string_list; };
template <> struct TypeOf<std::map<std::string, std::string>> { static constexpr OptionType value = OptionType::object; };
template <> struct TypeOf<YAML::Node> { static constexpr OptionType value = OptionType::any; };
template <class T> struct TypeOf<std::optional<T>> : TypeOf<T> {};

// The checks every table runs after binding, whatever the type: output folders can be created.
void check_output_path(const std::string& path, const OptionSpec& s, Check& check);

}  // namespace option_detail

// The options of one node instance as the loader bound them: the type's struct, type-erased so that
// the engine can hold it, and where each value was written.
struct BoundOptions {
  std::shared_ptr<const void> value;
  OptionSites sites;
  template <class T>
  const T& as() const {
    return *static_cast<const T*>(value.get());
  }
};

// The type-erased face of a table, which is what a NodeDescriptor holds.
class OptionSchema {
 public:
  virtual ~OptionSchema() = default;
  virtual const std::vector<OptionSpec>& specs() const = 0;
  // Whether `key` names an option (or an alias of one).
  virtual bool knows(const std::string& key) const = 0;
  // Fills a fresh struct from a node's YAML map (keys the schema does not know are ignored: the
  // loader reports them). Defaults stay where the file gives nothing; required ones are reported.
  virtual BoundOptions bind(const YAML::Node& body, BindContext& ctx) const = 0;
  // Cross-field rules and referenced files: what `flowrun check` adds to the shape checks.
  // `input_fields`: what the records reaching the node carry, when known (Check::input_fields).
  virtual void validate(const BoundOptions& b, const NodeInfo& node, Diagnostics& diags,
                        const FieldSet* input_fields = nullptr) const = 0;
  // The values of options typed `secret`, so that they are redacted everywhere.
  virtual std::vector<std::string> secrets(const BoundOptions& b) const = 0;
};

template <class Opts>
class OptionTable {
 public:
  using Reader = std::function<bool(Opts&, const YAML::Node&, const OptionSpec&, BindContext&)>;
  using Shower = std::function<std::string(const Opts&)>;
  using Validator = std::function<void(const Opts&, Check&)>;
  struct Entry {
    OptionSpec spec;
    Reader read;
    Shower show;
  };

  // Refines the entry add() just made: `t.option(...).required().range(1, 100)`.
  class Def {
   public:
    explicit Def(Entry& e) : e_(&e) {}
    Def& required() { return e_->spec.required = true, *this; }
    Def& range(double lo, double hi) { return e_->spec.min = lo, e_->spec.max = hi, *this; }
    Def& at_least(double lo) { return e_->spec.min = lo, *this; }
    Def& choices(std::vector<std::string> c) { return e_->spec.choices = std::move(c), *this; }
    Def& alias(std::string a) { return e_->spec.aliases.push_back(std::move(a)), *this; }
    Def& path() { return e_->spec.type = OptionType::path, *this; }
    Def& output_path() { return e_->spec.type = OptionType::path, e_->spec.output = true, *this; }
    Def& data_file(std::string kind, std::string ext) {
      e_->spec.type = OptionType::data_file;
      e_->spec.data_kind = std::move(kind);
      e_->spec.data_ext = std::move(ext);
      return *this;
    }
    Def& secret() { return e_->spec.type = OptionType::secret, *this; }
    Def& rate_limit() { return e_->spec.type = OptionType::rate_limit, *this; }
    Def& breaker() { return e_->spec.type = OptionType::breaker, *this; }
    Def& budget() { return e_->spec.type = OptionType::budget, *this; }
    Def& object() { return e_->spec.type = OptionType::object, *this; }

   private:
    Entry* e_;
  };

  template <class T>
  Def add(std::string name, T Opts::*member, std::string doc) {
    Entry e;
    e.spec.name = std::move(name);
    e.spec.type = option_detail::TypeOf<T>::value;
    e.spec.doc = std::move(doc);
    e.read = [member](Opts& o, const YAML::Node& v, const OptionSpec& s, BindContext& c) {
      return option_detail::read(o.*member, v, s, c);
    };
    e.show = [member](const Opts& o) { return option_detail::show(o.*member); };
    entries_.push_back(std::move(e));
    return Def(entries_.back());
  }

  // An option with a reader of its own (a shape no standard reader knows).
  Def add_custom(std::string name, OptionType type, std::string doc, Reader read, Shower show) {
    Entry e{OptionSpec{}, std::move(read), std::move(show)};
    e.spec.name = std::move(name);
    e.spec.type = type;
    e.spec.doc = std::move(doc);
    entries_.push_back(std::move(e));
    return Def(entries_.back());
  }

  // Every option of a shared group (the HTTP client's, an LLM endpoint's), bound to a member.
  template <class Sub>
  void include(Sub Opts::*member, const OptionTable<Sub>& sub) {
    for (const auto& se : sub.entries()) {
      Entry e;
      e.spec = se.spec;
      e.read = [member, r = se.read](Opts& o, const YAML::Node& v, const OptionSpec& s, BindContext& c) {
        return r(o.*member, v, s, c);
      };
      e.show = [member, sh = se.show](const Opts& o) { return sh(o.*member); };
      entries_.push_back(std::move(e));
    }
    for (const auto& v : sub.validators())
      validators_.push_back([member, v](const Opts& o, Check& c) { v(o.*member, c); });
  }

  void validate(Validator v) { validators_.push_back(std::move(v)); }

  const std::deque<Entry>& entries() const { return entries_; }
  const std::vector<Validator>& validators() const { return validators_; }

 private:
  std::deque<Entry> entries_;  // a deque: Def keeps a pointer into it while more are added
  std::vector<Validator> validators_;
};

// The schema of one options struct: binds, validates and documents through its table.
template <class Opts>
class TypedSchema final : public OptionSchema {
 public:
  explicit TypedSchema(std::shared_ptr<const OptionTable<Opts>> table) : table_(std::move(table)) {
    const Opts defaults{};
    for (const auto& e : table_->entries()) {
      OptionSpec s = e.spec;
      s.default_value = e.show(defaults);
      specs_.push_back(std::move(s));
    }
  }

  const std::vector<OptionSpec>& specs() const override { return specs_; }

  bool knows(const std::string& key) const override {
    for (const auto& s : specs_) {
      if (s.name == key) return true;
      for (const auto& a : s.aliases)
        if (a == key) return true;
    }
    return false;
  }

  BoundOptions bind(const YAML::Node& body, BindContext& ctx) const override {
    auto opts = std::make_shared<Opts>();
    BoundOptions b;
    std::size_t i = 0;
    for (const auto& e : table_->entries()) {
      const OptionSpec& s = specs_[i++];
      YAML::Node value;
      std::string given_as;
      for (const auto& name : names_of(s)) {
        if (!body.IsMap() || !body[name] || body[name].IsNull()) continue;
        if (!given_as.empty()) {
          ctx.diags.error(at(ctx, body[name]), "node '" + ctx.node.id + "': option '" + s.name + "' is given twice (as '" +
                                                   given_as + "' and '" + name + "')");
          continue;
        }
        given_as = name;
        value = body[name];
      }
      if (!given_as.empty()) {
        b.sites.given.insert(s.name);
        b.sites.where[s.name] = at(ctx, value);
        if (value.IsSequence())
          for (const auto& item : value) b.sites.items[s.name].push_back(at(ctx, item));
        e.read(*opts, value, s, ctx);
      } else if (s.required) {
        ctx.diags.error(ctx.node.where, "node '" + ctx.node.id + "': missing required option '" + s.name + "' (" + s.doc + ")");
      } else if (resolves_default(s)) {
        // A default path or data file name is found from the pipeline's folder like a given one.
        b.sites.where[s.name] = ctx.node.where;
        e.read(*opts, YAML::Node(s.default_value), s, ctx);
      }
    }
    b.value = std::move(opts);
    return b;
  }

  void validate(const BoundOptions& b, const NodeInfo& node, Diagnostics& diags,
                const FieldSet* input_fields = nullptr) const override {
    Check check(node, b.sites, diags, input_fields);
    const Opts& o = b.as<Opts>();
    for (std::size_t i = 0; i < specs_.size(); ++i)
      if (specs_[i].output) option_detail::check_output_path(table_->entries()[i].show(o), specs_[i], check);
    for (const auto& v : table_->validators()) v(o, check);
  }

  std::vector<std::string> secrets(const BoundOptions& b) const override {
    std::vector<std::string> out;
    std::size_t i = 0;
    for (const auto& e : table_->entries())
      if (specs_[i++].type == OptionType::secret) out.push_back(e.show(b.as<Opts>()));
    return out;
  }

 private:
  static std::vector<std::string> names_of(const OptionSpec& s) {
    std::vector<std::string> n{s.name};
    n.insert(n.end(), s.aliases.begin(), s.aliases.end());
    return n;
  }
  static bool resolves_default(const OptionSpec& s) {
    return !s.default_value.empty() && (s.type == OptionType::path || s.type == OptionType::data_file);
  }
  static Location at(const BindContext& ctx, const YAML::Node& n) {
    Location l{ctx.file, 0, 0};
    if (n.IsDefined() && n.Mark().line >= 0) l.line = n.Mark().line + 1, l.column = n.Mark().column + 1;
    return l;
  }

  std::shared_ptr<const OptionTable<Opts>> table_;
  std::vector<OptionSpec> specs_;
};

}  // namespace flowrun
