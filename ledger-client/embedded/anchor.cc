#include "ledger-client/embedded/anchor.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

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

Status FsyncDirOf(const std::string& path) {
  return FsyncPath(std::filesystem::absolute(path).parent_path().string(), O_RDONLY | O_DIRECTORY);
}

// Decimal without sign or leading '+', at most 19 digits.
std::optional<uint64_t> ParseCount(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

// "0x" and exactly 2*n hex digits.
std::optional<std::string> ParseHexField(std::string_view s, size_t n) {
  if (s.size() != 2 + 2 * n || s.substr(0, 2) != "0x") return std::nullopt;
  auto b = HexDecode(s.substr(2));
  if (!b || b->size() != n) return std::nullopt;
  return *b;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  for (;;) {
    size_t at = s.find(sep, pos);
    if (at == std::string_view::npos) {
      out.push_back(s.substr(pos));
      return out;
    }
    out.push_back(s.substr(pos, at - pos));
    pos = at + 1;
  }
}

// Up to `limit` bytes of `path` (all of it when shorter); from its end when
// `tail`. -errno on failure.
int ReadSome(const std::string& path, size_t limit, bool tail, std::string* out) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  if (tail) {
    struct stat st {};
    if (fstat(fd, &st) == 0 && static_cast<size_t>(st.st_size) > limit)
      (void)lseek(fd, st.st_size - static_cast<off_t>(limit), SEEK_SET);
  }
  char buf[4096];
  ssize_t n;
  while (out->size() < limit && (n = read(fd, buf, sizeof buf)) > 0) out->append(buf, static_cast<size_t>(n));
  close(fd);
  return 0;
}

// Writes all of `text` to a file opened with `flags` (mode 0600 if created).
Status WriteWhole(const std::string& path, int flags, const std::string& text, bool durable, const std::string& what) {
  int fd = open(path.c_str(), flags | O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Internal("cannot write " + what + " " + path, std::strerror(errno));
  bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  if (ok && durable) ok = fsync(fd) == 0;
  const int err = errno;
  close(fd);
  if (!ok) return Internal("cannot write " + what + " " + path, std::strerror(err));
  return Status::Ok();
}

std::string Hex(std::string_view b) { return "0x" + HexEncode(b); }

}  // namespace

Bytes32 AnchorDigest(uint64_t count, std::string_view hash) {
  std::string buf = "certME ledger anchor v2";
  for (int i = 7; i >= 0; --i) buf.push_back(static_cast<char>(count >> (8 * i)));
  buf.append(hash);
  return Keccak256(buf);
}

Anchor SignAnchor(const EthKey& key, uint64_t count, std::string_view hash) {
  EthSignature s = key.SignDigest(AnchorDigest(count, hash));
  return {count, std::string(hash), std::string(reinterpret_cast<const char*>(s.rsv.data()), s.rsv.size())};
}

StatusOr<std::string> AnchorSigner(const Anchor& a) {
  if (a.sig.size() != 65) return FailedPrecondition("the anchor is not signed");
  EthSignature s;
  std::memcpy(s.rsv.data(), a.sig.data(), 65);
  auto who = RecoverAddress(AnchorDigest(a.count, a.hash), s);
  if (!who.ok()) return FailedPrecondition("the anchor's signature is not valid");
  return *who;
}

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
  std::string text;
  if (int rc = ReadSome(path, 1024, /*tail=*/false, &text); rc != 0) {
    if (rc == -ENOENT) return NotFound("no anchor " + path);
    return FailedPrecondition("cannot read the ledger's anchor " + path, std::strerror(-rc));
  }
  auto bad = [&] {
    return FailedPrecondition("LedgerTruncated: the ledger's anchor " + path +
                              " is not readable (damaged); the log's length cannot be confirmed");
  };
  // "certme-ledger-head <v>", count, hash[, signature], and a final newline.
  std::vector<std::string_view> lines = Split(text, '\n');
  if (lines.empty() || !lines.back().empty()) return bad();
  lines.pop_back();
  const bool v1 = lines.size() == 3 && lines[0] == "certme-ledger-head 1";
  const bool v2 = lines.size() == 4 && lines[0] == "certme-ledger-head 2";
  if (!v1 && !v2) return bad();
  auto count = ParseCount(lines[1]);
  auto hash = ParseHexField(lines[2], 32);
  if (!count || !hash) return bad();
  Anchor a{*count, *hash, ""};
  if (v2) {
    auto sig = ParseHexField(lines[3], 65);
    if (!sig) return bad();
    a.sig = *sig;
  }
  return a;
}

