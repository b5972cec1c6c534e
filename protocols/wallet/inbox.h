// The wallet inbox (docs/wallet-protocol.md §8b): how a wallet learns of
// logins a service started for its user (OIDC CIBA) without a QR code. The
// wallet proves it holds the eID key by signing, with EIP-712 under the
// ledger's domain, a fresh single-use challenge the bridge gave it:
//
//   InboxAccess(address eid,bytes32 challenge,uint256 expiry)
//
// and gets the pending requests addressed to that eID as ordinary request
// documents (§3), answered exactly as a QR login (§4). Both sides use this
// file: the bridge parses the access (untrusted input, fuzzed by
// tests/fuzz/wallet_inbox_fuzz.cc) and the wallets build it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "crypto/ethereum.h"
#include "ledger-client/eip712.h"
#include "protocols/wallet/errors.h"

namespace certme::wallet {

inline constexpr char kInboxAccessType[] = "InboxAccess(address eid,bytes32 challenge,uint256 expiry)";

// Paths under the wallet API (kApiPath).
inline constexpr char kInboxChallengePath[] = "/inbox/challenge";  // GET: a fresh challenge
inline constexpr char kInboxPath[] = "/inbox";                     // POST: the signed access, long-poll

// Fields.
inline constexpr char kFieldChallenge[] = "challenge";
inline constexpr char kFieldExpiresIn[] = "expires_in";
inline constexpr char kFieldSignature[] = "signature";
inline constexpr char kFieldWait[] = "wait";  // seconds the bridge may hold the answer (0: none)
inline constexpr char kFieldRequests[] = "requests";
inline constexpr char kFieldDocument[] = "document";
inline constexpr char kFieldBindingMessage[] = "binding_message";

// Errors of the inbox (besides invalid_request and the 5xx of §7).
inline constexpr char kErrBadChallenge[] = "bad_challenge";  // 401: unknown, used or stale challenge
inline constexpr char kErrBadAccess[] = "bad_access";        // 401: the signature is not the eID's
inline constexpr char kErrNotAddressed[] = "not_addressed";  // 403: the login is addressed to another eID

// Limits: an access body is small; a challenge lives this long; the access's
// own expiry may be at most this far ahead (a signature is worth little
// for long); a long-poll lasts at most kMaxInboxWaitSeconds.
inline constexpr size_t kMaxInboxAccessBytes = 1024;
inline constexpr int64_t kInboxChallengeTtlSeconds = 60;
inline constexpr int64_t kMaxInboxAccessLifetimeSeconds = 120;
inline constexpr int64_t kMaxInboxWaitSeconds = 25;
// Binding messages (CIBA §7.1) longer than this are refused by the bridge.
inline constexpr size_t kMaxBindingMessageChars = 100;

struct InboxAccess {
  std::string eid;  // 20 raw bytes
  Bytes32 challenge{};
  uint64_t expiry = 0;  // unix seconds
  EthSignature signature;
  int64_t wait = 0;  // requested long-poll, seconds (0..kMaxInboxWaitSeconds)
};

// The EIP-712 digest of InboxAccess under `domain`, and the same as typed
// data for wallet libraries (tests prove the two agree).
Bytes32 InboxAccessDigest(const Eip712Domain& domain, const std::string& eid, const Bytes32& challenge,
                          uint64_t expiry);
nlohmann::json InboxAccessTypedData(const Eip712Domain& domain, const std::string& eid, const Bytes32& challenge,
                                    uint64_t expiry);

// The challenge (GET …/inbox/challenge): {"challenge":"0x…","expires_in":60,
// "domain":{name, version, chainId, verifyingContract}} — the domain the
// access is signed under (the ledger's, as in a request document §3).
struct InboxChallenge {
  Bytes32 challenge{};
  int64_t expires_in = 0;
  Eip712Domain domain;
};
std::string BuildInboxChallenge(const Bytes32& challenge, const Eip712Domain& domain);  // the bridge
WalletOr<InboxChallenge> ParseInboxChallenge(std::string_view body);                    // the wallet

// The bridge: parses the POST body {"version":1,"eid":"0x…","challenge":"0x…",
// "expiry":N,"signature":"0x…","wait":N}. Shape only (400 invalid_request);
// the challenge, expiry and signature are checked by CheckInboxAccess.
WalletOr<InboxAccess> ParseInboxAccess(std::string_view body);
// The access's expiry is in the future and not too far (401 bad_challenge),
// and its signature recovers to its eID (401 bad_access). The challenge's
// single use is the caller's (it consumes it from its store).
CheckResult CheckInboxAccess(const Eip712Domain& domain, const InboxAccess& access, int64_t now);

// §7 step 4, for a login addressed to an eID (`addressed`, EIP-55 text;
// empty: any eID may answer): the answer's eID (20 raw bytes) must be it.
// 403 not_addressed otherwise, before the code is claimed (the login goes on).
CheckResult CheckAddressedTo(std::string_view addressed, const std::string& answer_eid);

// The wallet: the access body for `challenge`, signed with the eID key.
std::string BuildInboxAccess(const EthKey& eid_key, const Eip712Domain& domain, const Bytes32& challenge,
                             uint64_t expiry, int64_t wait);

}  // namespace certme::wallet
