// Fuzz target for the whole HTTP request path of the memory API: routing,
// path and query decoding, authorisation, body parsing and the route
// handlers, through Daemon::handle (api/daemon.h), which runs one request the
// way the server does, without a socket.
//
// One Daemon per process, on a scratch workspace: builtin embedder, journal
// sync off (speed; durability is not what is tested here), a small
// server.maxBodyBytes (so the 413 path is reached), logs to the ring only.
// It starts with a few memories whose ids are the "real" ids below. State
// carries over between inputs (what one input remembers or forgets, the next
// sees), as it does in a running daemon.
//
// Input:  <route byte> <flags byte> <id> "\n" <query string> "\n" <body>
//   route: index into kRoutes (mod its size): every memory route, plus
//          health, status, logs and embeddings;
//   flags: bit 0   the :id is the <id> bytes (percent-encoded into the path)
//                  rather than a real id; bits 1-3 pick the real id;
//          bit 4   send x-signet-actor: <id bytes>;
//          bit 5   send x-signet-actor-type: agent;
//          bit 6   send x-signet-session-id: <id bytes>;
//          bit 7   send X-Request-Id: <id bytes>.
// A missing part is empty. SIGNET_FUZZ_VERBOSE=1 prints each request and its answer.
//
// Checked: no status >= 500 (a 5xx for input a client can send is a bug,
// DESIGN.md section 9); every answer's body is a JSON object (a streamed one
// is not run), and a refusal carries "error" or a mutation's "status" word.
#include <nlohmann/json.hpp>

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/daemon.h"
#include "engine/config.h"
#include "journal/log.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_workspace.h"
#include "tests/fuzz/http_request_routes.h"

using namespace signet;
using signet::api::Method;
using signet::fuzz::kRouteCount;
using signet::fuzz::kRoutes;
using signet::fuzz::Route;

namespace {

constexpr size_t kMaxBodyBytes = 2048;

const char* const kSeedContents[] = {
    "User prefers vim keybindings in every editor",
    "We deploy the API to production every Tuesday after the review",
    "Never use tabs for indentation in Python files; use four spaces",
    "Decided to use PostgreSQL instead of MySQL for the analytics database",
    "L'équipe préfère le café noir — 東京 office uses UTF-8",
    "Backups of the journal run nightly at 02:00 UTC",
    "Redis is used as the session cache for the web app",
    "API keys are stored in the vault, never in the repository",
};

void fail(const char* what, Method method, const std::string& target, const api::Response& res) {
  std::fprintf(stderr, "%s: %.*s %s -> %d %s\n", what, static_cast<int>(api::method_name(method).size()),
               api::method_name(method).data(), target.c_str(), res.status, res.body.substr(0, 2000).c_str());
  __builtin_trap();
}

// Members in this order: the daemon closes before its workspace goes.
struct Fixture {
  fuzz::FuzzWorkspace workspace{"http-fuzz"};
  std::unique_ptr<api::Daemon> daemon;
  std::vector<std::string> ids;  // remembered at start; some may be forgotten by inputs since

  Fixture() {
    log::Options lo;
    lo.console = false;  // the ring only: /api/logs has entries, stderr stays readable
    lo.level = "info";
    log::configure(lo);
    engine::Config config;
    config.embedding.provider = "builtin";
    config.journal.sync = "off";
    config.server.max_body_bytes = kMaxBodyBytes;
    config.search.read_wait_ms = 500;
    api::DaemonOptions options;
    options.workspace = workspace.path();
    options.host = "127.0.0.1";
    options.port = 0;
    options.config = config;
    auto opened = api::Daemon::open(std::move(options));
    FUZZ_CHECK(opened.ok(), opened.status().ToString().c_str());
    daemon = std::move(*opened);
    for (const char* content : kSeedContents) {
      nlohmann::json body = {{"content", content}, {"tags", "seed,fuzz"}, {"who", "fuzz"}};
      api::Response res = daemon->handle(Method::kPost, "/api/memory/remember", body.dump());
      FUZZ_CHECK(res.status == 200, res.body.c_str());
      ids.push_back(nlohmann::json::parse(res.body).at("id").get<std::string>());
    }
  }
};

std::string percent_encode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

// The next "\n"-terminated part of `rest` (all of it if there is no newline).
std::string_view next_line(std::string_view& rest) {
  size_t nl = rest.find('\n');
  std::string_view line = rest.substr(0, nl);
  rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture fixture;
  if (size < 2) return 0;
  const Route& route = kRoutes[data[0] % kRouteCount];
  const uint8_t flags = data[1];
  std::string_view rest(reinterpret_cast<const char*>(data) + 2, size - 2);
  std::string_view id_bytes = next_line(rest);
  std::string_view query = next_line(rest);
  std::string body(rest);

  std::string id = (flags & 1) ? percent_encode(id_bytes) : fixture.ids[(flags >> 1) % fixture.ids.size()];
  std::string target = route.target;
  if (size_t at = target.find("{id}"); at != std::string::npos) target.replace(at, 4, id);
  if (!query.empty()) target += "?" + std::string(query);

  std::vector<std::pair<std::string, std::string>> headers;
  if (flags & 0x10) headers.emplace_back("x-signet-actor", std::string(id_bytes));
  if (flags & 0x20) headers.emplace_back("x-signet-actor-type", "agent");
  if (flags & 0x40) headers.emplace_back("x-signet-session-id", std::string(id_bytes));
  if (flags & 0x80) headers.emplace_back("X-Request-Id", std::string(id_bytes));
  if (!body.empty()) headers.emplace_back("Content-Type", "application/json");

  api::Response res = fixture.daemon->handle(route.method, target, body, headers);
  static const bool verbose = std::getenv("SIGNET_FUZZ_VERBOSE") != nullptr;  // to see what seeds reach
  if (verbose)
    std::fprintf(stderr, "%.*s %s -> %d %.200s\n", static_cast<int>(api::method_name(route.method).size()),
                 api::method_name(route.method).data(), target.c_str(), res.status, res.body.c_str());
  if (res.status >= 500) fail("a 5xx for a request a client can send", route.method, target, res);
  if (res.status < 100) fail("not an HTTP status", route.method, target, res);
  if (res.stream) return 0;
  if (res.content_type != "application/json") fail("not application/json", route.method, target, res);
  nlohmann::json j = nlohmann::json::parse(res.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) fail("a body that is not a JSON object", route.method, target, res);
  // A refusal says why: {"error": ...}, or a mutation's status word (409 version_conflict, ...).
  if (res.status >= 400 && !j.contains("error") && !j.contains("status"))
    fail("a refusal that does not say why", route.method, target, res);
  return 0;
}
