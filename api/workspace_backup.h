// Backups of a workspace: the journal (hot, incremental: journal/backup_store.h)
// plus its config, identity and secret files. Projections are never backed up;
// a restore rebuilds them from the restored journal.
//
// Layout of a backup directory (default <workspace>/.daemon/backups):
//   meta/, shared_checksum/, private/   RocksDB BackupEngine (the journal)
//   files/<files_dir>/...               agent.yaml, *.md, .secrets/, .daemon/auth-secret
//                                       (files_dir is named in the backup's metadata)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "journal/journal.h"

namespace signet::api {

struct WorkspaceBackup {
  uint32_t id = 0;
  int64_t created_us = 0;
  uint64_t last_seq = 0;    // the journal's head when it was taken
  uint64_t size_bytes = 0;  // journal files, shared ones included
  uint32_t files = 0;       // config and secret files copied beside it
  std::string files_dir;    // where, under <dest>/files/
  std::string workspace;
};

std::string default_backup_dir(const std::string& workspace);

// Safe while the daemon serves the journal: `journal` is its live handle.
Result<WorkspaceBackup> create_backup(journal::Journal& journal, const std::string& workspace,
                                      const std::string& dest);
Result<std::vector<WorkspaceBackup>> list_workspace_backups(const std::string& dest);
// Checksums of the journal files, and the copied files are there.
Status verify_workspace_backup(const std::string& dest, uint32_t id);
// Keeps the newest `keep`; their files stay, the rest go.
Status prune_backups(const std::string& dest, uint32_t keep);

struct RestoreRequest {
  std::string dest;                 // the backup directory
  uint32_t id = 0;                  // 0: the newest
  std::string target;               // the workspace to write
  std::optional<uint64_t> to_seq;   // cut: keep events up to this seq
  std::optional<int64_t> until_us;  // cut: keep events committed at or before this time
};

struct RestoreReport {
  uint32_t backup_id = 0;
  uint64_t events = 0;   // events in the restored journal
  uint64_t last_seq = 0;
  std::string moved_aside;  // a previous journal at the target, renamed
};

// Writes the backup's journal (cut if asked) and files into `target`. A journal
// already at the target is moved aside, never deleted. Projections are left
// for the caller to rebuild (projections/rebuild.h). The target must not be
// served by a running daemon: the caller holds its lock.
Result<RestoreReport> restore_workspace(const RestoreRequest& request);

// Copies `src`'s events up to `to_seq` into a new journal at `dst_path`,
// keeping seqs and commit times (Journal::import). Returns the events copied.
Result<uint64_t> copy_journal(const journal::Journal& src, const std::string& dst_path, uint64_t to_seq);
// agent.yaml, AGENT.yaml, config.yaml, the identity *.md files, .secrets/ and
// .daemon/auth-secret: whichever exist. Returns how many files were copied.
Result<uint32_t> copy_workspace_files(const std::string& from, const std::string& to);

}  // namespace signet::api
