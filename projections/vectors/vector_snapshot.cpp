// Layout: vector_snapshot.h. FAISS is called here (write_index, read_index):
// its exceptions are caught in this file and returned as Status.
#include "projections/vectors/vector_snapshot.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>

#include "projections/vectors/fast_flat.h"
#include <faiss/impl/FaissException.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "journal/crc32c.h"

namespace signet::projections::vectors {

static_assert(std::endian::native == std::endian::little, "the snapshot is written in host order");

namespace {

constexpr char kMagic[8] = {'S', 'G', 'N', 'V', 'E', 'C', '\r', '\n'};
constexpr size_t kMemoryFixedBytes = 8 + 8 + 8 + 8 + 4 * 5 + 1;  // after the id
constexpr uint8_t kFlagDeleted = 1, kFlagPinned = 2;
constexpr size_t kCrcChunkBytes = 1 << 20;

Status errno_status(int err, const std::string& what) {
  std::string msg = what + ": " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT) return Status::NoSpace(msg);
  return Status::IOError(msg);
}

// Writes through stdio, keeping the crc of everything written. Also the
// IOWriter FAISS's write_index writes through, so the index is part of the
// same file and the same crc.
class SnapshotWriter final : public faiss::IOWriter {
 public:
  explicit SnapshotWriter(FILE* f) : f_(f) { name = "vector snapshot"; }

  size_t operator()(const void* ptr, size_t size, size_t nitems) override {
    return put(ptr, size * nitems) ? nitems : 0;
  }
  bool put(const void* p, size_t n) {
    if (err_ != 0) return false;
    if (n == 0) return true;
    if (std::fwrite(p, 1, n, f_) != n) {
      err_ = errno != 0 ? errno : EIO;
      return false;
    }
    crc_ = crc32c::extend(crc_, p, n);
    return true;
  }
  template <typename T>
  void pod(T v) {
    put(&v, sizeof v);
  }
  void str(std::string_view s) {
    pod(static_cast<uint32_t>(s.size()));
    put(s.data(), s.size());
  }
  uint32_t crc() const { return crc_; }
  int error() const { return err_; }

 private:
  FILE* f_;
  uint32_t crc_ = 0;
  int err_ = 0;
};

// Reads at most `limit` bytes (the file without its crc): a length field that
// points past the end fails the read instead of allocating.
class SnapshotReader final : public faiss::IOReader {
 public:
  SnapshotReader(FILE* f, uint64_t limit) : f_(f), remaining_(limit) { name = "vector snapshot"; }

  size_t operator()(void* ptr, size_t size, size_t nitems) override {
    if (size == 0 || nitems == 0) return 0;
    if (nitems > remaining_ / size) {
      ok_ = false;
      return 0;
    }
    return get(ptr, size * nitems) ? nitems : 0;
  }
  bool get(void* p, size_t n) {
    if (!ok_) return false;
    if (n > remaining_ || std::fread(p, 1, n, f_) != n) {
      ok_ = false;
      return false;
    }
    remaining_ -= n;
    return true;
  }
  template <typename T>
  T pod() {
    T v{};
    get(&v, sizeof v);
    return v;
  }
  std::string str() {
    auto n = pod<uint32_t>();
    if (!ok_ || n > remaining_) {
      ok_ = false;
      return {};
    }
    std::string s(n, '\0');
    get(s.data(), n);
    return s;
  }
  bool ok() const { return ok_; }
  uint64_t remaining() const { return remaining_; }

 private:
  FILE* f_;
  uint64_t remaining_;
  bool ok_ = true;
};

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<FILE, FileCloser>;

Status fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_status(errno, "open " + dir);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return errno_status(err, "fsync " + dir);
  return Status::Ok();
}

