// A directory for ledger files, removed with its contents at exit.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <string>

namespace certme {

class LedgerTempDir {
 public:
  LedgerTempDir() {
    std::string tmpl = (std::filesystem::path(::testing::TempDir()) / "certme-ledger-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed for " << tmpl;
    path_ = tmpl;
  }
  ~LedgerTempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  LedgerTempDir(const LedgerTempDir&) = delete;
  LedgerTempDir& operator=(const LedgerTempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // A path inside the directory that no earlier call returned. Thread-safe.
  std::string NewFile(const std::string& suffix) { return (path_ / (std::to_string(++counter_) + suffix)).string(); }

 private:
  std::filesystem::path path_;
  std::atomic<int> counter_{0};
};

// One directory per test binary.
inline LedgerTempDir& LedgerTestDir() {
  static LedgerTempDir dir;
  return dir;
}

}  // namespace certme
