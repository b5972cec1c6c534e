// Signed transactions of the embedded ledger.
//
// A transaction is a registry call (calldata) signed by its sender's
// secp256k1 key. What is signed binds everything a replay could change:
//
//   digest = keccak256(0x19 ‖ 0x00 ‖ registry ‖
//                      abi.encode(uint256 chainId, address from,
//                                 uint256 nonce, bytes32 keccak256(calldata)))
//
// i.e. EIP-191 version 0x00 ("data with intended validator", the validator
// being the registry). The nonce is the sender's count of earlier
// transactions, as on Ethereum, so a transaction can be applied once, in
// order. The signer is recovered exactly as ecrecover does (low-s only), so
// the keys and addresses are the ones the EVM backend uses.
//
// Stateless; safe for concurrent use. DecodeTransaction reads untrusted
// bytes (fuzzed: tests/fuzz/ledger_tx_fuzz.cc).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "crypto/ethereum.h"

namespace certme {

// The largest call is a full recordAccess batch (64 records of 1 KiB:
// about 70 KiB); every other call stays under 16 KiB.
inline constexpr size_t kMaxCalldataBytes = 96 * 1024;

struct SignedTransaction {
  uint64_t chain_id = 0;
  std::string registry;  // 20 bytes
  std::string from;      // 20 bytes (claimed; must equal the recovered signer)
  uint64_t nonce = 0;
  std::string calldata;
  EthSignature signature{};
};

Bytes32 TransactionDigest(uint64_t chain_id, std::string_view registry, std::string_view from,
                          uint64_t nonce, std::string_view calldata);
SignedTransaction SignTransaction(const EthKey& sender, uint64_t chain_id, std::string_view registry,
                                  uint64_t nonce, std::string calldata);
// OK when the signature recovers to `from` (BadSignature otherwise).
Status VerifyTransactionSignature(const SignedTransaction& tx);

// Log form: abi.encode(uint256 chainId, address registry, address from,
// uint256 nonce, bytes calldata, bytes signature). Decoding refuses
// malformed or non-canonical bytes.
std::string EncodeTransaction(const SignedTransaction& tx);
StatusOr<SignedTransaction> DecodeTransaction(std::string_view bytes);
// keccak256 of the log form.
Bytes32 TransactionHash(const SignedTransaction& tx);

// The address of a contract created by `sender` with account nonce `nonce`
// (Ethereum CREATE: keccak256(rlp([sender, nonce]))[12:]).
std::string CreateAddress(std::string_view sender20, uint64_t nonce);

// The embedded registry's address: keccak256("certME embedded registry" ‖
// uint256 chain id ‖ admin)[12:]. No CREATE or CREATE2 preimage starts with
// those bytes, so no contract on any EVM chain has this address (and no
// consent for the embedded registry verifies on a deployed one, even with
// the same administrator key and chain id). Ledgers created before this
// derivation used CreateAddress(admin, 0); they still replay.
std::string EmbeddedRegistryAddress(std::string_view admin20, uint64_t chain_id);

}  // namespace certme
