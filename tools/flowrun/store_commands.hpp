// `flowrun backup` and `flowrun prune`: upkeep of a pipeline's store (store_commands.cpp).
#pragma once
#include <CLI/CLI.hpp>
#include <functional>
#include <optional>

#include "engine/registry.hpp"

namespace flowrun::cli {

// Adds both subcommands to `app`; after parsing, the returned function runs the one that was given
// and returns its exit code (nullopt when neither was).
std::function<std::optional<int>()> add_store_commands(CLI::App& app, const Registry& registry);

}  // namespace flowrun::cli
