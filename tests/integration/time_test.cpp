// Time, through the real binaries: point-in-time reads (as_of) before and
// after a modify and a forget; history; the timeline of a request, a session
// and a memory; a hot backup restored at a time holding exactly the events up
// to it; verify naming an injected corruption; rebuilds offline (refused while
// the daemon holds the workspace) and side by side while the daemon serves
// reads; scheduled backups.
#include <catch2/catch.hpp>

#include <httplib.h>
#include <rocksdb/db.h>
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "journal/rocks_options.h"
#include "tests/support/daemon_process.h"
#include "tests/support/temp_dir.h"

using namespace signet::testing;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::unique_ptr<DaemonProcess> start(const std::string& ws, const std::string& yaml = "") {
  DaemonProcess::Options o;
  o.workspace = ws;
  o.agent_yaml = yaml;
  std::string failure;
  auto d = DaemonProcess::start(o, &failure);
  INFO(failure);
  REQUIRE(d);
  return d;
}

// The journal's head: a write answers with its commit seq (/health's figure is cached).
uint64_t seq_of(const HttpResult& r) {
  REQUIRE(r.status == 200);
  return r.json()["seq"];
}

std::vector<std::string> contents(const json& list) {
  std::vector<std::string> out;
  for (const auto& m : list) out.push_back(m["content"]);
  return out;
}

}  // namespace

TEST_CASE("as_of reads show a memory before and after a modify and a forget", "[integration][time]") {
  TempDir dir;
  auto d = start(dir.sub("ws"));
  auto r = d->post("/api/memory/remember", json{{"content", "The deploy window is Tuesday"}}.dump());
  std::string id = r.json()["id"];
  uint64_t created = seq_of(r);
  uint64_t before_all = created - 2;  // before the memory and its embedding
  uint64_t modified =
      seq_of(d->patch("/api/memory/" + id, json{{"content", "The deploy window is Thursday"}, {"reason", "moved"}}.dump()));
  uint64_t forgotten = seq_of(d->del("/api/memory/" + id + "?reason=done"));

  auto at = [&](uint64_t seq, const std::string& extra = "") {
    return d->get("/api/memory/" + id + "?as_of=" + std::to_string(seq) + extra);
  };
  CHECK(at(before_all).status == 404);
  json v1 = at(created).json();
  CHECK(v1["content"] == "The deploy window is Tuesday");
  CHECK(v1["version"] == 1);
  CHECK(v1["asOf"]["seq"] == created);
  CHECK(at(modified).json()["content"] == "The deploy window is Thursday");
  CHECK(at(forgotten).status == 404);
  CHECK(at(forgotten, "&include_deleted=true").json()["is_deleted"] == 1);
  CHECK(d->get("/api/memory/" + id).status == 404);  // and now
  CHECK(d->get("/api/memory/" + id + "?as_of=2000-01-01T00:00:00Z").status == 404);
  CHECK(d->get("/api/memory/" + id + "?as_of=yesterday").status == 400);

  json h = d->get("/api/memory/" + id + "/history?as_of=" + std::to_string(modified)).json();
  CHECK(h["count"] == 2);
  CHECK(d->get("/api/memory/" + id + "/history").json()["count"] == 3);

  json list_then = d->get("/api/memories?as_of=" + std::to_string(created)).json();
  CHECK(contents(list_then["memories"]) == std::vector<std::string>{"The deploy window is Tuesday"});
  CHECK(list_then["stats"]["total"] == 1);
  CHECK(d->get("/api/memories").json()["stats"]["total"] == 0);

  json recall_then =
      d->post("/api/memory/recall", json{{"query", "deploy window Tuesday"}, {"as_of", created}}.dump()).json();
  CHECK(contents(recall_then["results"]) == std::vector<std::string>{"The deploy window is Tuesday"});
  json recall_mid = d->post("/api/memory/recall", json{{"query", "deploy window"}, {"as_of", std::to_string(modified)}}
                                                       .dump())
                        .json();
  CHECK(contents(recall_mid["results"]) == std::vector<std::string>{"The deploy window is Thursday"});
  CHECK(d->post("/api/memory/recall", json{{"query", "deploy window"}}.dump()).json()["results"].empty());
  CHECK(d->post("/api/memory/recall", json{{"query", "x"}, {"as_of", true}}.dump()).status == 400);
}

