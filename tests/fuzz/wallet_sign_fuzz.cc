// Fuzzes the wallet protocol's sign kind (docs/wallet-protocol.md §10):
// the sign request document a wallet reads, and the sign answer the bridge
// reads with the checks that judge it (ParseAnswer for the sign kind, then
// CheckSignItems against a fixed sign document: §9's login document with
// two items to sign). First byte: bit 0 set → a request document; else →
// an answer. Invariants: no crash; a refused answer carries its check's
// error and HTTP status; an accepted one is signed by the eID for exactly
// the document's items; a parsed sign document survives its rebuild, and
// the wallet's approval of it passes the bridge's checks.
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "common/encoding.h"
#include "common/random.h"
#include "crypto/hash.h"
#include "ledger-client/abi.h"
#include "protocols/wallet/answer.h"
#include "protocols/wallet/request_document.h"
#include "protocols/wallet/sign_checks.h"
#include "protocols/wallet/vocabulary.h"
#include "protocols/wallet/wallet_side.h"

namespace {

namespace w = certme::wallet;

// The seed answer was signed at this time, for this document.
constexpr int64_t kSignedAt = 1767225660;

struct Example {
  certme::EthKey user = *certme::EthKey::FromHex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318");
  w::RequestDocument doc;

  Example() {
    doc.kind = w::RequestKind::kSign;
    doc.code = "IsVSPcAxmSxMK3V_NiwPLpB99W4YbvWcnjrzfJ3SDnc";
    doc.nonce = certme::abi::ToBytes32(*certme::HexDecode("0xa5b579dc658f8a7c1ab474831d23efdc4e8b0e804abf97287bdef0f5dc36daf1"));
    doc.expiry = 1767225720;
    doc.service_id = "demo-rp";
    doc.attributes = {};
    doc.bridge_key = *certme::HexDecode(
        "049940686fbfc5bb0006ef43d692fe4e55a63a7e91f49fd5242ae8b4a47fa155f13e3e81c571e2a27841427ab474b60c3bcf4a5d4bef54c60e28fbf2629106d462");
    doc.domain.chain_id = 31337;
    doc.domain.verifying_contract = *certme::ParseAddress("0x2DDD27F64fFcBd7799161e2909296972aE1055E0");
    doc.consent_provider = *certme::ParseAddress("0x5AC4CeA99E1aE37dB85F47e10C9a68F76C7f932b");
    doc.consent_expiry = 1767225720;
    w::SignDetails sign;
    sign.request = certme::Keccak256("sign request 1");
    sign.description = {{"en", "Employment contract"}};
    sign.items = {{"contract.pdf", "S256", certme::Sha256("the contract")},
                  {"annex.pdf", "S384", certme::Sha384("the annex")}};
    doc.sign = sign;
  }

  w::SignCheckContext Ctx(std::string eid, int64_t now) const {
    w::SignCheckContext ctx;
    ctx.eid = std::move(eid);
    ctx.request_created = now - 300;
    ctx.request_expiry = now + 600;
    ctx.now = now;
    return ctx;
  }
};

const Example& E() {
  static const Example e;
  return e;
}

void Require(bool ok) {
  if (!ok) std::abort();
}

void FuzzAnswer(std::string_view in) {
  auto answer = w::ParseAnswer(in, E().doc.code, w::RequestKind::kSign);
  if (!answer.ok()) return Require(answer.error().code == w::kErrInvalidRequest && answer.error().http_status == 400);
  if (answer->refused) return;
  auto checked = w::CheckSignItems(E().doc, *answer, E().Ctx(E().user.address(), kSignedAt));
  if (!checked.ok()) {
    const w::WalletError& e = checked.error();
    Require((e.code == w::kErrSignMismatch && e.http_status == 400) ||
            (e.code == w::kErrBadSigningTime && e.http_status == 400) ||
            (e.code == w::kErrBadSignature && e.http_status == 401));
    return;
  }
  Require(checked->items.size() == E().doc.sign->items.size());
  for (size_t i = 0; i < checked->items.size(); ++i) {
    const auto& item = checked->items[i];
    Require(item.header.signer == E().user.address());
    Require(item.header.item.digest == E().doc.sign->items[i].digest);
    Require(certme::VerifyJades(item.protected_b64, item.signature).ok());
  }
}

void FuzzDocument(std::string_view in) {
  auto doc = w::ParseRequestDocument(in);
  if (!doc.ok()) {
    static const std::set<std::string> kProblems = {"version", "kind", "malformed"};
    Require(kProblems.count(doc.status().message()) == 1);
    return;
  }
  Require((doc->kind == w::RequestKind::kSign) == doc->sign.has_value());
  if (!doc->sign) return;
  auto again = w::ParseRequestDocument(w::BuildRequestDocument(*doc));
  Require(again.ok() && again->sign && again->sign->request == doc->sign->request &&
          again->sign->items.size() == doc->sign->items.size() &&
          again->sign->description == doc->sign->description &&
          again->sign->signer_type == doc->sign->signer_type && again->sign->idno == doc->sign->idno);
  for (size_t i = 0; i < doc->sign->items.size(); ++i)
    Require(again->sign->items[i].name == doc->sign->items[i].name &&
            again->sign->items[i].digest == doc->sign->items[i].digest);
  const int64_t now = 1767225600;
  auto body = w::BuildSignApproval(*doc, E().user, {}, now, certme::SystemRandom());
  if (!body.ok()) return;  // asks attributes the fuzzer's wallet does not hold, or a bad bridge key
  auto answer = w::ParseAnswer(*body, doc->code, w::RequestKind::kSign);
  Require(answer.ok());
  Require(w::CheckSignItems(*doc, *answer, E().Ctx(E().user.address(), now)).ok());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) {
    FuzzDocument(in);
  } else {
    FuzzAnswer(in);
  }
  return 0;
}
