// The memory API through the real daemon binary on a free loopback port with
// a temporary workspace: every memory route of API.md with its status words
// and HTTP codes, read-your-writes, request ids, bad input (400 naming the
// field, 413, 404/405 as JSON, never a 5xx), a stalled client that cannot
// block others, logs and the log stream, and a restart that keeps everything.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>
#include <signal.h>

#include <random>
#include <thread>

#include "tests/support/daemon_process.h"
#include "tests/support/temp_dir.h"

using namespace signet::testing;
using nlohmann::json;

namespace {

std::unique_ptr<DaemonProcess> start_daemon(const TempDir& dir, const std::string& yaml = "") {
  DaemonProcess::Options o;
  o.workspace = dir.sub("ws");
  o.agent_yaml = yaml;
  std::string failure;
  auto d = DaemonProcess::start(o, &failure);
  INFO(failure);
  REQUIRE(d);
  return d;
}

std::string remember(const DaemonProcess& d, const json& body) {
  auto r = d.post("/api/memory/remember", body.dump());
  REQUIRE(r.status == 200);
  return r.json()["id"].get<std::string>();
}

}  // namespace

TEST_CASE("remember, get and list through HTTP with read-your-writes", "[integration][api]") {
  TempDir dir;
  auto d = start_daemon(dir);
  auto r = d->post("/api/memory/remember",
                   json{{"content", "critical: [editor,ui]: User prefers vim keybindings"}, {"who", "claude-code"},
                        {"project", "dotfiles"}}
                       .dump());
  REQUIRE(r.status == 200);
  json m = r.json();
  CHECK(m["pinned"] == true);
  CHECK(m["importance"] == 1.0);
  CHECK(m["tags"] == "editor,ui");
  CHECK(m["type"] == "preference");
  CHECK(m["deduped"] == false);
  CHECK(m["seq"].get<uint64_t>() >= 1);
  std::string id = m["id"];

  // Read right after the write: the projection wait makes it visible.
  auto g = d->get("/api/memory/" + id);
  REQUIRE(g.status == 200);
  json row = g.json();
  CHECK(row["content"] == "User prefers vim keybindings");
  CHECK(row["who"] == "claude-code");
  CHECK(row["project"] == "dotfiles");
  CHECK(row["version"] == 1);
  CHECK(row["is_deleted"] == 0);
  CHECK(row["pinned"] == 1);
  CHECK(row["access_count"] == 0);
  CHECK(row.contains("updated_by"));
  CHECK(row["created_at"].get<std::string>().size() == 24);

  auto dup = d->post("/api/memory/save", json{{"content", "  user PREFERS vim keybindings!"}}.dump());
  CHECK(dup.json()["deduped"] == true);
  CHECK(dup.json()["id"] == id);
  CHECK(dup.json()["embedded"] == true);  // the existing memory's vector counts
  auto hook = d->post("/api/hook/remember", json{{"content", "Second memory via the hook alias"}}.dump());
  CHECK(hook.status == 200);

  auto list = d->get("/api/memories?limit=10");
  REQUIRE(list.status == 200);
  json l = list.json();
  REQUIRE(l["memories"].size() == 2);
  CHECK(l["memories"][0]["content"] == "Second memory via the hook alias");
  CHECK(l["stats"]["total"] == 2);
  CHECK(l["stats"]["critical"] == 1);
  CHECK(d->get("/api/memories?limit=1&offset=1").json()["memories"][0]["id"] == id);
  CHECK(d->get("/api/memories?type=preference").json()["memories"].size() == 1);
  CHECK(d->get("/api/memories?pinned=true&who=claude-code").json()["memories"].size() == 1);
}

