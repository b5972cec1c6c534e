#include "tools/sign_verify.h"

#include "common/encoding.h"
#include "crypto/ethereum.h"

namespace certme {

namespace {

std::string Caip10(uint64_t chain_id, std::string_view address) {
  return "eip155:" + std::to_string(chain_id) + ":" + ChecksumAddress(address);
}

SignatureReport Invalid(SignatureReport r, std::string why) {
  r.valid = false;
  r.problem = std::move(why);
  return r;
}

}  // namespace

StatusOr<SignatureReport> VerifySignatureFile(std::string_view signature_json,
                                              const std::function<StatusOr<std::string>(const std::string&)>& digest_of,
                                              Ledger* ledger) {
  SignatureReport r;
  auto jws = ParseJadesFlattenedJson(signature_json);
  if (!jws.ok()) {
    const std::string& why = jws.status().detail().empty() ? jws.status().message() : jws.status().detail();
    return Invalid(r, "not a certME JAdES signature (" + jws.status().message() + ": " + why + ")");
  }
  r.header = jws->header;
  const JadesHeader& h = r.header;
  if (!VerifyJades(jws->protected_b64, jws->signature).ok())
    return Invalid(r, "the ES256K signature does not verify with the key in its header");
  CERTME_ASSIGN_OR_RETURN(std::string digest, digest_of(h.item.hash_alg));
  if (digest != h.item.digest)
    return Invalid(r, std::string("the document's ") + (h.item.hash_alg == kJadesHashS384 ? "SHA-384" : "SHA-256") +
                          " is not the signed digest " + HexEncode(h.item.digest));
  r.valid = true;
  if (!ledger) return r;

  r.ledger_checked = true;
  if (ledger->ChainId() != h.chain_id || ledger->RegistryAddress() != h.registry)
    return Invalid(r, "the signature names the ledger " + Caip10(h.chain_id, h.registry) + ", not this one (" +
                          Caip10(ledger->ChainId(), ledger->RegistryAddress()) + ")");
  CERTME_ASSIGN_OR_RETURN(std::vector<LedgerEvent> records,
                          SignatureRecords(*ledger, JadesLedgerDigest(jws->protected_b64)));
  for (const LedgerEvent& e : records) {
    if (e.user == h.signer && e.sign_request == h.sign_request && e.signed_at == h.signing_time) {
      r.record = e;
      break;
    }
  }
  if (!r.record) return Invalid(r, "the ledger holds no record of this signature");
  CERTME_ASSIGN_OR_RETURN(r.eid_now, ledger->GetEidStatus(h.signer));
  return r;
}

}  // namespace certme
