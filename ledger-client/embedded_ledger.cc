#include "ledger-client/embedded_ledger.h"

#include <fcntl.h>
#include <poll.h>
#include <sqlite3.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "common/encoding.h"
#include "common/log.h"
#include "ledger-client/abi.h"
#include "ledger-client/attributes.h"
#include "ledger-client/registry_abi.h"

namespace certme {
namespace {

// 'cmLG': marks a sqlite file as a certME ledger (PRAGMA application_id).
constexpr int32_t kApplicationId = 0x636d4c47;
constexpr int kFormatVersion = 1;
// Fallback re-check for foreign entries when no file event arrives (a file
// system without inotify); file events normally wake the watcher at once.
constexpr int kWatcherFallbackMs = 2000;

const std::string kZeroAddress(20, '\0');

std::string Hex(std::string_view b) { return "0x" + HexEncode(b); }
std::string Addr(std::string_view a) { return a.size() == 20 ? ChecksumAddress(a) : Hex(a); }

Bytes32 EntryHash(const Bytes32& prev, uint64_t seq, int64_t time, std::string_view tx) {
  std::string buf(abi::AsView(prev));
  for (int i = 7; i >= 0; --i) buf.push_back(static_cast<char>(seq >> (8 * i)));
  for (int i = 7; i >= 0; --i) buf.push_back(static_cast<char>(static_cast<uint64_t>(time) >> (8 * i)));
  buf.append(tx);
  return Keccak256(buf);
}

// ---------------------------------------------------------------- anchor
//
// `<log>.head` records how long the log was after the newest durable
// append: "certme-ledger-head 1\n<count>\n0x<hash of entry count>\n". It is
// replaced atomically (temp file, fsync, rename, fsync of the directory) by
// the process that appended, under an exclusive flock of `<log>.head.lock`,
// and only ever moves forward. See docs/ledger.md §4 for what it proves.

struct Anchor {
  uint64_t count = 0;
  std::string hash;  // 32 bytes
};

class FileLock {
 public:
  FileLock() = default;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock() {
    if (fd_ >= 0) close(fd_);  // closing releases the flock
  }
  Status Acquire(const std::string& path, int op) {
    fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) return Internal("cannot open the ledger's anchor lock " + path, std::strerror(errno));
    while (flock(fd_, op) != 0) {
      if (errno != EINTR) return Internal("cannot lock " + path, std::strerror(errno));
    }
    return Status::Ok();
  }

