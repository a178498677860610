// A directory under $TMPDIR (or /tmp) removed when the object goes away,
// unless SIGNET_TEST_KEEP=1.
#pragma once

#include <string>

namespace signet::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace signet::testing
