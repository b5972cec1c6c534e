// Command-line face of the bridge's EIP-712 and commitment code for the
// wallet interop suite (run.mjs): ethers computes the same values on the
// wallet side and the script compares. Test helper only; not shipped.
//
//   wallet_interop typed-data-digest <typed data JSON>        → 0x digest (generic algorithm)
//   wallet_interop consent-digest <Consent typed data JSON>   → 0x digest (ConsentDigest struct path)
//   wallet_interop recover <typed data JSON> <0x signature>   → checksum address of the signer
//   wallet_interop commitment <0x user> <name> <value> <0x salt> → 0x commitment
//   wallet_interop attribute-key <name>                       → 0x keccak256(name)
//
// Exit status: 0 on success, 1 on a refused input (message on stderr), 2 on usage errors.
#include <cstdio>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "crypto/ethereum.h"
#include "ledger-client/attributes.h"
#include "ledger-client/eip712.h"

namespace {

using certme::Bytes32;
using nlohmann::json;

std::string Hex0x(const Bytes32& b) {
  return "0x" + certme::HexEncode(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
}

int Fail(std::string_view msg) {
  std::fprintf(stderr, "%.*s\n", static_cast<int>(msg.size()), msg.data());
  return 1;
}

int Usage() {
  std::fprintf(stderr, "usage: see the header of wallet_interop.cc\n");
  return 2;
}

certme::StatusOr<Bytes32> ParseBytes32(std::string_view hex) {
  auto b = certme::HexDecode(hex);
  if (!b || b->size() != 32) return certme::InvalidArgument("not 32 bytes of hex");
  Bytes32 out;
  std::copy(b->begin(), b->end(), out.begin());
  return out;
}

// Rebuilds the Consent struct from its typed-data document, so that the
// direct ConsentDigest path (not only the generic one) faces ethers.
certme::StatusOr<Bytes32> ConsentDigestOf(const json& td) {
  try {
    certme::Eip712Domain d;
    d.name = td.at("domain").at("name").get<std::string>();
    d.version = td.at("domain").at("version").get<std::string>();
    d.chain_id = td.at("domain").at("chainId").get<uint64_t>();
    CERTME_ASSIGN_OR_RETURN(d.verifying_contract,
                            certme::ParseAddress(td.at("domain").at("verifyingContract").get<std::string>()));
    const json& m = td.at("message");
    certme::Consent c;
    CERTME_ASSIGN_OR_RETURN(c.user, certme::ParseAddress(m.at("user").get<std::string>()));
    CERTME_ASSIGN_OR_RETURN(c.provider, certme::ParseAddress(m.at("provider").get<std::string>()));
    for (const auto& k : m.at("attrKeys")) {
      CERTME_ASSIGN_OR_RETURN(Bytes32 key, ParseBytes32(k.get<std::string>()));
      c.attr_keys.push_back(key);
    }
    CERTME_ASSIGN_OR_RETURN(c.nonce, ParseBytes32(m.at("nonce").get<std::string>()));
    c.expiry = std::stoull(m.at("expiry").get<std::string>());
    return certme::ConsentDigest(d, c);
  } catch (const std::exception& e) {
    return certme::InvalidArgument(std::string("consent document: ") + e.what());
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return Usage();
  std::string_view cmd = argv[1];
  if (cmd == "attribute-key" && argc == 3) {
    std::printf("%s\n", Hex0x(certme::AttributeKey(argv[2])).c_str());
    return 0;
  }
  if (cmd == "commitment" && argc == 6) {
    auto user = certme::ParseAddress(argv[2]);
    auto salt = ParseBytes32(argv[5]);
    if (!user.ok() || !salt.ok()) return Fail("bad user or salt");
    std::printf("%s\n",
                Hex0x(certme::AttributeCommitment(*user, certme::AttributeKey(argv[3]), argv[4], *salt)).c_str());
    return 0;
  }
  json td = json::parse(std::string_view(argv[2]), nullptr, /*allow_exceptions=*/false);
  if (td.is_discarded()) return Fail("typed data is not JSON");
  if (cmd == "typed-data-digest" && argc == 3) {
    auto digest = certme::TypedDataDigest(td);
    if (!digest.ok()) return Fail(digest.status().ToString());
    std::printf("%s\n", Hex0x(*digest).c_str());
    return 0;
  }
  if (cmd == "consent-digest" && argc == 3) {
    auto digest = ConsentDigestOf(td);
    if (!digest.ok()) return Fail(digest.status().ToString());
    std::printf("%s\n", Hex0x(*digest).c_str());
    return 0;
  }
  if (cmd == "recover" && argc == 4) {
    auto digest = certme::TypedDataDigest(td);
    if (!digest.ok()) return Fail(digest.status().ToString());
    auto sig = certme::EthSignature::FromHex(argv[3]);
    if (!sig) return Fail("malformed signature");
    auto signer = certme::RecoverAddress(*digest, *sig);
    if (!signer.ok()) return Fail(signer.status().ToString());
    std::printf("%s\n", certme::ChecksumAddress(*signer).c_str());
    return 0;
  }
  return Usage();
}
