// Memory shared by every RocksDB in the process (the journal and the views):
// one block cache and one write-buffer budget, so two databases do not each
// grow their own and idle memory stays small. Opaque here; RocksDB types stay
// in journal/rocks_options.h.
#pragma once

#include <cstddef>
#include <memory>

namespace signet::journal {

class StorageBudget {
 public:
  struct Limits {
    size_t block_cache_bytes = 8u << 20;
    size_t write_buffer_bytes = 16u << 20;  // all memtables of all databases together
  };
  static std::shared_ptr<StorageBudget> create(const Limits& limits);
  static std::shared_ptr<StorageBudget> create() { return create(Limits{}); }
  virtual ~StorageBudget() = default;
  const Limits& limits() const { return limits_; }

 protected:
  explicit StorageBudget(const Limits& limits) : limits_(limits) {}

 private:
  Limits limits_;
};

}  // namespace signet::journal
