#include <stdexcept>

#include "nodes/store/postgres_store.hpp"
#include "nodes/store/sqlite_store.hpp"
#include "engine/registry.hpp"
#include "nodes/store/store.hpp"

namespace flowrun::store {

static bool starts_with(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

std::string redact_url(const std::string& url) {
  // scheme://user:password@host -> scheme://user:***@host
  auto scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  auto at = url.find('@', scheme + 3);
  if (at == std::string::npos) return url;
  auto colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

std::string sqlite_path_of(const std::string& url) {
  if (!starts_with(url, "sqlite:")) return "";
  std::string path = url.substr(7);
  if (starts_with(path, "//")) path = path.substr(2);  // sqlite:///abs/path -> /abs/path
  if (path.empty()) throw std::runtime_error("store URL '" + url + "' names no file");
  return path;
}

std::string resolve_store_url(const std::string& url, const std::string& base_dir, std::string& why) {
  if (starts_with(url, "sqlite:")) {
    try {
      const std::string path = sqlite_path_of(url);
      return path == ":memory:" ? url : "sqlite:" + resolve_path(base_dir, path);
    } catch (const std::exception& e) {
      why = e.what();
      return url;
    }
  }
  if (starts_with(url, "postgresql:") || starts_with(url, "postgres:")) {
    if (url.find("://") == std::string::npos) why = "a PostgreSQL URL is postgresql://user@host/db";
    return url;
  }
  why = "unsupported store URL '" + redact_url(url) + "'; flowrun stores in sqlite:, postgresql://";
  return url;
}

// The schemes a pipeline's `store:` may use. A relative SQLite path resolves from the pipeline's
// folder (cron does not `cd`); sqlite:///abs and sqlite:/abs are absolute already.
void register_store_schemes(Registry& registry) {
  registry.add_store_scheme({"sqlite", "an embedded SQLite file (WAL)", resolve_store_url, /*one_machine=*/true});
  for (const char* scheme : {"postgresql", "postgres"})
    registry.add_store_scheme({scheme, "a PostgreSQL server (libpq URL)", resolve_store_url});
}

std::unique_ptr<Store> Store::open(const std::string& url) {
  if (starts_with(url, "sqlite:")) return open_sqlite_store(sqlite_path_of(url));
  if (starts_with(url, "postgresql://") || starts_with(url, "postgres://"))
    return open_postgres_store(url);
  throw std::runtime_error("store URL '" + redact_url(url) +
                           "' is not supported: use sqlite:path/to.db or postgresql://...");
}

}  // namespace flowrun::store
