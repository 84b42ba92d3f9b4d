// `flowrun trace ID`: one record's path, from the store's lineage columns and, when the run wrote
// one (`flowrun run --trace-file`), from its trace file (trace_command.cpp).
#pragma once
#include <CLI/CLI.hpp>
#include <functional>
#include <optional>

#include "engine/registry.hpp"

namespace flowrun::cli {

// Adds the subcommand to `app`; after parsing, the returned function runs it when it was given.
std::function<std::optional<int>()> add_trace_command(CLI::App& app, const Registry& registry);

}  // namespace flowrun::cli
