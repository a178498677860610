// Recall: keyword (Xapian BM25) and vector (FAISS cosine) candidates, both
// filtered inside their index, blended as upstream does:
//   score = alpha * vector + (1 - alpha) * keyword   when both found it,
//   the one score it has                             when only one did,
// then dropped below min_score, ranked, cut to limit. Each hit says where it
// came from (hybrid, vector, keyword); the response's method says whether
// vector search took part.
//
// Reads wait (bounded) for the projections they use to reach the journal head
// seen when the request arrived; if the wait runs out, the answer is marked
// stale rather than delayed further.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api/access_recorder.h"
#include "api/http.h"
#include "engine/embedding/embedder.h"
#include "engine/embedding_worker.h"
#include "projections/fts/fts_projection.h"
#include "projections/memories/memories_projection.h"
#include "projections/vectors/vector_projection.h"

namespace signet::api {

struct Services;
struct AsOfView;

enum class HitSource : uint8_t { kHybrid, kVector, kKeyword };
std::string_view hit_source_name(HitSource s);

struct RecallQuery {
  std::string text;
  projections::MemoryFilter filter;
  size_t limit = 10;
  std::optional<double> alpha;      // default: search.alpha
  std::optional<double> min_score;  // default: search.min_score
  bool keyword_only = false;
  bool record_access = true;
  // Search the projections as of a past seq instead of the live ones.
  const AsOfView* as_of = nullptr;
};

// How a hit scored: the blend, each index's own score, where it came from.
struct HitScore {
  double score = 0;
  std::optional<double> keyword_score;
  std::optional<double> vector_score;
  HitSource source = HitSource::kKeyword;
};

struct RecallHit : HitScore {
  engine::MemoryRecord memory;
};

struct RecallResult {
  std::vector<RecallHit> hits;
  bool vector_used = false;  // method: "hybrid" when true, else "keyword"
  std::string vector_error;  // why vectors were wanted but not used (provider down, slow, ...)
  bool stale = false;
};

class SearchService {
 public:
  explicit SearchService(Services& services) : s_(services) {}

  Result<RecallResult> recall(const RecallQuery& query, const Request& req);
  // Keyword only, scores in (0, 1]; for /memory/search and batch forget.
  Result<RecallResult> keyword(const std::string& text, const projections::MemoryFilter& filter, size_t limit,
                               const Request& req);
  // Nearest memories to `id`'s own vector (itself excluded); kNotFound when it has none.
  Result<RecallResult> similar(const std::string& id, size_t k, const projections::MemoryFilter& filter,
                               const Request& req);
  // Whether query embedding can be attempted now (provider not known down).
  bool vectors_available() const;
  // Why the last recall that wanted vectors went without them ("" when it did not).
  std::string vector_error() const;

 private:
  // The projections one search reads: the live ones, or an as-of view's.
  struct Sources {
    const projections::MemoriesProjection* memories = nullptr;
    const projections::FtsProjection* fts = nullptr;
    const projections::VectorProjection* vectors = nullptr;
    bool live = true;
  };
  Sources sources(const AsOfView* as_of) const;
  bool wait_projections(const Request& req) const;
  // A hit before its row is read: small, so ranking moves little.
  struct Candidate : HitScore {
    std::string id;
  };
  Result<std::vector<RecallHit>> load(const Sources& src, std::vector<Candidate> hits, size_t limit,
                                      double min_score, const projections::MemoryFilter& filter) const;
  // The query embedding of a recall, or nullopt (and the breaker opened)
  // when the provider fails: recall answers with keywords meanwhile.
  std::optional<std::vector<float>> embed_query(const std::string& text);

  Services& s_;
  // A breaker for query embeddings: after a failure, recalls skip the provider
  // until retry_at (backoff doubling from 1 s to 30 s), so a provider that is
  // down costs one slow recall per backoff, not every recall.
  mutable std::mutex breaker_mu_;
  int64_t breaker_retry_at_us_ = 0;
  uint32_t breaker_backoff_ms_ = 0;
  std::string breaker_error_;
};

}  // namespace signet::api