 private:
  int fd_ = -1;
};

std::string AnchorPath(const std::string& log) { return log + ".head"; }

// NotFound when there is no anchor; FailedPrecondition when it is unreadable.
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

Status FsyncPath(const std::string& path, int flags) {
  int fd = open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return Internal("cannot open " + path, std::strerror(errno));
  int rc = fsync(fd);
  close(fd);
  if (rc != 0) return Internal("cannot fsync " + path, std::strerror(errno));
  return Status::Ok();
}

// REQUIRES: the exclusive anchor lock.
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

// Moves the anchor forward to (count, hash) unless another process already
// recorded as much or more.
Status AdvanceAnchor(const std::string& log, const Anchor& a, bool durable) {
  FileLock lock;
  CERTME_RETURN_IF_ERROR(lock.Acquire(AnchorPath(log) + ".lock", LOCK_EX));
  auto cur = ReadAnchor(log);
  if (cur.ok() && cur->count >= a.count) return Status::Ok();
  return WriteAnchor(log, a, durable);
}

// ---------------------------------------------------------------- state

struct State {
  bool initialized = false;
  uint64_t chain_id = 0;
  std::string registry, admin;
  std::unordered_set<std::string> validators, providers;
  std::unordered_map<std::string, EidRecord> eids;
  std::unordered_map<std::string, uint64_t> tx_nonces;
  std::unordered_set<std::string> used_consents;  // user ‖ nonce
  std::vector<ValidationRequest> requests;         // id = index + 1
  std::unordered_map<std::string, std::set<uint64_t>> open_by_validator;
  std::vector<LedgerEvent> events;  // block order
  std::unordered_map<std::string, std::vector<size_t>> events_by_user;
  uint64_t head = 0;
  Bytes32 head_hash{};
  int64_t head_time = 0;
};

// A checked call: the events it will emit and the state change, which
// cannot fail (checks first, effects after, as a contract is written).
struct Plan {
  std::vector<LedgerEvent> events;
  std::function<void(State&, int64_t time)> apply;
};

bool HasDuplicates(const std::vector<Bytes32>& v) {
  std::set<Bytes32> s(v.begin(), v.end());
  return s.size() != v.size();
}

Status CheckAttributeArrays(const std::vector<Bytes32>& keys, const std::vector<Bytes32>& commitments) {
  if (keys.empty()) return LedgerError(LedgerErrorCode::kEmptyAttributes, "no attributes given");
  if (keys.size() != commitments.size())
    return LedgerError(LedgerErrorCode::kLengthMismatch, "attribute keys and commitments differ in number");
  if (HasDuplicates(keys)) return LedgerError(LedgerErrorCode::kDuplicateAttribute, "an attribute key repeats");
  return Status::Ok();
}

// The admin, or the eID's enrolling validator while it is authorized.
Status CheckEidAuthority(const State& s, const std::string& from, const EidRecord& eid) {
  if (from == s.admin) return Status::Ok();
  if (!s.validators.count(from))
    return LedgerError(LedgerErrorCode::kNotAuthorized, "only the scheme administrator or the enrolling validator");
  if (eid.validator != from)
    return LedgerError(LedgerErrorCode::kNotEnrollingValidator, "this eID was enrolled by another validator");
  return Status::Ok();
}

StatusOr<const EidRecord*> FindEid(const State& s, const std::string& user) {
  auto it = s.eids.find(user);
  if (it == s.eids.end()) return LedgerError(LedgerErrorCode::kNoEid, Addr(user) + " has no eID");
  return &it->second;
}

LedgerEvent MakeEvent(EventKind kind, const std::string& actor) {
  LedgerEvent e;
  e.kind = kind;
  e.actor = actor;
  return e;
}

StatusOr<Plan> PlanRoleChange(const State& s, const std::string& from, const RegistryCall& c) {
  if (from != s.admin) return LedgerError(LedgerErrorCode::kNotAuthorized, "only the scheme administrator");
  if (c.account == kZeroAddress) return LedgerError(LedgerErrorCode::kZeroAddress, "account is the zero address");
  const bool validator = c.method == RegistryMethod::kAddValidator || c.method == RegistryMethod::kRemoveValidator;
  const bool add = c.method == RegistryMethod::kAddValidator || c.method == RegistryMethod::kAddProvider;
  const auto& set = validator ? s.validators : s.providers;
  const char* role = validator ? "validator" : "service provider";
  if (add && set.count(c.account))
    return LedgerError(LedgerErrorCode::kAlreadyAuthorized, Addr(c.account) + " is already an authorized " + role);
  if (!add && !set.count(c.account))
    return LedgerError(LedgerErrorCode::kNotListed, Addr(c.account) + " is not an authorized " + role);
  Plan p;
  LedgerEvent e = MakeEvent(validator ? (add ? EventKind::kValidatorAdded : EventKind::kValidatorRemoved)
                                      : (add ? EventKind::kProviderAdded : EventKind::kProviderRemoved),
                            from);
  (validator ? e.validator : e.provider) = c.account;
  p.events.push_back(e);
  p.apply = [validator, add, account = c.account](State& st, int64_t) {
    auto& set = validator ? st.validators : st.providers;
    if (add) {
      set.insert(account);
    } else {
      set.erase(account);
    }
  };
  return p;
}

StatusOr<Plan> PlanIssue(const State& s, const std::string& from, const RegistryCall& c) {
  if (!s.validators.count(from))
    return LedgerError(LedgerErrorCode::kNotAuthorized, "only an authorized validator issues eIDs");
  if (c.account == kZeroAddress) return LedgerError(LedgerErrorCode::kZeroAddress, "user is the zero address");
  CERTME_RETURN_IF_ERROR(CheckAttributeArrays(c.attr_keys, c.commitments));
  if (c.loa < kLoaLow || c.loa > kLoaHigh)
    return LedgerError(LedgerErrorCode::kInvalidLoa, "level of assurance must be 1 (low), 2 (substantial) or 3 (high)");
  if (s.eids.count(c.account))
    return LedgerError(LedgerErrorCode::kEidExists, Addr(c.account) + " already holds an eID");
  Plan p;
  LedgerEvent e = MakeEvent(EventKind::kEidIssued, from);
  e.user = c.account;
  e.validator = from;
  e.loa = c.loa;
  e.attr_keys = c.attr_keys;
  e.commitments = c.commitments;
  p.events.push_back(e);
  p.apply = [c, from](State& st, int64_t t) {
    EidRecord r;
    r.user = c.account;
    r.validator = from;
    r.status = EidStatus::kActive;
    r.loa = c.loa;
    r.attr_keys = c.attr_keys;
    r.commitments = c.commitments;
    r.issued_at = r.updated_at = t;
    st.eids[c.account] = std::move(r);
  };
  return p;
}

StatusOr<Plan> PlanUpdate(const State& s, const std::string& from, const RegistryCall& c) {
  if (!s.validators.count(from))
    return LedgerError(LedgerErrorCode::kNotAuthorized, "only an authorized validator updates attributes");
  CERTME_ASSIGN_OR_RETURN(const EidRecord* eid, FindEid(s, c.account));
  if (eid->validator != from)
    return LedgerError(LedgerErrorCode::kNotEnrollingValidator, "this eID was enrolled by another validator");
  if (eid->status != EidStatus::kActive)
    return LedgerError(LedgerErrorCode::kEidNotActive, std::string("the eID is ") + EidStatusName(eid->status));
  CERTME_RETURN_IF_ERROR(CheckAttributeArrays(c.attr_keys, c.commitments));
  Plan p;
  LedgerEvent e = MakeEvent(EventKind::kAttributesUpdated, from);
  e.user = c.account;
  e.validator = from;
  e.attr_keys = c.attr_keys;
  e.commitments = c.commitments;
  p.events.push_back(e);
  p.apply = [c](State& st, int64_t t) {
    EidRecord& r = st.eids[c.account];
    for (size_t i = 0; i < c.attr_keys.size(); ++i) {
      auto it = std::find(r.attr_keys.begin(), r.attr_keys.end(), c.attr_keys[i]);
      if (it == r.attr_keys.end()) {
        r.attr_keys.push_back(c.attr_keys[i]);
        r.commitments.push_back(c.commitments[i]);
      } else {
        r.commitments[it - r.attr_keys.begin()] = c.commitments[i];
      }
    }
    r.updated_at = t;
  };
  return p;
}

StatusOr<Plan> PlanStatus(const State& s, const std::string& from, const RegistryCall& c) {
  CERTME_ASSIGN_OR_RETURN(const EidRecord* eid, FindEid(s, c.account));
  CERTME_RETURN_IF_ERROR(CheckEidAuthority(s, from, *eid));
  EidStatus to;
  switch (c.method) {
    case RegistryMethod::kSuspendEid:
      if (eid->status != EidStatus::kActive)
        return LedgerError(LedgerErrorCode::kEidNotActive, std::string("the eID is ") + EidStatusName(eid->status));
      to = EidStatus::kSuspended;
      break;
    case RegistryMethod::kReactivateEid:
      if (eid->status != EidStatus::kSuspended)
        return LedgerError(LedgerErrorCode::kNotSuspended, std::string("the eID is ") + EidStatusName(eid->status));
      to = EidStatus::kActive;
      break;
    default:  // revoke: final
      if (eid->status == EidStatus::kRevoked)
        return LedgerError(LedgerErrorCode::kEidNotActive, "the eID is already revoked");
      to = EidStatus::kRevoked;
      break;
  }
  Plan p;
  LedgerEvent e = MakeEvent(EventKind::kEidStatusChanged, from);
  e.user = c.account;
  e.validator = eid->validator;
  e.status = to;
  p.events.push_back(e);
  p.apply = [user = c.account, to](State& st, int64_t t) {
    EidRecord& r = st.eids[user];
    r.status = to;
    r.updated_at = t;
  };
  return p;
}

StatusOr<Plan> PlanRequest(const State& s, const std::string& from, const RegistryCall& c, int64_t now) {
  if (!s.providers.count(from))
    return LedgerError(LedgerErrorCode::kNotAuthorized, "only an authorized service provider requests validation");
  if (c.attr_keys.empty()) return LedgerError(LedgerErrorCode::kEmptyAttributes, "no attributes requested");
  if (HasDuplicates(c.attr_keys))
    return LedgerError(LedgerErrorCode::kDuplicateAttribute, "an attribute key repeats");
  CERTME_ASSIGN_OR_RETURN(const EidRecord* eid, FindEid(s, c.account));
  if (eid->status != EidStatus::kActive)
    return LedgerError(LedgerErrorCode::kEidNotActive, std::string("the eID is ") + EidStatusName(eid->status));
  for (const auto& k : c.attr_keys)
    if (std::find(eid->attr_keys.begin(), eid->attr_keys.end(), k) == eid->attr_keys.end())
      return LedgerError(LedgerErrorCode::kUnknownAttribute,
                         "the eID holds no commitment for attribute key " + Hex(abi::AsView(k)));
  if (now >= static_cast<int64_t>(std::min<uint64_t>(c.expiry, INT64_MAX)))
    return LedgerError(LedgerErrorCode::kExpired, "the consent expired");
  if (c.signature.empty()) return LedgerError(LedgerErrorCode::kNoConsent, "no consent signature");
  if (c.signature.size() != 65)
    return LedgerError(LedgerErrorCode::kBadSignature, "consent signature must be 65 bytes (r‖s‖v)");
  EthSignature sig;
  std::copy(c.signature.begin(), c.signature.end(), sig.rsv.begin());
  Consent consent{c.account, from, c.attr_keys, c.nonce, c.expiry};
  Eip712Domain domain;
  domain.chain_id = s.chain_id;
  domain.verifying_contract = s.registry;
  auto signer = RecoverConsentSigner(domain, consent, sig);
  if (!signer.ok()) return LedgerError(LedgerErrorCode::kBadSignature, "consent signature is malformed");
  if (*signer != c.account)
    return LedgerError(LedgerErrorCode::kBadSignature,
                       "consent is not signed by the user for this provider, attributes, nonce, expiry and registry");
  const std::string nonce_key = c.account + std::string(abi::AsView(c.nonce));
  if (s.used_consents.count(nonce_key))
    return LedgerError(LedgerErrorCode::kNonceUsed, "this consent was already used");
  Plan p;
  const uint64_t id = s.requests.size() + 1;
  LedgerEvent e = MakeEvent(EventKind::kValidationRequested, from);
  e.request_id = id;
  e.provider = from;
  e.user = c.account;
  e.validator = eid->validator;
  e.attr_keys = c.attr_keys;
  e.expiry = static_cast<int64_t>(std::min<uint64_t>(c.expiry, INT64_MAX));
  p.events.push_back(e);
  p.apply = [e, nonce_key, nonce = c.nonce](State& st, int64_t t) {
    ValidationRequest r;
    r.id = e.request_id;
    r.provider = e.provider;
    r.user = e.user;
    r.validator = e.validator;
    r.attr_keys = e.attr_keys;
    r.nonce = nonce;
    r.expiry = e.expiry;
    r.requested_at = t;
    st.requests.push_back(std::move(r));
    st.used_consents.insert(nonce_key);
    st.open_by_validator[e.validator].insert(e.request_id);
  };
  return p;
}

StatusOr<Plan> PlanAnswer(const State& s, const std::string& from, const RegistryCall& c, int64_t now) {
  if (c.request_id == 0 || c.request_id > s.requests.size())
    return LedgerError(LedgerErrorCode::kUnknownRequest, "no validation request " + std::to_string(c.request_id));
  const ValidationRequest& r = s.requests[c.request_id - 1];
  if (!s.validators.count(from))
    return LedgerError(LedgerErrorCode::kNotAuthorized, "only an authorized validator answers");
  if (r.validator != from)
    return LedgerError(LedgerErrorCode::kNotEnrollingValidator, "only the validator that enrolled the user answers");
  if (r.status != RequestStatus::kOpen)
    return LedgerError(LedgerErrorCode::kAlreadyAnswered, "request " + std::to_string(r.id) + " was already answered");
  if (now >= r.expiry) return LedgerError(LedgerErrorCode::kExpired, "the request expired");
  const EidRecord& eid = s.eids.at(r.user);
  if (eid.status != EidStatus::kActive)
    return LedgerError(LedgerErrorCode::kEidNotActive, std::string("the eID is ") + EidStatusName(eid.status));
  if (c.commitments.size() != r.attr_keys.size())
    return LedgerError(LedgerErrorCode::kLengthMismatch, "one commitment per requested attribute");
  if (c.loa < kLoaLow || c.loa > eid.loa)
    return LedgerError(LedgerErrorCode::kInvalidLoa, "level of assurance must be between 1 and the eID's");
  for (size_t i = 0; i < r.attr_keys.size(); ++i) {
    auto it = std::find(eid.attr_keys.begin(), eid.attr_keys.end(), r.attr_keys[i]);
    if (it == eid.attr_keys.end() || eid.commitments[it - eid.attr_keys.begin()] != c.commitments[i])
      return LedgerError(LedgerErrorCode::kCommitmentMismatch,
                         "answer for attribute key " + Hex(abi::AsView(r.attr_keys[i])) +
                             " differs from the eID's commitment");
  }
  Plan p;
  LedgerEvent e = MakeEvent(EventKind::kValidationAnswered, from);
  e.request_id = r.id;
  e.provider = r.provider;
  e.user = r.user;
  e.validator = from;
  e.attr_keys = r.attr_keys;
  e.commitments = c.commitments;
  e.loa = c.loa;
  e.expiry = r.expiry;
  p.events.push_back(e);
  p.apply = [id = r.id, commitments = c.commitments, loa = c.loa](State& st, int64_t t) {
    ValidationRequest& req = st.requests[id - 1];
    req.status = RequestStatus::kAnswered;
    req.commitments = commitments;
    req.loa = loa;
    req.answered_at = t;
    st.open_by_validator[req.validator].erase(id);
  };
  return p;
}

// Everything a transaction must pass, in the order the EVM would check it.
StatusOr<Plan> PlanTransaction(const State& s, const SignedTransaction& tx, int64_t now) {
  CERTME_RETURN_IF_ERROR(VerifyTransactionSignature(tx));
  CERTME_ASSIGN_OR_RETURN(RegistryCall call, DecodeCall(tx.calldata));
  if (!s.initialized) {
    // Genesis: the administrator deploys the registry with its first
    // transaction; the address is where CREATE would put it.
    if (call.method != RegistryMethod::kInitialize || tx.nonce != 0 || call.account != tx.from ||
        tx.registry != CreateAddress(tx.from, 0) || tx.chain_id == 0)
      return LedgerError(LedgerErrorCode::kBadCalldata, "the first entry must be initialize() by the administrator");
    Plan p;
    LedgerEvent e = MakeEvent(EventKind::kRegistryCreated, tx.from);
    p.events.push_back(e);
    p.apply = [tx](State& st, int64_t) {
      st.initialized = true;
      st.chain_id = tx.chain_id;
      st.registry = tx.registry;
      st.admin = tx.from;
    };
    return p;
  }
  if (tx.chain_id != s.chain_id || tx.registry != s.registry)
    return LedgerError(LedgerErrorCode::kWrongChain, "transaction is for another chain or registry");
  auto nit = s.tx_nonces.find(tx.from);
  const uint64_t expected = nit == s.tx_nonces.end() ? 0 : nit->second;
  if (tx.nonce != expected)
    return LedgerError(LedgerErrorCode::kBadTxNonce, "sender nonce is " + std::to_string(expected) + ", transaction has " +
                                                         std::to_string(tx.nonce));
  switch (call.method) {
    case RegistryMethod::kInitialize:
      return LedgerError(LedgerErrorCode::kNotAuthorized, "the registry is already initialized");
    case RegistryMethod::kAddValidator:
    case RegistryMethod::kRemoveValidator:
    case RegistryMethod::kAddProvider:
    case RegistryMethod::kRemoveProvider:
      return PlanRoleChange(s, tx.from, call);
    case RegistryMethod::kIssueEid:
      return PlanIssue(s, tx.from, call);
    case RegistryMethod::kUpdateAttributes:
      return PlanUpdate(s, tx.from, call);
    case RegistryMethod::kSuspendEid:
    case RegistryMethod::kReactivateEid:
    case RegistryMethod::kRevokeEid:
      return PlanStatus(s, tx.from, call);
    case RegistryMethod::kRequestValidation:
      return PlanRequest(s, tx.from, call, now);
    case RegistryMethod::kAnswerValidation:
      return PlanAnswer(s, tx.from, call, now);
  }
  return LedgerError(LedgerErrorCode::kBadCalldata, "unknown function");
}

// ---------------------------------------------------------------- sqlite

class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr); }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3_stmt* get() { return s_; }
  void BindInt(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); }
  void BindBlob(int i, std::string_view b) {
    sqlite3_bind_blob(s_, i, b.data(), static_cast<int>(b.size()), SQLITE_TRANSIENT);
  }
  int Step() { return sqlite3_step(s_); }
  int64_t Int(int col) { return sqlite3_column_int64(s_, col); }
  std::string Blob(int col) {
    const void* p = sqlite3_column_blob(s_, col);
    int n = sqlite3_column_bytes(s_, col);
    return p ? std::string(static_cast<const char*>(p), n) : std::string();
  }

 private:
  sqlite3_stmt* s_ = nullptr;
  int rc_;
};

