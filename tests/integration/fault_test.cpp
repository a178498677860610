// Faults through the real daemon: a full disk (a small tmpfs: writes answer
// 507, reads keep working, writes resume when space returns, nothing
// acknowledged is lost); SIGTERM under load (in-flight requests answered, exit
// 0, every acknowledged write there after a restart); and 10k memories under
// `ulimit -n 256` (no descriptor per memory or per file). Provider faults
// (down, slow, garbage) are in search_test.cpp and embedding_worker_test.cpp.
#include <catch2/catch.hpp>

#include <httplib.h>
#include <signal.h>
#include <sys/mount.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/support/daemon_process.h"
#include "tests/support/embedding_stub.h"
#include "tests/support/temp_dir.h"

using namespace signet::testing;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// A tmpfs of `mb` MiB at `dir`, unmounted on destruction. Needs root (or
// CAP_SYS_ADMIN); `ok` is false where that is not available.
struct SmallDisk {
  std::string dir;
  bool ok = false;
  std::string why;
  SmallDisk(std::string d, int mb) : dir(std::move(d)) {
    fs::create_directories(dir);
    std::string opts = "size=" + std::to_string(mb) + "m";
    ok = ::mount("tmpfs", dir.c_str(), "tmpfs", 0, opts.c_str()) == 0;
    if (!ok) why = std::strerror(errno);
  }
  ~SmallDisk() {
    if (ok) ::umount2(dir.c_str(), MNT_DETACH);
  }
};

// Writes into `path` until the filesystem refuses.
uint64_t fill(const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  std::string chunk(64 * 1024, 'z');
  uint64_t written = 0;
  while (out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()))) {
    out.flush();
    if (!out) break;
    written += chunk.size();
  }
  return written;
}

}  // namespace

TEST_CASE("a full disk refuses writes with 507, keeps reads, and resumes when space returns",
          "[integration][fault][disk-full]") {
  TempDir dir;
  SmallDisk disk(dir.sub("disk"), 48);
  if (!disk.ok) {
    WARN("cannot mount a tmpfs here (" << disk.why << "): the disk-full test needs root; not run");
    return;
  }
  DaemonProcess::Options o;
  o.workspace = disk.dir + "/ws";
  o.agent_yaml = "log:\n  level: warn\n";
  o.env["SIGNET_LOG_FILE"] = dir.sub("daemon.log");  // off the full disk
  o.stderr_path = dir.sub("daemon.err");
  std::string failure;
  auto d = DaemonProcess::start(o, &failure);
  INFO(failure);
  REQUIRE(d);
  std::vector<std::string> acked;
  for (int i = 0; i < 50; ++i) {
    auto r = d->post("/api/memory/remember", json{{"content", "before the disk filled " + std::to_string(i)}}.dump());
    REQUIRE(r.status == 200);
    acked.push_back(r.json()["id"]);
  }
  std::string filler = disk.dir + "/filler";
  fill(filler);

  // RocksDB preallocates its log, so a few MiB may still go in after the fill.
  // A request that got no answer at all is unacknowledged: it may or may not
  // have committed (the durability contract), so it is counted apart.
  int refused = 0, other = 0, unanswered = 0;
  for (int i = 0; i < 5000 && refused < 5; ++i) {
    std::string big(8 * 1024, static_cast<char>('a' + i % 26));
    auto r = d->post("/api/memory/remember", json{{"content", "while full " + std::to_string(i) + " " + big}}.dump());
    if (r.status == 200) {
      acked.push_back(r.json()["id"]);  // still fit in what was left
    } else if (r.status == 507 || r.status == 503) {
      ++refused;
      CHECK_THAT(r.json()["error"].get<std::string>(), Catch::Contains("disk is full") || Catch::Contains("space"));
    } else if (r.status == 0) {
      ++unanswered;
    } else {
      WARN("unexpected answer while the disk was full: " << r.status << " " << r.body);
      ++other;
    }
  }
  CHECK(refused >= 1);
  CHECK(other == 0);
  // Reads keep working.
  CHECK(d->get("/api/memory/" + acked[0]).status == 200);
  CHECK(d->get("/api/memories?limit=10").status == 200);
  CHECK(d->post("/api/memory/recall", json{{"query", "disk filled"}}.dump()).status == 200);
  CHECK(d->get("/health").status == 200);

  fs::remove(filler);
  bool resumed = eventually(
      [&] {
        auto r = d->post("/api/memory/remember", json{{"content", "after space returned"}}.dump());
        if (r.status == 200) acked.push_back(r.json()["id"]);
        return r.status == 200;
      },
      std::chrono::seconds(30));
  CHECK(resumed);

  d->signal(SIGTERM);
  CHECK(d->wait_exit(std::chrono::seconds(15)) == 0);
  auto again = DaemonProcess::start(o, &failure);
  INFO(failure);
  REQUIRE(again);
  for (const auto& id : acked) CHECK(again->get("/api/memory/" + id).status == 200);
  size_t total = again->get("/api/memories").json()["stats"]["total"].get<size_t>();
  CHECK(total >= acked.size());
  CHECK(total <= acked.size() + static_cast<size_t>(unanswered));
}

