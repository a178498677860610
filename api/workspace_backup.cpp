#include "api/workspace_backup.h"

#include <nlohmann/json.hpp>

#include <filesystem>

#include "engine/engine.h"
#include "journal/backup_store.h"
#include "journal/clock.h"

namespace signet::api {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kFiles[] = {"agent.yaml", "AGENT.yaml", "config.yaml", "AGENTS.md", "SOUL.md",
                                  "IDENTITY.md", "USER.md", "MEMORY.md"};

WorkspaceBackup from_entry(const journal::BackupEntry& e) {
  WorkspaceBackup b;
  b.id = e.id;
  b.created_us = e.timestamp_s * kMicrosPerSecond;
  b.size_bytes = e.size_bytes;
  auto j = json::parse(e.metadata, nullptr, false);
  if (j.is_object()) {
    b.last_seq = j.value("last_seq", uint64_t{0});
    b.created_us = j.value("created_us", b.created_us);
    b.files = j.value("files", 0u);
    b.workspace = j.value("workspace", "");
    b.files_dir = j.value("files_dir", std::to_string(e.id));
  } else {
    b.files_dir = std::to_string(e.id);
  }
  return b;
}

uint64_t count_files(const fs::path& dir) {
  uint64_t n = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec))
    if (it->is_regular_file(ec)) ++n;
  return n;
}

}  // namespace

std::string default_backup_dir(const std::string& workspace) {
  return (fs::path(workspace) / ".daemon" / "backups").string();
}

