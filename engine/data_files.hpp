// Shipped data (mappings, rules, prompts, schemas, site files) is found by name from anywhere:
// cron does not `cd`, and an installed flowrun has no repository beside it. For a bare NAME of
// kind KIND (the folder, e.g. "mappings") and extension EXT the places tried, in order:
//   1. <pipeline dir>/KIND/NAME.EXT            (a pipeline's own files win)
//   2. $FLOWRUN_DATA_DIR/KIND/NAME.EXT         (an explicit override)
//   3. <prefix>/share/flowrun/pipelines/KIND/NAME.EXT, where the flowrun executable is <prefix>/bin
//   4. <source tree>/pipelines/KIND/NAME.EXT   (a build tree finds its own)
// A value with a '/' in it, or ending in EXT, is a path instead: relative to the pipeline dir.
#pragma once
#include <string>
#include <vector>

namespace flowrun {

struct DataFileLookup {
  std::string found;               // "" when nothing was found
  std::vector<std::string> tried;  // every place looked at, for the error message
};

DataFileLookup find_data_file(const std::string& base_dir, const std::string& kind, const std::string& name,
                              const std::string& ext);
// The shipped data folders that exist, in lookup order (places 2-4 above).
std::vector<std::string> data_dirs();
// Bare names of kind KIND visible from base_dir (for "did you mean").
std::vector<std::string> data_file_names(const std::string& base_dir, const std::string& kind, const std::string& ext);

}  // namespace flowrun
