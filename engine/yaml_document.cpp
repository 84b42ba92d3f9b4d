#include "engine/yaml_document.hpp"

#include <yaml-cpp/eventhandler.h>

#include <sstream>

#include "engine/yaml_util.hpp"

namespace flowrun {

namespace {

// Where a second YAML document starts, if the text has one. Not YAML::LoadAll: yaml-cpp 0.7's
// parser can report an endless run of empty documents at the same position for some malformed
// input (the fuzzer found `, pahb]on,[l}`), and LoadAll then never returns. A real second
// document starts after the first one.
class DocumentStart final : public YAML::EventHandler {
 public:
  YAML::Mark at;
  void OnDocumentStart(const YAML::Mark& mark) override { at = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

std::optional<YAML::Mark> second_document(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStart first, second;
  if (!parser.HandleNextDocument(first) || !parser.HandleNextDocument(second)) return std::nullopt;
  if (second.at.pos <= first.at.pos) return std::nullopt;
  return second.at;
}

// YAML aliases make a document a graph, not a tree: `a: &a [*a]` contains itself and nine
// nested aliases of nine items each expand to 9^9 nodes. Every later pass walks the document as a
// tree, so bound it first: depth (which also catches self-reference) and total nodes visited.
constexpr int kMaxDepth = 256;
constexpr long kMaxNodes = 1'000'000;

bool bounded(const YAML::Node& n, int depth, long& budget, const std::string& file, Diagnostics& diags) {
  if (--budget < 0) {
    diags.error(location_of(file, n), "the document expands to more than 1000000 YAML nodes (an alias bomb?)");
    return false;
  }
  if (depth > kMaxDepth) {
    diags.error(location_of(file, n), "nesting deeper than 256 levels (or an alias that contains itself)");
    return false;
  }
  if (n.IsMap()) {
    for (const auto& kv : n)
      if (!bounded(kv.second, depth + 1, budget, file, diags)) return false;
  } else if (n.IsSequence()) {
    for (const auto& item : n)
      if (!bounded(item, depth + 1, budget, file, diags)) return false;
  }
  return true;
}

}  // namespace

std::optional<YAML::Node> read_yaml_document(const std::string& text, const std::string& file, Diagnostics& diags) {
  YAML::Node root;
  try {
    if (auto second = second_document(text)) {
      diags.error(location_of(file, *second), "a pipeline file holds one YAML document; found another after `---`");
      return std::nullopt;
    }
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    diags.error(location_of(file, e.mark), "invalid YAML: " + e.msg);
    return std::nullopt;
  } catch (const std::exception& e) {
    diags.error(Location{file, 0, 0}, std::string("cannot read pipeline: ") + e.what());
    return std::nullopt;
  }
  long budget = kMaxNodes;
  if (!bounded(root, 0, budget, file, diags)) return std::nullopt;
  return root;
}

}  // namespace flowrun
