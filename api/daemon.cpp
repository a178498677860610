#include "api/daemon.h"

#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "api/access_recorder.h"
#include "api/as_of.h"
#include "api/backup_scheduler.h"
#include "api/retention_sweeper.h"
#include "api/file_watcher.h"
#include "api/workspace_backup.h"
#include "api/http.h"
#include "api/routes/routes.h"
#include "api/search_service.h"
#include "api/services.h"
#include "engine/embedding/embedder.h"
#include "engine/embedding_worker.h"
#include "journal/clock.h"
#include "journal/log.h"
#include "projections/fts/fts_projection.h"
#include "projections/rebuild.h"
#include "projections/timeline/timeline_projection.h"
#include "projections/vectors/vector_projection.h"
#include "projections/views_db.h"

namespace signet::api {

namespace fs = std::filesystem;

namespace {

journal::SyncMode sync_mode(const std::string& s) {
  if (s == "batch") return journal::SyncMode::kBatch;
  if (s == "off") return journal::SyncMode::kOff;
  return journal::SyncMode::kAlways;
}

}  // namespace

class Daemon::Impl {
 public:
  DaemonOptions options;
  std::shared_ptr<spdlog::logger> log = log::get("daemon");
  std::shared_ptr<journal::StorageBudget> budget;
  std::unique_ptr<journal::Journal> journal;
  std::unique_ptr<engine::Engine> engine;
  std::shared_ptr<projections::ViewsDb> views;
  std::unique_ptr<projections::MemoriesProjection> memories;
  std::unique_ptr<projections::ProjectionRunner> memories_runner;
  std::unique_ptr<projections::FtsProjection> fts;
  std::unique_ptr<projections::ProjectionRunner> fts_runner;
  std::unique_ptr<projections::VectorProjection> vectors;
  std::unique_ptr<projections::ProjectionRunner> vectors_runner;
  // The vector snapshot loads on its own thread (1.3 GB at 1M memories):
  // the daemon serves at once, recall uses keywords until it is in.
  std::thread vectors_loader;
  std::mutex vectors_mu;           // guards vectors, vectors_runner, vectors_state
  std::condition_variable vectors_loaded;
  std::string vectors_state = "loading";  // "" once loaded; else "loading" or why it failed
  std::unique_ptr<projections::TimelineProjection> timeline;
  std::unique_ptr<projections::ProjectionRunner> timeline_runner;
  std::unique_ptr<engine::Embedder> embedder;
  std::unique_ptr<engine::EmbeddingWorker> worker;
  std::unique_ptr<AccessRecorder> access;
  std::unique_ptr<SearchService> search;
  std::unique_ptr<BackupScheduler> backups;
  std::unique_ptr<RetentionSweeper> retention;
  std::unique_ptr<AsOfViews> as_of;
  std::unique_ptr<FileWatcher> watcher;
  projections::ProjectionLocations where;
  projections::VectorOptions vector_options;
  Services services;

  // A side-by-side rebuild (POST /api/repair/rebuild): at most one at a time.
  struct RebuildJob {
    std::mutex mu;
    std::string state = "idle";  // idle | running | done | failed
    std::vector<projections::ProjectionKind> kinds;
    std::string current;
    uint64_t seq = 0, to_seq = 0;
    int64_t started_us = 0, finished_us = 0;
    std::string error;
    bool releasing = false;  // old copies still alive for in-flight requests
    std::atomic<bool> cancel{false};
    std::condition_variable cv;
    std::thread thread;
  } rebuild;
  // What a swap replaced stays alive this long, for requests still using it.
  static constexpr std::chrono::seconds kRetireGrace{10};
  std::unique_ptr<HttpServer> http;

  ~Impl() { shutdown(); }

  std::vector<projections::ProjectionRunner*> runners() {
    std::lock_guard<std::mutex> lock(vectors_mu);
    std::vector<projections::ProjectionRunner*> out;
    for (auto* r : {memories_runner.get(), fts_runner.get(), vectors_runner.get(), timeline_runner.get()})
      if (r) out.push_back(r);
    return out;
  }