TEST_CASE("modify, forget and recover answer every status word with its code", "[integration][api]") {
  TempDir dir;
  auto d = start_daemon(dir);
  std::string id = remember(*d, {{"content", "Team decided to use PostgreSQL"}});
  std::string other = remember(*d, {{"content", "Team uses Grafana"}});
  std::string pinned = remember(*d, {{"content", "critical: rotate the deploy key monthly"}});

  auto p = d->patch("/api/memory/" + id, json{{"content", "Team decided to use SQLite"}, {"reason", "changed"},
                                              {"if_version", 1}, {"tags", json::array({"db", "decision"})}}
                                             .dump());
  REQUIRE(p.status == 200);
  CHECK(p.json()["status"] == "updated");
  CHECK(p.json()["currentVersion"] == 1);
  CHECK(p.json()["newVersion"] == 2);
  CHECK(p.json()["contentChanged"] == true);
  CHECK(d->get("/api/memory/" + id).json()["tags"] == "db,decision");

  auto same = d->patch("/api/memory/" + id, json{{"content", "Team decided to use SQLite"}, {"reason", "x"}}.dump());
  CHECK(same.status == 200);
  CHECK(same.json()["status"] == "no_changes");
  auto stale = d->patch("/api/memory/" + id, json{{"importance", 0.1}, {"reason", "x"}, {"if_version", 1}}.dump());
  CHECK(stale.status == 409);
  CHECK(stale.json()["status"] == "version_conflict");
  auto dup = d->patch("/api/memory/" + id, json{{"content", "team uses grafana."}, {"reason", "x"}}.dump());
  CHECK(dup.status == 409);
  CHECK(dup.json()["status"] == "duplicate_content_hash");
  CHECK(dup.json()["duplicateMemoryId"] == other);
  auto missing = d->patch("/api/memory/no-such-id", json{{"pinned", true}, {"reason", "x"}}.dump());
  CHECK(missing.status == 404);
  CHECK(missing.json()["status"] == "not_found");
  auto clear = d->patch("/api/memory/" + id, json{{"tags", nullptr}, {"reason", "clear"}}.dump());
  CHECK(clear.json()["status"] == "updated");
  CHECK(d->get("/api/memory/" + id).json()["tags"].is_null());

  CHECK(d->del("/api/memory/" + pinned, json{{"reason", "x"}}.dump()).json()["status"] == "pinned_requires_force");
  auto agent = d->post("/api/memory/" + pinned + "/recover", json{{"reason", "x"}}.dump());
  CHECK(agent.status == 409);
  CHECK(agent.json()["status"] == "not_deleted");
  {
    httplib::Client c("127.0.0.1", d->port());
    auto denied = c.Delete(("/api/memory/" + pinned).c_str(), {{"x-signet-actor-type", "agent"}},
                           json{{"reason", "x"}, {"force", true}}.dump(), "application/json");
    REQUIRE(denied);
    CHECK(denied->status == 403);
    CHECK(json::parse(denied->body)["status"] == "autonomous_force_denied");
  }

  auto del = d->del("/api/memory/" + id + "?reason=cleanup&if_version=3");
  REQUIRE(del.status == 200);
  CHECK(del.json()["status"] == "deleted");
  CHECK(d->get("/api/memory/" + id).status == 404);
  CHECK(d->get("/api/memory/" + id + "?include_deleted=true").json()["is_deleted"] == 1);
  CHECK(d->del("/api/memory/" + id + "?reason=again").json()["status"] == "already_deleted");
  CHECK(d->del("/api/memory/" + id + "?reason=again").status == 409);
  auto modify_deleted = d->patch("/api/memory/" + id, json{{"importance", 0.2}, {"reason", "x"}}.dump());
  CHECK(modify_deleted.status == 409);
  CHECK(modify_deleted.json()["status"] == "deleted");

  auto wrong = d->post("/api/memory/" + id + "/recover", json{{"reason", "oops"}, {"if_version", 1}}.dump());
  CHECK(wrong.status == 409);
  CHECK(wrong.json()["status"] == "version_conflict");
  auto rec = d->post("/api/memory/" + id + "/recover", json{{"reason", "oops"}}.dump());
  REQUIRE(rec.status == 200);
  CHECK(rec.json()["status"] == "recovered");
  CHECK(rec.json()["retentionDays"] == 30);
  CHECK(d->get("/api/memory/" + id).status == 200);
  CHECK(d->post("/api/memory/nope/recover", json{{"reason", "x"}}.dump()).status == 404);

  auto h = d->get("/api/memory/" + id + "/history");
  REQUIRE(h.status == 200);
  json hist = h.json();
  REQUIRE(hist["count"] == 5);
  CHECK(hist["history"][0]["event"] == "created");
  CHECK(hist["history"][1]["event"] == "updated");
  CHECK(hist["history"][1]["oldContent"] == "Team decided to use PostgreSQL");
  CHECK(hist["history"][1]["newContent"] == "Team decided to use SQLite");
  CHECK(hist["history"][1]["reason"] == "changed");
  CHECK(hist["history"][3]["event"] == "deleted");
  CHECK(hist["history"][4]["event"] == "recovered");
  CHECK_FALSE(hist["history"][0]["requestId"].is_null());
  CHECK(d->get("/api/memory/" + id + "/history?limit=2").json()["count"] == 2);
  CHECK(d->get("/api/memory/nope/history").status == 404);
}

