#include "engine/engine.h"

#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "engine/content.h"
#include "engine/embedding/embedder.h"
#include "engine/uuid.h"

namespace signet::engine {
namespace {

// Attempts per command when other writers keep moving the same memory.
constexpr int kAttemptsMax = 16;

// Heads of memory streams hold the encoded MemoryRecord; other streams no state.
class MemoryStreamModel final : public journal::StreamModel {
 public:
  Result<std::string> fold(std::string_view state, const journal::Event& event) const override {
    if (memory_id_of_stream(event.stream).empty()) return std::string();
    MemoryRecord m;
    if (!state.empty()) {
      SIGNET_ASSIGN_OR_RETURN(m, decode_memory(state));
    }
    SIGNET_TRY(fold_memory_event(m, event));
    return encode_memory(m);
  }

  void reserved_keys(std::string_view stream, std::string_view state, std::vector<std::string>& keys) const override {
    if (memory_id_of_stream(stream).empty() || state.empty()) return;
    auto m = decode_memory(state);
    if (!m.ok() || !m->active()) return;
    keys.push_back(hash_key(m->content_hash));
    if (!m->source_id.empty()) keys.push_back(source_key(m->source_id));
  }
};

Status check_importance(double v) {
  if (!std::isfinite(v) || v < 0.0 || v > 1.0) return Status::InvalidArgument("importance must be between 0 and 1");
  return Status::Ok();
}

Status check_reason(const std::string& reason) {
  if (reason.empty()) return Status::InvalidArgument("reason is required");
  if (reason.size() > 4096) return Status::TooLarge("reason is longer than 4096 bytes");
  return Status::Ok();
}

MutationOutcome refused(std::string id, Refusal r, uint64_t version) {
  MutationOutcome o;
  o.id = std::move(id);
  o.refusal = r;
  o.current_version = version;
  o.new_version = version;
  return o;
}

journal::Commit single(const Context& ctx, std::string stream, journal::ExpectedVersion expected,
                       journal::EventType type, std::string payload) {
  journal::Commit c;
  c.actor = ctx.actor;
  c.request_id = ctx.request_id;
  c.session_id = ctx.session_id;
  journal::StreamAppend sa;
  sa.stream = std::move(stream);
  sa.expected = expected;
  sa.events.push_back({type, 1, std::move(payload)});
  c.streams.push_back(std::move(sa));
  return c;
}

std::string hex(const unsigned char* p, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = digits[p[i] >> 4];
    out[2 * i + 1] = digits[p[i] & 0xf];
  }
  return out;
}

// The EmbeddingRecorded of `content` as its own stream append, when an
// in-process embedder is configured; nullopt otherwise (or if it fails: the
// worker will retry, and the write must not fail for an embedding).
std::optional<journal::StreamAppend> inline_embedding(Embedder* embedder, const std::string& id,
                                                      const std::string& content, const std::string& hash) {
  if (!embedder) return std::nullopt;
  auto vectors = embedder->embed({content});
  if (!vectors.ok() || vectors->size() != 1) return std::nullopt;
  EmbeddingRecorded e;
  e.memory_id = id;
  e.model = embedder->model();
  e.dims = embedder->dims();
  e.content_hash = hash;
  e.vector = std::move((*vectors)[0]);
  journal::StreamAppend sa;
  sa.stream = embedding_stream(id);
  sa.expected = journal::ExpectedVersion::any();
  sa.events.push_back({journal::EventType::EmbeddingRecorded, 1, encode(e)});
  return sa;
}

}  // namespace

std::string_view refusal_word(Refusal r) {
  switch (r) {
    case Refusal::kNotFound: return "not_found";
    case Refusal::kDeleted: return "deleted";
    case Refusal::kAlreadyDeleted: return "already_deleted";
    case Refusal::kNotDeleted: return "not_deleted";
    case Refusal::kVersionConflict: return "version_conflict";
    case Refusal::kDuplicateContentHash: return "duplicate_content_hash";
    case Refusal::kPinnedRequiresForce: return "pinned_requires_force";
    case Refusal::kAutonomousForceDenied: return "autonomous_force_denied";
    case Refusal::kRetentionExpired: return "retention_expired";
  }
  return "unknown";
}

