#include "ledger-client/embedded/watcher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <string_view>
#include <vector>

namespace certme::embedded {
namespace {

// Fallback re-check for foreign entries when no file event arrives (a file
// system without inotify); file events normally wake the watcher at once.
constexpr int kWatcherFallbackMs = 2000;

}  // namespace

void LogWatcher::Watch(const std::string& log) {
  base_ = std::filesystem::path(log).filename().string();
  stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  inotify_fd_ = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (inotify_fd_ >= 0) {
    std::filesystem::path dir = std::filesystem::absolute(log).parent_path();
    if (inotify_add_watch(inotify_fd_, dir.c_str(), IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
      close(inotify_fd_);
      inotify_fd_ = -1;
    }
  }
}

void LogWatcher::Run(std::function<void()> check) {
  check_ = std::move(check);
  thread_ = std::thread([this] { Loop(); });
}

void LogWatcher::Stop() {
  if (thread_.joinable()) {
    uint64_t one = 1;
    ssize_t n = write(stop_fd_, &one, sizeof one);
    (void)n;
    thread_.join();
  }
  if (stop_fd_ >= 0) close(stop_fd_);
  if (inotify_fd_ >= 0) close(inotify_fd_);
  stop_fd_ = inotify_fd_ = -1;
}

// Each file event schedules re-checks after kSettleMs, until the other
// process's commit shows (the callback sees data_version change).
void LogWatcher::Loop() {
  static constexpr int kSettleMs[] = {5, 20, 80, 300};
  constexpr int kSettleSteps = sizeof kSettleMs / sizeof kSettleMs[0];
  std::vector<char> buf(4096);
  int settle = -1;  // index into kSettleMs; -1: idle
  for (;;) {
    pollfd fds[2] = {{stop_fd_, POLLIN, 0}, {inotify_fd_, POLLIN, 0}};
    int n = poll(fds, inotify_fd_ >= 0 ? 2 : 1, settle >= 0 ? kSettleMs[settle] : kWatcherFallbackMs);
    if (n < 0 && errno != EINTR) return;
    if (n > 0 && (fds[0].revents & POLLIN)) return;
    bool check = false;
    if (n == 0) {  // a settle step or the fallback tick
      check = true;
      if (settle >= 0) settle = settle + 1 < kSettleSteps ? settle + 1 : -1;
    }
    if (n > 0 && inotify_fd_ >= 0 && (fds[1].revents & POLLIN)) {
      ssize_t len;
      while ((len = read(inotify_fd_, buf.data(), buf.size())) > 0) {
        for (ssize_t off = 0; off < len;) {
          auto* ev = reinterpret_cast<inotify_event*>(buf.data() + off);
          // The log and sqlite's -wal/-shm files; not the anchor's
          // files, which change after every append and hold no entries.
          const std::string_view name = ev->len ? std::string_view(ev->name) : std::string_view();
          if (name.substr(0, base_.size()) == base_ && name.substr(base_.size(), 5) != ".head") {
            check = true;
            settle = 0;
          }
          off += sizeof(inotify_event) + ev->len;
        }
      }
    }
    if (check) check_();
  }
}

}  // namespace certme::embedded