  // In dependency order: nothing that writes outlives the journal.
  void shutdown() {
    if (watcher) watcher->stop();
    watcher.reset();
    {
      std::lock_guard<std::mutex> lock(rebuild.mu);
      rebuild.cancel = true;
    }
    rebuild.cv.notify_all();
    vectors_loaded.notify_all();
    if (rebuild.thread.joinable()) rebuild.thread.join();
    if (vectors_loader.joinable()) vectors_loader.join();
    if (backups) backups->stop();
    backups.reset();
    if (retention) retention->stop();
    services.retention = nullptr;
    retention.reset();
    if (access) access->stop();
    if (worker) worker->stop();
    for (auto* r : runners()) r->stop();
    access.reset();
    worker.reset();
    as_of.reset();
    search.reset();
    vectors_runner.reset();
    vectors.reset();  // writes its snapshot
    fts_runner.reset();
    fts.reset();
    timeline_runner.reset();
    timeline.reset();
    memories_runner.reset();
    memories.reset();
    views.reset();
    engine.reset();
    embedder.reset();
    journal.reset();
  }

  // The model in force is journaled: when the configured one differs from the
  // last recorded, record the change, and the worker re-embeds everything.
  Status note_embedding_model() {
    SIGNET_ASSIGN_OR_RETURN(auto events, journal->read_stream(engine::kEmbeddingModelStream));
    std::string last_model;
    uint32_t last_dims = 0;
    for (const auto& e : events) {
      auto m = engine::decode_embedding_model_changed(e.payload);
      if (m.ok()) {
        last_model = m->model;
        last_dims = m->dims;
      }
    }
    if (last_model == embedder->model() && last_dims == embedder->dims()) return Status::Ok();
    if (!last_model.empty())
      log->warn("embedding model changed from {} ({} dims) to {} ({} dims): every memory will be embedded again",
                last_model, last_dims, embedder->model(), embedder->dims());
    engine::Context ctx;
    ctx.actor = {"daemon", journal::ActorType::System, ""};
    return engine->record_embedding_model({embedder->model(), embedder->dims()}, ctx).status();
  }

  // Live memories without a current vector of `model`, from the memories rows.
  Result<std::vector<std::string>> embedding_backlog(const std::string& model, size_t max) {
    services.memories_runner->wait_for(journal->last_seq(), std::chrono::seconds(30));
    std::vector<std::string> ids;
    Status st = services.memories->scan_rows([&](std::string_view key, std::string_view value) {
      if (key.substr(0, 2) != "r/") return false;  // past the rows
      auto m = engine::decode_memory(value);
      if (m.ok() && m->active() && !(m->embedding_model == model && m->embedding_hash == m->content_hash))
        ids.push_back(m->id);
      return ids.size() < max;
    }, "r/");
    if (!st.ok()) return st;
    return ids;
  }

