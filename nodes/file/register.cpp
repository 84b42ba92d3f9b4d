#include "nodes/file/register.hpp"

namespace flowrun {

NodeDescriptor file_source_descriptor();
NodeDescriptor jsonl_sink_descriptor();
NodeDescriptor csv_sink_descriptor();
NodeDescriptor dead_letter_descriptor();

void register_file_nodes(Registry& r) {
  r.add(file_source_descriptor());
  r.add(jsonl_sink_descriptor());
  r.add(csv_sink_descriptor());
  r.add(dead_letter_descriptor());
}

}  // namespace flowrun
