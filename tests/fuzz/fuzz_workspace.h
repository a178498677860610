// A scratch directory for fuzz targets that need storage (a daemon's
// workspace, a small index): made once per process under $TMPDIR (or /tmp),
// removed when the process exits normally. Header-only, so that each target
// stays one source file plus regression_main.cpp.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace signet::fuzz {

class FuzzWorkspace {
 public:
  explicit FuzzWorkspace(const char* name) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/signet-" + name + "-XXXXXX";
    if (!mkdtemp(pattern.data())) {
      std::perror("mkdtemp");
      std::abort();
    }
    path_ = pattern;
  }
  ~FuzzWorkspace() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  FuzzWorkspace(const FuzzWorkspace&) = delete;
  FuzzWorkspace& operator=(const FuzzWorkspace&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace signet::fuzz