Status SqlError(sqlite3* db, const std::string& what) {
  return Unavailable("ledger storage error", what + ": " + (db ? sqlite3_errmsg(db) : "cannot open"));
}

Status Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown";
    sqlite3_free(err);
    return Unavailable("ledger storage error", std::string(sql).substr(0, 40) + ": " + msg);
  }
  return Status::Ok();
}

StatusOr<int64_t> QueryInt(sqlite3* db, const char* sql) {
  Stmt st(db, sql);
  if (!st.ok() || st.Step() != SQLITE_ROW) return SqlError(db, sql);
  return st.Int(0);
}

Status Damaged(uint64_t seq, const std::string& why) {
  return Internal("LedgerDamaged: entry " + std::to_string(seq) + ": " + why +
                  "; the ledger file was altered and cannot be trusted");
}

// ---------------------------------------------------------------- ledger

class EmbeddedLedgerImpl final : public EmbeddedLedger {
 public:
  explicit EmbeddedLedgerImpl(const EmbeddedLedgerOptions& o)
      : options_(o), clock_(o.clock ? o.clock : &SystemClock()) {}

  ~EmbeddedLedgerImpl() override {
    if (watcher_.joinable()) {
      uint64_t one = 1;
      ssize_t n = write(stop_fd_, &one, sizeof one);
      (void)n;
      watcher_.join();
    }
    if (stop_fd_ >= 0) close(stop_fd_);
    if (inotify_fd_ >= 0) close(inotify_fd_);
    if (db_) sqlite3_close_v2(db_);
  }