std::string_view applied_word(Applied a) {
  switch (a) {
    case Applied::kUpdated: return "updated";
    case Applied::kNoChanges: return "no_changes";
    case Applied::kDeleted: return "deleted";
    case Applied::kRecovered: return "recovered";
    case Applied::kPurged: return "purged";
  }
  return "unknown";
}

struct Engine::Decision {
  MutationOutcome outcome;
  std::optional<journal::Commit> commit;  // nullopt: outcome is final, nothing to write
};

const journal::StreamModel& Engine::stream_model() {
  static const MemoryStreamModel model;
  return model;
}

Engine::Engine(journal::Journal& journal, EngineOptions options)
    : journal_(journal), options_(options), stripes_(new std::mutex[kStripes]), read_barrier_(journal.last_seq()) {
  unsigned char key[32];
  if (RAND_bytes(key, sizeof(key)) != 1) {
    for (auto& k : key) k = static_cast<unsigned char>(std::rand());
  }
  token_key_.assign(reinterpret_cast<const char*>(key), sizeof(key));
}

Engine::~Engine() = default;

std::mutex& Engine::stripe(std::string_view key) {
  return stripes_[std::hash<std::string_view>()(key) % kStripes];
}

Result<journal::Appended> Engine::append(journal::Commit commit, bool raises_read_barrier) {
  auto appended = journal_.append(std::move(commit));
  if (appended.ok() && raises_read_barrier) raise_read_barrier(appended->last_seq);
  return appended;
}

void Engine::raise_read_barrier(uint64_t seq) {
  uint64_t seen = read_barrier_.load(std::memory_order_relaxed);
  while (seen < seq && !read_barrier_.compare_exchange_weak(seen, seq, std::memory_order_acq_rel)) {
  }
}

// A refusal names another memory (it holds the content): the caller may read
// it next, and its commit may still be on its way back to its own writer.
Status Engine::cover_holder(MutationOutcome& outcome, const std::string& holder_stream) {
  outcome.duplicate_memory_id = std::string(memory_id_of_stream(holder_stream));
  SIGNET_ASSIGN_OR_RETURN(auto other, get(outcome.duplicate_memory_id));
  if (other) raise_read_barrier(other->last_seq);
  return Status::Ok();
}

Status Engine::check_writable() const {
  if (frozen_.load()) return Status::Unavailable("mutations are frozen (memory.pipelineV2.mutationsFrozen)");
  return Status::Ok();
}

Result<std::optional<MemoryRecord>> Engine::get(std::string_view id) const {
  if (id.empty()) return std::optional<MemoryRecord>();
  SIGNET_ASSIGN_OR_RETURN(auto head, journal_.head(memory_stream(id)));
  if (!head || head->state.empty()) return std::optional<MemoryRecord>();
  SIGNET_ASSIGN_OR_RETURN(auto m, decode_memory(head->state));
  return std::optional<MemoryRecord>(std::move(m));
}

Result<MutationOutcome> Engine::run(const std::function<Result<Decision>()>& decide) {
  for (int attempt = 0; attempt < kAttemptsMax; ++attempt) {
    SIGNET_ASSIGN_OR_RETURN(auto d, decide());
    if (!d.commit) return d.outcome;
    auto appended = append(std::move(*d.commit));
    if (appended.ok()) {
      d.outcome.seq = appended->last_seq;
      return d.outcome;
    }
    if (!appended.status().IsConflict()) return appended.status();
  }
  return Status::Unavailable("this memory is changing too fast to apply the command; try again");
}