Result<uint32_t> copy_workspace_files(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::create_directories(to, ec);
  if (ec) return Status::IOError("cannot create " + to + ": " + ec.message());
  uint32_t copied = 0;
  auto copy_one = [&](const fs::path& rel) -> Status {
    fs::path src = fs::path(from) / rel;
    if (!fs::is_regular_file(src, ec)) return Status::Ok();
    fs::create_directories((fs::path(to) / rel).parent_path(), ec);
    fs::copy_file(src, fs::path(to) / rel, fs::copy_options::overwrite_existing, ec);
    if (ec) return Status::IOError("cannot copy " + src.string() + ": " + ec.message());
    ++copied;
    return Status::Ok();
  };
  for (const char* f : kFiles) SIGNET_TRY(copy_one(f));
  SIGNET_TRY(copy_one(fs::path(".daemon") / "auth-secret"));
  fs::path secrets = fs::path(from) / ".secrets";
  if (fs::is_directory(secrets, ec)) {
    for (auto it = fs::recursive_directory_iterator(secrets, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      if (it->is_regular_file(ec)) SIGNET_TRY(copy_one(fs::relative(it->path(), from)));
    }
  }
  return copied;
}

Result<WorkspaceBackup> create_backup(journal::Journal& journal, const std::string& workspace,
                                      const std::string& dest) {
  std::error_code ec;
  bool fresh = !fs::exists(dest, ec);
  fs::create_directories(dest, ec);
  if (ec) return Status::IOError("cannot create " + dest + ": " + ec.message());
  // A backup holds every memory and the secret files: for the owner's eyes
  // only. A destination the user made keeps its mode; what is inside does not.
  if (fresh) fs::permissions(dest, fs::perms::owner_all, fs::perm_options::replace, ec);
  fs::create_directories(fs::path(dest) / "files", ec);
  fs::permissions(fs::path(dest) / "files", fs::perms::owner_all, fs::perm_options::replace, ec);
  // The files go first, into a directory the journal backup's metadata then
  // names: once a backup is listed, its files are in place (a rename after
  // it left a window where a verify found them missing).
  std::string files_dir("t");  // "t" + to_string(...) trips GCC 12's -Wrestrict false positive
  files_dir += std::to_string(SystemClock::instance()->now_us());
  fs::path staging = fs::path(dest) / "files" / files_dir;
  SIGNET_ASSIGN_OR_RETURN(uint32_t files, copy_workspace_files(workspace, staging.string()));
  WorkspaceBackup b;
  b.last_seq = journal.last_seq();
  b.created_us = SystemClock::instance()->now_us();
  b.files = files;
  b.workspace = workspace;
  b.files_dir = files_dir;
  json meta = {{"last_seq", b.last_seq}, {"created_us", b.created_us}, {"files", files}, {"workspace", workspace},
               {"files_dir", files_dir}, {"format", 1}};
  auto id = journal.backup(dest, meta.dump());
  if (!id.ok()) {
    fs::remove_all(staging, ec);
    return id.status();
  }
  b.id = *id;
  auto all = journal::list_backups(dest);
  if (all.ok())
    for (const auto& e : *all)
      if (e.id == b.id) b.size_bytes = e.size_bytes;
  return b;
}

Result<std::vector<WorkspaceBackup>> list_workspace_backups(const std::string& dest) {
  SIGNET_ASSIGN_OR_RETURN(auto entries, journal::list_backups(dest));
  std::vector<WorkspaceBackup> out;
  for (const auto& e : entries) out.push_back(from_entry(e));
  return out;
}

Status verify_workspace_backup(const std::string& dest, uint32_t id) {
  SIGNET_TRY(journal::verify_backup(dest, id));
  SIGNET_ASSIGN_OR_RETURN(auto all, list_workspace_backups(dest));
  for (const auto& b : all) {
    if (b.id != id) continue;
    uint64_t present = count_files(fs::path(dest) / "files" / b.files_dir);
    if (present < b.files)
      return Status::Corruption("backup " + std::to_string(id) + " should hold " + std::to_string(b.files) +
                                " config files, " + std::to_string(present) + " are there");
  }
  return Status::Ok();
}

Status prune_backups(const std::string& dest, uint32_t keep) {
  SIGNET_TRY(journal::purge_backups(dest, keep));
  SIGNET_ASSIGN_OR_RETURN(auto kept, list_workspace_backups(dest));
  std::error_code ec;
  auto hour_ago = fs::file_time_type::clock::now() - std::chrono::hours(1);
  for (const auto& entry : fs::directory_iterator(fs::path(dest) / "files", ec)) {
    std::string name = entry.path().filename().string();
    bool used = false;
    for (const auto& b : kept) used = used || name == b.files_dir;
    // An unnamed directory may belong to a backup being taken right now.
    if (!used && entry.last_write_time(ec) < hour_ago) fs::remove_all(entry.path(), ec);
  }
  return Status::Ok();
}

Result<uint64_t> copy_journal(const journal::Journal& src, const std::string& dst_path, uint64_t to_seq) {
  std::error_code ec;
  fs::create_directories(fs::path(dst_path).parent_path(), ec);
  if (ec) return Status::IOError("cannot create " + fs::path(dst_path).parent_path().string() + ": " + ec.message());
  journal::JournalOptions o;
  o.path = dst_path;
  o.model = &engine::Engine::stream_model();
  o.sync = journal::SyncMode::kOff;  // import syncs each batch itself
  SIGNET_ASSIGN_OR_RETURN(auto dst, journal::Journal::open(o));
  if (dst->last_seq() != 0) return Status::InvalidArgument(dst_path + " already holds a journal");
  uint64_t head = std::min(to_seq == 0 ? src.last_seq() : to_seq, src.last_seq());
  uint64_t next = 1, copied = 0;
  while (next <= head) {
    SIGNET_ASSIGN_OR_RETURN(auto events, src.read(next, static_cast<size_t>(std::min<uint64_t>(8192, head - next + 1))));
    if (events.empty()) break;
    SIGNET_TRY(dst->import(events));
    copied += events.size();
    next = events.back().seq + 1;
  }
  return copied;
}

Result<RestoreReport> restore_workspace(const RestoreRequest& r) {
  SIGNET_ASSIGN_OR_RETURN(auto backups, list_workspace_backups(r.dest));
  if (backups.empty()) return Status::NotFound("no backups in " + r.dest);
  WorkspaceBackup chosen = backups.back();
  if (r.id != 0) {
    bool found = false;
    for (const auto& b : backups)
      if (b.id == r.id) chosen = b, found = true;
    if (!found) return Status::NotFound("backup " + std::to_string(r.id) + " not found in " + r.dest);
  }
  RestoreReport report;
  report.backup_id = chosen.id;
  std::error_code ec;
  fs::path target(r.target);
  fs::create_directories(target / "memory", ec);
  if (ec) return Status::IOError("cannot create " + (target / "memory").string() + ": " + ec.message());

  // The backup's journal, whole, in a scratch directory first.
  fs::path scratch = target / "memory" / ("journal.restoring-" + std::to_string(SystemClock::instance()->now_us()));
  SIGNET_TRY(journal::restore_backup(r.dest, chosen.id, scratch.string()));
  fs::path live = target / "memory" / "journal";
  if (fs::exists(live, ec)) {
    fs::path aside = target / "memory" / ("journal.before-restore-" + std::to_string(SystemClock::instance()->now_us()));
    fs::rename(live, aside, ec);
    if (ec) return Status::IOError("cannot move the existing journal aside: " + ec.message());
    report.moved_aside = aside.string();
  }
  {
    journal::JournalOptions o;
    o.path = scratch.string();
    o.model = &engine::Engine::stream_model();
    o.read_only = true;
    SIGNET_ASSIGN_OR_RETURN(auto restored, journal::Journal::open(o));
    uint64_t cut = restored->last_seq();
    if (r.to_seq) cut = std::min(cut, *r.to_seq);
    if (r.until_us) {
      SIGNET_ASSIGN_OR_RETURN(uint64_t at, restored->last_seq_at(*r.until_us));
      cut = std::min(cut, at);
    }
    SIGNET_ASSIGN_OR_RETURN(report.events, copy_journal(*restored, live.string(), cut));
    report.last_seq = cut;
  }
  fs::remove_all(scratch, ec);
  // Config and secret files as they were at backup time.
  fs::path files = fs::path(r.dest) / "files" / chosen.files_dir;
  if (fs::is_directory(files, ec)) {
    for (auto it = fs::recursive_directory_iterator(files, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      fs::path rel = fs::relative(it->path(), files);
      fs::create_directories((target / rel).parent_path(), ec);
      fs::copy_file(it->path(), target / rel, fs::copy_options::overwrite_existing, ec);
      if (ec) return Status::IOError("cannot restore " + rel.string() + ": " + ec.message());
    }
  }
  return report;
}

}  // namespace signet::api
