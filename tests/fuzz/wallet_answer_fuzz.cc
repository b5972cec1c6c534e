// Fuzzes the wallet protocol's parsers of untrusted input
// (protocols/wallet/): the answer a wallet POSTs (§4) with the bridge's
// checks that read it (§7 steps 4-9: the ECIES payload, the attribute
// plaintext, both signatures), the request document a wallet reads (§3)
// with the wallet's answer to it, and the login links (§2). No Store, no
// Ledger: the checks take the login's context as plain data, here the
// worked example of §9 (its answer is a seed, and passes every step).
// First byte: bit 0 set → a link; else bit 1 set → a request document;
// else → an answer. Invariants: no crash; every refused answer is an error
// of its step with that step's HTTP status; an accepted link is https or
// loopback http with a valid code; a parsed document survives its own
// rebuild, and the wallet's answer to it parses as an answer.
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "common/encoding.h"
#include "common/random.h"
#include "ledger-client/abi.h"
#include "protocols/wallet/answer.h"
#include "protocols/wallet/checks.h"
#include "protocols/wallet/link.h"
#include "protocols/wallet/request_document.h"
#include "protocols/wallet/vocabulary.h"
#include "protocols/wallet/wallet_side.h"

namespace {

namespace w = certme::wallet;

// docs/wallet-protocol.md §9.
struct Example {
  certme::EthKey bridge = *certme::EthKey::FromHex("f011d794219d8d4bfabe29a8bf86722d93af6456497d613edc05ddfa738893d4");
  certme::EthKey user = *certme::EthKey::FromHex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318");
  w::LoginContext ctx;

  Example() {
    ctx.code = "IsVSPcAxmSxMK3V_NiwPLpB99W4YbvWcnjrzfJ3SDnc";
    ctx.nonce = certme::abi::ToBytes32(*certme::HexDecode("0xa5b579dc658f8a7c1ab474831d23efdc4e8b0e804abf97287bdef0f5dc36daf1"));
    ctx.expiry = 1767225720;
    ctx.consent_expiry = 1767225720;
    ctx.service_id = "demo-rp";
    ctx.attributes = {"first_name", "last_name", "idnp"};
    ctx.domain.chain_id = 31337;
    ctx.domain.verifying_contract = *certme::ParseAddress("0x2DDD27F64fFcBd7799161e2909296972aE1055E0");
    ctx.provider = *certme::ParseAddress("0x5AC4CeA99E1aE37dB85F47e10C9a68F76C7f932b");
  }
};

const Example& E() {
  static const Example e;
  return e;
}

void Require(bool ok) {
  if (!ok) std::abort();
}

void Expect(const w::WalletError& e, std::string_view code, int http) {
  Require(e.code == code && e.http_status == http);
}

void FuzzLink(std::string_view in) {
  auto link = w::ParseLoginLink(in);
  if (!link.ok()) return;
  Require(link->api_base.rfind("https://", 0) == 0 || link->api_base.rfind("http://127.0.0.1", 0) == 0 ||
          link->api_base.rfind("http://localhost", 0) == 0 || link->api_base.rfind("http://[::1]", 0) == 0);
  Require(w::IsValidCode(link->code));
}

void FuzzDocument(std::string_view in) {
  auto doc = w::ParseRequestDocument(in);
  if (!doc.ok()) {
    static const std::set<std::string> kProblems = {"version", "kind", "malformed"};
    Require(kProblems.count(doc.status().message()) == 1);
    return;
  }
  auto again = w::ParseRequestDocument(w::BuildRequestDocument(*doc));
  Require(again.ok() && again->code == doc->code && again->attributes == doc->attributes &&
          again->nonce == doc->nonce && again->bridge_key == doc->bridge_key);
  if (!w::CheckDocumentForWallet(*doc, doc->code, doc->expiry - 1).ok()) return;
  auto answer = w::BuildApproval(*doc, E().user, {}, certme::SystemRandom());
  if (answer.ok()) {
    auto parsed = w::ParseAnswer(*answer, doc->code);
    Require(parsed.ok() && !parsed->refused && parsed->eid == E().user.address());
  }
}

void FuzzAnswer(std::string_view in) {
  const w::LoginContext& ctx = E().ctx;
  auto answer = w::ParseAnswer(in, ctx.code);  // step 4
  if (!answer.ok()) return Expect(answer.error(), w::kErrInvalidRequest, 400);
  if (answer->refused) return;  // step 5
  auto plain = w::CheckPayloadDecrypts(E().bridge, answer->payload);  // 6
  if (!plain.ok()) return Expect(plain.error(), w::kErrBadPayload, 400);
  auto disclosure = w::CheckAttributes(ctx, *plain, answer->eid);  // 7
  if (!disclosure.ok()) return Expect(disclosure.error(), w::kErrAttributesMismatch, 400);
  if (auto e = w::CheckLoginSignature(ctx, *answer, *disclosure)) return Expect(*e, w::kErrBadSignature, 401);
  if (auto e = w::CheckConsentSignature(ctx, *answer, *disclosure)) return Expect(*e, w::kErrBadConsent, 401);
  // Past step 9 only an answer signed by its eid's key.
  Require(answer->eid == E().user.address());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) {
    FuzzLink(in);
  } else if (data[0] & 2) {
    FuzzDocument(in);
  } else {
    FuzzAnswer(in);
  }
  return 0;
}
