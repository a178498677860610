#include "api/process_stats.h"

#include <dirent.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace signet::api {

ProcessStats read_process_stats() {
  ProcessStats s;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') ++s.open_fds;
    closedir(d);
    if (s.open_fds > 0) --s.open_fds;  // the descriptor of the listing itself
  }
  if (FILE* f = std::fopen("/proc/self/status", "r")) {
    char line[256];
    while (std::fgets(line, sizeof(line), f)) {
      unsigned long long v = 0;
      if (std::sscanf(line, "VmRSS: %llu kB", &v) == 1) s.rss_bytes = v * 1024;
      else if (std::sscanf(line, "Threads: %llu", &v) == 1) s.threads = v;
    }
    std::fclose(f);
  }
  return s;
}

}  // namespace signet::api
