#include "api/search_service.h"

#include <algorithm>
#include <chrono>
#include <unordered_map>

#include "api/as_of.h"
#include "api/services.h"
#include "journal/clock.h"
#include "journal/log.h"

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
  // A vector index still loading at start counts as behind: waited for
  // within the same budget, then the answer is keyword only and stale.
  if (!s_.vectors_runner && s_.wait_vectors_loaded) fresh = s_.wait_vectors_loaded(s_.wait_left(req)) && fresh;
  fresh = s_.wait_for(s_.vectors_runner, req) && fresh;
  fresh = s_.wait_for(s_.memories_runner, req) && fresh;
  return fresh;
}

namespace {
int64_t steady_now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
constexpr uint32_t kBreakerBackoffMinMs = 1000, kBreakerBackoffMaxMs = 30000;
}  // namespace

bool SearchService::vectors_available() const {
  if (!s_.embedder || !s_.vectors) return false;
  if (s_.embedder->provider() == "builtin") return true;
  {
    std::lock_guard<std::mutex> lock(breaker_mu_);
    if (steady_now_us() < breaker_retry_at_us_) return false;
  }
  // The worker backing off from a provider it finds down: not asked on every
  // recall. Once the worker stops retrying (nothing left to embed) its verdict
  // goes stale, and the query itself probes the provider again.
  if (s_.embedding_worker) {
    auto st = s_.embedding_worker->status();
    if (!st.provider_ok && st.next_retry_us > SystemClock::instance()->now_us()) return false;
  }
  return true;
}

std::string SearchService::vector_error() const {
  std::lock_guard<std::mutex> lock(breaker_mu_);
  return breaker_error_;
}

std::optional<std::vector<float>> SearchService::embed_query(const std::string& text) {
  auto cfg = s_.config();
  auto v = s_.embedder->embed_query(text, cfg->search.query_embed_timeout_ms);
  std::lock_guard<std::mutex> lock(breaker_mu_);
  if (v.ok()) {
    breaker_backoff_ms_ = 0;
    breaker_error_.clear();
    return std::move(*v);
  }
  breaker_backoff_ms_ = breaker_backoff_ms_ == 0 ? kBreakerBackoffMinMs
                                                 : std::min(breaker_backoff_ms_ * 2, kBreakerBackoffMaxMs);
  breaker_retry_at_us_ = steady_now_us() + int64_t{breaker_backoff_ms_} * 1000;
  breaker_error_ = v.status().ToString();
  log::get("search")->warn("query embedding with {}/{} failed, recall uses keywords for {} ms: {}",
                           s_.embedder->provider(), s_.embedder->model(), breaker_backoff_ms_, breaker_error_);
  return std::nullopt;
}

