// Fuzz target for engine/config.h parse_config: the agent.yaml a user (or an
// upstream Signet install) left in the workspace, read at start and on SIGHUP.
//
// Checked on any text:
//  - parse_config never crashes and never throws (no try here: an exception
//    escaping is a crash to libFuzzer and to the regression runner);
//  - a refusal is kInvalidArgument and its message starts with the file name,
//    so the operator knows which file to fix;
//  - an accepted config holds every limit parse_config promises to check.
#include <cstdint>
#include <string>

#include "engine/config.h"
#include "tests/fuzz/fuzz_check.h"

using namespace signet;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string name = "/ws/agent.yaml";
  std::string text(reinterpret_cast<const char*>(data), size);
  auto config = engine::parse_config(text, name);
  if (!config.ok()) {
    const Status& st = config.status();
    FUZZ_CHECK(st.code() == Code::kInvalidArgument, st.ToString().c_str());
    FUZZ_CHECK(st.message().rfind(name, 0) == 0, st.message().c_str());
    return 0;
  }
  const engine::Config& c = *config;
  FUZZ_CHECK(c.source_path == name, "source_path is not the file's name");
  FUZZ_CHECK(c.search.alpha >= 0 && c.search.alpha <= 1, "search.alpha out of [0, 1]");
  FUZZ_CHECK(c.search.top_k >= 1 && c.search.top_k <= 1000, "search.top_k out of [1, 1000]");
  FUZZ_CHECK(c.search.min_score >= 0 && c.search.min_score <= 1, "search.min_score out of [0, 1]");
  FUZZ_CHECK(c.memory.content_bytes_max >= 1024, "memory.content_bytes_max below 1024");
  FUZZ_CHECK(c.server.max_body_bytes >= 1024, "server.maxBodyBytes below 1024");
  FUZZ_CHECK(c.server.threads >= 2 && c.server.threads <= 1024, "server.threads out of [2, 1024]");
  FUZZ_CHECK(c.journal.sync == "always" || c.journal.sync == "batch" || c.journal.sync == "off",
             "journal.sync not always/batch/off");
  FUZZ_CHECK(c.auth.mode == "local" || c.auth.mode == "team" || c.auth.mode == "hybrid", "auth.mode unknown");
  FUZZ_CHECK(c.backup.keep >= 1, "backup.keep below 1");
  FUZZ_CHECK(c.log.level == "debug" || c.log.level == "info" || c.log.level == "warn" || c.log.level == "error",
             "log.level unknown");
  return 0;
}