TEST_CASE("the timeline of a request, a session and a memory", "[integration][time]") {
  TempDir dir;
  auto d = start(dir.sub("ws"));
  auto r = d->post("/api/memory/remember", json{{"content", "Timeline subject"}}.dump(),
                   {{"X-Request-Id", "req-t1"}, {"x-signet-session-id", "sess-t"}});
  std::string id = r.json()["id"];
  d->post("/api/memory/remember", json{{"content", "Another in the same session"}}.dump(),
          {{"x-signet-session-id", "sess-t"}});
  httplib::Client c("127.0.0.1", d->port());
  auto p = c.Patch(("/api/memory/" + id).c_str(), {{"X-Request-Id", "req-t2"}},
                   json{{"importance", 0.2}, {"reason", "tune"}}.dump(), "application/json");
  REQUIRE(p);

  json t1 = d->get("/api/timeline/req-t1").json();
  CHECK(t1["entityType"] == "request");
  REQUIRE(t1["events"].size() == 2);  // the memory and its inline embedding
  CHECK(t1["events"][0]["event"] == "MemoryRemembered");
  CHECK(t1["events"][1]["event"] == "EmbeddingRecorded");
  CHECK(t1["events"][0]["memoryId"] == id);

  json session = d->get("/api/timeline/sess-t").json();
  CHECK(session["entityType"] == "session");
  CHECK(session["count"] == 4);

  json memory = d->get("/api/timeline/" + id).json();
  CHECK(memory["entityType"] == "memory");
  std::vector<std::string> kinds;
  for (const auto& e : memory["events"]) kinds.push_back(e["event"]);
  CHECK(kinds == std::vector<std::string>{"MemoryRemembered", "EmbeddingRecorded", "MemoryModified"});
  CHECK_THAT(memory["events"][2]["summary"].get<std::string>(), Catch::Contains("importance"));

  json exported = d->get("/api/timeline/req-t2/export").json();
  CHECK(exported["meta"]["entityId"] == "req-t2");
  CHECK(exported["timeline"]["events"].size() == 1);
  CHECK(d->get("/api/timeline/nobody-knows-this").status == 404);

  // The summary cuts content at 120 bytes; a character across the cut was a 500.
  std::string accented = std::string(119, 'a') + "\xC3\xA9 and more after the cut";
  std::string accented_id = d->post("/api/memory/remember", json{{"content", accented}}.dump()).json()["id"];
  auto accented_timeline = d->get("/api/timeline/" + accented_id);
  CHECK(accented_timeline.status == 200);
  CHECK(accented_timeline.json()["events"][0]["summary"] == "remembered: " + std::string(119, 'a'));
  CHECK(d->get("/api/timeline/" + accented_id + "/export").status == 200);
}

