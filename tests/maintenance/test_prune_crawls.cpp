// Pruning the crawl checkpoints (nodes/store/checkpoints.hpp), which grow with every detail page a
// county-sized crawl fetches: answers fetched before the cutoff go; page marks go once no run can
// resume their crawl; the current unfinished crawl keeps everything. SQLite and PostgreSQL.
#include <catch2/catch.hpp>

#include "nodes/store/checkpoints.hpp"
#include "nodes/store/prune.hpp"
#include "nodes/store/store.hpp"
#include "tests/store/pg_server.hpp"

using namespace flowrun::store;

namespace {

using Clock = std::chrono::system_clock;
using std::chrono::hours;

std::int64_t epoch_days_ago(Clock::time_point now, int days) {
  return std::chrono::duration_cast<std::chrono::seconds>((now - hours(24 * days)).time_since_epoch()).count();
}

std::int64_t count(Store& s, const std::string& sql) { return std::stoll(*s.query(sql).at(0).at(0)); }

// assessor: crawl-old (finished, superseded by crawl-new) with pages for two queries, crawl-new
// unfinished with one; listings: l-1 finished 40 days ago; export: e-1 finished today. Items of
// the assessor: 10 fetched 60 days ago, 5 fetched 10 days ago.
void generate_crawls(const std::shared_ptr<Store>& s, Clock::time_point now) {
  Checkpoints assessor(s, "assessor"), listings(s, "listings"), exports(s, "export");
  assessor.begin("crawl-old", false);
  assessor.page_done("crawl-old", "zip=85001", 5);
  assessor.page_done("crawl-old", "zip=85002", 7);
  assessor.finish("crawl-old");
  assessor.begin("crawl-new", false);
  assessor.page_done("crawl-new", "zip=85001", 3);
  for (int i = 0; i < 15; ++i) {
    FetchedItem item;
    item.crawl = i < 10 ? "crawl-old" : "crawl-new";
    item.status = 200;
    item.body = "{\"apn\":\"" + std::to_string(i) + "\"}";
    item.content_hash = "h" + std::to_string(i);
    item.fetched_at = epoch_days_ago(now, i < 10 ? 60 : 10);
    assessor.save("parcel/" + std::to_string(i), item);
  }
  listings.begin("l-1", false);
  listings.page_done("l-1", "phoenix", 2);
  listings.finish("l-1");
  s->execute("UPDATE crawl_state SET updated_at = ? WHERE source = 'listings'", {std::to_string(epoch_days_ago(now, 40))});
  exports.begin("e-1", false);
  exports.page_done("e-1", "feed", 1);
  exports.finish("e-1");
}

std::vector<std::string> backends() {
  std::vector<std::string> b = {"sqlite"};
  if (testpg::binaries_present()) b.push_back("postgresql");
  else WARN("PostgreSQL 15 binaries not installed: crawl pruning on PostgreSQL skipped");
  return b;
}

}  // namespace

TEST_CASE("prune thins crawl checkpoints: old answers, and pages of crawls no run can resume", "[prune]") {
  for (const auto& backend : backends()) {
    DYNAMIC_SECTION(backend) {
      const std::string url = backend == "sqlite"
                                  ? "sqlite:" + (std::filesystem::temp_directory_path() /
                                                 ("flowrun-prune-crawls-" + std::to_string(::getpid()) + ".db")).string()
                                  : testpg::Server::instance().fresh_database();
      std::shared_ptr<Store> s = Store::open(url);
      const auto now = Clock::now();
      generate_crawls(s, now);
      REQUIRE(count(*s, "SELECT COUNT(*) FROM crawl_items") == 15);
      REQUIRE(count(*s, "SELECT COUNT(*) FROM crawl_pages") == 5);
      const std::vector<PruneRule> rules = {{"crawl_items", hours(24 * 30)}, {"crawl_pages", hours(24 * 30)}};

      PruneOptions dry;
      dry.dry_run = true;
      dry.now = now;
      auto counts = prune_store(*s, rules, dry);
      REQUIRE(counts.size() == 2);
      CHECK(counts[0].table == "crawl_items");
      CHECK(counts[0].removed == 10);
      CHECK(counts[1].removed == 3);  // crawl-old's two queries and l-1's
      CHECK(count(*s, "SELECT COUNT(*) FROM crawl_items") == 15);

      PruneOptions real;
      real.now = now;
      real.batch_size = 3;  // several batches
      counts = prune_store(*s, rules, real);
      CHECK(counts[0].removed == 10);
      CHECK(counts[0].left == 5);
      CHECK(counts[1].removed == 3);
      CHECK(counts[1].left == 2);
      CHECK(count(*s, "SELECT COUNT(*) FROM crawl_items WHERE crawl = 'crawl-new'") == 5);
      CHECK(count(*s, "SELECT COUNT(*) FROM crawl_pages WHERE crawl IN ('crawl-new', 'e-1')") == 2);
      // The unfinished crawl still resumes where it was.
      Checkpoints again(s, "assessor");
      CHECK(again.begin("tomorrow", true) == "crawl-new");
      CHECK(again.last_page("crawl-new", "zip=85001") == 3);
      if (backend == "sqlite") std::filesystem::remove(url.substr(7));
    }
  }
}

TEST_CASE("prune on a store that never crawled finds no checkpoints and fails nothing", "[prune]") {
  const auto path = std::filesystem::temp_directory_path() / ("flowrun-prune-nocrawl-" + std::to_string(::getpid()) + ".db");
  auto s = Store::open("sqlite:" + path.string());
  auto counts = prune_store(*s, {{"crawl_items", hours(24)}, {"crawl_pages", hours(24)}});
  REQUIRE(counts.size() == 2);
  CHECK(counts[0].removed == 0);
  CHECK(counts[1].left == 0);
  std::filesystem::remove(path);
}
