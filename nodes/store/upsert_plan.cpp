#include "nodes/store/upsert_plan.hpp"

#include <unordered_map>

namespace flowrun::store {

namespace {
bool values_differ(const Existing& e, const PropertyRow& r) {
  return e.price != r.price || e.assessed_value != r.assessed_value ||
         e.full_cash_value != r.full_cash_value;
}
bool has_values(const PropertyRow& r) {
  return r.price || r.assessed_value || r.full_cash_value;
}
Existing state_of(const PropertyRow& r) {
  return Existing{r.content_hash, r.enrichment_status, r.price, r.assessed_value, r.full_cash_value};
}
}  // namespace

UpsertPlan plan_upsert(const std::vector<PropertyRow>& rows,
                       const std::map<std::string, Existing>& existing) {
  UpsertPlan plan;
  // id -> (current state, index into plan.rows); the same id twice in a batch is compared with
  // its earlier occurrence, so a batch behaves like the same rows written one by one.
  std::unordered_map<std::string, std::pair<Existing, std::size_t>> seen;
  for (const auto& r : rows) {
    auto it = seen.find(r.id);
    const Existing* cur = nullptr;
    if (it != seen.end()) {
      cur = &it->second.first;
    } else if (auto e = existing.find(r.id); e != existing.end()) {
      cur = &e->second;
    }

    Change change;
    bool replace = true;
    if (!cur) {
      change = Change::inserted;
      ++plan.counts.inserted;
      if (has_values(r)) plan.history.push_back({&r});
    } else if (cur->content_hash == r.content_hash) {
      change = Change::unchanged;
      ++plan.counts.unchanged;
      // A better body (enrichment done) replaces the stored one; a pending one tried again is
      // written too, so the store counts the attempt.
      replace = (r.enrichment_status == "done" && cur->enrichment_status != "done") ||
                (r.enrichment_status == "pending" && cur->enrichment_status == "pending");
    } else {
      change = Change::updated;
      ++plan.counts.updated;
      if (values_differ(*cur, r)) plan.history.push_back({&r});
    }
    plan.counts.changed.push_back(change != Change::unchanged);

    if (it == seen.end()) {
      plan.rows.push_back({&r, change, change == Change::unchanged && replace});
      Existing st = replace || change != Change::unchanged ? state_of(r) : *cur;
      seen.emplace(r.id, std::make_pair(std::move(st), plan.rows.size() - 1));
    } else {
      auto& planned = plan.rows[it->second.second];
      // The id's final change is the strongest one seen in this batch.
      if (change == Change::updated && planned.change == Change::unchanged) planned.change = change;
      if (replace) {
        planned.row = &r;
        if (planned.change == Change::unchanged) planned.replace_body = true;
        it->second.first = state_of(r);
      }
    }
  }
  return plan;
}

}  // namespace flowrun::store