TEST_CASE("batch forget previews and needs a confirm token above 25 candidates", "[integration][api]") {
  TempDir dir;
  auto d = start_daemon(dir);
  std::vector<std::string> ids;
  for (int i = 0; i < 30; ++i)
    ids.push_back(remember(*d, {{"content", "Bulk note number " + std::to_string(i)}, {"who", "bulk-bot"}}));
  remember(*d, {{"content", "Keep this one"}, {"who", "human"}});

  auto none = d->post("/api/memory/forget", json{{"mode", "preview"}}.dump());
  CHECK(none.status == 400);

  auto small = d->post("/api/memory/forget", json{{"mode", "preview"}, {"ids", {ids[0], ids[1]}}}.dump());
  REQUIRE(small.status == 200);
  CHECK(small.json()["count"] == 2);
  CHECK(small.json()["requiresConfirm"] == false);
  auto exec_small = d->post("/api/memory/forget",
                            json{{"mode", "execute"}, {"ids", {ids[0], ids[1]}}, {"reason", "cleanup"}}.dump());
  REQUIRE(exec_small.status == 200);
  CHECK(exec_small.json()["deleted"] == 2);
  CHECK(d->post("/api/memory/forget", json{{"mode", "execute"}, {"ids", {ids[2]}}}.dump()).status == 400);

  auto pv = d->post("/api/memory/forget", json{{"mode", "preview"}, {"who", "bulk-bot"}}.dump());
  REQUIRE(pv.status == 200);
  json preview = pv.json();
  CHECK(preview["count"] == 28);
  CHECK(preview["requiresConfirm"] == true);
  auto no_token = d->post("/api/memory/forget", json{{"mode", "execute"}, {"who", "bulk-bot"}, {"reason", "r"}}.dump());
  CHECK(no_token.status == 400);
  auto ok = d->post("/api/memory/forget", json{{"mode", "execute"},
                                               {"who", "bulk-bot"},
                                               {"reason", "r"},
                                               {"confirm_token", preview["confirmToken"]}}
                                              .dump());
  REQUIRE(ok.status == 200);
  CHECK(ok.json()["deleted"] == 28);
  CHECK(d->get("/api/memories").json()["stats"]["total"] == 1);
}

