#include "protocols/wallet/sign_checks.h"

#include <string>

#include "protocols/wallet/vocabulary.h"

namespace certme::wallet {

namespace {

WalletError Mismatch(std::string description, std::string detail = {}) {
  WalletError e = WalletError::Make(400, kErrSignMismatch, std::move(description));
  e.detail = std::move(detail);
  return e;
}

WalletError BadSignature(std::string description) {
  return WalletError::Make(401, kErrBadSignature, std::move(description));
}

WalletError BadTime(std::string description) {
  return WalletError::Make(400, kErrBadSigningTime, std::move(description));
}

std::string Item(size_t i) { return "signature " + std::to_string(i + 1) + ": "; }

}  // namespace

SignedDigest SignedDigestFor(const RequestDocument& doc, std::string_view eid, std::string_view protected_b64,
                             uint64_t signed_at) {
  SignedDigest d;
  d.user = std::string(eid);
  d.provider = doc.consent_provider;
  d.digest = JadesLedgerDigest(protected_b64);
  if (doc.sign) d.request = doc.sign->request;
  d.signed_at = signed_at;
  return d;
}

WalletOr<CheckedSignatures> CheckSignItems(const RequestDocument& doc, const Answer& answer,
                                           const SignCheckContext& ctx) {
  // wallet-protocol §10: one signature per item, in the document's order.
  if (doc.kind != RequestKind::kSign || !doc.sign) return Mismatch("not a sign request");
  const SignDetails& sign = *doc.sign;
  if (answer.signatures.size() != sign.items.size())
    return Mismatch("one signature per item is required");

  CheckedSignatures out;
  for (size_t i = 0; i < sign.items.size(); ++i) {
    const ItemSignature& s = answer.signatures[i];
    const JadesSignedItem& want = sign.items[i];
    // §10: the header is the profile's (crypto/jades.h), field by field.
    auto parsed = ParseJadesProtectedHeader(s.protected_b64);
    if (!parsed.ok()) return Mismatch(Item(i) + "the protected header is malformed", parsed.status().ToString());
    const JadesHeader& h = *parsed;
    // §10: it names what was requested: the item, its hash, this request
    // and this ledger.
    if (h.item.name != want.name || h.item.hash_alg != want.hash_alg || h.item.digest != want.digest)
      return Mismatch(Item(i) + "sigD does not name the requested item");
    if (h.sign_request != sign.request) return Mismatch(Item(i) + "certme.request is not this request");
    if (h.chain_id != doc.domain.chain_id || h.registry != doc.domain.verifying_contract)
      return Mismatch(Item(i) + "certme.ledger is not this ledger");
    // §10: the signer key is the eID's (the address whose Login verified).
    if (h.signer != ctx.eid) return BadSignature(Item(i) + "the signer key is not the eID's");
    // §10: one signing time per answer, within the request's lifetime and
    // near the bridge's clock.
    if (i == 0) {
      if (h.signing_time < ctx.request_created - kSigningTimeSkewSeconds || h.signing_time > ctx.request_expiry)
        return BadTime("sigT is outside the request's lifetime");
      int64_t skew = h.signing_time > ctx.now ? h.signing_time - ctx.now : ctx.now - h.signing_time;
      if (skew > kSigningTimeSkewSeconds) return BadTime("sigT is more than a minute from the bridge's clock");
      out.signed_at = static_cast<uint64_t>(h.signing_time);
    } else if (static_cast<uint64_t>(h.signing_time) != out.signed_at) {
      return BadTime(Item(i) + "sigT differs from the first signature's");
    }
    // §10: ES256K over `protected + "."` with the header's key.
    if (!VerifyJades(s.protected_b64, s.signature).ok())
      return BadSignature(Item(i) + "the JAdES signature does not verify");
    // §10: SignedDigest, what the ledger will check, signed by the eID.
    SignedDigest digest = SignedDigestFor(doc, ctx.eid, s.protected_b64, out.signed_at);
    auto signer = RecoverSignedDigestSigner(doc.domain, digest, s.ledger_signature);
    if (!signer.ok() || *signer != ctx.eid)
      return BadSignature(Item(i) + "ledgerSignature is not the eID's over SignedDigest");
    out.items.push_back({s.protected_b64, s.signature, h, digest.digest, s.ledger_signature});
  }
  return out;
}

}  // namespace certme::wallet
