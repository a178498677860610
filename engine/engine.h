// The memory domain: commands that change memories, validated against the
// memory's stream head and appended to the journal. Thread-safe; call from any
// thread.
//
// Every command decides against the head it read, then appends with that head's
// version as the expected version. If another writer got there first the
// journal refuses (kConflict) and the command decides again, so every rule
// holds under any interleaving. Documented refusals (API.md status words) are
// values in MutationOutcome::refusal; a Status is returned only for bad input
// (kInvalidArgument, kTooLarge) or for a failure of the machine (kIOError,
// kNoSpace, kUnavailable).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/memory_events.h"
#include "engine/memory_record.h"
#include "journal/clock.h"
#include "journal/journal.h"
#include "journal/status.h"

namespace signet::engine {

// Who is asking and which request and session the events belong to.
struct Context {
  journal::Actor actor;
  std::string request_id;
  std::string session_id;
  // Agents and the pipeline act on their own; some things need a human.
  bool autonomous() const {
    return actor.type == journal::ActorType::Agent || actor.type == journal::ActorType::Pipeline;
  }
};

// A refusal API.md documents. The HTTP mapping lives in api/http_status.cpp.
enum class Refusal : uint8_t {
  kNotFound,
  kDeleted,
  kAlreadyDeleted,
  kNotDeleted,
  kVersionConflict,
  kDuplicateContentHash,
  kPinnedRequiresForce,
  kAutonomousForceDenied,
  kRetentionExpired,
};
std::string_view refusal_word(Refusal r);  // "version_conflict"

enum class Applied : uint8_t { kUpdated, kNoChanges, kDeleted, kRecovered, kPurged };
std::string_view applied_word(Applied a);  // "updated"

struct MutationOutcome {
  std::string id;
  std::optional<Refusal> refusal;  // nullopt: `applied` happened
  Applied applied = Applied::kNoChanges;
  uint64_t current_version = 0;
  uint64_t new_version = 0;
  bool content_changed = false;
  bool embedded = false;            // a new embedding was committed with the change
  std::string duplicate_memory_id;  // with kDuplicateContentHash
  uint64_t seq = 0;                 // commit seq; 0 when nothing was written
  std::string_view status_word() const { return refusal ? refusal_word(*refusal) : applied_word(applied); }
};

struct RememberCommand {
  std::string content;  // required; "critical:" and "[a,b]:" prefixes are parsed
  std::optional<std::string> type;
  std::optional<std::vector<std::string>> tags;
  std::optional<double> importance;  // 0..1
  std::optional<bool> pinned;
  std::string who;
  std::string project;
  std::string source_type;
  std::string source_id;  // dedupe key from the caller's system
  std::optional<double> confidence;
  Context ctx;
};

struct RememberOutcome {
  MemoryRecord memory;   // the new memory, or the existing one when deduped
  bool deduped = false;
  bool embedded = false; // an embedding was committed with it
  uint64_t seq = 0;      // commit seq (0 when deduped: nothing written)
};

struct ModifyCommand {
  std::string id;
  std::optional<std::string> content;
  std::optional<std::string> type;
  std::optional<std::vector<std::string>> tags;  // empty vector clears
  std::optional<double> importance;
  std::optional<bool> pinned;
  std::optional<std::string> who;
  std::optional<std::string> project;
  std::string reason;  // required
  std::optional<uint64_t> if_version;
  Context ctx;
};

struct ForgetCommand {
  std::string id;
  std::string reason;  // required
  bool force = false;  // needed for a pinned memory; never for an autonomous actor
  std::optional<uint64_t> if_version;
  Context ctx;
};

struct RecoverCommand {
  std::string id;
  std::string reason;  // required
  std::optional<uint64_t> if_version;
  Context ctx;
};

// Retention (api/retention_sweeper.h): a purged memory leaves every
// projection; its events stay in the journal. Only a deleted memory can be
// purged; with deleted_before_us, only one deleted before then, so a sweep
// acting on a projection row that is behind cannot purge a memory recovered
// (or forgotten again) since. Either refusal is kNotDeleted.
struct PurgeCommand {
  std::string id;
  std::string reason;
  Context ctx;
  std::optional<int64_t> deleted_before_us;
};

struct ForgetCandidate {
  std::string id;
  double score = 0;
  bool pinned = false;
  uint64_t version = 0;
};

struct ForgetPreview {
  std::vector<ForgetCandidate> candidates;
  bool requires_confirm = false;
  std::string confirm_token;
};

struct BatchForgetCommand {
  std::vector<std::string> ids;  // the candidates, found the same way as for the preview
  std::string reason;            // required
  bool force = false;
  std::string confirm_token;     // required when more than confirm_threshold candidates
  Context ctx;
};

struct BatchForgetOutcome {
  size_t requested = 0;
  size_t deleted = 0;
  std::vector<MutationOutcome> results;
  uint64_t seq = 0;  // highest commit seq of the batch
};

class Embedder;

struct EngineOptions {
  const Clock* clock = SystemClock::instance();
  // An in-process embedder (builtin): remember and modify commit the new
  // content's embedding in the same commit. Remote providers are left to the
  // embedding worker instead, so no network call sits on the write path.
  Embedder* inline_embedder = nullptr;
  int64_t recovery_window_us = 30 * kMicrosPerDay;
  size_t content_bytes_max = 256 * 1024;
  size_t batch_max = 200;
  size_t confirm_threshold = 25;
  int64_t confirm_token_ttl_us = 15 * 60 * kMicrosPerSecond;
};

class Engine {
 public:
  Engine(journal::Journal& journal, EngineOptions options);
  ~Engine();