  Status open() {
    const engine::Config& cfg = options.config;
    fs::path ws(options.workspace);
    std::error_code ec;
    for (const char* d : {"memory/journal", "memory/views", ".daemon"}) {
      fs::create_directories(ws / d, ec);
      if (ec) return Status::IOError("cannot create " + (ws / d).string() + ": " + ec.message());
    }
    budget = journal::StorageBudget::create();

    journal::JournalOptions jo;
    jo.path = (ws / "memory/journal").string();
    jo.sync = sync_mode(cfg.journal.sync);
    jo.sync_batch_ms = cfg.journal.sync_batch_ms;
    jo.clock = options.clock;
    jo.model = &engine::Engine::stream_model();
    jo.budget = budget;
    SIGNET_ASSIGN_OR_RETURN(journal, journal::Journal::open(jo));
    log->info("journal at {}: last_seq={} sync={}", jo.path, journal->last_seq(), cfg.journal.sync);

    SIGNET_ASSIGN_OR_RETURN(embedder, engine::make_embedder(cfg.embedding));
    log->info("embedding provider {} model {} ({} dims)", embedder->provider(), embedder->model(), embedder->dims());

    engine::EngineOptions eo;
    eo.clock = options.clock;
    if (embedder->provider() == "builtin") eo.inline_embedder = embedder.get();
    eo.recovery_window_us = static_cast<int64_t>(cfg.memory.recovery_window_days) * kMicrosPerDay;
    eo.content_bytes_max = cfg.memory.content_bytes_max;
    engine = std::make_unique<engine::Engine>(*journal, eo);
    engine->set_mutations_frozen(cfg.memory.pipeline.mutations_frozen);

    SIGNET_ASSIGN_OR_RETURN(views, projections::ViewsDb::open((ws / "memory/views").string(), budget));
    SIGNET_ASSIGN_OR_RETURN(where, projections::read_locations(*views));
    remove_stale_copies(ws);
    SIGNET_ASSIGN_OR_RETURN(memories, projections::MemoriesProjection::open(views, where.memories));
    if (memories->rebuilt_on_open()) log->warn("projection=memories version changed: rebuilding from seq 1");
    log_catch_up("memories", memories->checkpoint());
    memories_runner = std::make_unique<projections::ProjectionRunner>(*journal, *memories);
    memories_runner->start();
    // Published at once: threads started below (the embedding worker) read them.
    services.journal = journal.get();
    services.engine = engine.get();
    services.memories = memories.get();
    services.memories_runner = memories_runner.get();
    SIGNET_ASSIGN_OR_RETURN(timeline, projections::TimelineProjection::open(views, where.timeline));
    log_catch_up("timeline", timeline->checkpoint());
    timeline_runner = std::make_unique<projections::ProjectionRunner>(*journal, *timeline);
    timeline_runner->start();

    for (const std::string& d : {where.fts, where.vectors}) {
      fs::create_directories(ws / "memory" / d, ec);
      if (ec) return Status::IOError("cannot create " + (ws / "memory" / d).string() + ": " + ec.message());
    }
    SIGNET_ASSIGN_OR_RETURN(fts, projections::FtsProjection::open((ws / "memory" / where.fts).string()));
    if (fts->rebuilt_on_open()) log->warn("projection=fts rebuilding from seq 1 (new version or damaged index)");
    log_catch_up("fts", fts->checkpoint());
    projections::RunnerOptions fts_ro;
    fts_ro.linger = std::chrono::milliseconds(25);  // a Xapian commit costs ~1 ms: share it
    fts_runner = std::make_unique<projections::ProjectionRunner>(*journal, *fts, fts_ro);
    fts_runner->start();

    projections::VectorOptions vo;
    vo.model = embedder->model();
    vo.dims = embedder->dims();
    vo.hnsw_threshold = cfg.search.hnsw_threshold;
    vector_options = vo;
    vectors_loader = std::thread([this, dir = (ws / "memory" / where.vectors).string(), vo] { load_vectors(dir, vo); });

    services.fts = fts.get();
    services.fts_runner = fts_runner.get();
    services.vectors_state = [this] {
      std::lock_guard<std::mutex> lock(vectors_mu);
      return vectors_state;
    };
    services.wait_vectors_loaded = [this](std::chrono::milliseconds timeout) {
      std::unique_lock<std::mutex> lock(vectors_mu);
      // A failed load is not "behind": recall says so in vectorError instead.
      return vectors_loaded.wait_for(lock, timeout, [&] { return vectors_state != "loading"; });
    };
    services.timeline = timeline.get();
    services.timeline_runner = timeline_runner.get();
    services.embedder = embedder.get();
    SIGNET_TRY(note_embedding_model());
    worker = std::make_unique<engine::EmbeddingWorker>(
        *journal, *engine, *embedder,
        [this](const std::string& model, size_t max) { return embedding_backlog(model, max); });
    worker->start();
    access = std::make_unique<AccessRecorder>(*engine);
    services.embedding_worker = worker.get();
    services.access = access.get();
    search = std::make_unique<SearchService>(services);
    services.search = search.get();
    services.start_rebuild = [this](std::vector<projections::ProjectionKind> kinds) { return start_rebuild(kinds); };
    services.rebuild_status = [this] { return rebuild_status(); };
    as_of = std::make_unique<AsOfViews>(*journal, (ws / ".daemon" / "asof").string(), vo);
    services.as_of = as_of.get();
    retention = std::make_unique<RetentionSweeper>(services, std::chrono::minutes(cfg.memory.retention_sweep_minutes));
    services.retention = retention.get();
    services.projections.push_back({"memories", &services.memories_runner});
    services.projections.push_back({"fts", &services.fts_runner});
    services.projections.push_back({"vectors", &services.vectors_runner});
    services.projections.push_back({"timeline", &services.timeline_runner});
    services.set_config(std::make_shared<engine::Config>(cfg));
    services.process.pid = static_cast<int>(getpid());
    services.process.version = SIGNET_VERSION;
    services.process.workspace = options.workspace;
    services.process.host = options.host;
    services.process.bind = options.bind.empty() ? options.host : options.bind;
    services.process.started_at_us = options.clock->now_us();
    services.process.started = std::chrono::steady_clock::now();
    services.process.log_file = options.log_file;

    Router router;
    register_health_routes(router, services);
    register_memory_routes(router, services);
    register_log_routes(router, services);
    register_search_routes(router, services);
    register_embedding_routes(router, services);
    register_backup_routes(router, services);
    register_timeline_routes(router, services);
    register_repair_routes(router, services);

    ServerOptions so;
    so.threads = cfg.server.threads;
    so.max_body_bytes = cfg.server.max_body_bytes;
    so.read_timeout = std::chrono::milliseconds(cfg.server.read_timeout_ms);
    so.write_timeout = std::chrono::milliseconds(cfg.server.write_timeout_ms);
    so.keep_alive_timeout = std::chrono::milliseconds(cfg.server.keep_alive_timeout_ms);
    so.keep_alive_max_requests = cfg.server.keep_alive_max_requests;
    engine::Engine* e = engine.get();
    http = std::make_unique<HttpServer>(so, std::move(router), make_local_authorizer(),
                                        [e] { return e->read_barrier(); });
    SIGNET_TRY(http->bind(services.process.bind, options.port));
    services.process.port = http->port();

    // agent.yaml edited in place is picked up as SIGHUP would.
    auto w = FileWatcher::start(options.workspace, [this] {
      auto next = engine::load_config(options.workspace);
      if (!next.ok()) {
        log->error("agent.yaml changed: keeping the current configuration: {}", next.status().message());
        return;
      }
      reload(*next);
    });
    if (w.ok()) watcher = std::move(*w);
    else log->warn("not watching the workspace: {}", w.status().message());

    if (!cfg.backup.schedule.empty()) {
      auto every = parse_backup_schedule(cfg.backup.schedule);
      if (!every) return Status::InvalidArgument("backup.schedule \"" + cfg.backup.schedule +
                                                 "\" is not hourly, daily, weekly or <N>m / <N>h / <N>d");
      std::string dest = cfg.backup.dest.empty() ? default_backup_dir(options.workspace) : cfg.backup.dest;
      backups = std::make_unique<BackupScheduler>(*journal, options.workspace, dest, *every, cfg.backup.keep);
      log->info("backups every {} s into {}, keeping {}", every->count(), dest, cfg.backup.keep);
    }
    return Status::Ok();
  }

