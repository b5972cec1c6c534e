// Fuzzes the wallet inbox's parser of untrusted input (protocols/wallet/
// inbox.h): the challenge answer a wallet reads and the InboxAccess body it
// POSTs to /wallet/v1/inbox, then
// the bridge's check of its expiry and signature, and the addressed-eID
// check of an answer. Invariants: no crash; a refused body is 400
// invalid_request; the check refuses with 401 bad_challenge or bad_access
// only; an accepted access survives its own rebuild with a fresh key.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ledger-client/eip712.h"
#include "protocols/wallet/inbox.h"
#include "protocols/wallet/vocabulary.h"

namespace {

namespace w = certme::wallet;

void Require(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  certme::Eip712Domain domain{.chain_id = 31337, .verifying_contract = std::string(20, '\x42')};
  // The wallet's side: the bridge's challenge answer.
  auto challenge = w::ParseInboxChallenge(body);
  if (!challenge.ok()) Require(challenge.error().http_status == 400);
  else Require(challenge->domain.verifying_contract.size() == 20);
  auto access = w::ParseInboxAccess(body);
  if (!access.ok()) {
    Require(access.error().http_status == 400 && access.error().code == w::kErrInvalidRequest);
    return 0;
  }
  Require(access->eid.size() == 20);
  Require(access->wait >= 0 && access->wait <= w::kMaxInboxWaitSeconds);
  const int64_t now = 1700000000;
  if (auto e = w::CheckInboxAccess(domain, *access, now))
    Require(e->http_status == 401 && (e->code == w::kErrBadChallenge || e->code == w::kErrBadAccess));
  // The answer check against the access's eID (as text) and against none.
  Require(!w::CheckAddressedTo("", access->eid).has_value());
  auto other = w::CheckAddressedTo("0x2c7536E3605D9C16a7a3D7b1898e529396a65c23", access->eid);
  if (other) Require(other->http_status == 403 && other->code == w::kErrNotAddressed);
  return 0;
}
