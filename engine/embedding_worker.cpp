#include "engine/embedding_worker.h"

#include <random>

#include "engine/memory_events.h"
#include "journal/log.h"

namespace signet::engine {

EmbeddingWorker::EmbeddingWorker(journal::Journal& journal, Engine& engine, Embedder& embedder,
                                 EmbeddingBacklog backlog, EmbeddingWorkerOptions options, const Clock* clock)
    : journal_(journal), engine_(engine), embedder_(embedder), backlog_(std::move(backlog)), options_(options),
      clock_(clock) {}

EmbeddingWorker::~EmbeddingWorker() { stop(); }

void EmbeddingWorker::start() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (thread_.joinable()) return;
    stop_ = false;
    cursor_ = journal_.last_seq();
    status_.running = true;
  }
  // Without mu_ held: the journal calls listeners under its own lock.
  listener_id_ = journal_.on_commit([this](uint64_t) {
    {
      std::lock_guard<std::mutex> l(mu_);
      woken_ = true;
    }
    cv_.notify_one();
  });
  std::lock_guard<std::mutex> lock(mu_);
  thread_ = std::thread([this] { loop(); });
}

void EmbeddingWorker::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!thread_.joinable()) return;
    stop_ = true;
    status_.running = false;
  }
  cv_.notify_all();
  thread_.join();
  journal_.remove_listener(listener_id_);
}

EmbeddingWorkerStatus EmbeddingWorker::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  EmbeddingWorkerStatus s = status_;
  s.pending = queue_.size();
  return s;
}

void EmbeddingWorker::enqueue(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (dead_.count(id) || !queued_.insert(id).second) return;
  queue_.push_back(id);
}

// New or changed content since the cursor, minus what its own commit embedded.
// A commit's inline embedding follows its remember (or modify) in the
// journal, but a read can end between the two; so content still unembedded
// at the end of a read waits for one more read before it is queued.
void EmbeddingWorker::follow_journal() {
  using Hashes = std::unordered_map<std::string, std::string>;  // id -> content hash
  Hashes waiting;  // unembedded changes of the previous read
  auto queue_all = [&](const Hashes& ids) {
    for (const auto& [id, hash] : ids) enqueue(id);
  };
  for (;;) {
    uint64_t head = journal_.last_seq();
    if (cursor_ >= head) return queue_all(waiting);
    auto events = journal_.read(cursor_ + 1, options_.read_events_max, journal::Journal::kReadBatchBytes);
    if (!events.ok()) {
      log::get("embedding")->error("cannot read the journal at seq {}: {}", cursor_ + 1, events.status().ToString());
      cursor_ = head;  // the projections report the damage; do not spin on it
      return queue_all(waiting);
    }
    Hashes changed;
    Hashes embedded;  // id -> hash embedded with our model
    for (const auto& e : *events) {
      cursor_ = e.seq;
      switch (e.type) {
        case journal::EventType::MemoryRemembered: {
          auto r = decode_remembered(e.payload);
          if (r.ok()) changed[r->id] = r->content_hash;
          break;
        }
        case journal::EventType::MemoryModified: {
          auto m = decode_modified(e.payload);
          if (m.ok() && m->content_hash) changed[std::string(memory_id_of_stream(e.stream))] = *m->content_hash;
          break;
        }
        case journal::EventType::EmbeddingRecorded: {
          auto r = decode_embedding_recorded(e.payload);
          if (r.ok() && r->model == embedder_.model() && r->dims == embedder_.dims())
            embedded[r->memory_id] = r->content_hash;
          break;
        }
        default: break;
      }
    }
    auto is_embedded = [&](const std::string& id, const std::string& hash) {
      auto it = embedded.find(id);
      return it != embedded.end() && it->second == hash;
    };
    for (const auto& [id, hash] : waiting)
      if (!changed.count(id) && !is_embedded(id, hash)) enqueue(id);  // changed again: judged below
    waiting.clear();
    const bool more = cursor_ < journal_.last_seq();
    for (auto& [id, hash] : changed) {
      if (is_embedded(id, hash)) continue;
      if (more) waiting.emplace(id, std::move(hash));
      else enqueue(id);
    }
  }
}

void EmbeddingWorker::backoff_wait() {
  uint32_t failures;
  {
    std::lock_guard<std::mutex> lock(mu_);
    failures = status_.consecutive_failures;
  }
  auto delay = options_.backoff_base * (1u << std::min<uint32_t>(failures > 0 ? failures - 1 : 0, 16));
  if (delay > options_.backoff_max) delay = options_.backoff_max;
  thread_local std::mt19937 rng(std::random_device{}());
  delay += std::chrono::milliseconds(rng() % 500);
  std::unique_lock<std::mutex> lock(mu_);
  status_.next_retry_us = clock_->now_us() + std::chrono::duration_cast<std::chrono::microseconds>(delay).count();
  cv_.wait_for(lock, delay, [&] { return stop_; });
  status_.next_retry_us = 0;
}