Result<RememberOutcome> Engine::remember(RememberCommand cmd) {
  SIGNET_TRY(check_writable());
  if (cmd.content.size() > options_.content_bytes_max)
    return Status::TooLarge("content is " + std::to_string(cmd.content.size()) + " bytes; the limit is " +
                            std::to_string(options_.content_bytes_max));
  ParsedContent parsed = parse_prefixes(storage_form(cmd.content));
  if (parsed.content.empty()) return Status::InvalidArgument("content must not be empty");

  Remembered ev;
  ev.content = std::move(parsed.content);
  ev.content_hash = content_hash(ev.content);
  ev.pinned = parsed.critical;
  ev.importance = parsed.critical ? 1.0 : 0.8;
  if (parsed.tags) ev.tags = *parsed.tags;
  // Body fields override what the prefixes said.
  if (cmd.tags) ev.tags = clean_tags(*cmd.tags);
  if (cmd.importance) {
    SIGNET_TRY(check_importance(*cmd.importance));
    ev.importance = *cmd.importance;
  }
  if (cmd.pinned) ev.pinned = *cmd.pinned;
  ev.type = (cmd.type && !cmd.type->empty()) ? *cmd.type : infer_type(ev.content);
  ev.who = cmd.who;
  ev.project = cmd.project;
  ev.source_type = cmd.source_type.empty() ? "manual" : cmd.source_type;
  ev.source_id = cmd.source_id;
  if (cmd.confidence) {
    if (!std::isfinite(*cmd.confidence) || *cmd.confidence < 0 || *cmd.confidence > 1)
      return Status::InvalidArgument("confidence must be between 0 and 1");
    ev.confidence = cmd.confidence;
  }

  std::lock_guard<std::mutex> turn(stripe(ev.content_hash));
  for (int attempt = 0; attempt < kAttemptsMax; ++attempt) {
    // Dedupe: the same source id, or the same normalised content, is the same memory.
    std::vector<std::string> keys;
    if (!ev.source_id.empty()) keys.push_back(source_key(ev.source_id));
    keys.push_back(hash_key(ev.content_hash));
    for (const auto& key : keys) {
      SIGNET_ASSIGN_OR_RETURN(auto holder, journal_.reservation(key));
      if (!holder) continue;
      SIGNET_ASSIGN_OR_RETURN(auto existing, get(memory_id_of_stream(*holder)));
      if (existing && existing->active()) {
        // Another request's commit, whose seq we answer with: it may not
        // have raised the barrier yet (it is on its own thread), so a read
        // of it right after this answer must still wait for it.
        raise_read_barrier(existing->last_seq);
        RememberOutcome out;
        out.memory = std::move(*existing);
        out.deduped = true;
        return out;
      }
    }
    ev.id = uuid_v4();
    auto commit = single(cmd.ctx, memory_stream(ev.id), journal::ExpectedVersion::no_stream(),
                         journal::EventType::MemoryRemembered, encode(ev));
    auto embedding = inline_embedding(options_.inline_embedder, ev.id, ev.content, ev.content_hash);
    bool embedded = embedding.has_value();
    if (embedding) commit.streams.push_back(std::move(*embedding));
    auto appended = append(std::move(commit));
    if (!appended.ok()) {
      if (appended.status().IsConflict()) continue;  // someone took the hash or source id first
      return appended.status();
    }
    SIGNET_ASSIGN_OR_RETURN(auto stored, get(ev.id));
    if (!stored) return Status::Corruption("memory " + ev.id + " missing right after its commit");
    RememberOutcome out;
    out.memory = std::move(*stored);
    out.seq = appended->last_seq;
    out.embedded = embedded;
    return out;
  }
  return Status::Unavailable("too many concurrent writers of the same content; try again");
}

