// What route handlers may use: the engine, the journal, the projections and
// the daemon's facts, owned by the Daemon (api/daemon.h) and handed to the
// route files as one struct.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "api/http.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "journal/journal.h"
#include "projections/memories/memories_projection.h"
#include "projections/rebuild.h"

namespace signet::engine {
class Embedder;
class EmbeddingWorker;
}  // namespace signet::engine
namespace signet::projections {
class FtsProjection;
class VectorProjection;
class TimelineProjection;
}  // namespace signet::projections

namespace signet::api {

class SearchService;
class AccessRecorder;
class AsOfViews;
class RetentionSweeper;

struct ProcessInfo {
  int pid = 0;
  std::string version;
  std::string workspace;
  std::string host;  // as advertised (SIGNET_HOST)
  std::string bind;
  int port = 0;
  int64_t started_at_us = 0;
  std::chrono::steady_clock::time_point started;
  std::string log_file;
};

// A pointer that a rebuild can swap while requests read through it: loads
// and stores are atomic. What it pointed to before a swap stays alive for a
// grace period (api/repair.h), so a request that loaded it finishes safely.
template <typename T>
class Live {
 public:
  Live() = default;
  Live(const Live&) = delete;
  Live& operator=(const Live&) = delete;
  T* get() const { return p_.load(std::memory_order_acquire); }
  T* operator->() const { return get(); }
  explicit operator bool() const { return get() != nullptr; }
  Live& operator=(T* p) {
    p_.store(p, std::memory_order_release);
    return *this;
  }

 private:
  std::atomic<T*> p_{nullptr};
};

// A projection the API can report on and wait for.
struct ProjectionHandle {
  std::string name;
  const Live<projections::ProjectionRunner>* runner = nullptr;
};

struct Services {
  journal::Journal* journal = nullptr;
  engine::Engine* engine = nullptr;
  Live<projections::MemoriesProjection> memories;
  Live<projections::ProjectionRunner> memories_runner;
  Live<projections::FtsProjection> fts;
  Live<projections::ProjectionRunner> fts_runner;
  Live<projections::VectorProjection> vectors;
  Live<projections::ProjectionRunner> vectors_runner;
  Live<projections::TimelineProjection> timeline;
  Live<projections::ProjectionRunner> timeline_runner;
  engine::Embedder* embedder = nullptr;  // query embeddings; null: keyword only
  engine::EmbeddingWorker* embedding_worker = nullptr;
  SearchService* search = nullptr;
  AsOfViews* as_of = nullptr;
  // POST /api/repair/rebuild: start a side-by-side rebuild; its progress.
  std::function<Status(std::vector<projections::ProjectionKind>)> start_rebuild;
  std::function<nlohmann::json()> rebuild_status;
  AccessRecorder* access = nullptr;
  RetentionSweeper* retention = nullptr;  // POST /api/repair/retention-sweep
  std::vector<ProjectionHandle> projections;
  // "" when the vector index is in; "loading" while its snapshot loads at
  // start; why it failed otherwise. Null: no such index.
  std::function<std::string()> vectors_state;
  // Waits up to `timeout` for the vector index's load at start to end; false
  // when it is still loading.
  std::function<bool(std::chrono::milliseconds timeout)> wait_vectors_loaded;
  ProcessInfo process;
  // Set when the daemon is shutting down: long-lived responses end.
  std::shared_ptr<std::atomic<bool>> stopping = std::make_shared<std::atomic<bool>>(false);
  std::shared_ptr<std::atomic<int>> open_streams = std::make_shared<std::atomic<int>>(0);

  std::shared_ptr<const engine::Config> config() const {
    std::lock_guard<std::mutex> lock(*config_mu);
    return config_;
  }
  void set_config(std::shared_ptr<const engine::Config> c) {
    std::lock_guard<std::mutex> lock(*config_mu);
    config_ = std::move(c);
  }

  // Waits (bounded by search.read_wait_ms) until `runner` has applied every
  // event committed before `req` arrived. false: answer with "stale": true.
  bool wait_for(projections::ProjectionRunner* runner, const Request& req) const;
  bool wait_for(const Live<projections::ProjectionRunner>& runner, const Request& req) const {
    return wait_for(runner.get(), req);
  }
  bool wait_memories(const Request& req) const { return wait_for(memories_runner.get(), req); }
  // What is left of `req`'s read-wait budget.
  std::chrono::milliseconds wait_left(const Request& req) const;

 private:
  std::shared_ptr<std::mutex> config_mu = std::make_shared<std::mutex>();
  std::shared_ptr<const engine::Config> config_ = std::make_shared<engine::Config>();
};

}  // namespace signet::api