// Ranks, drops below min_score, and attaches rows (re-checking the filter: the
// indexes and the rows may be a few events apart). Rows are read `limit` at
// a time: the indexes filtered already, so the first read nearly always
// suffices, and each row read is most of a recall's storage cost.
Result<std::vector<RecallHit>> SearchService::load(const Sources& src, std::vector<Candidate> hits, size_t limit,
                                                   double min_score, const projections::MemoryFilter& filter) const {
  hits.erase(std::remove_if(hits.begin(), hits.end(), [&](const Candidate& h) { return h.score < min_score; }),
             hits.end());
  std::sort(hits.begin(), hits.end(), [](const Candidate& a, const Candidate& b) {
    if (a.score != b.score) return a.score > b.score;
    return a.id < b.id;  // deterministic ties (ids are unique)
  });
  std::vector<RecallHit> out;
  out.reserve(std::min(limit, hits.size()));
  size_t next = 0;
  while (out.size() < limit && next < hits.size()) {
    const size_t end = std::min(hits.size(), next + (limit - out.size()));
    std::vector<std::string> ids;
    ids.reserve(end - next);
    for (size_t i = next; i < end; ++i) ids.push_back(hits[i].id);
    // No hit shows access stats: not worth a lookup per row.
    SIGNET_ASSIGN_OR_RETURN(auto rows,
                            src.memories->get_many(ids, projections::MemoriesProjection::Fields::kWithoutAccess));
    size_t r = 0;  // get_many keeps the order of the ids it finds
    for (size_t i = next; i < end; ++i) {
      if (r == rows.size() || rows[r].id != hits[i].id) continue;  // gone since the index saw it
      engine::MemoryRecord& row = rows[r++];
      if (!filter.matches(row)) continue;
      RecallHit hit;
      static_cast<HitScore&>(hit) = hits[i];
      hit.memory = std::move(row);
      out.push_back(std::move(hit));
    }
    next = end;
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

  std::vector<Candidate> merged;
  merged.reserve(2 * k);
  // At most 2k candidates: for the usual k (top_k 20) a linear search beats
  // hashing every id; a large limit gets an index.
  std::unordered_map<std::string, size_t> index;
  const bool indexed = k > 32;
  auto slot = [&](const std::string& id) -> Candidate& {
    if (indexed) {
      auto [it, fresh] = index.emplace(id, merged.size());
      if (!fresh) return merged[it->second];
    } else {
      for (auto& c : merged)
        if (c.id == id) return c;
    }
    merged.emplace_back();
    merged.back().id = id;
    return merged.back();
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
    auto qv = embed_query(q.text);
    if (qv) {
      auto hits = src.vectors->search(*qv, k, &q.filter);
      if (hits.ok()) {
        out.vector_used = true;
        for (const auto& h : *hits) slot(h.id).vector_score = std::max(0.0, static_cast<double>(h.score));
      } else {
        log::get("search")->error("vector search failed, answering with keywords: {}", hits.status().ToString());
      }
    }
  }
  if (!q.keyword_only && src.live && !src.vectors && s_.vectors_state) {
    std::string state = s_.vectors_state();
    if (!state.empty()) out.vector_error = "the vector index is " + state;
  }
  if (!q.keyword_only && same_model && !out.vector_used && s_.embedder && s_.embedder->provider() != "builtin") {
    out.vector_error = vector_error();
    if (out.vector_error.empty() && s_.embedding_worker) out.vector_error = s_.embedding_worker->status().last_error;
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
  std::vector<Candidate> found;
  for (const auto& h : hits) found.push_back({{h.score, h.score, std::nullopt, HitSource::kKeyword}, h.id});
  SIGNET_ASSIGN_OR_RETURN(out.hits, load(sources(nullptr), std::move(found), limit, 0.0, filter));
  return out;
}

Result<RecallResult> SearchService::similar(const std::string& id, size_t k, const projections::MemoryFilter& filter,
                                            const Request& req) {
  RecallResult out;
  out.stale = !wait_projections(req);
  if (!s_.vectors) {
    std::string state = s_.vectors_state ? s_.vectors_state() : "";
    if (state == "loading") return Status::Unavailable("the vector index is still loading; try again in a moment");
    return Status::Unavailable("vector search is not available" + (state.empty() ? "" : ": " + state));
  }
  auto anchor = s_.vectors->vector_of(id);
  if (!anchor) return Status::NotFound("memory " + id + " has no embedding");
  SIGNET_ASSIGN_OR_RETURN(auto hits, s_.vectors->search(*anchor, k + 1, &filter));
  std::vector<Candidate> found;
  for (const auto& h : hits) {
    if (h.id == id) continue;
    double score = std::max(0.0, static_cast<double>(h.score));  // as recall: opposite directions are no match
    found.push_back({{score, std::nullopt, score, HitSource::kVector}, h.id});
  }
  out.vector_used = true;
  SIGNET_ASSIGN_OR_RETURN(out.hits, load(sources(nullptr), std::move(found), k, -1.0, filter));
  return out;
}

}  // namespace signet::api
