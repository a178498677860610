#include "tools/bench/machine.h"

#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

namespace signet::bench {
namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) s.pop_back();
  size_t i = s.find_first_not_of(" \t");
  return i == std::string::npos ? "" : s.substr(i);
}

std::string fs_name_from_magic(long magic) {
  switch (static_cast<unsigned long>(magic)) {
    case 0xEF53: return "ext2/3/4";
    case 0x01021994: return "tmpfs";
    case 0x58465342: return "xfs";
    case 0x9123683E: return "btrfs";
    case 0x794c7630: return "overlayfs";
    case 0x2FC12FC1: return "zfs";
    case 0x6969: return "nfs";
    case 0xF2F52010: return "f2fs";
    default: {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "magic 0x%lx", static_cast<unsigned long>(magic));
      return buf;
    }
  }
}

// mountinfo fields: id parent major:minor root mountpoint options ... - fstype source superoptions
void mount_of(const std::string& path, Machine& m) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  size_t best = 0;
  while (std::getline(in, line)) {
    std::istringstream ss(line);
    std::string id, parent, devno, root, mountpoint;
    ss >> id >> parent >> devno >> root >> mountpoint;
    size_t dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream rest(line.substr(dash + 3));
    std::string fstype, source;
    rest >> fstype >> source;
    bool prefix = path.compare(0, mountpoint.size(), mountpoint) == 0 &&
                  (mountpoint == "/" || path.size() == mountpoint.size() || path[mountpoint.size()] == '/');
    if (prefix && mountpoint.size() >= best) {
      best = mountpoint.size();
      m.workdir_fs = fstype;
      m.workdir_device = source;
      m.workdir_mount = mountpoint;
    }
  }
}

}  // namespace

double load_average_1m() {
  double a = 0;
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf", &a) != 1) a = 0;
    std::fclose(f);
  }
  return a;
}

Machine probe_machine(const std::string& workdir) {
  Machine m;
  m.workdir = workdir;
  {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    int processors = 0;
    while (std::getline(in, line)) {
      auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string key = trim(line.substr(0, colon)), value = trim(line.substr(colon + 1));
      if (key == "processor") ++processors;
      else if (key == "model name" && m.cpu_model.empty()) m.cpu_model = value;
      else if (key == "cpu MHz" && m.cpu_mhz == 0) m.cpu_mhz = std::atof(value.c_str());
    }
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    m.cpus = online > 0 ? static_cast<int>(online) : processors;
    if (m.cpu_model.empty()) m.cpu_model = "unknown";
  }
  {
    std::ifstream in("/proc/meminfo");
    std::string key;
    uint64_t kb = 0;
    std::string unit;
    while (in >> key >> kb >> unit)
      if (key == "MemTotal:") {
        m.ram_bytes = kb * 1024;
        break;
      }
  }
  struct utsname u{};
  if (uname(&u) == 0) {
    m.kernel = std::string(u.sysname) + " " + u.release;
    m.hostname = u.nodename;
  }
  mount_of(workdir, m);
  struct statfs sf{};
  if (m.workdir_fs.empty() && statfs(workdir.c_str(), &sf) == 0) m.workdir_fs = fs_name_from_magic(sf.f_type);
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf %lf", &m.loadavg_1m, &m.loadavg_5m) != 2) m.loadavg_1m = m.loadavg_5m = 0;
    std::fclose(f);
  }
  return m;
}

std::string Machine::line() const {
  char buf[768];
  std::snprintf(buf, sizeof(buf), "%s x%d (%.0f MHz), %.1f GiB RAM, %s, workdir %s on %s (%s), load %.2f/%.2f",
                cpu_model.c_str(), cpus, cpu_mhz, static_cast<double>(ram_bytes) / (1024.0 * 1024 * 1024),
                kernel.c_str(), workdir.c_str(), workdir_fs.c_str(), workdir_device.c_str(), loadavg_1m,
                loadavg_5m);
  return buf;
}

nlohmann::json Machine::to_json() const {
  return {{"cpu_model", cpu_model},   {"cpus", cpus},
          {"cpu_mhz", cpu_mhz},       {"ram_bytes", ram_bytes},
          {"kernel", kernel},         {"hostname", hostname},
          {"workdir", workdir},       {"workdir_fs", workdir_fs},
          {"workdir_device", workdir_device}, {"workdir_mount", workdir_mount},
          {"loadavg_1m", loadavg_1m}, {"loadavg_5m", loadavg_5m}};
}

}  // namespace signet::bench
