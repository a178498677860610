// The machine a result was measured on, from /proc, uname and statfs, so a
// figure is never recorded without it.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace signet::bench {

struct Machine {
  std::string cpu_model;      // /proc/cpuinfo "model name"
  int cpus = 0;               // online processors
  double cpu_mhz = 0;         // first "cpu MHz" line, 0 when absent
  uint64_t ram_bytes = 0;     // MemTotal
  std::string kernel;         // uname -sr
  std::string hostname;
  std::string workdir;
  std::string workdir_fs;     // type from mountinfo (ext4, tmpfs, ...), else from the statfs magic
  std::string workdir_device;
  std::string workdir_mount;
  double loadavg_1m = 0;      // at the start of the run: a busy machine says so
  double loadavg_5m = 0;

  std::string line() const;  // one line for the top of the report
  nlohmann::json to_json() const;
};

Machine probe_machine(const std::string& workdir);

// Current 1-minute load average, 0 when unreadable.
double load_average_1m();

}  // namespace signet::bench