std::string dir_of(const std::string& path) {
  auto parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

void write_body(SnapshotWriter& w, const SnapshotKey& key, const VectorState& s) {
  w.put(kMagic, sizeof kMagic);
  w.pod<uint32_t>(kSnapshotFormat);
  w.pod<uint32_t>(key.projection_version);
  w.pod<uint64_t>(s.checkpoint_seq);
  w.str(key.model);
  w.pod<uint32_t>(key.dims);
  w.pod(static_cast<uint32_t>(s.strings.size()));
  for (StringId i = 0; i < s.strings.size(); ++i) w.str(s.strings.at(i));
  w.pod(static_cast<uint32_t>(s.tag_sets.size()));
  for (TagSetId i = 0; i < s.tag_sets.size(); ++i) {
    const auto& set = s.tag_sets.at(i);
    w.pod(static_cast<uint32_t>(set.size()));
    for (StringId id : set) w.pod(id);
  }
  w.pod(static_cast<uint64_t>(s.memories.size()));
  for (const auto& [id, m] : s.memories) {
    w.str(id);
    w.pod(m.content_hash);
    w.pod(m.vector_hash);
    w.pod(m.created_at_us);
    w.pod(m.importance);
    w.pod(m.type);
    w.pod(m.who);
    w.pod(m.project);
    w.pod(m.tags);
    w.pod(m.entry);
    w.pod(static_cast<uint8_t>((m.deleted ? kFlagDeleted : 0) | (m.pinned ? kFlagPinned : 0)));
  }
  w.pod(static_cast<uint64_t>(s.entries.size()));
  faiss::write_index(s.index.get(), &w);
}

// The crc over [0, size - 4) against the one stored in the last 4 bytes.
Status verify_crc(FILE* f, uint64_t size) {
  std::vector<char> buf(kCrcChunkBytes);
  uint32_t crc = 0;
  uint64_t left = size - 4;
  while (left > 0) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(left, buf.size()));
    if (std::fread(buf.data(), 1, n, f) != n) return Status::IOError("read vector snapshot");
    crc = crc32c::extend(crc, buf.data(), n);
    left -= n;
  }
  uint32_t stored = 0;
  if (std::fread(&stored, 1, 4, f) != 4) return Status::IOError("read vector snapshot crc");
  if (crc32c::unmask(stored) != crc) return Status::Corruption("vector snapshot: crc mismatch");
  return Status::Ok();
}

Result<VectorState> read_body(SnapshotReader& r, const SnapshotKey& key) {
  auto damaged = [](const std::string& what) { return Status::Corruption("vector snapshot: " + what); };
  char magic[sizeof kMagic];
  if (!r.get(magic, sizeof magic) || std::memcmp(magic, kMagic, sizeof kMagic) != 0) return damaged("bad magic");
  auto format = r.pod<uint32_t>();
  if (r.ok() && format != kSnapshotFormat)
    return Status::InvalidArgument("vector snapshot format " + std::to_string(format) + ", expected " +
                                   std::to_string(kSnapshotFormat));
  auto projection = r.pod<uint32_t>();
  VectorState s;
  s.checkpoint_seq = r.pod<uint64_t>();
  std::string model = r.str();
  auto dims = r.pod<uint32_t>();
  if (!r.ok()) return damaged("truncated header");
  if (projection != key.projection_version || model != key.model || dims != key.dims)
    return Status::InvalidArgument("vector snapshot built for model " + model + " dims " + std::to_string(dims) +
                                   " version " + std::to_string(projection));

  auto n_strings = r.pod<uint32_t>();
  for (uint32_t i = 0; i < n_strings && r.ok(); ++i) {
    std::string v = r.str();
    if (r.ok() && s.strings.intern(v) != i) return damaged("string table out of order");
  }
  auto n_sets = r.pod<uint32_t>();
  for (uint32_t i = 0; i < n_sets && r.ok(); ++i) {
    auto m = r.pod<uint32_t>();
    if (m > r.remaining() / 4) return damaged("tag set too long");
    std::vector<StringId> ids(m);
    for (auto& id : ids) {
      id = r.pod<uint32_t>();
      if (r.ok() && id >= s.strings.size()) return damaged("tag set names an unknown string");
    }
    if (r.ok() && s.tag_sets.intern_ids(std::move(ids)) != i) return damaged("tag set table out of order");
  }
  if (!r.ok()) return damaged("truncated tables");

  auto n_memories = r.pod<uint64_t>();
  if (n_memories > r.remaining() / (4 + kMemoryFixedBytes)) return damaged("memory count past the end");
  s.memories.reserve(static_cast<size_t>(n_memories));
  for (uint64_t i = 0; i < n_memories && r.ok(); ++i) {
    std::string id = r.str();
    MemoryMeta m;
    m.content_hash = r.pod<uint64_t>();
    m.vector_hash = r.pod<uint64_t>();
    m.created_at_us = r.pod<int64_t>();
    m.importance = r.pod<double>();
    m.type = r.pod<uint32_t>();
    m.who = r.pod<uint32_t>();
    m.project = r.pod<uint32_t>();
    m.tags = r.pod<uint32_t>();
    m.entry = r.pod<uint32_t>();
    auto flags = r.pod<uint8_t>();
    if (!r.ok()) break;
    if (m.type >= s.strings.size() || m.who >= s.strings.size() || m.project >= s.strings.size() ||
        m.tags >= s.tag_sets.size() || (flags & ~(kFlagDeleted | kFlagPinned)) != 0)
      return damaged("memory " + id + " is malformed");
    m.deleted = (flags & kFlagDeleted) != 0;
    m.pinned = (flags & kFlagPinned) != 0;
    if (!s.memories.emplace(std::move(id), m).second) return damaged("a memory appears twice");
  }
  auto n_entries = r.pod<uint64_t>();
  if (!r.ok()) return damaged("truncated memories");
  if (n_entries >= kNoEntry) return damaged("entry count out of range");

  std::unique_ptr<faiss::Index> index(faiss::read_index(&r));
  if (!r.ok() || r.remaining() != 0) return damaged("index length does not match the file");
  auto* flat = dynamic_cast<faiss::IndexFlat*>(index.get());
  auto* hnsw = dynamic_cast<faiss::IndexHNSWFlat*>(index.get());
  if ((!flat && !(hnsw && dynamic_cast<faiss::IndexFlat*>(hnsw->storage))) ||
      index->metric_type != faiss::METRIC_INNER_PRODUCT || index->d != static_cast<int>(key.dims))
    return damaged("unexpected index type");
  if (static_cast<uint64_t>(index->ntotal) != n_entries) return damaged("index size differs from the entry count");
  if (hnsw && (hnsw->storage->ntotal != hnsw->ntotal || hnsw->hnsw.levels.size() != static_cast<size_t>(hnsw->ntotal)))
    return damaged("HNSW graph and storage disagree");
  s.index = accelerate(std::move(index));

  s.entries.assign(static_cast<size_t>(n_entries), nullptr);
  for (auto& node : s.memories) {
    uint32_t e = node.second.entry;
    if (e == kNoEntry) continue;
    if (e >= n_entries || s.entries[e] != nullptr) return damaged("entry " + std::to_string(e) + " claimed twice");
    s.entries[e] = &node;
  }
  return s;
}

}  // namespace