TEST_CASE("batch modify applies patches on their own", "[integration][api]") {
  TempDir dir;
  auto d = start_daemon(dir);
  std::string a = remember(*d, {{"content", "alpha"}});
  std::string b = remember(*d, {{"content", "beta"}});
  auto r = d->post("/api/memory/modify",
                   json{{"reason", "bulk"},
                        {"changed_by", "operator"},
                        {"patches",
                         {{{"id", a}, {"importance", 0.3}},
                          {{"id", b}, {"content", "beta two"}, {"if_version", 1}, {"reason", "own"}},
                          {{"id", "missing"}, {"pinned", true}},
                          {{"importance", "high"}},
                          {{"id", a}, {"importance", 5}}}}}
                       .dump());
  REQUIRE(r.status == 200);
  json j = r.json();
  CHECK(j["total"] == 5);
  CHECK(j["updated"] == 2);
  CHECK(j["results"][0]["status"] == "updated");
  CHECK(j["results"][1]["contentChanged"] == true);
  CHECK(j["results"][2]["status"] == "not_found");
  CHECK(j["results"][3]["status"] == "invalid_request");
  CHECK(j["results"][4]["status"] == "invalid_request");
  CHECK_THAT(j["results"][4]["error"].get<std::string>(), Catch::Contains("importance"));
  CHECK(d->get("/api/memory/" + b + "/history").json()["history"][1]["changedBy"] == "operator");
  json too_many = {{"reason", "x"}, {"patches", json::array()}};
  for (int i = 0; i < 201; ++i) too_many["patches"].push_back({{"id", a}, {"importance", 0.1}});
  CHECK(d->post("/api/memory/modify", too_many.dump()).status == 400);
}

TEST_CASE("bad input is a 400 naming the field, never a 5xx", "[integration][api][errors]") {
  TempDir dir;
  auto d = start_daemon(dir);
  std::string id = remember(*d, {{"content", "target"}});
  struct Case {
    std::string path, body, needle;
  };
  std::vector<Case> cases = {
      {"/api/memory/remember", "{\"content\":", "malformed JSON"},
      {"/api/memory/remember", "[1,2]", "JSON object"},
      {"/api/memory/remember", "{}", "content"},
      {"/api/memory/remember", "{\"content\":\"   \"}", "content"},
      {"/api/memory/remember", "{\"content\":42}", "content"},
      {"/api/memory/remember", "{\"content\":\"x\",\"importance\":\"high\"}", "importance"},
      {"/api/memory/remember", "{\"content\":\"x\",\"importance\":7}", "importance"},
      {"/api/memory/remember", "{\"content\":\"x\",\"tags\":{\"a\":1}}", "tags"},
      {"/api/memory/remember", "{\"content\":\"x\",\"pinned\":\"yes\"}", "pinned"},
      {"/api/memory/" + id + "/recover", "{}", "reason"},
      {"/api/memory/forget", "{\"mode\":\"delete-all\"}", "mode"},
      {"/api/memory/modify", "{\"patches\":\"no\"}", "patches"},
  };
  for (const auto& c : cases) {
    auto r = d->post(c.path, c.body);
    INFO(c.path << " " << c.body << " -> " << r.status << " " << r.body);
    CHECK(r.status == 400);
    REQUIRE(r.json().is_object());
    CHECK_THAT(r.json()["error"].get<std::string>(), Catch::Contains(c.needle));
  }
  auto patch = d->patch("/api/memory/" + id, "{\"importance\":0.5}");
  CHECK(patch.status == 400);
  CHECK_THAT(patch.json()["error"].get<std::string>(), Catch::Contains("reason"));
  CHECK(d->patch("/api/memory/" + id, "{\"reason\":\"x\"}").status == 400);
  CHECK(d->del("/api/memory/" + id).status == 400);
  CHECK(d->get("/api/memories?limit=abc").status == 400);
  CHECK(d->get("/api/memories?since=yesterday").status == 400);

  auto huge = d->post("/api/memory/remember", std::string(2 * 1024 * 1024, 'a'));
  CHECK(huge.status == 413);
  CHECK(huge.json().is_object());
  auto unknown = d->get("/api/nothing/here");
  CHECK(unknown.status == 404);
  CHECK(unknown.json().contains("error"));
  CHECK(d->patch("/api/memories", "{}").status == 405);

  // Random bytes and random JSON at every write route: never a 5xx, never a crash.
  std::mt19937 rng(42);
  std::vector<std::string> routes = {"/api/memory/remember", "/api/memory/forget", "/api/memory/modify",
                                     "/api/memory/" + id + "/recover"};
  const char* fragments[] = {"{", "}", "[", "]", "\"content\"", ":", ",", "null", "true", "1e999", "-1",
                             "\"\\u0000\"", "\"ids\"", "\"patches\"", "\"mode\"", "\"execute\"", "{}", "[]", "\"x\""};
  for (int i = 0; i < 300; ++i) {
    std::string body;
    int n = static_cast<int>(rng() % 12);
    for (int k = 0; k < n; ++k) body += fragments[rng() % (sizeof(fragments) / sizeof(fragments[0]))];
    const std::string& route = routes[rng() % routes.size()];
    auto r = d->post(route, body);
    INFO(route << " " << body);
    REQUIRE(r.status != 0);
    CHECK(r.status < 500);
  }
  CHECK(d->get("/health").status == 200);
}

