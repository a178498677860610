#include "api/file_watcher.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "journal/log.h"

namespace signet::api {

Result<std::unique_ptr<FileWatcher>> FileWatcher::start(const std::string& workspace, OnConfigChange on_config_change,
                                                        std::chrono::milliseconds debounce) {
  std::unique_ptr<FileWatcher> w(new FileWatcher());
  w->on_config_change_ = std::move(on_config_change);
  w->debounce_ = debounce;
  w->inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (w->inotify_fd_ < 0) return Status::IOError(std::string("inotify: ") + std::strerror(errno));
  if (pipe2(w->wake_fd_, O_CLOEXEC | O_NONBLOCK) != 0) return Status::IOError("cannot create the watcher's pipe");
  const uint32_t mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_MOVED_FROM;
  if (inotify_add_watch(w->inotify_fd_, workspace.c_str(), mask) < 0)
    return Status::IOError("cannot watch " + workspace + ": " + std::strerror(errno));
  std::string memory_dir = (std::filesystem::path(workspace) / "memory").string();
  inotify_add_watch(w->inotify_fd_, memory_dir.c_str(), mask);  // optional: it may not exist yet
  FileWatcher* p = w.get();
  w->thread_ = std::thread([p] { p->loop(); });
  return w;
}

FileWatcher::~FileWatcher() {
  stop();
  if (inotify_fd_ >= 0) ::close(inotify_fd_);
  for (int fd : wake_fd_)
    if (fd >= 0) ::close(fd);
}

void FileWatcher::stop() {
  if (!thread_.joinable()) return;
  char b = 1;
  ssize_t n = ::write(wake_fd_[1], &b, 1);
  (void)n;
  thread_.join();
}

void FileWatcher::loop() {
  bool config_changed = false;
  auto due = std::chrono::steady_clock::time_point::max();
  alignas(inotify_event) char buf[16 * 1024];
  for (;;) {
    int timeout_ms = -1;
    if (config_changed) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(due - std::chrono::steady_clock::now());
      timeout_ms = static_cast<int>(std::max<int64_t>(0, left.count()));
    }
    pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {wake_fd_[0], POLLIN, 0}};
    int r = ::poll(fds, 2, timeout_ms);
    if (r < 0 && errno != EINTR) return;
    if (fds[1].revents) return;
    if (r > 0 && (fds[0].revents & POLLIN)) {
      ssize_t n;
      while ((n = ::read(inotify_fd_, buf, sizeof(buf))) > 0) {
        for (char* p = buf; p < buf + n;) {
          auto* e = reinterpret_cast<inotify_event*>(p);
          if (e->len > 0) {
            std::string name(e->name);
            if (name == "agent.yaml" || name == "AGENT.yaml" || name == "config.yaml") {
              config_changed = true;
              due = std::chrono::steady_clock::now() + debounce_;  // editors write in several steps
            }
          }
          if (e->mask & IN_Q_OVERFLOW) log::get("daemon")->warn("file watcher queue overflowed; some changes were missed");
          p += sizeof(inotify_event) + e->len;
        }
      }
    }
    if (config_changed && std::chrono::steady_clock::now() >= due) {
      config_changed = false;
      due = std::chrono::steady_clock::time_point::max();
      if (on_config_change_) on_config_change_();
    }
  }
}

}  // namespace signet::api
