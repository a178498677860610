// Crash safety of the journal and the engine: a child process remembers,
// modifies and forgets from 8 threads with sync=always and logs every
// acknowledgement; we SIGKILL it at a random moment, reopen, and check that
// every acknowledged command is there with its acknowledged version and
// content, that nothing is half-applied, that verify is clean, and that the
// memories projection catches up to the journal's head and agrees with it.
// Cycles: 3 by default; SIGNET_CRASH_CYCLES raises it (make soak).
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "engine/engine.h"
#include "projections/memories/memories_projection.h"
#include "tests/support/temp_dir.h"

using namespace signet;
using signet::testing::TempDir;

namespace {

struct Acked {
  uint64_t version = 0;
  std::string content_hash;  // "-" for a forget
  bool deleted = false;
};

std::map<std::string, Acked> read_acks(const std::string& path, size_t& lines) {
  std::map<std::string, Acked> acks;
  std::ifstream in(path);
  std::string line;
  lines = 0;
  while (std::getline(in, line)) {
    std::istringstream ss(line);
    std::string op, id, hash;
    uint64_t version = 0;
    ss >> op >> id >> version >> hash;
    REQUIRE(!id.empty());
    ++lines;
    Acked& a = acks[id];
    REQUIRE(version > a.version);  // per memory, one thread: log order is commit order
    a.version = version;
    if (op == "F") {
      a.deleted = true;
    } else {
      a.content_hash = hash;
      a.deleted = false;
    }
  }
  return acks;
}

pid_t spawn_child(const std::string& journal_dir, const std::string& ack_log) {
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    execl(SIGNET_CRASH_CHILD, SIGNET_CRASH_CHILD, journal_dir.c_str(), ack_log.c_str(), "8",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

}  // namespace

TEST_CASE("every acknowledged command survives SIGKILL and the projection catches up", "[crash]") {
  TempDir dir;
  std::string journal_dir = dir.sub("journal"), ack_log = dir.sub("acks.log");
  int cycles = 3;
  if (const char* env = std::getenv("SIGNET_CRASH_CYCLES")) cycles = std::max(1, std::atoi(env));
  std::mt19937 rng(std::random_device{}());
  size_t total_acks = 0;

  for (int cycle = 0; cycle < cycles; ++cycle) {
    pid_t pid = spawn_child(journal_dir, ack_log);
    std::this_thread::sleep_for(std::chrono::milliseconds(150 + rng() % 400));
    REQUIRE(kill(pid, SIGKILL) == 0);
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFSIGNALED(status));

    size_t lines = 0;
    auto acks = read_acks(ack_log, lines);
    INFO("cycle " << cycle << ": " << lines << " acknowledged commands on " << acks.size() << " memories");
    REQUIRE(lines > total_acks);  // the child made progress this cycle
    total_acks = lines;

    journal::JournalOptions o;
    o.path = journal_dir;
    o.model = &engine::Engine::stream_model();
    auto j = journal::Journal::open(o);
    REQUIRE(j.ok());
    engine::Engine eng(**j, {});
    auto verified = (*j)->verify();
    REQUIRE(verified.ok());

    for (const auto& [id, a] : acks) {
      auto head = eng.get(id);
      REQUIRE(head.ok());
      REQUIRE(head->has_value());
      const auto& m = **head;
      // The acknowledged state, or the state of one more command that committed
      // but was killed before its acknowledgement was logged.
      REQUIRE(m.version >= a.version);
      REQUIRE(m.version <= a.version + 1);
      if (m.version == a.version) {
        CHECK(m.deleted == a.deleted);
        if (!a.deleted) CHECK(m.content_hash == a.content_hash);
      }
    }

    std::string views_dir = dir.sub("views");
    auto views = projections::ViewsDb::open(views_dir, nullptr);
    REQUIRE(views.ok());
    auto memories = projections::MemoriesProjection::open(*views);
    REQUIRE(memories.ok());
    projections::ProjectionRunner runner(**j, **memories);
    REQUIRE(runner.catch_up().ok());
    CHECK((*memories)->checkpoint() == (*j)->last_seq());
    for (const auto& [id, a] : acks) {
      auto row = (*memories)->get(id);
      REQUIRE(row.ok());
      REQUIRE(row->has_value());
      auto head = **eng.get(id);
      CHECK((*row)->version == head.version);
      CHECK((*row)->deleted == head.deleted);
      CHECK((*row)->content_hash == head.content_hash);
      CHECK((*row)->content == head.content);
    }
  }
}