Result<MutationOutcome> Engine::modify(const ModifyCommand& cmd) {
  SIGNET_TRY(check_writable());
  SIGNET_TRY(check_reason(cmd.reason));
  if (!cmd.content && !cmd.type && !cmd.tags && !cmd.importance && !cmd.pinned && !cmd.who && !cmd.project)
    return Status::InvalidArgument("nothing to change: give content, type, tags, importance or pinned");
  std::optional<std::string> new_content;
  if (cmd.content) {
    if (cmd.content->size() > options_.content_bytes_max)
      return Status::TooLarge("content is " + std::to_string(cmd.content->size()) + " bytes; the limit is " +
                              std::to_string(options_.content_bytes_max));
    new_content = storage_form(*cmd.content);
    if (new_content->empty()) return Status::InvalidArgument("content must not be empty");
  }
  if (cmd.importance) SIGNET_TRY(check_importance(*cmd.importance));
  if (cmd.type && cmd.type->empty()) return Status::InvalidArgument("type must not be empty");

  std::lock_guard<std::mutex> turn(stripe(cmd.id));
  return run([&]() -> Result<Decision> {
    SIGNET_ASSIGN_OR_RETURN(auto head, get(cmd.id));
    Decision d;
    if (!head || head->purged) {
      d.outcome = refused(cmd.id, Refusal::kNotFound, 0);
      return d;
    }
    const MemoryRecord& m = *head;
    if (m.deleted) {
      d.outcome = refused(cmd.id, Refusal::kDeleted, m.version);
      return d;
    }
    if (cmd.if_version && *cmd.if_version != m.version) {
      d.outcome = refused(cmd.id, Refusal::kVersionConflict, m.version);
      return d;
    }
    Modified ev;
    ev.reason = cmd.reason;
    bool changed = false;
    if (new_content && *new_content != m.content) {
      std::string h = content_hash(*new_content);
      if (h != m.content_hash) {
        SIGNET_ASSIGN_OR_RETURN(auto holder, journal_.reservation(hash_key(h)));
        if (holder && *holder != memory_stream(m.id)) {
          d.outcome = refused(cmd.id, Refusal::kDuplicateContentHash, m.version);
          SIGNET_TRY(cover_holder(d.outcome, *holder));
          return d;
        }
      }
      ev.content = *new_content;
      ev.content_hash = std::move(h);
      changed = true;
    }
    if (cmd.type && *cmd.type != m.type) ev.type = *cmd.type, changed = true;
    if (cmd.tags) {
      auto tags = clean_tags(*cmd.tags);
      if (tags != m.tags) ev.tags = std::move(tags), changed = true;
    }
    if (cmd.importance && *cmd.importance != m.importance) ev.importance = *cmd.importance, changed = true;
    if (cmd.pinned && *cmd.pinned != m.pinned) ev.pinned = *cmd.pinned, changed = true;
    if (cmd.who && *cmd.who != m.who) ev.who = *cmd.who, changed = true;
    if (cmd.project && *cmd.project != m.project) ev.project = *cmd.project, changed = true;

    d.outcome.id = cmd.id;
    d.outcome.current_version = m.version;
    if (!changed) {
      d.outcome.applied = Applied::kNoChanges;
      d.outcome.new_version = m.version;
      return d;
    }
    d.outcome.applied = Applied::kUpdated;
    d.outcome.new_version = m.version + 1;
    d.outcome.content_changed = ev.content.has_value();
    d.commit = single(cmd.ctx, memory_stream(m.id), journal::ExpectedVersion::exact(m.version),
                      journal::EventType::MemoryModified, encode(ev));
    if (ev.content_hash) {
      auto embedding = inline_embedding(options_.inline_embedder, m.id, *ev.content, *ev.content_hash);
      d.outcome.embedded = embedding.has_value();
      if (embedding) d.commit->streams.push_back(std::move(*embedding));
    }
    return d;
  });
}

Result<MutationOutcome> Engine::forget(const ForgetCommand& cmd) {
  SIGNET_TRY(check_writable());
  SIGNET_TRY(check_reason(cmd.reason));
  std::lock_guard<std::mutex> turn(stripe(cmd.id));
  return run([&]() -> Result<Decision> {
    SIGNET_ASSIGN_OR_RETURN(auto head, get(cmd.id));
    Decision d;
    if (!head || head->purged) {
      d.outcome = refused(cmd.id, Refusal::kNotFound, 0);
      return d;
    }
    const MemoryRecord& m = *head;
    if (m.deleted) {
      d.outcome = refused(cmd.id, Refusal::kAlreadyDeleted, m.version);
      return d;
    }
    if (cmd.if_version && *cmd.if_version != m.version) {
      d.outcome = refused(cmd.id, Refusal::kVersionConflict, m.version);
      return d;
    }
    if (m.pinned && !cmd.force) {
      d.outcome = refused(cmd.id, Refusal::kPinnedRequiresForce, m.version);
      return d;
    }
    if (m.pinned && cmd.force && cmd.ctx.autonomous()) {
      d.outcome = refused(cmd.id, Refusal::kAutonomousForceDenied, m.version);
      return d;
    }
    d.outcome.id = cmd.id;
    d.outcome.applied = Applied::kDeleted;
    d.outcome.current_version = m.version;
    d.outcome.new_version = m.version + 1;
    d.commit = single(cmd.ctx, memory_stream(m.id), journal::ExpectedVersion::exact(m.version),
                      journal::EventType::MemoryForgotten, encode(Forgotten{cmd.reason, cmd.force}));
    return d;
  });
}

