#include "protocols/wallet/inbox.h"

#include "common/encoding.h"
#include "ledger-client/abi.h"
#include "protocols/wallet/answer.h"
#include "protocols/wallet/vocabulary.h"

namespace certme::wallet {

using nlohmann::json;

namespace {

WalletError Invalid(std::string description) {
  return WalletError::Make(400, kErrInvalidRequest, std::move(description));
}

std::string Word(uint64_t v) {
  std::string word(32, '\0');
  for (int i = 0; i < 8; ++i) word[31 - i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return word;
}

// A JSON integer in [0, 2^53) (what every JSON library reads exactly).
std::optional<uint64_t> SafeUnsigned(const json& v) {
  if (!v.is_number_integer()) return std::nullopt;
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u >= (uint64_t{1} << 53)) return std::nullopt;
    return u;
  }
  int64_t s = v.get<int64_t>();
  if (s < 0 || s >= (int64_t{1} << 53)) return std::nullopt;
  return static_cast<uint64_t>(s);
}

}  // namespace

Bytes32 InboxAccessDigest(const Eip712Domain& domain, const std::string& eid, const Bytes32& challenge,
                          uint64_t expiry) {
  // hashStruct = keccak256(typeHash ‖ address as a 32-byte word ‖ challenge ‖ uint256(expiry)).
  std::string enc(abi::AsView(Keccak256(kInboxAccessType)));
  enc.append(12, '\0');
  enc.append(eid);
  enc.append(abi::AsView(challenge));
  enc.append(Word(expiry));
  return Eip712Digest(DomainSeparator(domain), Keccak256(enc));
}

json InboxAccessTypedData(const Eip712Domain& domain, const std::string& eid, const Bytes32& challenge,
                          uint64_t expiry) {
  static const json kTypes = {{"InboxAccess",
                               {{{"name", "eid"}, {"type", "address"}},
                                {{"name", "challenge"}, {"type", "bytes32"}},
                                {{"name", "expiry"}, {"type", "uint256"}}}}};
  return {{"types", kTypes},
          {"primaryType", "InboxAccess"},
          {"domain", TypedDataDomain(domain)},
          {"message",
           {{"eid", ChecksumAddress(eid)},
            {"challenge", "0x" + HexEncode(abi::AsView(challenge))},
            {"expiry", expiry}}}};
}

std::string BuildInboxChallenge(const Bytes32& challenge, const Eip712Domain& domain) {
  return json{{kFieldChallenge, "0x" + HexEncode(abi::AsView(challenge))},
              {kFieldExpiresIn, kInboxChallengeTtlSeconds},
              {kFieldDomain,
               {{kFieldDomainName, domain.name},
                {kFieldDomainVersion, domain.version},
                {kFieldDomainChainId, domain.chain_id},
                {kFieldDomainVerifyingContract, ChecksumAddress(domain.verifying_contract)}}}}
      .dump();
}

WalletOr<InboxChallenge> ParseInboxChallenge(std::string_view body) {
  if (body.size() > kMaxInboxAccessBytes) return Invalid("challenge answer too large");
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Invalid("not a JSON object");
  InboxChallenge out;
  auto c = j.contains(kFieldChallenge) ? ParseHex32(j[kFieldChallenge]) : std::nullopt;
  if (!c) return Invalid("challenge must be 32 bytes of 0x-hex");
  out.challenge = *c;
  auto ttl = j.contains(kFieldExpiresIn) ? SafeUnsigned(j[kFieldExpiresIn]) : std::nullopt;
  if (!ttl) return Invalid("expires_in must be a non-negative integer");
  out.expires_in = static_cast<int64_t>(*ttl);
  const json* d = j.contains(kFieldDomain) ? &j[kFieldDomain] : nullptr;
  if (!d || !d->is_object() || !d->contains(kFieldDomainName) || !(*d)[kFieldDomainName].is_string() ||
      !d->contains(kFieldDomainVersion) || !(*d)[kFieldDomainVersion].is_string() ||
      !d->contains(kFieldDomainVerifyingContract) || !(*d)[kFieldDomainVerifyingContract].is_string())
    return Invalid("domain is malformed");
  auto chain = d->contains(kFieldDomainChainId) ? SafeUnsigned((*d)[kFieldDomainChainId]) : std::nullopt;
  auto contract = ParseAddress((*d)[kFieldDomainVerifyingContract].get<std::string>());
  if (!chain || !contract.ok()) return Invalid("domain is malformed");
  out.domain.name = (*d)[kFieldDomainName].get<std::string>();
  out.domain.version = (*d)[kFieldDomainVersion].get<std::string>();
  out.domain.chain_id = *chain;
  out.domain.verifying_contract = *contract;
  return out;
}