  void load_vectors(const std::string& dir, const projections::VectorOptions& vo) {
    auto started = std::chrono::steady_clock::now();
    // For tests of the loading window: a large snapshot, simulated.
    if (const char* delay = std::getenv("SIGNET_DEBUG_VECTOR_LOAD_DELAY_MS")) {
      std::unique_lock<std::mutex> lock(vectors_mu);
      vectors_loaded.wait_for(lock, std::chrono::milliseconds(std::atoi(delay)),
                              [&] { return rebuild.cancel.load(); });
    }
    auto opened = projections::VectorProjection::open(dir, vo);
    std::lock_guard<std::mutex> lock(vectors_mu);
    if (!opened.ok()) {
      vectors_state = "failed to load: " + opened.status().ToString();
      log->error("projection=vectors {}; recall answers with keywords only", vectors_state);
      vectors_loaded.notify_all();
      return;
    }
    vectors = std::move(*opened);
    if (vectors->rebuilt_on_open()) log->warn("projection=vectors rebuilding from seq 1 (new model, version or damaged snapshot)");
    log->info("projection=vectors loaded in {} ms",
              std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count());
    log_catch_up("vectors", vectors->checkpoint());
    vectors_runner = std::make_unique<projections::ProjectionRunner>(*journal, *vectors);
    vectors_runner->start();
    services.vectors = vectors.get();
    services.vectors_runner = vectors_runner.get();
    vectors_state.clear();
    vectors_loaded.notify_all();
  }