TEST_CASE("an embedding the full disk refused is recorded once space returns, without a restart",
          "[integration][fault][disk-full]") {
  TempDir dir;
  SmallDisk disk(dir.sub("disk"), 48);
  if (!disk.ok) {
    WARN("cannot mount a tmpfs here (" << disk.why << "): the disk-full test needs root; not run");
    return;
  }
  EmbeddingStub stub(16);
  stub.set_slow_delay_ms(10000);  // the provider answers after the disk is full
  stub.set_mode(EmbeddingStub::Mode::kSlow);
  DaemonProcess::Options o;
  o.workspace = disk.dir + "/ws";
  o.agent_yaml = "log:\n  level: warn\nembedding:\n  provider: ollama\n  model: stub-embed\n  dimensions: 16\n"
                 "  base_url: " + stub.base_url() + "\n  timeout_ms: 30000\n";
  o.env["SIGNET_LOG_FILE"] = dir.sub("daemon.log");
  o.stderr_path = dir.sub("daemon.err");
  std::string failure;
  auto d = DaemonProcess::start(o, &failure);
  INFO(failure);
  REQUIRE(d);
  auto r = d->post("/api/memory/remember", json{{"content", "embedded while the disk was full"}}.dump());
  REQUIRE(r.status == 200);
  CHECK(r.json()["embedded"] == false);

  std::string filler = disk.dir + "/filler";
  fill(filler);
  int refused = 0;  // use up what RocksDB preallocated, so the worker's write fails too
  for (int i = 0; i < 5000 && refused < 3; ++i) {
    std::string big(8 * 1024, static_cast<char>('a' + i % 26));
    auto w = d->post("/api/memory/remember", json{{"content", "filler " + std::to_string(i) + " " + big}}.dump());
    if (w.status == 507 || w.status == 503) ++refused;
  }
  REQUIRE(refused >= 1);
  // The provider answers; the worker's write of the vector meets the full disk.
  REQUIRE(eventually(
      [&] {
        std::ifstream log(dir.sub("daemon.log"));
        std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
        return text.find("cannot record the embedding") != std::string::npos;
      },
      std::chrono::seconds(40)));
  json worker = d->get("/api/embeddings/status").json()["worker"];
  CHECK_THAT(worker["lastError"].dump(), Catch::Contains("cannot record"));

  stub.set_mode(EmbeddingStub::Mode::kNormal);
  fs::remove(filler);
  // Before the fix the worker dropped the memory and only a restart found it again.
  CHECK(eventually([&] { return d->get("/api/embeddings/health").json()["missing"] == 0; },
                   std::chrono::seconds(60)));
}

TEST_CASE("SIGTERM under load answers what is in flight and exits 0", "[integration][fault][sigterm]") {
  TempDir dir;
  DaemonProcess::Options o;
  o.workspace = dir.sub("ws");
  auto d = DaemonProcess::start(o);
  REQUIRE(d);
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<std::string> acked;
  std::atomic<int> malformed{0}, server_errors{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&, c] {
      httplib::Client client("127.0.0.1", d->port());
      client.set_read_timeout(15, 0);
      for (int i = 0; !stop; ++i) {
        auto r = client.Post("/api/memory/remember",
                             json{{"content", "under load " + std::to_string(c) + "-" + std::to_string(i)}}.dump(),
                             "application/json");
        if (!r) break;  // the daemon closed the connection: it is stopping
        if (r->status == 200) {
          auto j = json::parse(r->body, nullptr, false);
          if (!j.is_object()) {
            ++malformed;
            continue;
          }
          std::lock_guard<std::mutex> lock(mu);
          acked.push_back(j["id"]);
        } else if (r->status >= 500 && r->status != 503) {
          ++server_errors;
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  d->signal(SIGTERM);
  int code = d->wait_exit(std::chrono::seconds(10));
  stop = true;
  for (auto& t : clients) t.join();
  CHECK(code == 0);
  CHECK(malformed == 0);
  CHECK(server_errors == 0);
  CHECK(acked.size() > 10);
  auto again = DaemonProcess::start(o);
  REQUIRE(again);
  for (const auto& id : acked) CHECK(again->get("/api/memory/" + id).status == 200);
}

TEST_CASE("10k memories under a limit of 256 file descriptors", "[integration][fault][fds]") {
  TempDir dir;
  DaemonProcess::Options o;
  o.workspace = dir.sub("ws");
  o.nofile_limit = 256;
  // Memory markdown files in the watched workspace: watching must not cost a descriptor each.
  fs::create_directories(o.workspace + "/memory");
  for (int i = 0; i < 2000; ++i) std::ofstream(o.workspace + "/memory/note-" + std::to_string(i) + ".md") << "# note\n";
  std::string failure;
  auto d = DaemonProcess::start(o, &failure);
  INFO(failure);
  REQUIRE(d);
  std::atomic<int> errors{0};
  std::vector<std::thread> loaders;
  for (int c = 0; c < 8; ++c) {
    loaders.emplace_back([&, c] {
      httplib::Client client("127.0.0.1", d->port());
      client.set_read_timeout(30, 0);
      for (int i = c; i < 10000; i += 8) {
        auto r = client.Post("/api/memory/remember",
                             json{{"content", "descriptor test memory number " + std::to_string(i) + " of ten thousand"}}
                                 .dump(),
                             "application/json");
        if (!r || r->status != 200) ++errors;
      }
    });
  }
  for (auto& t : loaders) t.join();
  CHECK(errors == 0);
  json page = d->get("/api/memories?limit=5").json();
  CHECK(page["stats"]["total"] == 10000);
  CHECK(d->post("/api/memory/recall", json{{"query", "memory number 4242"}}.dump()).json()["results"].size() >= 1);
  REQUIRE(eventually([&] {
    return d->get("/health").json()["resources"]["projections"]["fts"]["lag"] == 0;
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // /health caches its resources briefly
  json h = d->get("/health").json();
  INFO(h.dump());
  CHECK(h["status"] == "healthy");
  CHECK(h["resources"]["openFds"].get<int>() < 200);
}