TEST_CASE("a hot backup restored at a time holds exactly the events up to it", "[integration][time][backup]") {
  TempDir dir;
  std::string ws = dir.sub("ws");
  auto d = start(ws);
  uint64_t cut = 0;
  for (int i = 0; i < 5; ++i)
    cut = seq_of(d->post("/api/memory/remember", json{{"content", "early memory " + std::to_string(i)}}.dump()));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // commit times are in µs; keep the cut unambiguous
  std::string t = d->get("/api/memory/" + std::string(d->get("/api/memories?limit=1").json()["memories"][0]["id"]))
                      .json()["created_at"];
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  for (int i = 0; i < 3; ++i) d->post("/api/memory/remember", json{{"content", "late memory " + std::to_string(i)}}.dump());

  auto created = run_cli(ws, "backup create");  // the daemon takes it, hot
  INFO(created.output);
  REQUIRE(created.exit_code == 0);
  CHECK_THAT(created.output, Catch::Contains("taken by the daemon"));
  // Every memory and the secrets are in there: the owner's only.
  auto mode = [](const std::string& p) { return fs::status(p).permissions() & fs::perms::all; };
  CHECK(mode(ws + "/.daemon/backups") == fs::perms::owner_all);
  CHECK(mode(ws + "/.daemon/backups/files") == fs::perms::owner_all);
  auto listed = run_cli(ws, "backup list");
  CHECK_THAT(listed.output, Catch::Contains("journal up to seq"));
  CHECK(run_cli(ws, "backup verify").exit_code == 0);

  // Refused over the running daemon's workspace.
  auto over = run_cli(ws, "restore --to " + ws);
  CHECK(over.exit_code != 0);
  CHECK_THAT(over.output, Catch::Contains("stop it first"));

  std::string target = dir.sub("restored");
  auto restored = run_cli(ws, "restore --at " + t + " --to " + target);
  INFO(restored.output);
  REQUIRE(restored.exit_code == 0);
  CHECK_THAT(restored.output, Catch::Contains("up to seq " + std::to_string(cut)));
  auto verified = run_replay("verify --workspace " + target);
  CHECK(verified.exit_code == 0);
  CHECK_THAT(verified.output, Catch::Contains("last seq " + std::to_string(cut)));

  auto r = start(target);
  json list = r->get("/api/memories").json();
  CHECK(list["stats"]["total"] == 5);
  for (const auto& m : list["memories"]) CHECK_THAT(m["content"].get<std::string>(), Catch::StartsWith("early"));
  CHECK(r->post("/api/memory/recall", json{{"query", "early memory"}}.dump()).json()["results"].size() == 5);

  // By seq too, from the same backup.
  std::string by_seq = dir.sub("by-seq");
  REQUIRE(run_cli(ws, "restore --at 3 --to " + by_seq).exit_code == 0);
  CHECK_THAT(run_replay("verify --workspace " + by_seq).output, Catch::Contains("last seq 3"));
}

TEST_CASE("verify names the seq of an injected corruption", "[integration][time][corruption]") {
  TempDir dir;
  std::string ws = dir.sub("ws");
  {
    auto d = start(ws);
    for (int i = 0; i < 6; ++i) d->post("/api/memory/remember", json{{"content", "record " + std::to_string(i)}}.dump());
    d->signal(SIGTERM);
    REQUIRE(d->wait_exit(std::chrono::seconds(15)) == 0);
  }
  CHECK(run_replay("verify --workspace " + ws).exit_code == 0);
  {
    rocksdb::Options o;
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const char* n : {"default", "heads", "streams", "reservations", "meta"}) cfs.push_back({n, {}});
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    REQUIRE(rocksdb::DB::Open(o, ws + "/memory/journal", cfs, &handles, &raw).ok());
    std::string key = signet::journal::encode_u64_be(5), value;
    REQUIRE(raw->Get({}, handles[0], key, &value).ok());
    value[value.size() - 3] ^= 0x40;
    REQUIRE(raw->Put({}, handles[0], key, value).ok());
    for (auto* h : handles) REQUIRE(raw->DestroyColumnFamilyHandle(h).ok());
    delete raw;
  }
  auto v = run_replay("verify --workspace " + ws);
  CHECK(v.exit_code == 1);
  CHECK_THAT(v.output, Catch::Contains("seq 5") && Catch::Contains("checksum"));
}

