// flowrun backup FILE --to PATH        a consistent copy of the store (SQLite online backup API)
// flowrun prune FILE --older-than 90d  deletes old ledger rows, dead letters, raw records, cache
// Exit codes: 0 done, 1 the store refused (nothing half-done is left as the backup), 2 usage.
#include "tools/flowrun/store_commands.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include "engine/options.hpp"
#include "engine/pipeline.hpp"
#include "tools/flowrun/commands.hpp"
#ifdef FLOWRUN_HAVE_STORE
#include "nodes/store/backup.hpp"
#include "nodes/store/prune.hpp"
#include "nodes/store/store.hpp"
#endif

namespace flowrun::cli {

namespace {

struct StoreArgs {
  std::string pipeline, store;  // --store overrides the pipeline's `store:`
  std::string to;               // backup
  std::string older_than;       // prune
  bool history = false, dry_run = false;
  std::int64_t batch_size = 5000;
};

#ifdef FLOWRUN_HAVE_STORE

// The store URL a command works on: --store, else the pipeline's `store:` (${env.X:-default}
// resolved by the loader). Prints why and returns nullopt when there is none.
std::optional<std::string> store_url(const char* command, const StoreArgs& a, const Registry& registry) {
  std::string url = a.store;
  if (!a.pipeline.empty()) {
    auto r = load_pipeline_file(a.pipeline, registry, {});
    if (print_diagnostics(r.diagnostics)) return std::nullopt;
    if (url.empty()) url = r.graph.store;
  }
  if (url.empty()) {
    std::cerr << "flowrun " << command << ": no store: give a pipeline that names its store: or --store URL\n";
    return std::nullopt;
  }
  return url;
}

bool is_postgres(const std::string& url) {
  return url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0;
}

int backup(const StoreArgs& a, const Registry& registry) {
  auto url = store_url("backup", a, registry);
  if (!url) return 2;
  if (is_postgres(*url)) {
    std::cerr << "flowrun backup: " << store::pg_dump_advice(*url, a.to);
    return 2;
  }
  try {
    const std::string path = store::sqlite_path_of(*url);
    if (path.empty()) throw std::runtime_error("'" + store::redact_url(*url) + "' is not a store URL flowrun can back up");
    auto r = store::backup_sqlite(path, a.to);
    std::string tables;
    for (const auto& [t, n] : r.rows) tables += fmt::format("{}{} {}", tables.empty() ? "" : ", ", t, n);
    std::cerr << fmt::format("backup of {} written to {} ({} bytes, integrity ok): {}\n",
                             store::redact_url(*url), r.path, r.bytes, tables);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "flowrun backup: " << e.what() << "\n";
    return 1;
  }
}

int prune(const StoreArgs& a, const Registry& registry) {
  auto age = parse_duration(a.older_than);
  if (!age || age->count() <= 0) {
    std::cerr << "flowrun prune: --older-than '" << a.older_than << "' is not a duration like 90d or 12h\n";
    return 2;
  }
  auto url = store_url("prune", a, registry);
  if (!url) return 2;
  try {
    const std::string path = is_postgres(*url) ? "" : store::sqlite_path_of(*url);
    if (!path.empty() && path != ":memory:" && !std::filesystem::is_regular_file(path))
      throw std::runtime_error(path + ": no such store file");
    auto db = store::Store::open(*url);
    std::vector<store::PruneRule> rules;
    for (const auto& t : store::prunable_tables())
      if (t != "property_history" || a.history) rules.push_back({t, *age});
    store::PruneOptions opts;
    opts.dry_run = a.dry_run;
    opts.batch_size = a.batch_size;
    auto counts = store::prune_store(*db, rules, opts);
    std::cout << fmt::format("{} {}: rows older than {} ({})\n", a.dry_run ? "dry run, nothing deleted:" : "pruned",
                             store::redact_url(*url), counts.empty() ? "" : counts.front().cutoff, a.older_than);
    std::cout << fmt::format("{:<18} {:>12} {:>12}\n", "table", a.dry_run ? "would remove" : "removed", "left");
    for (const auto& c : counts) std::cout << fmt::format("{:<18} {:>12} {:>12}\n", c.table, c.removed, c.left);
    if (!a.history) std::cout << fmt::format("{:<18} {:>12}\n", "property_history", "kept (--history prunes it)");
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "flowrun prune: " << e.what() << "\n";
    return 1;
  }
}

#else

int backup(const StoreArgs&, const Registry&) {
  std::cerr << "flowrun backup: this build has no store module\n";
  return 2;
}
int prune(const StoreArgs&, const Registry&) {
  std::cerr << "flowrun prune: this build has no store module\n";
  return 2;
}

#endif

}  // namespace

std::function<std::optional<int>()> add_store_commands(CLI::App& app, const Registry& registry) {
  auto b = std::make_shared<StoreArgs>(), p = std::make_shared<StoreArgs>();
  auto* backup_cmd = app.add_subcommand("backup", "Copy the pipeline's store consistently while runs may write");
  backup_cmd->add_option("pipeline", b->pipeline, "Pipeline YAML (gives the store URL)");
  backup_cmd->add_option("--store", b->store, "Store URL, overrides the pipeline's");
  backup_cmd->add_option("--to", b->to, "Where to write the copy (a SQLite file; replaced atomically)")->required();

  auto* prune_cmd = app.add_subcommand("prune", "Delete store rows older than a duration (never the current properties)");
  prune_cmd->add_option("pipeline", p->pipeline, "Pipeline YAML (gives the store URL)");
  prune_cmd->add_option("--store", p->store, "Store URL, overrides the pipeline's");
  prune_cmd->add_option("--older-than", p->older_than, "Age of the rows to delete: 90d, 12h, ...")->required();
  prune_cmd->add_flag("--history", p->history, "Also prune price history (each property's latest row stays)");
  prune_cmd->add_flag("--dry-run", p->dry_run, "Only count what would be deleted");
  prune_cmd->add_option("--batch-size", p->batch_size, "Rows per delete transaction")->capture_default_str()
      ->check(CLI::Range(1, 1000000));

  return [=, &registry]() -> std::optional<int> {
    if (*backup_cmd) return backup(*b, registry);
    if (*prune_cmd) return prune(*p, registry);
    return std::nullopt;
  };
}

}  // namespace flowrun::cli
