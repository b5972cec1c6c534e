#include "idp/signing/signature_verify.h"

#include "common/log.h"
#include "crypto/ethereum.h"
#include "crypto/jades.h"

namespace certme::signing {

using nlohmann::json;

ApiOr<json> VerifySignature(Ledger& ledger, SignStore& signs, const OidcClient& client, const VerifyRequest& request) {
  auto invalid = [](const char* reason) { return json{{"valid", false}, {"reason", reason}}; };
  auto header = ParseJadesProtectedHeader(request.protected_b64);
  if (!header.ok()) return invalid("malformed");
  if (!VerifyJades(request.protected_b64, request.signature).ok()) return invalid("bad_signature");
  if (header->item.hash_alg != request.hash_alg || header->item.digest != request.digest)
    return invalid("digest_mismatch");
  const Eip712Domain domain = ledger.Domain();
  if (header->chain_id != domain.chain_id || header->registry != domain.verifying_contract)
    return invalid("other_ledger");
  auto records = SignatureRecords(ledger, JadesLedgerDigest(request.protected_b64));
  if (!records.ok()) {
    LogError("ledger read failed", {{"detail", records.status().ToString()}});
    return ApiError{503, "temporarily_unavailable", "the ledger cannot be read now, try again", records.status().ToString()};
  }
  const LedgerEvent* record = nullptr;
  for (const auto& e : *records)
    if (e.user == header->signer && e.sign_request == header->sign_request && e.signed_at == header->signing_time) {
      record = &e;
      break;
    }
  if (!record) return invalid("not_recorded");
  auto now = ledger.GetEidStatus(header->signer);
  if (!now.ok()) {
    LogError("ledger read failed", {{"detail", now.status().ToString()}});
    return ApiError{503, "temporarily_unavailable", "the ledger cannot be read now, try again", now.status().ToString()};
  }
  json signer = {{"eid", ChecksumAddress(header->signer)}};
  // The identity as validated, to the client that asked for the signature.
  std::string reference(header->sign_request.begin(), header->sign_request.end());
  if (auto rec = signs.FindByReference(reference); rec.ok() && rec->client_id == client.client_id &&
                                                   rec->state == SignState::kSuccess)
    signer = rec->signer;
  return json{{"valid", true},
              {"signer", signer},
              {"signing_time", header->signing_time},
              {"ledger", {{"block", record->block}, {"time", record->time}}},
              {"eid_status_at_signing", "active"},
              {"eid_status_now", EidStatusName(*now)}};
}

}  // namespace certme::signing