TEST_CASE("request ids are echoed, generated when absent, and stored on events", "[integration][api]") {
  TempDir dir;
  auto d = start_daemon(dir);
  auto r = d->post("/api/memory/remember", json{{"content", "traced memory"}}.dump(),
                   {{"X-Request-Id", "req-abc-123"}, {"x-signet-session-id", "sess-9"}});
  REQUIRE(r.status == 200);
  CHECK(r.headers["X-Request-Id"] == "req-abc-123");
  auto g = d->get("/health");
  CHECK(g.headers["X-Request-Id"].size() == 36);
  std::string id = r.json()["id"];
  auto h = d->get("/api/memory/" + id + "/history").json();
  CHECK(h["history"][0]["requestId"] == "req-abc-123");
  CHECK(h["history"][0]["sessionId"] == "sess-9");
  CHECK(d->get("/api/memory/" + id).json()["session_id"] == "sess-9");
}

namespace {
// Sends `raw` on a fresh connection and returns everything the daemon answers
// before it closes the connection or `seconds` pass.
std::string raw_exchange(int port, const std::string& raw, int seconds) {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    ::close(s);
    return "";
  }
  ::send(s, raw.data(), raw.size(), 0);
  timeval tv{seconds, 0};
  ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(s, buf, sizeof(buf), 0)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(s);
  return out;
}
}  // namespace