  Status OpenFile(bool create) {
    if (!create && !std::filesystem::exists(options_.path))
      return NotFound("no ledger at " + options_.path + " (create one with `certme ledger init`)");
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(options_.path.c_str(), &db_, flags, nullptr) != SQLITE_OK)
      return SqlError(db_, "open " + options_.path);
    sqlite3_busy_timeout(db_, static_cast<int>(options_.busy_timeout.count()));
    auto app_id_or = QueryInt(db_, "PRAGMA application_id");
    auto tables_or = QueryInt(db_, "SELECT count(*) FROM sqlite_master");
    if (!app_id_or.ok() || !tables_or.ok()) {
      const Status& st = app_id_or.ok() ? tables_or.status() : app_id_or.status();
      return FailedPrecondition(options_.path + " is not a certME ledger file", st.detail());
    }
    const int64_t app_id = *app_id_or, tables = *tables_or;
    if (app_id != kApplicationId) {
      if (!create || tables != 0)
        return FailedPrecondition(options_.path + " is not a certME ledger file");
      // A fresh file: lay out the schema once. Triggers make the table
      // append-only for every writer that does not drop them on purpose.
      CERTME_RETURN_IF_ERROR(Exec(db_, "PRAGMA journal_mode=WAL"));
      CERTME_RETURN_IF_ERROR(Exec(db_,
                                  "BEGIN IMMEDIATE;"
                                  "CREATE TABLE IF NOT EXISTS ledger_entries("
                                  "  seq INTEGER PRIMARY KEY, prev_hash BLOB NOT NULL, time INTEGER NOT NULL,"
                                  "  tx BLOB NOT NULL, hash BLOB NOT NULL);"
                                  "CREATE TRIGGER IF NOT EXISTS ledger_entries_no_update BEFORE UPDATE ON ledger_entries"
                                  "  BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;"
                                  "CREATE TRIGGER IF NOT EXISTS ledger_entries_no_delete BEFORE DELETE ON ledger_entries"
                                  "  BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;"
                                  "PRAGMA application_id=1668107335;"
                                  "PRAGMA user_version=1;"
                                  "COMMIT;"));
    } else {
      CERTME_ASSIGN_OR_RETURN(int64_t version, QueryInt(db_, "PRAGMA user_version"));
      if (version != kFormatVersion)
        return FailedPrecondition("ledger file format " + std::to_string(version) + " is not supported");
    }
    CERTME_RETURN_IF_ERROR(Exec(db_, "PRAGMA journal_mode=WAL"));
    CERTME_RETURN_IF_ERROR(Exec(db_, options_.sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"));
    return Status::Ok();
  }

  Status Replay() {
    std::lock_guard<std::mutex> w(write_mu_);
    // The anchor is read before the log: whatever it records was committed
    // before it was written, so the replay below sees at least that much
    // even while other processes keep appending.
    auto anchor = ReadAnchor(options_.path);
    if (!anchor.ok() && anchor.status().code() != StatusCode::kNotFound) return anchor.status();
    CERTME_RETURN_IF_ERROR(CatchUpLocked());
    if (!state_.initialized) return FailedPrecondition(options_.path + " holds no registry (no genesis entry)");
    if (!anchor.ok()) {
      LogWarn("ledger has no anchor; recreating it from the verified log (a ledger from before anchors, or the "
              "anchor was removed)",
              {{"path", options_.path}, {"anchor", AnchorPath(options_.path)}, {"entries", state_.head}});
    } else {
      const std::string counts = "the log holds " + std::to_string(state_.head) + " entries, its anchor " +
                                 AnchorPath(options_.path) + " records " + std::to_string(anchor->count);
      if (anchor->count > state_.head)
        return Truncated(counts + ": the newest entries were cut off the log");
      CERTME_ASSIGN_OR_RETURN(std::string hash, EntryHashAt(anchor->count));
      if (hash != anchor->hash)
        return Truncated(counts + ", and entry " + std::to_string(anchor->count) +
                         " differs from the one the anchor records: the log was cut and rewritten");
      if (anchor->count == state_.head) return Status::Ok();
      // Longer than the anchor: a writer stopped between its commit and the
      // anchor update. The extra entries passed the same verification.
    }
    return AdvanceAnchor(options_.path, {state_.head, std::string(abi::AsView(state_.head_hash))},
                         options_.sync_full);
  }

  Status Truncated(const std::string& why) {
    Status st = Internal("LedgerTruncated: " + why + "; the ledger file cannot be trusted");
    LogError("ledger verification failed", {{"path", options_.path}, {"error", st.message()}});
    return st;
  }

  // REQUIRES: write_mu_; seq <= state_.head (a verified entry).
  StatusOr<std::string> EntryHashAt(uint64_t seq) {
    if (seq == 0) return std::string(32, '\0');
    Stmt q(db_, "SELECT hash FROM ledger_entries WHERE seq = ?");
    if (!q.ok()) return SqlError(db_, "read entry");
    q.BindInt(1, static_cast<int64_t>(seq));
    if (q.Step() != SQLITE_ROW) return SqlError(db_, "read entry");
    return q.Blob(0);
  }

  Status Genesis(const EthKey& admin, uint64_t chain_id) {
    std::lock_guard<std::mutex> w(write_mu_);
    // A new log: an anchor left by a removed one does not apply to it.
    FileLock lock;
    CERTME_RETURN_IF_ERROR(lock.Acquire(AnchorPath(options_.path) + ".lock", LOCK_EX));
    CERTME_RETURN_IF_ERROR(Exec(db_, "BEGIN IMMEDIATE"));
    Status st = CatchUpLocked();
    if (st.ok() && state_.head != 0) st = AlreadyExists("a ledger already exists at " + options_.path);
    if (!st.ok()) {
      (void)Exec(db_, "ROLLBACK");
      return st;
    }
    auto r = AppendLocked(
        SignTransaction(admin, chain_id, CreateAddress(admin.address(), 0), 0, InitializeCall(admin.address())),
        /*update_anchor=*/false);
    if (!r.ok()) return r.status();
    return WriteAnchor(options_.path, {state_.head, std::string(abi::AsView(state_.head_hash))}, options_.sync_full);
  }

  void StartWatcher() {
    if (!options_.watch_file) return;
    stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    inotify_fd_ = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (inotify_fd_ >= 0) {
      std::filesystem::path dir = std::filesystem::absolute(options_.path).parent_path();
      if (inotify_add_watch(inotify_fd_, dir.c_str(), IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
        close(inotify_fd_);
        inotify_fd_ = -1;
      }
    }
    {
      std::lock_guard<std::mutex> w(write_mu_);
      auto v = QueryInt(db_, "PRAGMA data_version");
      data_version_ = v.ok() ? *v : 0;
    }
    watcher_ = std::thread([this] { WatchLoop(); });
  }

  // ---- Ledger ----

  uint64_t ChainId() const override { return chain_id_; }
  std::string RegistryAddress() const override { return registry_; }

  StatusOr<TxReceipt> Transact(const EthKey& sender, std::string_view calldata) override {
    if (calldata.size() > kMaxCalldataBytes) return LedgerError(LedgerErrorCode::kBadCalldata, "calldata too large");
    std::lock_guard<std::mutex> w(write_mu_);
    CERTME_RETURN_IF_ERROR(BeginLocked());
    auto it = state_.tx_nonces.find(sender.address());
    const uint64_t nonce = it == state_.tx_nonces.end() ? 0 : it->second;
    return AppendLocked(SignTransaction(sender, chain_id_, registry_, nonce, std::string(calldata)));
  }

  StatusOr<TxReceipt> Submit(const SignedTransaction& tx) override {
    if (tx.calldata.size() > kMaxCalldataBytes) return LedgerError(LedgerErrorCode::kBadCalldata, "calldata too large");
    std::lock_guard<std::mutex> w(write_mu_);
    CERTME_RETURN_IF_ERROR(BeginLocked());
    return AppendLocked(tx);
  }

  StatusOr<uint64_t> NextNonce(std::string_view account) override {
    std::shared_lock<std::shared_mutex> r(state_mu_);
    CERTME_RETURN_IF_ERROR(damaged_);
    auto it = state_.tx_nonces.find(std::string(account));
    return it == state_.tx_nonces.end() ? 0 : it->second;
  }

  Bytes32 HeadHash() override {
    std::shared_lock<std::shared_mutex> r(state_mu_);
    return state_.head_hash;
  }

  Status Sync() override {
    std::lock_guard<std::mutex> w(write_mu_);
    return CatchUpLocked();
  }

  StatusOr<std::string> Admin() override {
    std::shared_lock<std::shared_mutex> r(state_mu_);
    CERTME_RETURN_IF_ERROR(damaged_);
    return state_.admin;
  }

  StatusOr<bool> IsValidator(std::string_view a) override {
    std::shared_lock<std::shared_mutex> r(state_mu_);
    CERTME_RETURN_IF_ERROR(damaged_);
    return state_.validators.count(std::string(a)) > 0;
  }

  StatusOr<bool> IsProvider(std::string_view a) override {
    std::shared_lock<std::shared_mutex> r(state_mu_);
    CERTME_RETURN_IF_ERROR(damaged_);
    return state_.providers.count(std::string(a)) > 0;
  }

  StatusOr<EidRecord> GetEid(std::string_view user) override {
    std::shared_lock<std::shared_mutex> r(state_mu_);
    CERTME_RETURN_IF_ERROR(damaged_);
    auto it = state_.eids.find(std::string(user));
    if (it == state_.eids.end()) {
      EidRecord none;
      none.user = std::string(user);
      return none;
    }
    return it->second;
  }

  StatusOr<EidStatus> GetEidStatus(std::string_view user) override {
    std::shared_lock<std::shared_mutex> r(state_mu_);
    CERTME_RETURN_IF_ERROR(damaged_);
    auto it = state_.eids.find(std::string(user));
    return it == state_.eids.end() ? EidStatus::kNone : it->second.status;
  }

  StatusOr<ValidationRequest> GetRequest(uint64_t id) override {
    std::shared_lock<std::shared_mutex> r(state_mu_);
    CERTME_RETURN_IF_ERROR(damaged_);
    if (id == 0 || id > state_.requests.size())
      return LedgerError(LedgerErrorCode::kUnknownRequest, "no validation request " + std::to_string(id));
    return state_.requests[id - 1];
  }

  StatusOr<bool> IsConsentNonceUsed(std::string_view user, const Bytes32& nonce) override {
    std::shared_lock<std::shared_mutex> r(state_mu_);
    CERTME_RETURN_IF_ERROR(damaged_);
    return state_.used_consents.count(std::string(user) + std::string(abi::AsView(nonce))) > 0;
  }

  StatusOr<std::vector<ValidationRequest>> OpenRequests(std::string_view validator) override {
    const int64_t now = Now();
    std::shared_lock<std::shared_mutex> r(state_mu_);
    CERTME_RETURN_IF_ERROR(damaged_);
    std::vector<ValidationRequest> out;
    auto it = state_.open_by_validator.find(std::string(validator));
    if (it == state_.open_by_validator.end()) return out;
    for (uint64_t id : it->second) {
      const auto& req = state_.requests[id - 1];
      if (now < req.expiry) out.push_back(req);
    }
    return out;
  }

  StatusOr<std::vector<LedgerEvent>> Events(const EventFilter& f) override {
    std::shared_lock<std::shared_mutex> r(state_mu_);
    CERTME_RETURN_IF_ERROR(damaged_);
    return MatchingLocked(f);
  }

  StatusOr<uint64_t> BlockNumber() override {
    std::shared_lock<std::shared_mutex> r(state_mu_);
    CERTME_RETURN_IF_ERROR(damaged_);
    return state_.head;
  }

  int64_t Now() const override { return std::max(clock_->NowUnixSeconds(), head_time_.load()); }

  StatusOr<std::vector<LedgerEvent>> WaitForEvents(const EventFilter& f, Duration timeout) override {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::shared_lock<std::shared_mutex> r(state_mu_);
    for (;;) {
      CERTME_RETURN_IF_ERROR(damaged_);
      auto found = MatchingLocked(f);
      if (!found.empty()) return found;
      if (cv_.wait_until(r, deadline) == std::cv_status::timeout) {
        CERTME_RETURN_IF_ERROR(damaged_);
        return MatchingLocked(f);
      }
    }
  }

 private:
  // REQUIRES: state_mu_ held (shared or unique).
  std::vector<LedgerEvent> MatchingLocked(const EventFilter& f) const {
    std::vector<LedgerEvent> out;
    if (!f.user.empty()) {
      auto it = state_.events_by_user.find(f.user);
      if (it == state_.events_by_user.end()) return out;
      for (size_t i : it->second)
        if (EventMatches(f, state_.events[i])) out.push_back(state_.events[i]);
      return out;
    }
    // Events are in block order: skip straight past after_block.
    auto first = std::upper_bound(state_.events.begin(), state_.events.end(), f.after_block,
                                  [](uint64_t b, const LedgerEvent& e) { return b < e.block; });
    for (auto it = first; it != state_.events.end(); ++it)
      if (EventMatches(f, *it)) out.push_back(*it);
    return out;
  }

  // REQUIRES: write_mu_. Opens a write transaction and applies foreign entries.
  Status BeginLocked() {
    CERTME_RETURN_IF_ERROR(damaged_);
    CERTME_RETURN_IF_ERROR(Exec(db_, "BEGIN IMMEDIATE"));
    Status st = CatchUpLocked();
    if (!st.ok()) (void)Exec(db_, "ROLLBACK");
    return st;
  }

  // REQUIRES: write_mu_ and an open write transaction (BeginLocked).
  // Commits or rolls back before returning.
  StatusOr<TxReceipt> AppendLocked(const SignedTransaction& tx, bool update_anchor = true) {
    const int64_t now = std::max(clock_->NowUnixSeconds(), state_.head_time);
    // Reading state_ without state_mu_ is safe here: only holders of
    // write_mu_ change it.
    auto plan = PlanTransaction(state_, tx, now);
    if (!plan.ok()) {
      (void)Exec(db_, "ROLLBACK");
      return plan.status();
    }
    const std::string bytes = EncodeTransaction(tx);
    const uint64_t seq = state_.head + 1;
    const Bytes32 hash = EntryHash(state_.head_hash, seq, now, bytes);
    {
      Stmt ins(db_, "INSERT INTO ledger_entries(seq, prev_hash, time, tx, hash) VALUES(?,?,?,?,?)");
      if (!ins.ok()) {
        (void)Exec(db_, "ROLLBACK");
        return SqlError(db_, "prepare insert");
      }
      ins.BindInt(1, static_cast<int64_t>(seq));
      ins.BindBlob(2, abi::AsView(state_.head_hash));
      ins.BindInt(3, now);
      ins.BindBlob(4, bytes);
      ins.BindBlob(5, abi::AsView(hash));
      if (ins.Step() != SQLITE_DONE) {
        Status st = SqlError(db_, "append entry");
        (void)Exec(db_, "ROLLBACK");
        return st;
      }
    }
    if (Status st = Exec(db_, "COMMIT"); !st.ok()) {
      (void)Exec(db_, "ROLLBACK");
      return st;
    }
    TxReceipt receipt;
    receipt.block = seq;
    receipt.tx_hash = Keccak256(bytes);
    receipt.events = ApplyPlan(std::move(*plan), tx, seq, now, hash);
    cv_.notify_all();
    if (options_.before_anchor_update) options_.before_anchor_update(seq);
    if (update_anchor) {
      // The entry is committed whatever happens here; a missed update only
      // leaves the anchor behind, which the next append or open repairs.
      if (Status st = AdvanceAnchor(options_.path, {seq, std::string(abi::AsView(hash))}, options_.sync_full);
          !st.ok())
        LogError("ledger anchor not updated", {{"path", options_.path}, {"error", st.message()}});
    }
    return receipt;
  }

  // REQUIRES: write_mu_. Mutates state_ under the exclusive lock.
  std::vector<LedgerEvent> ApplyPlan(Plan plan, const SignedTransaction& tx, uint64_t seq, int64_t time,
                                     const Bytes32& hash) {
    std::unique_lock<std::shared_mutex> lk(state_mu_);
    plan.apply(state_, time);
    if (state_.initialized) ++state_.tx_nonces[tx.from];
    uint32_t index = 0;
    for (auto& e : plan.events) {
      e.block = seq;
      e.index = index++;
      e.time = time;
      const size_t pos = state_.events.size();
      state_.events.push_back(e);
      if (!e.user.empty()) state_.events_by_user[e.user].push_back(pos);
    }
    state_.head = seq;
    state_.head_hash = hash;
    state_.head_time = time;
    head_time_.store(time);
    if (chain_id_ == 0) {
      chain_id_ = state_.chain_id;
      registry_ = state_.registry;
    }
    return plan.events;
  }

  // REQUIRES: write_mu_. Verifies and applies every entry after the head.
  Status CatchUpLocked() {
    CERTME_RETURN_IF_ERROR(damaged_);
    Stmt q(db_, "SELECT seq, prev_hash, time, tx, hash FROM ledger_entries WHERE seq > ? ORDER BY seq");
    if (!q.ok()) return SqlError(db_, "read entries");
    q.BindInt(1, static_cast<int64_t>(state_.head));
    bool applied = false;
    int rc;
    while ((rc = q.Step()) == SQLITE_ROW) {
      Status st = VerifyAndApply(static_cast<uint64_t>(q.Int(0)), q.Blob(1), q.Int(2), q.Blob(3), q.Blob(4));
      if (!st.ok()) {
        LogError("ledger verification failed", {{"path", options_.path}, {"error", st.message()}});
        {
          std::unique_lock<std::shared_mutex> lk(state_mu_);
          damaged_ = st;
        }
        cv_.notify_all();
        return st;
      }
      applied = true;
    }
    if (rc != SQLITE_DONE) return SqlError(db_, "read entries");
    if (applied) cv_.notify_all();
    return Status::Ok();
  }

  Status VerifyAndApply(uint64_t seq, const std::string& prev, int64_t time, const std::string& bytes,
                        const std::string& hash) {
    const uint64_t want = state_.head + 1;
    if (seq != want)
      return Damaged(want, "missing (the next entry found is " + std::to_string(seq) + ")");
    if (prev.size() != 32 || prev != std::string(abi::AsView(state_.head_hash)))
      return Damaged(seq, "does not link to entry " + std::to_string(state_.head) +
                              " (an earlier entry was changed or removed)");
    if (hash.size() != 32 || hash != std::string(abi::AsView(EntryHash(state_.head_hash, seq, time, bytes))))
      return Damaged(seq, "its hash does not match its contents (the entry was modified)");
    if (time < state_.head_time) return Damaged(seq, "its time is before the previous entry's");
    auto tx = DecodeTransaction(bytes);
    if (!tx.ok()) return Damaged(seq, tx.status().message());
    auto plan = PlanTransaction(state_, *tx, time);
    if (!plan.ok()) return Damaged(seq, "its transaction does not execute: " + plan.status().message());
    ApplyPlan(std::move(*plan), *tx, seq, time, abi::ToBytes32(hash));
    return Status::Ok();
  }

  // A file event can arrive while the other process is still writing, before
  // its commit is visible; so each event also schedules a few short
  // re-checks (kSettleMs) until the commit shows in PRAGMA data_version.
  void WatchLoop() {
    static constexpr int kSettleMs[] = {5, 20, 80, 300};
    constexpr int kSettleSteps = sizeof kSettleMs / sizeof kSettleMs[0];
    std::vector<char> buf(4096);
    const std::string base = std::filesystem::path(options_.path).filename().string();
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
            if (name.substr(0, base.size()) == base && name.substr(base.size(), 5) != ".head") {
              check = true;
              settle = 0;
            }
            off += sizeof(inotify_event) + ev->len;
          }
        }
      }
      if (!check) continue;
      std::lock_guard<std::mutex> w(write_mu_);
      if (!damaged_.ok()) continue;
      auto v = QueryInt(db_, "PRAGMA data_version");
      if (!v.ok() || *v == data_version_) continue;
      data_version_ = *v;
      (void)CatchUpLocked();
    }
  }

  const EmbeddedLedgerOptions options_;
  Clock* const clock_;

  std::mutex write_mu_;  // serializes sqlite use and state changes
  sqlite3* db_ = nullptr;  // GUARDED_BY(write_mu_)
  int64_t data_version_ = 0;  // GUARDED_BY(write_mu_)

  mutable std::shared_mutex state_mu_;
  std::condition_variable_any cv_;  // new blocks, or damage found
  State state_;                     // written under write_mu_ + unique state_mu_
  Status damaged_;                  // set once verification fails; sticky
  std::atomic<int64_t> head_time_{0};

  // Fixed once the genesis entry is applied (before the object is shared).
  uint64_t chain_id_ = 0;
  std::string registry_;

  std::thread watcher_;
  int stop_fd_ = -1;
  int inotify_fd_ = -1;
};

}  // namespace

StatusOr<std::unique_ptr<EmbeddedLedger>> EmbeddedLedger::Create(const EmbeddedLedgerOptions& options,
                                                                  const EthKey& admin, uint64_t chain_id) {
  if (chain_id == 0) return InvalidArgument("chain id must be positive");
  auto l = std::make_unique<EmbeddedLedgerImpl>(options);
  CERTME_RETURN_IF_ERROR(l->OpenFile(/*create=*/true));
  CERTME_RETURN_IF_ERROR(l->Genesis(admin, chain_id));
  l->StartWatcher();
  return std::unique_ptr<EmbeddedLedger>(std::move(l));
}

StatusOr<std::unique_ptr<EmbeddedLedger>> EmbeddedLedger::Open(const EmbeddedLedgerOptions& options) {
  auto l = std::make_unique<EmbeddedLedgerImpl>(options);
  CERTME_RETURN_IF_ERROR(l->OpenFile(/*create=*/false));
  CERTME_RETURN_IF_ERROR(l->Replay());
  l->StartWatcher();
  return std::unique_ptr<EmbeddedLedger>(std::move(l));
}

}  // namespace certme