  // ---- side-by-side rebuild ----------------------------------------------

  void drop_namespace_logged(const std::string& ns) {
    Status st = views->drop_namespace(ns);
    if (!st.ok()) log->warn("could not drop the retired namespace {}: {}", ns, st.ToString());
  }

  Status start_rebuild(std::vector<projections::ProjectionKind> kinds) {
    std::lock_guard<std::mutex> lock(rebuild.mu);
    if (rebuild.state == "running") return Status::Conflict("a rebuild of " + rebuild.current + " is already running");
    {
      std::lock_guard<std::mutex> vlock(vectors_mu);
      if (!vectors_state.empty()) return Status::Conflict("the vector index is " + vectors_state + "; try again when it is in");
    }
    if (rebuild.releasing)
      return Status::Conflict("the previous rebuild is still releasing the copies it replaced; try again in " +
                              std::to_string(kRetireGrace.count()) + " s");
    if (rebuild.thread.joinable()) rebuild.thread.join();
    rebuild.state = "running";
    rebuild.kinds = kinds;
    rebuild.current.clear();
    rebuild.error.clear();
    rebuild.seq = rebuild.to_seq = 0;
    rebuild.started_us = options.clock->now_us();
    rebuild.finished_us = 0;
    rebuild.thread = std::thread([this, kinds] { run_rebuild(kinds); });
    return Status::Ok();
  }

  nlohmann::json rebuild_status() {
    std::lock_guard<std::mutex> lock(rebuild.mu);
    nlohmann::json names = nlohmann::json::array();
    for (auto k : rebuild.kinds) names.push_back(std::string(projections::projection_kind_name(k)));
    nlohmann::json j = {{"state", rebuild.state}, {"projections", names}, {"current", rebuild.current},
                        {"seq", rebuild.seq}, {"toSeq", rebuild.to_seq}};
    if (rebuild.started_us) j["startedAt"] = format_iso8601_ms(rebuild.started_us);
    if (rebuild.finished_us) j["finishedAt"] = format_iso8601_ms(rebuild.finished_us);
    if (!rebuild.error.empty()) j["error"] = rebuild.error;
    if (rebuild.state != "idle" && rebuild.state != "running") j["oldCopiesReleased"] = !rebuild.releasing;
    return j;
  }

  // Applies the journal to `p` until it has reached the head, reporting progress.
  Status fill(projections::Projection& p) {
    for (;;) {
      if (rebuild.cancel) return Status::Unavailable("rebuild cancelled: the daemon is stopping");
      uint64_t head = journal->last_seq();
      uint64_t from = p.checkpoint() + 1;
      if (from > head) return Status::Ok();
      SIGNET_ASSIGN_OR_RETURN(auto events, journal->read(from, 8192, journal::Journal::kReadBatchBytes));
      SIGNET_TRY(p.apply(events));
      std::lock_guard<std::mutex> lock(rebuild.mu);
      rebuild.seq = p.checkpoint();
      rebuild.to_seq = head;
    }
  }

  // What a swap replaced: released together after the grace period.
  std::vector<std::function<void()>> retired;

  // Fills `fresh`, starts its runner and points readers at it. The old copy's
  // runner stops now; the copy itself is released (and its data dropped by
  // `drop_old`) after the grace period, once every swap is done.
  template <typename P>
  Status swap_in(std::unique_ptr<P>& current, std::unique_ptr<projections::ProjectionRunner>& current_runner,
                 Live<P>& live, Live<projections::ProjectionRunner>& live_runner, std::unique_ptr<P> fresh,
                 const char* kind, const std::string& location, std::function<void()> drop_old,
                 std::mutex* guard = nullptr) {
    SIGNET_TRY(fill(*fresh));
    projections::RunnerOptions ro;
    if (std::string_view(kind) == "fts") ro.linger = std::chrono::milliseconds(25);
    auto runner = std::make_unique<projections::ProjectionRunner>(*journal, *fresh, ro);
    runner->start();
    std::unique_lock<std::mutex> lock;
    if (guard) lock = std::unique_lock<std::mutex>(*guard);
    live = fresh.get();
    live_runner = runner.get();
    SIGNET_TRY(views->set_location(kind, location));
    std::shared_ptr<P> old(std::move(current));
    std::shared_ptr<projections::ProjectionRunner> old_runner(std::move(current_runner));
    current = std::move(fresh);
    current_runner = std::move(runner);
    if (lock.owns_lock()) lock.unlock();
    old_runner->stop();
    log->info("projection={} rebuilt side by side at {}", kind, location);
    retired.push_back([old, old_runner, drop_old]() mutable {
      old_runner.reset();
      old.reset();
      drop_old();
    });
    return Status::Ok();
  }

