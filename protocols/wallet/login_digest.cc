#include "protocols/wallet/login_digest.h"

#include <string>

#include "common/encoding.h"
#include "ledger-client/abi.h"

namespace certme {

using nlohmann::json;

Bytes32 WalletAttributesHash(const std::vector<Bytes32>& commitments) {
  std::string buf;
  for (const auto& c : commitments) buf.append(abi::AsView(c));
  return Keccak256(buf);
}

Bytes32 WalletLoginDigest(const Eip712Domain& domain, std::string_view code, const Bytes32& nonce,
                          std::string_view service, const Bytes32& attributes_hash, uint64_t expiry) {
  // hashStruct(Login) = keccak256(typeHash ‖ keccak(code) ‖ nonce ‖
  // keccak(service) ‖ attributesHash ‖ uint256(expiry)) (EIP-712 encodeData:
  // dynamic strings are hashed, atomic values are 32-byte words).
  std::string enc(abi::AsView(Keccak256(kWalletLoginType)));
  enc.append(abi::AsView(Keccak256(code)));
  enc.append(abi::AsView(nonce));
  enc.append(abi::AsView(Keccak256(service)));
  enc.append(abi::AsView(attributes_hash));
  std::string word(32, '\0');
  for (int i = 0; i < 8; ++i) word[31 - i] = static_cast<char>((expiry >> (8 * i)) & 0xff);
  enc.append(word);
  return Eip712Digest(DomainSeparator(domain), Keccak256(enc));
}

Bytes32 WalletRefusalDigest(const Eip712Domain& domain, std::string_view code, const Bytes32& nonce,
                            std::string_view service) {
  std::string enc(abi::AsView(Keccak256(kWalletRefusalType)));
  enc.append(abi::AsView(Keccak256(code)));
  enc.append(abi::AsView(nonce));
  enc.append(abi::AsView(Keccak256(service)));
  return Eip712Digest(DomainSeparator(domain), Keccak256(enc));
}

json WalletRefusalTypedData(const Eip712Domain& domain, std::string_view code, const Bytes32& nonce,
                            std::string_view service) {
  static const json kRefusalTypes = {{"Refusal",
                                      {{{"name", "code"}, {"type", "string"}},
                                       {{"name", "nonce"}, {"type", "bytes32"}},
                                       {{"name", "service"}, {"type", "string"}}}}};
  return {{"types", kRefusalTypes},
          {"primaryType", "Refusal"},
          {"domain", TypedDataDomain(domain)},
          {"message", {{"code", code}, {"nonce", "0x" + HexEncode(abi::AsView(nonce))}, {"service", service}}}};
}

json WalletLoginTypedData(const Eip712Domain& domain, std::string_view code, const Bytes32& nonce,
                          std::string_view service, const Bytes32& attributes_hash, uint64_t expiry) {
  static const json kLoginTypes = {{"Login",
                                    {{{"name", "code"}, {"type", "string"}},
                                     {{"name", "nonce"}, {"type", "bytes32"}},
                                     {{"name", "service"}, {"type", "string"}},
                                     {{"name", "attributesHash"}, {"type", "bytes32"}},
                                     {{"name", "expiry"}, {"type", "uint256"}}}}};
  return {{"types", kLoginTypes},
          {"primaryType", "Login"},
          {"domain", TypedDataDomain(domain)},
          {"message",
           {{"code", code},
            {"nonce", "0x" + HexEncode(abi::AsView(nonce))},
            {"service", service},
            {"attributesHash", "0x" + HexEncode(abi::AsView(attributes_hash))},
            {"expiry", expiry}}}};
}

}  // namespace certme
