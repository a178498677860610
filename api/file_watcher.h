// Watches the workspace with one inotify descriptor on its directories (the
// workspace and memory/), never one per file: a workspace with thousands of
// files costs no descriptors (the lesson of upstream's descriptor leak).
// A change to agent.yaml, AGENT.yaml or config.yaml is reported once things
// settle (debounce), and the daemon reloads its configuration as on SIGHUP.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "journal/status.h"

namespace signet::api {

class FileWatcher {
 public:
  using OnConfigChange = std::function<void()>;
  static Result<std::unique_ptr<FileWatcher>> start(const std::string& workspace, OnConfigChange on_config_change,
                                                    std::chrono::milliseconds debounce = std::chrono::milliseconds(500));
  ~FileWatcher();  // stops
  void stop();

 private:
  FileWatcher() = default;
  void loop();
  int inotify_fd_ = -1;
  int wake_fd_[2] = {-1, -1};
  OnConfigChange on_config_change_;
  std::chrono::milliseconds debounce_{500};
  std::thread thread_;
};

}  // namespace signet::api