TEST_CASE("bodies are read as sent: form-labelled JSON over 8 KiB, no body at all, multipart",
          "[integration][api][body]") {
  TempDir dir;
  auto d = start_daemon(dir, "server:\n  readTimeoutMs: 30000\n");
  httplib::Client c("127.0.0.1", d->port());
  // `curl -d` labels JSON as a form; httplib alone refused such bodies over 8 KiB.
  std::string long_note;
  while (long_note.size() < 9000) long_note += "a long note about the release checklist ";
  auto r = c.Post("/api/memory/remember", json{{"content", long_note}}.dump(), "application/x-www-form-urlencoded");
  REQUIRE(r);
  CHECK(r->status == 200);
  // A form-labelled body is not parsed into query parameters either.
  auto listed = c.Post("/api/memory/recall?limit=1", R"({"query":"release checklist"})",
                       "application/x-www-form-urlencoded");
  REQUIRE(listed);
  CHECK(listed->status == 200);
  CHECK(json::parse(listed->body)["results"].size() == 1);

  // No Content-Length and no chunked encoding: no body (RFC 9112), answered at
  // once instead of after the read timeout.
  std::string answer = raw_exchange(d->port(), "POST /api/memory/remember HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 10);
  CHECK(answer.rfind("HTTP/1.1 400", 0) == 0);
  CHECK_THAT(answer, Catch::Contains("body is empty"));
  answer = raw_exchange(d->port(), "POST /api/backup HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 20);
  CHECK(answer.rfind("HTTP/1.1 200", 0) == 0);

  httplib::MultipartFormDataItems items = {{"content", "from a form", "", ""}};
  auto m = c.Post("/api/memory/remember", items);
  REQUIRE(m);
  CHECK(m->status == 415);
  // The connection stays usable after a drained multipart body.
  auto h = c.Get("/health");
  REQUIRE(h);
  CHECK(h->status == 200);
}

TEST_CASE("a stalled client cannot block other requests", "[integration][api][slow-client]") {
  TempDir dir;
  auto d = start_daemon(dir, "server:\n  readTimeoutMs: 1000\n");
  // Several connections that send half a request and stall.
  std::vector<int> socks;
  for (int i = 0; i < 8; ++i) {
    int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(d->port()));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
    std::string partial = "POST /api/memory/remember HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"con";
    REQUIRE(::send(s, partial.data(), partial.size(), 0) > 0);
    socks.push_back(s);
  }
  for (int i = 0; i < 20; ++i) {
    auto r = d->post("/api/memory/remember", json{{"content", "while stalled " + std::to_string(i)}}.dump());
    CHECK(r.status == 200);
  }
  // The stalled ones are cut off by the read timeout.
  char buf[512];
  for (int s : socks) {
    timeval tv{5, 0};
    ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ssize_t n = ::recv(s, buf, sizeof(buf), 0);
    CHECK(n >= 0);  // answered or closed, not left hanging
    ::close(s);
  }
}

TEST_CASE("logs are listed and streamed", "[integration][api][logs]") {
  TempDir dir;
  auto d = start_daemon(dir);
  auto l = d->get("/api/logs?limit=50");
  REQUIRE(l.status == 200);
  json logs = l.json();
  CHECK(logs["count"].get<int>() >= 1);
  bool saw_listening = false;
  for (const auto& e : logs["logs"])
    if (e["message"].get<std::string>().find("listening on") != std::string::npos) saw_listening = true;
  CHECK(saw_listening);
  CHECK(d->get("/api/logs?level=error").json()["count"] == 0);
  CHECK(d->get("/api/logs?level=loud").status == 400);

  std::string received;
  httplib::Client c("127.0.0.1", d->port());
  c.set_read_timeout(10, 0);
  std::thread trigger([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    d->signal(SIGHUP);  // logs "configuration reloaded"
  });
  auto res = c.Get("/api/logs/stream", [&](const char* data, size_t n) {
    received.append(data, n);
    return received.find("configuration reloaded") == std::string::npos;
  });
  trigger.join();
  CHECK_THAT(received, Catch::StartsWith("data: {\"type\":\"connected\"}"));
  CHECK_THAT(received, Catch::Contains("configuration reloaded"));
}

TEST_CASE("health reports resources and projection checkpoints; status and features answer", "[integration][api]") {
  TempDir dir;
  auto d = start_daemon(dir);
  remember(*d, {{"content", "something"}});
  json h = d->get("/health").json();
  CHECK(h["status"] == "healthy");
  CHECK(h["pid"] == d->pid());
  CHECK(h["port"] == d->port());
  CHECK(h["resources"]["openFds"].get<int>() > 0);
  CHECK(h["resources"]["rssBytes"].get<uint64_t>() > 0);
  CHECK(h["resources"]["threads"].get<int>() > 0);
  CHECK(h["resources"]["projections"].contains("memories"));
  json s = d->get("/api/status").json();
  CHECK(s["status"] == "running");
  CHECK(s["memoryDb"] == true);
  CHECK(s["pipelineV2"]["mutationsFrozen"] == false);
  CHECK(d->get("/api/features").json().is_object());
}

TEST_CASE("a restart keeps every memory and version", "[integration][api]") {
  TempDir dir;
  std::string id;
  {
    auto d = start_daemon(dir);
    id = remember(*d, {{"content", "survives restarts"}});
    REQUIRE(d->patch("/api/memory/" + id, json{{"importance", 0.4}, {"reason", "x"}}.dump()).status == 200);
    d->signal(SIGTERM);
    CHECK(d->wait_exit(std::chrono::seconds(10)) == 0);
  }
  auto d = start_daemon(dir);
  json row = d->get("/api/memory/" + id).json();
  CHECK(row["version"] == 2);
  CHECK(row["importance"] == 0.4);
}