Status WriteAnchor(const std::string& log, const Anchor& a, bool durable) {
  const std::string path = AnchorPath(log), tmp = path + ".tmp";
  const std::string text =
      "certme-ledger-head 2\n" + std::to_string(a.count) + "\n" + Hex(a.hash) + "\n" + Hex(a.sig) + "\n";
  CERTME_RETURN_IF_ERROR(WriteWhole(tmp, O_TRUNC, text, durable, "the ledger's anchor"));
  if (rename(tmp.c_str(), path.c_str()) != 0)
    return Internal("cannot replace the ledger's anchor " + path, std::strerror(errno));
  if (durable) CERTME_RETURN_IF_ERROR(FsyncDirOf(log));
  return Status::Ok();
}

Status AdvanceAnchor(const std::string& log, const Anchor& a, bool durable, const std::string& checkpoint_file) {
  FileLock lock;
  CERTME_RETURN_IF_ERROR(lock.Acquire(AnchorPath(log) + ".lock", LOCK_EX));
  auto cur = ReadAnchor(log);
  if (cur.ok() && !cur->sig.empty() && cur->count >= a.count) return Status::Ok();
  CERTME_RETURN_IF_ERROR(WriteAnchor(log, a, durable));
  if (!checkpoint_file.empty()) CERTME_RETURN_IF_ERROR(AppendCheckpoint(checkpoint_file, a, durable));
  return Status::Ok();
}

Status AppendCheckpoint(const std::string& file, const Anchor& a, bool durable) {
  const bool existed = std::filesystem::exists(file);
  const std::string line =
      "certme-ledger-checkpoint 2 " + std::to_string(a.count) + " " + Hex(a.hash) + " " + Hex(a.sig) + "\n";
  CERTME_RETURN_IF_ERROR(WriteWhole(file, O_APPEND, line, durable, "the ledger's checkpoint file"));
  if (durable && !existed) CERTME_RETURN_IF_ERROR(FsyncDirOf(file));
  return Status::Ok();
}

StatusOr<Anchor> ReadLastCheckpoint(const std::string& file) {
  std::string text;
  if (int rc = ReadSome(file, 4096, /*tail=*/true, &text); rc != 0) {
    if (rc == -ENOENT) return NotFound("no checkpoint file " + file);
    return FailedPrecondition("cannot read the ledger's checkpoint file " + file, std::strerror(-rc));
  }
  auto bad = [&] {
    return FailedPrecondition("the ledger's checkpoint file " + file + " is not readable (its last line is damaged)");
  };
  // The last complete line; a torn final write (no newline) is ignored.
  size_t end = text.rfind('\n');
  if (end == std::string::npos) return bad();
  size_t start = text.rfind('\n', end == 0 ? 0 : end - 1);
  start = (start == std::string::npos || start >= end) ? 0 : start + 1;
  if (end == 0) return bad();
  std::vector<std::string_view> f = Split(std::string_view(text).substr(start, end - start), ' ');
  if (f.size() != 5 || f[0] != "certme-ledger-checkpoint" || f[1] != "2") return bad();
  auto count = ParseCount(f[2]);
  auto hash = ParseHexField(f[3], 32);
  auto sig = ParseHexField(f[4], 65);
  if (!count || !hash || !sig) return bad();
  return Anchor{*count, *hash, *sig};
}

}  // namespace certme::embedded
