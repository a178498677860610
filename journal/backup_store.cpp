#include "journal/backup_store.h"

#include <rocksdb/utilities/backup_engine.h>

#include <filesystem>
#include <memory>

#include "journal/rocks_options.h"

namespace signet::journal {
namespace {

Result<std::unique_ptr<rocksdb::BackupEngineReadOnly>> open_read_only(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(std::filesystem::path(dir) / "meta", ec))
    return Status::NotFound("no backups in " + dir);
  rocksdb::BackupEngineReadOnly* raw = nullptr;
  auto s = rocksdb::BackupEngineReadOnly::Open(rocksdb::Env::Default(), rocksdb::BackupEngineOptions(dir), &raw);
  if (!s.ok()) return from_rocks(s, "open backups in " + dir);
  return std::unique_ptr<rocksdb::BackupEngineReadOnly>(raw);
}

}  // namespace

Result<std::vector<BackupEntry>> list_backups(const std::string& dir) {
  SIGNET_ASSIGN_OR_RETURN(auto engine, open_read_only(dir));
  std::vector<rocksdb::BackupInfo> infos;
  engine->GetBackupInfo(&infos, /*include_file_details=*/false);
  std::vector<BackupEntry> out;
  for (const auto& i : infos) {
    BackupEntry e;
    e.id = i.backup_id;
    e.timestamp_s = i.timestamp;
    e.size_bytes = i.size;
    e.files = i.number_files;
    e.metadata = i.app_metadata;
    out.push_back(std::move(e));
  }
  return out;
}

Status verify_backup(const std::string& dir, uint32_t id) {
  SIGNET_ASSIGN_OR_RETURN(auto engine, open_read_only(dir));
  auto s = engine->VerifyBackup(id, /*verify_with_checksum=*/true);
  if (s.IsNotFound()) return Status::NotFound("backup " + std::to_string(id) + " not found in " + dir);
  if (!s.ok()) return Status::Corruption("backup " + std::to_string(id) + " in " + dir + " is damaged: " + s.ToString());
  return Status::Ok();
}

Status restore_backup(const std::string& dir, uint32_t id, const std::string& db_path) {
  std::error_code ec;
  if (std::filesystem::exists(db_path, ec)) return Status::InvalidArgument(db_path + " already exists");
  SIGNET_ASSIGN_OR_RETURN(auto engine, open_read_only(dir));
  rocksdb::RestoreOptions ro;
  auto s = engine->RestoreDBFromBackup(ro, id, db_path, db_path);
  if (s.IsNotFound()) return Status::NotFound("backup " + std::to_string(id) + " not found in " + dir);
  return from_rocks(s, "restore backup " + std::to_string(id));
}

Status purge_backups(const std::string& dir, uint32_t keep) {
  rocksdb::BackupEngine* raw = nullptr;
  auto s = rocksdb::BackupEngine::Open(rocksdb::Env::Default(), rocksdb::BackupEngineOptions(dir), &raw);
  if (!s.ok()) return from_rocks(s, "open backups in " + dir);
  std::unique_ptr<rocksdb::BackupEngine> engine(raw);
  return from_rocks(engine->PurgeOldBackups(std::max<uint32_t>(keep, 1)), "purge backups in " + dir);
}

}  // namespace signet::journal
