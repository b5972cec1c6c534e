#include "ledger-client/embedded/anchor.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "common/encoding.h"

namespace certme::embedded {
namespace {

Status FsyncPath(const std::string& path, int flags) {
  int fd = open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return Internal("cannot open " + path, std::strerror(errno));
  int rc = fsync(fd);
  close(fd);
  if (rc != 0) return Internal("cannot fsync " + path, std::strerror(errno));
  return Status::Ok();
}

}  // namespace

FileLock::~FileLock() {
  if (fd_ >= 0) close(fd_);  // closing releases the flock
}

Status FileLock::Acquire(const std::string& path, int op) {
  fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) return Internal("cannot open the ledger's anchor lock " + path, std::strerror(errno));
  while (flock(fd_, op) != 0) {
    if (errno != EINTR) return Internal("cannot lock " + path, std::strerror(errno));
  }
  return Status::Ok();
}

std::string AnchorPath(const std::string& log) { return log + ".head"; }

StatusOr<Anchor> ReadAnchor(const std::string& log) {
  const std::string path = AnchorPath(log);
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return NotFound("no anchor " + path);
    return FailedPrecondition("cannot read the ledger's anchor " + path, std::strerror(errno));
  }
  std::string text;
  char buf[256];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0 && text.size() < 1024) text.append(buf, static_cast<size_t>(n));
  close(fd);
  auto bad = [&] {
    return FailedPrecondition("LedgerTruncated: the ledger's anchor " + path +
                              " is not readable (damaged); the log's length cannot be confirmed");
  };
  const std::string magic = "certme-ledger-head 1\n";
  if (text.compare(0, magic.size(), magic) != 0) return bad();
  size_t pos = magic.size(), nl = text.find('\n', pos);
  if (nl == std::string::npos || nl == pos || nl - pos > 19) return bad();
  Anchor a;
  for (size_t i = pos; i < nl; ++i) {
    if (text[i] < '0' || text[i] > '9') return bad();
    a.count = a.count * 10 + static_cast<uint64_t>(text[i] - '0');
  }
  pos = nl + 1;
  nl = text.find('\n', pos);
  if (nl == std::string::npos || nl != text.size() - 1 || nl - pos != 66 || text.compare(pos, 2, "0x") != 0)
    return bad();
  auto h = HexDecode(std::string_view(text).substr(pos + 2, 64));
  if (!h || h->size() != 32) return bad();
  a.hash = *h;
  return a;
}

Status WriteAnchor(const std::string& log, const Anchor& a, bool durable) {
  const std::string path = AnchorPath(log), tmp = path + ".tmp";
  const std::string text = "certme-ledger-head 1\n" + std::to_string(a.count) + "\n0x" + HexEncode(a.hash) + "\n";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Internal("cannot write the ledger's anchor " + tmp, std::strerror(errno));
  bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  if (ok && durable) ok = fsync(fd) == 0;
  const int err = errno;
  close(fd);
  if (!ok) return Internal("cannot write the ledger's anchor " + tmp, std::strerror(err));
  if (rename(tmp.c_str(), path.c_str()) != 0)
    return Internal("cannot replace the ledger's anchor " + path, std::strerror(errno));
  if (durable) {
    std::string dir = std::filesystem::absolute(log).parent_path().string();
    CERTME_RETURN_IF_ERROR(FsyncPath(dir, O_RDONLY | O_DIRECTORY));
  }
  return Status::Ok();
}

Status AdvanceAnchor(const std::string& log, const Anchor& a, bool durable) {
  FileLock lock;
  CERTME_RETURN_IF_ERROR(lock.Acquire(AnchorPath(log) + ".lock", LOCK_EX));
  auto cur = ReadAnchor(log);
  if (cur.ok() && cur->count >= a.count) return Status::Ok();
  return WriteAnchor(log, a, durable);
}

}  // namespace certme::embedded