  // The head rules the journal must keep for memory streams.
  static const journal::StreamModel& stream_model();

  Result<RememberOutcome> remember(RememberCommand cmd);
  Result<MutationOutcome> modify(const ModifyCommand& cmd);
  Result<MutationOutcome> forget(const ForgetCommand& cmd);
  Result<MutationOutcome> recover(const RecoverCommand& cmd);
  Result<MutationOutcome> purge(const PurgeCommand& cmd);

  // Up to batch_max patches, each on its own (partial success); a patch that
  // is bad input yields its Status in place, the rest go on.
  Result<std::vector<Result<MutationOutcome>>> modify_batch(const std::vector<ModifyCommand>& cmds);

  // Fills pinned and version of each candidate, drops memories that are gone
  // or deleted, keeps at most batch_max, and signs the set.
  Result<ForgetPreview> preview_forget(std::vector<ForgetCandidate> candidates) const;
  Result<BatchForgetOutcome> execute_forget(const BatchForgetCommand& cmd);

  // Worker and recall bookkeeping; not memory versions.
  Result<uint64_t> record_embedding(const EmbeddingRecorded& e, const Context& ctx);
  Result<uint64_t> record_accesses(const MemoriesAccessed& e, const Context& ctx);
  Result<uint64_t> record_embedding_model(const EmbeddingModelChanged& e, const Context& ctx);

  // The memory as its stream head holds it (no access stats); nullopt if never created.
  Result<std::optional<MemoryRecord>> get(std::string_view id) const;

  // The kill switch (memory.pipelineV2.mutationsFrozen): every write is kUnavailable.
  void set_mutations_frozen(bool frozen) { frozen_.store(frozen); }
  bool mutations_frozen() const { return frozen_.load(); }

  // The seq a read waits for to see every write acknowledged so far: the
  // journal head, less the access statistics appended since. Those change no
  // search result and are nobody's acknowledged write, and waiting on them
  // put the memories projection's rewrite of thousands of rows (one batch a
  // second under recall load) in front of every recall that arrived meanwhile.
  uint64_t read_barrier() const { return read_barrier_.load(std::memory_order_acquire); }

  journal::Journal& journal() { return journal_; }
  const EngineOptions& options() const { return options_; }

 private:
  struct Decision;
  Result<MutationOutcome> run(const std::function<Result<Decision>()>& decide);
  Status check_writable() const;
  // Every commit goes through here; all but access statistics raise the read barrier.
  Result<journal::Appended> append(journal::Commit commit, bool raises_read_barrier = true);
  void raise_read_barrier(uint64_t seq);
  Status cover_holder(MutationOutcome& outcome, const std::string& holder_stream);
  std::string sign_candidates(std::vector<std::string> ids, int64_t expires_us) const;

  // Commands on the same memory (or the same content) take turns: without this,
  // a writer could lose the optimistic race again and again. The journal's
  // version check stays the guarantee; these only make it fair.
  std::mutex& stripe(std::string_view key);
  static constexpr size_t kStripes = 1024;

  journal::Journal& journal_;
  EngineOptions options_;
  std::unique_ptr<std::mutex[]> stripes_;
  std::atomic<bool> frozen_{false};
  std::atomic<uint64_t> read_barrier_{0};
  std::string token_key_;  // random per process: confirm tokens do not outlive it
};

}  // namespace signet::engine
