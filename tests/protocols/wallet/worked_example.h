// The worked example of docs/wallet-protocol.md §9 (made with ethers and
// eciesjs), as fixtures: the tests pin this library to the document, so the
// two cannot drift apart.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "crypto/ethereum.h"
#include "ledger-client/abi.h"
#include "ledger-client/attributes.h"
#include "protocols/wallet/checks.h"

namespace certme::wallet::testing {

inline Bytes32 B32(const std::string& hex) { return abi::ToBytes32(*HexDecode(hex)); }
inline std::string Addr(const std::string& hex) { return *ParseAddress(hex); }

inline EthKey UserKey() { return *EthKey::FromHex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"); }
inline EthKey BridgeKey() { return *EthKey::FromHex("f011d794219d8d4bfabe29a8bf86722d93af6456497d613edc05ddfa738893d4"); }
inline std::string UserAddress() { return Addr("0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"); }

inline constexpr char kCode[] = "IsVSPcAxmSxMK3V_NiwPLpB99W4YbvWcnjrzfJ3SDnc";
inline constexpr char kNonce[] = "0xa5b579dc658f8a7c1ab474831d23efdc4e8b0e804abf97287bdef0f5dc36daf1";
inline constexpr int64_t kExpiry = 1767225720;

// Salts are keccak256("salt:" + name) in §9.
inline std::vector<DisclosedAttribute> Held() {
  return {{"first_name", "Ion", Keccak256("salt:first_name")},
          {"last_name", "Popescu", Keccak256("salt:last_name")},
          {"idnp", "2001234567890", Keccak256("salt:idnp")}};
}

inline LoginContext Context() {
  LoginContext ctx;
  ctx.code = kCode;
  ctx.nonce = B32(kNonce);
  ctx.expiry = kExpiry;
  ctx.consent_expiry = kExpiry;
  ctx.service_id = "demo-rp";
  ctx.attributes = {"first_name", "last_name", "idnp"};
  ctx.domain.chain_id = 31337;
  ctx.domain.verifying_contract = Addr("0x2DDD27F64fFcBd7799161e2909296972aE1055E0");
  ctx.provider = Addr("0x5AC4CeA99E1aE37dB85F47e10C9a68F76C7f932b");
  return ctx;
}

inline const char* RequestDocumentText() {
  return R"({
  "version": 1,
  "code": "IsVSPcAxmSxMK3V_NiwPLpB99W4YbvWcnjrzfJ3SDnc",
  "nonce": "0xa5b579dc658f8a7c1ab474831d23efdc4e8b0e804abf97287bdef0f5dc36daf1",
  "expiry": 1767225720,
  "service": {
    "id": "demo-rp",
    "names": {
      "ro": "Serviciu demonstrativ",
      "ru": "Демонстрационный сервис",
      "en": "Demo service"
    }
  },
  "attributes": ["first_name", "last_name", "idnp"],
  "purpose": {"ro": "Autentificare", "ru": "Аутентификация", "en": "Sign-in"},
  "bridgeKey": "0x049940686fbfc5bb0006ef43d692fe4e55a63a7e91f49fd5242ae8b4a47fa155f13e3e81c571e2a27841427ab474b60c3bcf4a5d4bef54c60e28fbf2629106d462",
  "domain": {
    "name": "certME",
    "version": "1",
    "chainId": 31337,
    "verifyingContract": "0x2DDD27F64fFcBd7799161e2909296972aE1055E0"
  },
  "consent": {
    "provider": "0x5AC4CeA99E1aE37dB85F47e10C9a68F76C7f932b",
    "expiry": 1767225720
  }
})";
}

inline constexpr char kLoginSignature[] =
    "0x05b9c47c0ff3d38d255f90179690656e1e2358f74049bd47087c8a7f7232274637064146f4056f592f9327cf71ca8eef9329ca4a94e696b"
    "d8e7c54d922a698151c";
inline constexpr char kConsentSignature[] =
    "0xa78d71036108796d5b81cbca563ec9abb36f9bf6692bdd3fc131389ca5c48d392416551db691348cd4a335e9afc8679e6660f021ece4b00"
    "566f53697d3d4a7471b";

inline nlohmann::json AnswerJson() {
  return {{"version", 1},
          {"code", kCode},
          {"eid", "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"},
          {"loginSignature", kLoginSignature},
          {"consentSignature", kConsentSignature},
          {"attributes",
           "BNHf3L3wq125jc9tJ6mT7ShRlRAMQVM75dNIXLewKnsmLjfW-6S8df9mF5szEPqNfmYtlfXCQrRDzmbCIS5gBtVQ_e0NM7B6pm6L0vAoVctGs"
           "w3C9-qOe8FkfCXrCFkgisYTYqa9ffF6PYMdnMS_9XBz9MncEXcwKDSLUQyLA7e5Ei4zjhr38z7p_SDYjfRGSOyJBg5ybvmdXLJZ-hkrxBi"
           "tPFHw0UO9kEY-A8kRzmBcQSWG1R0SYJ5bh_SreIRXffBzwDdev1BWCe-a4nUKuazZWqqPzk5E_tYhgZEX3nJ5f4NE0kGZyHUHowOiHC9m2"
           "CbY-mgqSu6EH5ZzvvwPEx3ClS2oDayOPU0eRVlbhNgeIagTd0l0aMd5u-9BkZeL5f9GrbABBLR1f1VCySlZ-vfTEBHLUr7ZFOuMAhVmwk7"
           "FQ3KYs_9yjpCJ470EhGJTSDgKX0E_WEPqM5dOsnYss_qQDeYbq6MilD_t9vp1fzj17j_UKXNwAVUEB05-NJfxq7nkWR9M3iWczc5Mj1ZRfF"
           "AgnG-0ICTXTFPh4PrBMWgWuFH7XxdRtKx-lMWmmMrz10jl7PaR"}};
}

inline constexpr char kPlaintext[] =
    R"([{"key":"first_name","value":"Ion","salt":"0x59ca82d73b6077b523f1b798b58b2bac2e82aed13f9abfbef9ace50767b5d2c2"},)"
    R"({"key":"last_name","value":"Popescu","salt":"0xed63ec3c4278f6e9a9283bdd63dc59dd38d378477337ee59665b777854dab186"},)"
    R"({"key":"idnp","value":"2001234567890","salt":"0x666519b7e8dad2fddbcb727edede4a6df3d871660d2e807a473beb6750c5e739"}])";

inline std::vector<Bytes32> Commitments() {
  return {B32("0xf4c4e39deda71e67f2dee213f0e2b2a46d8f48e234fd9e8f5394e2f2e0ab0c0a"),
          B32("0x26d61df198abdf1b8f24da54ca52e94fa4e891d05f952932d64b9f470d1189d5"),
          B32("0x68437748f1d6ea49de653be3f2206cbad5f0a1bfd7fbe52fc5d71226cc5f9bd7")};
}

}  // namespace certme::wallet::testing