TEST_CASE("offline rebuild is refused while the daemon holds the workspace, and cuts into --out",
          "[integration][time][rebuild]") {
  TempDir dir;
  std::string ws = dir.sub("ws");
  auto d = start(ws);
  for (int i = 0; i < 10; ++i) d->post("/api/memory/remember", json{{"content", "replayed memory " + std::to_string(i)}}.dump());
  auto refused = run_replay("rebuild --workspace " + ws);
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.output, Catch::Contains("already running") && Catch::Contains("--out"));
  auto cut = run_replay("rebuild --workspace " + ws + " --to-seq 7 --out " + dir.sub("cut") + " --json");
  INFO(cut.output);
  REQUIRE(cut.exit_code == 0);
  auto last_line = cut.output.substr(cut.output.rfind('{'));
  json report = json::parse(last_line);
  CHECK(report["events"] == 7);
  CHECK(report["events_per_s"].get<double>() > 0);
  CHECK(run_replay("rebuild --workspace " + ws + " --to-seq 7").exit_code == 2);  // a cut needs --out

  d->signal(SIGTERM);
  REQUIRE(d->wait_exit(std::chrono::seconds(15)) == 0);
  auto in_place = run_replay("rebuild --workspace " + ws + " --projection fts,memories");
  INFO(in_place.output);
  CHECK(in_place.exit_code == 0);
  CHECK_THAT(in_place.output, Catch::Contains("rebuilt fts, memories"));
  auto again = start(ws);
  CHECK(again->post("/api/memory/recall", json{{"query", "replayed memory"}}.dump()).json()["results"].size() == 10);
}

TEST_CASE("a side-by-side rebuild swaps in while reads keep working", "[integration][time][rebuild]") {
  TempDir dir;
  std::string ws = dir.sub("ws");
  auto d = start(ws);
  for (int i = 0; i < 300; ++i)
    d->post("/api/memory/remember", json{{"content", "side by side memory number " + std::to_string(i)}}.dump());
  json before = d->post("/api/memory/recall", json{{"query", "memory number 42"}, {"limit", 5}}.dump()).json();
  auto started = d->post("/api/repair/rebuild", json{{"projection", "all"}}.dump());
  REQUIRE(started.status == 202);
  CHECK(d->post("/api/repair/rebuild", "{}").status == 409);
  std::atomic<bool> done{false};
  std::atomic<int> failures{0}, reads{0};
  std::thread reader([&] {
    while (!done) {
      auto r = d->post("/api/memory/recall", json{{"query", "memory number 42"}, {"limit", 5}}.dump());
      auto l = d->get("/api/memories?limit=5");
      if (r.status != 200 || l.status != 200 || r.json()["results"].empty()) ++failures;
      ++reads;
    }
  });
  // Writes during the rebuild land in the new copies too.
  d->post("/api/memory/remember", json{{"content", "written during the rebuild"}}.dump());
  REQUIRE(eventually([&] { return d->get("/api/repair/rebuild").json()["state"] == "done"; },
                     std::chrono::seconds(120)));
  done = true;
  reader.join();
  // "done" is reported at the swap; the replaced copies live on for a grace
  // period, during which another rebuild is refused rather than blocking.
  json finished = d->get("/api/repair/rebuild").json();
  CHECK(finished["oldCopiesReleased"] == false);
  CHECK(d->post("/api/repair/rebuild", "{}").status == 409);
  CHECK(failures == 0);
  CHECK(reads > 0);
  json after = d->post("/api/memory/recall", json{{"query", "memory number 42"}, {"limit", 5}}.dump()).json();
  CHECK(contents(after["results"]) == contents(before["results"]));
  CHECK(d->post("/api/memory/recall", json{{"query", "written during the rebuild"}}.dump()).json()["results"].size() >= 1);
  CHECK(d->get("/api/memories").json()["stats"]["total"] == 301);
  // The new copies are where a restart looks.
  d->signal(SIGTERM);
  REQUIRE(d->wait_exit(std::chrono::seconds(15)) == 0);
  auto again = start(ws);
  json restarted = again->post("/api/memory/recall", json{{"query", "memory number 42"}, {"limit", 5}}.dump()).json();
  CHECK(contents(restarted["results"]) == contents(before["results"]));
}

TEST_CASE("scheduled backups are taken and listed", "[integration][time][backup]") {
  TempDir dir;
  std::string ws = dir.sub("ws");
  auto d = start(ws, "backup:\n  schedule: hourly\n  keep: 2\n");
  d->post("/api/memory/remember", json{{"content", "backed up on a schedule"}}.dump());
  REQUIRE(eventually([&] { return !d->get("/api/backups").json()["backups"].empty(); }, std::chrono::seconds(30)));
  json b = d->get("/api/backups").json()["backups"][0];
  CHECK(b["lastSeq"].get<uint64_t>() >= 1);
  auto verified = run_cli(ws, "backup verify");
  INFO(verified.output);
  CHECK(verified.exit_code == 0);
}