  void release_retired() {
    {
      std::unique_lock<std::mutex> lock(rebuild.mu);
      rebuild.cv.wait_for(lock, kRetireGrace, [&] { return rebuild.cancel.load(); });
    }
    for (auto& release : retired) release();
    retired.clear();
  }

  void run_rebuild(std::vector<projections::ProjectionKind> kinds) {
    fs::path ws(options.workspace);
    std::string gen = std::to_string(options.clock->now_us());
    Status st;
    for (auto k : kinds) {
      {
        std::lock_guard<std::mutex> lock(rebuild.mu);
        rebuild.current = std::string(projections::projection_kind_name(k));
      }
      log->info("projection={} rebuilding side by side; reads keep using the current copy", rebuild.current);
      switch (k) {
        case projections::ProjectionKind::kMemories: {
          std::string ns = "mem." + gen, old_ns = where.memories;
          auto fresh = projections::MemoriesProjection::open(views, ns);
          if (!fresh.ok()) { st = fresh.status(); break; }
          st = swap_in(memories, memories_runner, services.memories, services.memories_runner, std::move(*fresh),
                       "memories", ns, [this, old_ns] { drop_namespace_logged(old_ns); });
          if (st.ok()) where.memories = ns;
          break;
        }
        case projections::ProjectionKind::kTimeline: {
          std::string ns = "tl." + gen, old_ns = where.timeline;
          auto fresh = projections::TimelineProjection::open(views, ns);
          if (!fresh.ok()) { st = fresh.status(); break; }
          st = swap_in(timeline, timeline_runner, services.timeline, services.timeline_runner, std::move(*fresh),
                       "timeline", ns, [this, old_ns] { drop_namespace_logged(old_ns); });
          if (st.ok()) where.timeline = ns;
          break;
        }
        case projections::ProjectionKind::kFts: {
          std::string dir = "fts." + gen;
          fs::path old_dir = ws / "memory" / where.fts;
          auto fresh = projections::FtsProjection::open((ws / "memory" / dir).string());
          if (!fresh.ok()) { st = fresh.status(); break; }
          st = swap_in(fts, fts_runner, services.fts, services.fts_runner, std::move(*fresh), "fts", dir,
                       [old_dir] { std::error_code ec; fs::remove_all(old_dir, ec); });
          if (st.ok()) where.fts = dir;
          break;
        }
        case projections::ProjectionKind::kVectors: {
          std::string dir = "vectors." + gen;
          fs::path old_dir = ws / "memory" / where.vectors;
          auto fresh = projections::VectorProjection::open((ws / "memory" / dir).string(), vector_options);
          if (!fresh.ok()) { st = fresh.status(); break; }
          st = swap_in(vectors, vectors_runner, services.vectors, services.vectors_runner, std::move(*fresh),
                       "vectors", dir, [old_dir] { std::error_code ec; fs::remove_all(old_dir, ec); }, &vectors_mu);
          if (st.ok()) where.vectors = dir;
          break;
        }
      }
      if (!st.ok()) break;
    }
    {
      // Readers use the new copies from here on: report it now, not after the grace.
      std::lock_guard<std::mutex> lock(rebuild.mu);
      rebuild.finished_us = options.clock->now_us();
      rebuild.state = st.ok() ? "done" : "failed";
      rebuild.releasing = !retired.empty();
      if (!st.ok()) {
        rebuild.error = st.ToString();
        log->error("side-by-side rebuild of {} failed: {}", rebuild.current, rebuild.error);
      } else {
        log->info("side-by-side rebuild done; the replaced copies are released in {} s", kRetireGrace.count());
      }
    }
    release_retired();
    std::lock_guard<std::mutex> lock(rebuild.mu);
    rebuild.releasing = false;
  }

