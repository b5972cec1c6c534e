// The Login struct of docs/wallet-protocol.md §6 and the attributes hash it
// signs. The bridge verifies with the hand-written encoding
// (WalletLoginDigest); wallets sign the generic EIP-712 typed data
// (WalletLoginTypedData through TypedDataDigest), so every login that
// passes proves the two encodings agree. tests/protocols/wallet pins both
// to the worked example of §9.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "crypto/ethereum.h"
#include "ledger-client/eip712.h"

namespace certme {

inline constexpr char kWalletLoginType[] =
    "Login(string code,bytes32 nonce,string service,bytes32 attributesHash,uint256 expiry)";

// A refusal is signed too (§4), so that only the holder of an eID can end
// someone's login by refusing it.
inline constexpr char kWalletRefusalType[] = "Refusal(string code,bytes32 nonce,string service)";

// attributesHash = keccak256(c1 ‖ … ‖ cn), ci the commitments in request
// order; keccak256("") for none (§6).
Bytes32 WalletAttributesHash(const std::vector<Bytes32>& commitments);

// The EIP-712 digest of Login under `domain` (the ledger's).
Bytes32 WalletLoginDigest(const Eip712Domain& domain, std::string_view code, const Bytes32& nonce,
                          std::string_view service, const Bytes32& attributes_hash, uint64_t expiry);

// The same Login as generic EIP-712 typed data ({types, primaryType,
// domain, message}), what a wallet library signs.
nlohmann::json WalletLoginTypedData(const Eip712Domain& domain, std::string_view code, const Bytes32& nonce,
                                    std::string_view service, const Bytes32& attributes_hash, uint64_t expiry);

// The EIP-712 digest of Refusal under `domain`, and the same as typed data.
Bytes32 WalletRefusalDigest(const Eip712Domain& domain, std::string_view code, const Bytes32& nonce,
                            std::string_view service);
nlohmann::json WalletRefusalTypedData(const Eip712Domain& domain, std::string_view code, const Bytes32& nonce,
                                      std::string_view service);

}  // namespace certme