Status write_snapshot(const std::string& path, const SnapshotKey& key, const VectorState& state) {
  const std::string tmp = path + ".tmp";
  Status st;
  {
    File f(std::fopen(tmp.c_str(), "wbe"));
    if (!f) return errno_status(errno, "create " + tmp);
    std::setvbuf(f.get(), nullptr, _IOFBF, 1 << 20);
    SnapshotWriter w(f.get());
    try {
      write_body(w, key, state);
    } catch (const faiss::FaissException& e) {
      st = Status::IOError(std::string("write vector index: ") + e.what());
    } catch (const std::exception& e) {
      st = Status::IOError(std::string("write vector index: ") + e.what());
    }
    uint32_t crc = crc32c::mask(w.crc());
    if (w.error() != 0) st = errno_status(w.error(), "write " + tmp);
    if (st.ok() && std::fwrite(&crc, 1, 4, f.get()) != 4) st = errno_status(errno, "write " + tmp);
    if (st.ok() && std::fflush(f.get()) != 0) st = errno_status(errno, "write " + tmp);
    if (st.ok() && ::fsync(fileno(f.get())) != 0) st = errno_status(errno, "fsync " + tmp);
    FILE* raw = f.release();
    if (std::fclose(raw) != 0 && st.ok()) st = errno_status(errno, "close " + tmp);
  }
  if (st.ok() && std::rename(tmp.c_str(), path.c_str()) != 0) st = errno_status(errno, "rename " + tmp);
  if (!st.ok()) {
    std::remove(tmp.c_str());
    return st;
  }
  return fsync_dir(dir_of(path));
}

Result<VectorState> read_snapshot(const std::string& path, const SnapshotKey& key) {
  File f(std::fopen(path.c_str(), "rbe"));
  if (!f) {
    if (errno == ENOENT) return Status::NotFound("no vector snapshot");
    return errno_status(errno, "open " + path);
  }
  struct stat sb {};
  if (::fstat(fileno(f.get()), &sb) != 0) return errno_status(errno, "stat " + path);
  auto size = static_cast<uint64_t>(sb.st_size);
  if (size < sizeof kMagic + 4) return Status::Corruption("vector snapshot: too short");
  SIGNET_TRY(verify_crc(f.get(), size));
  std::rewind(f.get());
  SnapshotReader r(f.get(), size - 4);
  try {
    return read_body(r, key);
  } catch (const faiss::FaissException& e) {
    return Status::Corruption(std::string("vector snapshot: ") + e.what());
  } catch (const std::exception& e) {  // e.g. bad_alloc from a size no crc caught
    return Status::Corruption(std::string("vector snapshot: ") + e.what());
  }
}

Status remove_snapshot(const std::string& path) {
  for (const std::string& p : {path + ".tmp", path}) {
    if (std::remove(p.c_str()) != 0 && errno != ENOENT) return errno_status(errno, "remove " + p);
  }
  return fsync_dir(dir_of(path));
}

}  // namespace signet::projections::vectors
