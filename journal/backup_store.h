// Journal backups on disk (RocksDB BackupEngine): created hot by
// Journal::backup, read here. Backups in one directory share their files, so
// each new one copies only what changed since the last.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "journal/status.h"

namespace signet::journal {

struct BackupEntry {
  uint32_t id = 0;
  int64_t timestamp_s = 0;  // when it was taken
  uint64_t size_bytes = 0;  // of its files, shared ones included
  uint32_t files = 0;
  std::string metadata;     // as given to Journal::backup
};

Result<std::vector<BackupEntry>> list_backups(const std::string& dir);  // oldest first
// Every file's size and checksum against what was recorded at backup time.
Status verify_backup(const std::string& dir, uint32_t id);
// Writes backup `id` as a journal database at `db_path` (which must not exist).
Status restore_backup(const std::string& dir, uint32_t id, const std::string& db_path);
// Keeps the newest `keep` backups; shared files no backup uses are deleted.
Status purge_backups(const std::string& dir, uint32_t keep);

}  // namespace signet::journal
