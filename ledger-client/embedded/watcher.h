// Watches the embedded ledger's file for entries appended by other
// processes: inotify on the file's directory (the log and sqlite's -wal/-shm
// files, not the anchor's), with a slow fallback tick where inotify is
// missing. A file event can arrive while the other process is still
// writing, before its commit is visible; so each event also schedules a few
// short re-checks. The callback decides whether anything changed (PRAGMA
// data_version) and applies it.
#pragma once

#include <functional>
#include <string>
#include <thread>

namespace certme::embedded {

class LogWatcher {
 public:
  LogWatcher() = default;
  LogWatcher(const LogWatcher&) = delete;
  LogWatcher& operator=(const LogWatcher&) = delete;
  ~LogWatcher() { Stop(); }

  // Sets up the file events for `log` (falls back to the tick alone when
  // inotify is unavailable). Events from here on are not missed.
  void Watch(const std::string& log);
  // Starts the thread that calls `check` on every relevant event, settle
  // step and fallback tick. REQUIRES: Watch().
  void Run(std::function<void()> check);
  // Stops and joins the thread; idempotent.
  void Stop();

 private:
  void Loop();

  std::string base_;  // the log's file name
  std::function<void()> check_;
  std::thread thread_;
  int stop_fd_ = -1;
  int inotify_fd_ = -1;
};

}  // namespace certme::embedded
