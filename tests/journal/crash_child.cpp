// Child process of crash_test: remembers, modifies and forgets from several
// threads as fast as it can, and after each acknowledged command appends one
// line to the ack log ("<op> <id> <version> <content_hash>\n", one write(2)
// per line, so a line is either whole or absent). The parent SIGKILLs it.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "engine/content.h"
#include "engine/engine.h"

using namespace signet;

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: crash_child JOURNAL_DIR ACK_LOG THREADS\n");
    return 2;
  }
  journal::JournalOptions o;
  o.path = argv[1];
  o.sync = journal::SyncMode::kAlways;
  o.model = &engine::Engine::stream_model();
  auto j = journal::Journal::open(o);
  if (!j.ok()) {
    std::fprintf(stderr, "open: %s\n", j.status().ToString().c_str());
    return 1;
  }
  engine::Engine eng(**j, {});
  int ack = ::open(argv[2], O_WRONLY | O_APPEND | O_CREAT, 0644);
  if (ack < 0) return 1;
  int threads = std::atoi(argv[3]);
  std::atomic<uint64_t> counter{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::mt19937_64 rng(static_cast<uint64_t>(getpid()) * 131 + static_cast<uint64_t>(t));
      std::vector<std::string> mine;
      for (;;) {
        std::string line;
        uint64_t n = counter++;
        int dice = static_cast<int>(rng() % 10);
        if (mine.empty() || dice < 6) {
          engine::RememberCommand c;
          c.content = "crash memory pid " + std::to_string(getpid()) + " n " + std::to_string(n);
          auto r = eng.remember(c);
          if (!r.ok()) continue;
          mine.push_back(r->memory.id);
          line = "R " + r->memory.id + " " + std::to_string(r->memory.version) + " " + r->memory.content_hash + "\n";
        } else if (dice < 9) {
          engine::ModifyCommand m;
          m.id = mine[rng() % mine.size()];
          m.content = "modified memory pid " + std::to_string(getpid()) + " n " + std::to_string(n);
          m.reason = "crash test";
          auto r = eng.modify(m);
          if (!r.ok() || r->refusal) continue;
          line = "M " + m.id + " " + std::to_string(r->new_version) + " " + engine::content_hash(*m.content) + "\n";
        } else {
          engine::ForgetCommand f;
          f.id = mine[rng() % mine.size()];
          f.reason = "crash test";
          auto r = eng.forget(f);
          if (!r.ok() || r->refusal) continue;
          line = "F " + f.id + " " + std::to_string(r->new_version) + " -\n";
        }
        if (::write(ack, line.data(), line.size()) != static_cast<ssize_t>(line.size())) std::abort();
      }
    });
  }
  for (auto& w : workers) w.join();
  return 0;
}