WalletOr<InboxAccess> ParseInboxAccess(std::string_view body) {
  if (body.size() > kMaxInboxAccessBytes) return Invalid("inbox access too large");
  json a = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (a.is_discarded() || !a.is_object()) return Invalid("not a JSON object");
  for (const auto& [name, value] : a.items()) {
    (void)value;
    if (name != kFieldVersion && name != kFieldEid && name != kFieldChallenge && name != kFieldExpiry &&
        name != kFieldSignature && name != kFieldWait)
      return Invalid("unknown field");
  }
  if (!a.contains(kFieldVersion) || a[kFieldVersion] != kProtocolVersion) return Invalid("version must be 1");
  InboxAccess out;
  if (!a.contains(kFieldEid) || !a[kFieldEid].is_string()) return Invalid("eid is required");
  auto eid = ParseAddress(a[kFieldEid].get<std::string>());
  if (!eid.ok()) return Invalid("eid is not an address");
  out.eid = *eid;
  if (!a.contains(kFieldChallenge)) return Invalid("challenge is required");
  auto challenge = ParseHex32(a[kFieldChallenge]);
  if (!challenge) return Invalid("challenge must be 32 bytes of 0x-hex");
  out.challenge = *challenge;
  if (!a.contains(kFieldExpiry)) return Invalid("expiry is required");
  auto expiry = SafeUnsigned(a[kFieldExpiry]);
  if (!expiry) return Invalid("expiry must be a non-negative integer");
  out.expiry = *expiry;
  if (!a.contains(kFieldSignature) || !a[kFieldSignature].is_string()) return Invalid("signature is required");
  auto sig = EthSignature::FromHex(a[kFieldSignature].get<std::string>());
  if (!sig) return Invalid("signature is malformed");
  out.signature = *sig;
  if (a.contains(kFieldWait)) {
    auto wait = SafeUnsigned(a[kFieldWait]);
    if (!wait || *wait > static_cast<uint64_t>(kMaxInboxWaitSeconds))
      return Invalid("wait must be an integer from 0 to " + std::to_string(kMaxInboxWaitSeconds));
    out.wait = static_cast<int64_t>(*wait);
  }
  return out;
}

CheckResult CheckInboxAccess(const Eip712Domain& domain, const InboxAccess& access, int64_t now) {
  if (access.expiry <= static_cast<uint64_t>(now) ||
      access.expiry > static_cast<uint64_t>(now + kMaxInboxAccessLifetimeSeconds))
    return WalletError::Make(401, kErrBadChallenge, "the access has expired or lives too long; sign a new challenge");
  auto signer = RecoverAddress(InboxAccessDigest(domain, access.eid, access.challenge, access.expiry),
                               access.signature);
  if (!signer.ok() || *signer != access.eid)
    return WalletError::Make(401, kErrBadAccess, "the signature is not the eID's");
  return std::nullopt;
}

CheckResult CheckAddressedTo(std::string_view addressed, const std::string& answer_eid) {
  if (addressed.empty()) return std::nullopt;
  auto want = ParseAddress(addressed);
  if (want.ok() && *want == answer_eid) return std::nullopt;
  return WalletError::Make(403, kErrNotAddressed, "this request is addressed to another eID");
}

std::string BuildInboxAccess(const EthKey& eid_key, const Eip712Domain& domain, const Bytes32& challenge,
                             uint64_t expiry, int64_t wait) {
  EthSignature sig = eid_key.SignDigest(InboxAccessDigest(domain, eid_key.address(), challenge, expiry));
  json j = {{kFieldVersion, kProtocolVersion},
            {kFieldEid, eid_key.AddressHex()},
            {kFieldChallenge, "0x" + HexEncode(abi::AsView(challenge))},
            {kFieldExpiry, expiry},
            {kFieldSignature, sig.ToHex()},
            {kFieldWait, wait}};
  return j.dump();
}

}  // namespace certme::wallet