  // Copies a side-by-side rebuild left behind when it was interrupted.
  void remove_stale_copies(const fs::path& ws) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(ws / "memory", ec)) {
      std::string name = e.path().filename().string();
      bool fts_copy = name == "fts" || name.rfind("fts.", 0) == 0;
      bool vec_copy = name == "vectors" || name.rfind("vectors.", 0) == 0;
      if ((fts_copy && name != where.fts) || (vec_copy && name != where.vectors)) {
        log->info("removing {}: a projection copy no longer in use", e.path().string());
        fs::remove_all(e.path(), ec);
      }
    }
    for (const std::string& base : {std::string("mem"), std::string("tl")}) {
      const std::string& current = base == "mem" ? where.memories : where.timeline;
      std::unique_ptr<rocksdb::Iterator> it(views->db()->NewIterator(rocksdb::ReadOptions()));
      std::vector<std::string> stale;
      std::string prefix = "meta/" + base;
      for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
        std::string key = it->key().ToString();  // meta/<ns>/checkpoint_seq
        size_t slash = key.find('/', 5);
        if (slash == std::string::npos) continue;
        std::string ns = key.substr(5, slash - 5);
        if ((ns == base || ns.rfind(base + ".", 0) == 0) && ns != current &&
            std::find(stale.begin(), stale.end(), ns) == stale.end())
          stale.push_back(ns);
      }
      for (const auto& ns : stale) {
        log->info("dropping views namespace {}: a projection copy no longer in use", ns);
        drop_namespace_logged(ns);
      }
    }
  }

  void reload(engine::Config config) {
    log::set_level(config.log.level);
    log::ring().set_capacity(config.log.ring_entries);
    engine->set_mutations_frozen(config.memory.pipeline.mutations_frozen);
    services.set_config(std::make_shared<engine::Config>(std::move(config)));
    log->info("configuration reloaded");
  }

  void log_catch_up(const char* name, uint64_t checkpoint) {
    uint64_t head = journal->last_seq();
    if (head > checkpoint)
      log->info("projection={} checkpoint_seq={} journal_last_seq={} catching_up={}", name, checkpoint, head,
                head - checkpoint);
  }
};

Daemon::Daemon(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Daemon::~Daemon() = default;

Result<std::unique_ptr<Daemon>> Daemon::open(DaemonOptions options) {
  if (options.config.auth.mode != "local")
    return Status::InvalidArgument("auth mode '" + options.config.auth.mode +
                                   "' is not supported yet; only local mode is (see docs/api.md). "
                                   "Refusing to start rather than serve without the authentication you asked for");
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  Status st = impl->open();
  if (!st.ok()) return st;
  return std::unique_ptr<Daemon>(new Daemon(std::move(impl)));
}

Status Daemon::serve() {
  Impl& d = *impl_;
  d.log->info("listening on http://{}:{} (workspace {})", d.services.process.bind, d.services.process.port,
              d.options.workspace);
  const std::string& bind = d.services.process.bind;
  if (bind != "localhost" && bind != "::1" && bind.rfind("127.", 0) != 0)
    d.log->warn("listening on {}, beyond this machine, with auth mode local: anyone who can reach port {} can "
                "read and change every memory",
                bind, d.services.process.port);
  Status st = d.http->serve();
  d.log->info("stopped accepting requests; draining");
  // Let the projections apply what is committed, so a restart has nothing to replay.
  if (d.retention) d.retention->stop();
  if (d.access) d.access->stop();
  if (d.worker) d.worker->stop();
  for (auto* r : d.runners()) r->wait_for(d.journal->last_seq(), std::chrono::seconds(5));
  d.shutdown();
  d.log->info("storage closed");
  log::flush();
  return st;
}

void Daemon::stop() {
  impl_->services.stopping->store(true);
  log::ring().wake_all();
  if (impl_->http) impl_->http->stop();
}

void Daemon::reload(engine::Config config) { impl_->reload(std::move(config)); }

int Daemon::port() const { return impl_->services.process.port; }

Response Daemon::handle(Method method, const std::string& target, const std::string& body,
                        const std::vector<std::pair<std::string, std::string>>& headers) {
  return impl_->http->handle(method, target, body, headers);
}

}  // namespace signet::api
