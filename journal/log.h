// Logging: one set of sinks for the process, one named logger per category
// ("daemon", "http", "memory", "journal", "projection", "embedding", ...).
//
// Lines look like upstream's:  [2026-02-21T10:00:00.000Z] [INFO] [memory] message
// The ring keeps recent entries in memory for GET /api/logs and its stream.
// Before configure() is called, loggers write to stderr.
#pragma once

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace signet::log {

struct Entry {
  uint64_t id = 0;  // increases by one per entry
  int64_t ts_us = 0;
  std::string level;     // debug | info | warn | error
  std::string category;
  std::string message;
};

// Recent entries, for the API. Thread-safe.
class Ring {
 public:
  explicit Ring(size_t capacity) : capacity_(capacity) {}
  void push(Entry e);
  // Entries with id > after_id, oldest first, at most `limit` (the newest ones).
  std::vector<Entry> since(uint64_t after_id, size_t limit) const;
  // Blocks until an entry with id > after_id exists or the timeout passes.
  bool wait(uint64_t after_id, std::chrono::milliseconds timeout) const;
  uint64_t last_id() const;
  void wake_all();  // lets waiters re-check (shutdown)
  void set_capacity(size_t capacity);

 private:
  size_t capacity_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::deque<Entry> entries_;
  uint64_t next_id_ = 1;
};

struct Options {
  std::string file;         // exact file (SIGNET_LOG_FILE); else daily files in dir
  std::string dir;          // daemon-YYYY-MM-DD.log is written here
  bool console = true;      // also to stderr
  std::string level = "info";
  size_t ring_entries = 2000;
};

// Replaces the process's sinks; existing category loggers follow. Returns the
// path being written ("" when none).
std::string configure(const Options& options);
void set_level(const std::string& level);
std::shared_ptr<spdlog::logger> get(std::string_view category);
Ring& ring();
// The current daily file, or the exact file (for `signet daemon logs`).
std::string current_file(const Options& options);
void flush();

}  // namespace signet::log