Result<MutationOutcome> Engine::recover(const RecoverCommand& cmd) {
  SIGNET_TRY(check_writable());
  SIGNET_TRY(check_reason(cmd.reason));
  std::lock_guard<std::mutex> turn(stripe(cmd.id));
  return run([&]() -> Result<Decision> {
    SIGNET_ASSIGN_OR_RETURN(auto head, get(cmd.id));
    Decision d;
    if (!head || head->purged) {
      d.outcome = refused(cmd.id, Refusal::kNotFound, 0);
      return d;
    }
    const MemoryRecord& m = *head;
    if (!m.deleted) {
      d.outcome = refused(cmd.id, Refusal::kNotDeleted, m.version);
      return d;
    }
    if (cmd.if_version && *cmd.if_version != m.version) {
      d.outcome = refused(cmd.id, Refusal::kVersionConflict, m.version);
      return d;
    }
    if (options_.clock->now_us() - m.deleted_at_us > options_.recovery_window_us) {
      d.outcome = refused(cmd.id, Refusal::kRetentionExpired, m.version);
      return d;
    }
    // While it was deleted another memory may have taken its content.
    SIGNET_ASSIGN_OR_RETURN(auto holder, journal_.reservation(hash_key(m.content_hash)));
    if (holder && *holder != memory_stream(m.id)) {
      d.outcome = refused(cmd.id, Refusal::kDuplicateContentHash, m.version);
      SIGNET_TRY(cover_holder(d.outcome, *holder));
      return d;
    }
    d.outcome.id = cmd.id;
    d.outcome.applied = Applied::kRecovered;
    d.outcome.current_version = m.version;
    d.outcome.new_version = m.version + 1;
    d.commit = single(cmd.ctx, memory_stream(m.id), journal::ExpectedVersion::exact(m.version),
                      journal::EventType::MemoryRecovered, encode(Recovered{cmd.reason}));
    return d;
  });
}

Result<MutationOutcome> Engine::purge(const PurgeCommand& cmd) {
  SIGNET_TRY(check_writable());
  std::lock_guard<std::mutex> turn(stripe(cmd.id));
  return run([&]() -> Result<Decision> {
    SIGNET_ASSIGN_OR_RETURN(auto head, get(cmd.id));
    Decision d;
    if (!head || head->purged) {
      d.outcome = refused(cmd.id, Refusal::kNotFound, 0);
      return d;
    }
    if (!head->deleted || (cmd.deleted_before_us && head->deleted_at_us >= *cmd.deleted_before_us)) {
      d.outcome = refused(cmd.id, Refusal::kNotDeleted, head->version);
      return d;
    }
    d.outcome.id = cmd.id;
    d.outcome.applied = Applied::kPurged;
    d.outcome.current_version = head->version;
    d.outcome.new_version = head->version + 1;
    d.commit = single(cmd.ctx, memory_stream(cmd.id), journal::ExpectedVersion::exact(head->version),
                      journal::EventType::MemoryPurged, encode(Purged{cmd.reason}));
    return d;
  });
}

Result<std::vector<Result<MutationOutcome>>> Engine::modify_batch(const std::vector<ModifyCommand>& cmds) {
  SIGNET_TRY(check_writable());
  if (cmds.empty()) return Status::InvalidArgument("patches must not be empty");
  if (cmds.size() > options_.batch_max)
    return Status::InvalidArgument("at most " + std::to_string(options_.batch_max) + " patches per request");
  std::vector<Result<MutationOutcome>> out;
  out.reserve(cmds.size());
  for (const auto& c : cmds) out.push_back(modify(c));
  return out;
}

std::string Engine::sign_candidates(std::vector<std::string> ids, int64_t expires_us) const {
  std::sort(ids.begin(), ids.end());
  std::string msg = std::to_string(expires_us);
  for (const auto& id : ids) {
    msg.push_back('\n');
    msg += id;
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), token_key_.data(), static_cast<int>(token_key_.size()),
       reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), mac, &len);
  return std::to_string(expires_us) + "." + hex(mac, len);
}

