// What /health reports about the process itself (the lesson of upstream's
// descriptor leak): open file descriptors, resident memory, threads.
#pragma once

#include <cstdint>

namespace signet::api {

struct ProcessStats {
  uint64_t open_fds = 0;
  uint64_t rss_bytes = 0;
  uint64_t threads = 0;
};

ProcessStats read_process_stats();  // from /proc/self

}  // namespace signet::api
