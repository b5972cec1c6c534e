// The live status of the eID behind a session or grant, as the protocol
// fronts see it, and the per-eID index that lets the server end everything
// an eID holds when the ledger suspends or revokes it.
//
// The protocol libraries never see the ledger (REPO_LAYOUT.md): the server
// implements EidStatusSource with it (idp/eid_watch.h: cached, invalidated
// by the ledger's EidStatusChanged events). Every use of a login after the
// login itself — code exchange, refresh, UserInfo, SSO reuse — asks it; an
// eID that is not active is refused, and a source that cannot answer makes
// the caller refuse with a temporary error (fail closed, never allow).
// Logins without an eID (LoginResult::eid empty: the development login)
// are never checked.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "common/status.h"

namespace certme {

class Store;

enum class EidLiveStatus { kActive, kSuspended, kRevoked };

class EidStatusSource {
 public:
  virtual ~EidStatusSource() = default;
  // The current status of `eid` (an address as LoginResult::eid carries
  // it). An eID the ledger does not know is kRevoked. Unavailable (or any
  // other error) when the status cannot be told now: the caller refuses
  // with a temporary error. Thread-safe; cheap when cached.
  virtual StatusOr<EidLiveStatus> Status(std::string_view eid) = 0;
};

// ---- the per-eID index (one Store record per eID and protocol) ----
//
// What a protocol front made from a login with an eID: its sessions and
// grants, each with its expiry, so that a suspension finds them without
// scanning the Store. One record per eID (key: the lowercase address) in the
// front's own namespace, updated with compare-and-swap; expired entries are
// pruned at every update and the record lives as long as its longest entry.
// At most kMaxEidIndexEntries: beyond that the entries closest to expiry
// are dropped (they are still refused while the eID is not active, by the
// status check at every use).
inline constexpr size_t kMaxEidIndexEntries = 512;

struct EidIndex {
  // id (a session key, a grant id, …) → {kind, expires_at}
  struct Entry {
    std::string kind;
    int64_t expires_at = 0;
  };
  std::map<std::string, Entry> entries;
};

// The index key of an address: lowercase, so EIP-55 and lowercase spellings
// name one record.
std::string EidIndexKey(std::string_view eid);

// Adds (or extends) one entry. An empty `eid` is a no-op.
Status AddToEidIndex(Store& store, std::string_view ns, std::string_view eid, std::string_view kind,
                     std::string_view id, int64_t expires_at, int64_t now);

// Takes the eID's whole index (consume-once: of two concurrent callers one
// gets it); an empty index when there is none. Live entries only.
StatusOr<EidIndex> TakeEidIndex(Store& store, std::string_view ns, std::string_view eid, int64_t now);

}  // namespace certme