Result<ForgetPreview> Engine::preview_forget(std::vector<ForgetCandidate> candidates) const {
  ForgetPreview out;
  std::vector<std::string> ids;
  for (auto& c : candidates) {
    if (out.candidates.size() >= options_.batch_max) break;
    if (std::find(ids.begin(), ids.end(), c.id) != ids.end()) continue;
    SIGNET_ASSIGN_OR_RETURN(auto head, get(c.id));
    if (!head || !head->active()) continue;
    c.pinned = head->pinned;
    c.version = head->version;
    ids.push_back(c.id);
    out.candidates.push_back(std::move(c));
  }
  out.requires_confirm = out.candidates.size() > options_.confirm_threshold;
  out.confirm_token = sign_candidates(ids, options_.clock->now_us() + options_.confirm_token_ttl_us);
  return out;
}

Result<BatchForgetOutcome> Engine::execute_forget(const BatchForgetCommand& cmd) {
  SIGNET_TRY(check_writable());
  SIGNET_TRY(check_reason(cmd.reason));
  std::vector<std::string> ids;
  for (const auto& id : cmd.ids) {
    if (ids.size() >= options_.batch_max) break;
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  }
  if (ids.size() > options_.confirm_threshold) {
    // The token names the exact set the preview showed; a different set needs a new preview.
    auto dot = cmd.confirm_token.find('.');
    if (cmd.confirm_token.empty() || dot == std::string::npos)
      return Status::InvalidArgument("confirm_token from a preview is required to forget more than " +
                                     std::to_string(options_.confirm_threshold) + " memories");
    int64_t expires = std::strtoll(cmd.confirm_token.substr(0, dot).c_str(), nullptr, 10);
    if (expires < options_.clock->now_us())
      return Status::InvalidArgument("confirm_token has expired; preview again");
    std::string expected = sign_candidates(ids, expires);
    if (expected.size() != cmd.confirm_token.size() ||
        CRYPTO_memcmp(expected.data(), cmd.confirm_token.data(), expected.size()) != 0)
      return Status::InvalidArgument("confirm_token does not match these candidates; preview again");
  }
  BatchForgetOutcome out;
  out.requested = ids.size();
  for (const auto& id : ids) {
    ForgetCommand f;
    f.id = id;
    f.reason = cmd.reason;
    f.force = cmd.force;
    f.ctx = cmd.ctx;
    SIGNET_ASSIGN_OR_RETURN(auto r, forget(f));
    if (!r.refusal) ++out.deleted;
    out.seq = std::max(out.seq, r.seq);
    out.results.push_back(std::move(r));
  }
  return out;
}

Result<uint64_t> Engine::record_embedding(const EmbeddingRecorded& e, const Context& ctx) {
  if (e.vector.size() != e.dims) return Status::InvalidArgument("embedding vector length differs from dims");
  auto commit = single(ctx, embedding_stream(e.memory_id), journal::ExpectedVersion::any(),
                       journal::EventType::EmbeddingRecorded, encode(e));
  SIGNET_ASSIGN_OR_RETURN(auto appended, append(std::move(commit)));
  return appended.last_seq;
}

Result<uint64_t> Engine::record_accesses(const MemoriesAccessed& e, const Context& ctx) {
  if (e.ids.empty()) return journal_.last_seq();
  auto commit = single(ctx, std::string(kAccessStream), journal::ExpectedVersion::any(),
                       journal::EventType::MemoriesAccessed, encode(e));
  SIGNET_ASSIGN_OR_RETURN(auto appended, append(std::move(commit), /*raises_read_barrier=*/false));
  return appended.last_seq;
}

Result<uint64_t> Engine::record_embedding_model(const EmbeddingModelChanged& e, const Context& ctx) {
  auto commit = single(ctx, std::string(kEmbeddingModelStream), journal::ExpectedVersion::any(),
                       journal::EventType::EmbeddingModelChanged, encode(e));
  SIGNET_ASSIGN_OR_RETURN(auto appended, append(std::move(commit)));
  return appended.last_seq;
}

}  // namespace signet::engine
