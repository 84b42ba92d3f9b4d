// What fields a node's records are known to carry, worked out before the run from the node types
// that declare them (a normaliser's canonical record, a file source's `fields:`, a map's `set:`),
// so that `flowrun check` can reject a sink column no record has. Unknown is the safe answer: a
// node type that declares nothing makes every node downstream of it unknown, and then a sink
// warns at run time instead.
#pragma once
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace flowrun {

struct Graph;

// Dotted paths ("address", "address.street"). Adding a path adds its parents; "attributes.*"
// says any path below `attributes` is possible (an object whose keys vary from record to record).
class FieldSet {
 public:
  FieldSet() = default;
  FieldSet(std::initializer_list<std::string> paths);
  explicit FieldSet(const std::vector<std::string>& paths);

  void add(const std::string& path);
  // `path` and everything below it.
  void remove(const std::string& path);
  // `from` and everything below it moves to `to` (a field the records may lack moves with them).
  void rename(const std::string& from, const std::string& to);
  void merge(const FieldSet& other);

  // Whether a record may carry `path`: it is listed, or a parent of it is open ("a.*").
  bool has(const std::string& path) const;
  // The listed paths, for a did-you-mean ("a.*" shown as "a").
  std::vector<std::string> names() const;

 private:
  std::set<std::string> paths_;
};

// Fills GraphNode::input_fields and output_fields for every node, in data-flow order. Needs a
// well-formed graph (validate_graph without errors): inputs exist and there is no cycle.
void infer_record_fields(Graph& g);

}  // namespace flowrun
