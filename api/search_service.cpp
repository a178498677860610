#include "api/search_service.h"

#include <algorithm>
#include <unordered_map>

#include "api/as_of.h"
#include "api/services.h"

namespace signet::api {

std::string_view hit_source_name(HitSource s) {
  switch (s) {
    case HitSource::kHybrid: return "hybrid";
    case HitSource::kVector: return "vector";
    case HitSource::kKeyword: return "keyword";
  }
  return "keyword";
}

SearchService::Sources SearchService::sources(const AsOfView* as_of) const {
  if (as_of) return {as_of->memories.get(), as_of->fts.get(), as_of->vectors.get(), false};
  return {s_.memories.get(), s_.fts.get(), s_.vectors.get(), true};
}

bool SearchService::wait_projections(const Request& req) const {
  bool fresh = s_.wait_for(s_.fts_runner, req);
  fresh = s_.wait_for(s_.vectors_runner, req) && fresh;
  fresh = s_.wait_for(s_.memories_runner, req) && fresh;
  return fresh;
}

bool SearchService::vectors_available() const {
  if (!s_.embedder || !s_.vectors) return false;
  // A remote provider the worker finds down is not asked on every recall.
  if (s_.embedding_worker && s_.embedder->provider() != "builtin") return s_.embedding_worker->status().provider_ok;
  return true;
}

// Ranks, drops below min_score, and attaches rows (re-checking the filter: the
// indexes and the rows may be a few events apart).
Result<std::vector<RecallHit>> SearchService::load(const Sources& src, std::vector<RecallHit> hits, size_t limit,
                                                   double min_score, const projections::MemoryFilter& filter) const {
  hits.erase(std::remove_if(hits.begin(), hits.end(), [&](const RecallHit& h) { return h.score < min_score; }),
             hits.end());
  std::stable_sort(hits.begin(), hits.end(), [](const RecallHit& a, const RecallHit& b) {
    if (a.score != b.score) return a.score > b.score;
    return a.memory.id < b.memory.id;  // deterministic ties
  });
  if (hits.size() > limit * 2 + 8) hits.resize(limit * 2 + 8);
  std::vector<std::string> ids;
  ids.reserve(hits.size());
  for (const auto& h : hits) ids.push_back(h.memory.id);
  SIGNET_ASSIGN_OR_RETURN(auto rows, src.memories->get_many(ids));
  std::unordered_map<std::string, engine::MemoryRecord*> by_id;
  for (auto& r : rows) by_id.emplace(r.id, &r);
  std::vector<RecallHit> out;
  for (auto& h : hits) {
    auto it = by_id.find(h.memory.id);
    if (it == by_id.end() || !filter.matches(*it->second)) continue;
    h.memory = std::move(*it->second);
    out.push_back(std::move(h));
    if (out.size() >= limit) break;
  }
  return out;
}

Result<RecallResult> SearchService::recall(const RecallQuery& q, const Request& req) {
  RecallResult out;
  Sources src = sources(q.as_of);
  if (src.live) out.stale = !wait_projections(req);
  auto cfg = s_.config();
  double alpha = q.alpha.value_or(cfg->search.alpha);
  double min_score = q.min_score.value_or(cfg->search.min_score);
  size_t k = std::max<size_t>(q.limit, cfg->search.top_k);

  std::vector<RecallHit> merged;
  std::unordered_map<std::string, size_t> index;
  auto slot = [&](const std::string& id) -> RecallHit& {
    auto [it, fresh] = index.emplace(id, merged.size());
    if (fresh) {
      merged.emplace_back();
      merged.back().memory.id = id;
    }
    return merged[it->second];
  };

  if (src.fts) {
    projections::FtsQuery fq;
    fq.text = q.text;
    fq.filter = q.filter;
    fq.limit = k;
    SIGNET_ASSIGN_OR_RETURN(auto hits, src.fts->search(fq));
    for (const auto& h : hits) slot(h.id).keyword_score = h.score;
  }
  // An as-of view searches vectors of the model then in force; query with it
  // only if it is the one we embed with now.
  bool same_model = src.vectors && s_.embedder && src.vectors->options().model == s_.embedder->model() &&
                    src.vectors->options().dims == s_.embedder->dims();
  if (!q.keyword_only && vectors_available() && same_model) {
    auto qv = s_.embedder->embed({q.text});
    if (qv.ok() && qv->size() == 1) {
      auto hits = src.vectors->search((*qv)[0], k, &q.filter);
      if (hits.ok()) {
        out.vector_used = true;
        for (const auto& h : *hits) slot(h.id).vector_score = std::max(0.0, static_cast<double>(h.score));
      }
    }
  }
  for (auto& h : merged) {
    if (h.keyword_score && h.vector_score) {
      h.score = alpha * *h.vector_score + (1 - alpha) * *h.keyword_score;
      h.source = HitSource::kHybrid;
    } else if (h.vector_score) {
      h.score = *h.vector_score;
      h.source = HitSource::kVector;
    } else {
      h.score = h.keyword_score.value_or(0);
      h.source = HitSource::kKeyword;
    }
  }
  SIGNET_ASSIGN_OR_RETURN(out.hits, load(src, std::move(merged), q.limit, min_score, q.filter));
  if (src.live && q.record_access && s_.access) {
    std::vector<std::string> ids;
    for (const auto& h : out.hits) ids.push_back(h.memory.id);
    s_.access->record(ids);
  }
  return out;
}

Result<RecallResult> SearchService::keyword(const std::string& text, const projections::MemoryFilter& filter,
                                            size_t limit, const Request& req) {
  RecallResult out;
  out.stale = !wait_projections(req);
  if (!s_.fts) return out;
  projections::FtsQuery fq;
  fq.text = text;
  fq.filter = filter;
  fq.limit = limit;
  SIGNET_ASSIGN_OR_RETURN(auto hits, s_.fts->search(fq));
  std::vector<RecallHit> found;
  for (const auto& h : hits) {
    RecallHit r;
    r.memory.id = h.id;
    r.score = h.score;
    r.keyword_score = h.score;
    found.push_back(std::move(r));
  }
  SIGNET_ASSIGN_OR_RETURN(out.hits, load(sources(nullptr), std::move(found), limit, 0.0, filter));
  return out;
}

Result<RecallResult> SearchService::similar(const std::string& id, size_t k, const projections::MemoryFilter& filter,
                                            const Request& req) {
  RecallResult out;
  out.stale = !wait_projections(req);
  if (!s_.vectors) return Status::NotFound("vector search is not available");
  auto anchor = s_.vectors->vector_of(id);
  if (!anchor) return Status::NotFound("memory " + id + " has no embedding");
  SIGNET_ASSIGN_OR_RETURN(auto hits, s_.vectors->search(*anchor, k + 1, &filter));
  std::vector<RecallHit> found;
  for (const auto& h : hits) {
    if (h.id == id) continue;
    RecallHit r;
    r.memory.id = h.id;
    r.score = h.score;
    r.vector_score = h.score;
    r.source = HitSource::kVector;
    found.push_back(std::move(r));
  }
  out.vector_used = true;
  SIGNET_ASSIGN_OR_RETURN(out.hits, load(sources(nullptr), std::move(found), k, -1.0, filter));
  return out;
}

}  // namespace signet::api