bool EmbeddingWorker::process_batch() {
  std::vector<std::string> ids;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // After repeated failures, go one memory at a time to find a bad one.
    size_t batch = status_.consecutive_failures >= 2 ? 1 : options_.batch_size;
    while (!queue_.empty() && ids.size() < batch) {
      ids.push_back(queue_.front());
      queue_.pop_front();
    }
  }
  if (ids.empty()) return false;
  std::vector<MemoryRecord> memories;
  std::vector<std::string> texts;
  for (const auto& id : ids) {
    auto head = engine_.get(id);
    if (head.ok() && *head && (*head)->active()) {
      texts.push_back((*head)->content);
      memories.push_back(std::move(**head));
    }
  }
  auto done = [&] {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& id : ids) queued_.erase(id);
  };
  if (memories.empty()) {
    done();
    return true;
  }
  auto vectors = embedder_.embed(texts);  // no lock held: this may take seconds
  if (!vectors.ok() || vectors->size() != memories.size()) {
    std::string why = vectors.ok() ? "the provider returned the wrong number of vectors" : vectors.status().ToString();
    // Down or slow is the provider's fault, not the text's: never count it against a memory.
    bool provider_down = !vectors.ok() && (vectors.status().code() == Code::kUnavailable ||
                                           vectors.status().code() == Code::kTimedOut);
    {
      std::lock_guard<std::mutex> lock(mu_);
      status_.provider_ok = false;
      status_.last_error = why;
      status_.last_error_us = clock_->now_us();
      status_.failures++;
      status_.consecutive_failures++;
      // Back in line (at the front) unless a memory keeps failing on its own.
      for (auto it = ids.rbegin(); it != ids.rend(); ++it) {
        if (!provider_down && memories.size() == 1 && ++attempts_[*it] >= options_.attempts_max) {
          dead_.insert(*it);
          queued_.erase(*it);
          status_.dead++;
          continue;
        }
        queue_.push_front(*it);
      }
    }
    log::get("embedding")->warn("embedding {} memories with {}/{} failed: {}", memories.size(), embedder_.provider(),
                                embedder_.model(), why);
    backoff_wait();
    return true;
  }
  Context ctx;
  ctx.actor = {"embedding-worker", journal::ActorType::System, ""};
  uint64_t recorded = 0;
  std::vector<std::string> unrecorded;
  Status record_error;
  for (size_t i = 0; i < memories.size(); ++i) {
    EmbeddingRecorded e;
    e.memory_id = memories[i].id;
    e.model = embedder_.model();
    e.dims = embedder_.dims();
    e.content_hash = memories[i].content_hash;
    e.vector = std::move((*vectors)[i]);
    auto r = engine_.record_embedding(e, ctx);
    if (r.ok()) {
      ++recorded;
      attempts_.erase(e.memory_id);
    } else {
      log::get("embedding")->error("cannot record the embedding of {}: {}", e.memory_id, r.status().ToString());
      Code c = r.status().code();
      // The journal could not take it for now (disk full, an I/O error): try again after a pause.
      if (c == Code::kNoSpace || c == Code::kIOError || c == Code::kUnavailable || c == Code::kTimedOut) {
        unrecorded.push_back(e.memory_id);
        record_error = r.status();
      }
    }
  }
  done();
  if (!unrecorded.empty()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      status_.last_error = "cannot record embeddings: " + record_error.ToString();
      status_.last_error_us = clock_->now_us();
      status_.consecutive_failures++;
      status_.embedded += recorded;
      for (const auto& id : unrecorded)
        if (queued_.insert(id).second) queue_.push_back(id);
    }
    backoff_wait();
    return true;
  }
  std::lock_guard<std::mutex> lock(mu_);
  status_.provider_ok = true;
  status_.consecutive_failures = 0;
  status_.embedded += recorded;
  status_.last_success_us = clock_->now_us();
  return true;
}

void EmbeddingWorker::loop() {
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
    }
    if (scan_backlog_ && backlog_) {
      auto ids = backlog_(embedder_.model(), 4096);
      if (ids.ok()) {
        size_t fresh = 0;
        for (const auto& id : *ids) {
          std::lock_guard<std::mutex> lock(mu_);
          if (!dead_.count(id) && queued_.insert(id).second) {
            queue_.push_back(id);
            ++fresh;
          }
        }
        // Keep scanning while a full page brought new work; done otherwise.
        scan_backlog_ = ids->size() == 4096 && fresh > 0;
        if (fresh > 0) log::get("embedding")->info("{} memories need an embedding from {}", fresh, embedder_.model());
      } else {
        log::get("embedding")->error("cannot scan for memories to embed: {}", ids.status().ToString());
        scan_backlog_ = false;
      }
    }
    follow_journal();
    if (process_batch()) continue;
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stop_ || woken_; });
    woken_ = false;
  }
}

}  // namespace signet::engine
