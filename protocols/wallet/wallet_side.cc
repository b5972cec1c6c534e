#include "protocols/wallet/wallet_side.h"

#include <algorithm>

#include "crypto/ecies.h"
#include "protocols/wallet/answer.h"
#include "protocols/wallet/login_digest.h"
#include "protocols/wallet/sign_checks.h"

namespace certme::wallet {

Status CheckDocumentForWallet(const RequestDocument& doc, std::string_view scanned_code, int64_t now) {
  // §7: the code is the one scanned (the document names the service the
  // user sees; a document for another code is not this login's).
  if (doc.code != scanned_code) return InvalidArgument("code", "the request is for another code");
  // §7: a wallet refuses to sign a request whose expiry has passed.
  if (now >= doc.expiry) return InvalidArgument("expired", "the request has expired");
  return Status();
}

namespace {

// §4-§6: the approval's Answer (attributes, Login, Consent).
StatusOr<Answer> ApprovalAnswer(const RequestDocument& doc, const EthKey& key,
                                const std::vector<DisclosedAttribute>& held, Random& random) {
  // §5: the attributes asked for, in order, with the values and salts of
  // the enrolment (those the ledger commitments were made from).
  std::vector<DisclosedAttribute> disclosed;
  std::vector<Bytes32> keys, commitments;
  for (const auto& name : doc.attributes) {
    auto it = std::find_if(held.begin(), held.end(), [&](const DisclosedAttribute& d) { return d.name == name; });
    if (it == held.end()) return InvalidArgument("attribute_not_held", name);
    disclosed.push_back(*it);
    keys.push_back(AttributeKey(name));
    commitments.push_back(AttributeCommitment(key.address(), keys.back(), it->value, it->salt));
  }
  auto payload = EciesEncrypt(doc.bridge_key, BuildDisclosurePlaintext(disclosed), random);
  if (!payload.ok()) return InvalidArgument("bridge_key", payload.status().ToString());

  // §6 Login, as generic EIP-712 typed data (what a wallet library signs);
  // the bridge verifies with its own encoding (login_digest.h).
  CERTME_ASSIGN_OR_RETURN(Bytes32 login_digest,
                          TypedDataDigest(WalletLoginTypedData(doc.domain, doc.code, doc.nonce, doc.service_id,
                                                               WalletAttributesHash(commitments),
                                                               static_cast<uint64_t>(doc.expiry))));
  // §6 Consent, always asked in v1.
  Consent consent{key.address(), doc.consent_provider, keys, doc.nonce, doc.consent_expiry};

  Answer answer;
  answer.code = doc.code;
  answer.eid = key.address();
  answer.login_signature = key.SignDigest(login_digest);
  answer.consent_signature = SignConsent(key, doc.domain, consent);
  answer.payload = std::move(*payload);
  return answer;
}

}  // namespace

StatusOr<std::string> BuildApproval(const RequestDocument& doc, const EthKey& key,
                                    const std::vector<DisclosedAttribute>& held, Random& random) {
  CERTME_ASSIGN_OR_RETURN(Answer answer, ApprovalAnswer(doc, key, held, random));
  return BuildAnswer(answer);
}

JadesHeader SignHeaderFor(const RequestDocument& doc, size_t index, const EthKey& key, int64_t now) {
  JadesHeader h;
  h.public_key = key.public_key();
  h.signer = key.address();
  h.chain_id = doc.domain.chain_id;
  h.registry = doc.domain.verifying_contract;
  h.sign_request = doc.sign->request;
  h.signing_time = now;
  h.item = doc.sign->items[index];
  return h;
}

StatusOr<std::string> BuildSignApproval(const RequestDocument& doc, const EthKey& key,
                                        const std::vector<DisclosedAttribute>& held, int64_t now,
                                        Random& random) {
  if (doc.kind != RequestKind::kSign || !doc.sign) return InvalidArgument("kind", "not a sign request");
  CERTME_ASSIGN_OR_RETURN(Answer answer, ApprovalAnswer(doc, key, held, random));
  // §10: per item, the JAdES header, its ES256K signature, and SignedDigest
  // (what the ledger records) under the document's domain.
  for (size_t i = 0; i < doc.sign->items.size(); ++i) {
    ItemSignature s;
    s.protected_b64 = BuildJadesProtectedHeader(SignHeaderFor(doc, i, key, now));
    s.signature = SignJades(key, s.protected_b64);
    s.ledger_signature = SignSignedDigest(
        key, doc.domain, SignedDigestFor(doc, key.address(), s.protected_b64, static_cast<uint64_t>(now)));
    answer.signatures.push_back(std::move(s));
  }
  return BuildAnswer(answer);
}

StatusOr<std::string> BuildRefusal(const RequestDocument& doc, const EthKey& key) {
  CERTME_ASSIGN_OR_RETURN(Bytes32 digest,
                          TypedDataDigest(WalletRefusalTypedData(doc.domain, doc.code, doc.nonce, doc.service_id)));
  Answer answer;
  answer.code = doc.code;
  answer.refused = true;
  answer.eid = key.address();
  answer.refusal_signature = key.SignDigest(digest);
  return BuildAnswer(answer);
}

}  // namespace certme::wallet