TEST_CASE("verify never sees a backup half-made while backups are being taken", "[integration][time][backup]") {
  TempDir dir;
  std::string ws = dir.sub("ws");
  auto d = start(ws, "log:\n  level: warn\n");  // an agent.yaml: every backup copies a file
  d->post("/api/memory/remember", json{{"content", "backed up again and again"}}.dump());
  std::atomic<bool> taking{true};
  std::atomic<int> taken{0};
  std::thread taker([&] {
    for (int i = 0; i < 12; ++i)
      if (d->post("/api/backup", "{}").status == 200) ++taken;
    taking = false;
  });
  int verified = 0, failed = 0;
  std::string failure;
  while (taking) {
    auto v = run_cli(ws, "backup verify");
    if (v.exit_code != 0 && v.output.find("no backups") == std::string::npos) {
      ++failed;
      failure = v.output;
    }
    ++verified;
  }
  taker.join();
  INFO(failure);
  CHECK(failed == 0);
  CHECK(taken == 12);
  CHECK(verified > 0);
}

TEST_CASE("the retention sweep purges what is past the recovery window, and nothing else",
          "[integration][time][retention]") {
  TempDir dir;
  // A window of 0 days: every deletion is past it at once.
  auto d = start(dir.sub("ws"), "memory:\n  recovery_window_days: 0\n  retention_sweep_minutes: 0\n");
  auto remember = [&](const std::string& text) {
    auto r = d->post("/api/memory/remember", json{{"content", text}}.dump());
    REQUIRE(r.status == 200);
    return r.json()["id"].get<std::string>();
  };
  std::string kept = remember("The staging cluster lives in Frankfurt");
  std::string gone = remember("The old VPN endpoint is vpn1.example.org");
  std::string back = remember("Ada reviews every schema migration");
  REQUIRE(d->del("/api/memory/" + gone + "?reason=obsolete").status == 200);
  REQUIRE(d->del("/api/memory/" + back + "?reason=mistake").status == 200);
  CHECK(d->post("/api/memory/" + back + "/recover", json{{"reason", "not obsolete"}}.dump()).json()["status"] ==
        "retention_expired");
  CHECK(d->get("/api/memory/" + gone + "?include_deleted=true").status == 200);

  auto sweep = d->post("/api/repair/retention-sweep", "", {{"X-Request-Id", "sweep-1"}});
  REQUIRE(sweep.status == 200);
  json report = sweep.json();
  CHECK(report["success"] == true);
  CHECK(report["affected"] == 2);
  CHECK(report["skipped"] == 0);

  // Gone from the table and both indexes; the live memory untouched.
  CHECK(d->get("/api/memory/" + gone + "?include_deleted=true").status == 404);
  CHECK(d->get("/api/memory/" + back + "?include_deleted=true").status == 404);
  CHECK(d->get("/api/memory/" + kept).status == 200);
  json listed = d->get("/api/memories?include_deleted=true").json();
  REQUIRE(listed["memories"].size() == 1);
  CHECK(listed["memories"][0]["id"] == kept);
  json hits = d->post("/api/memory/recall", json{{"query", "VPN endpoint vpn1"}, {"limit", 10}}.dump()).json();
  for (const auto& h : hits["results"]) CHECK(h["id"] != gone);
  CHECK(d->get("/memory/search?q=vpn1").json()["results"].empty());

  // The journal keeps the story.
  json history = d->get("/api/memory/" + gone + "/history").json();
  REQUIRE(history["history"].size() == 3);
  CHECK(history["history"][2]["event"] == "purged");
  CHECK(history["history"][2]["changedBy"] == "retention");
  CHECK(history["history"][2]["requestId"] == "sweep-1");

  // Nothing is due any more.
  json again = d->post("/api/repair/retention-sweep", "").json();
  CHECK(again["affected"] == 0);
  CHECK(again["examined"] == 0);  // no deleted row left: no row read
}
