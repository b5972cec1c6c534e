#include "ledger-client/transaction.h"

#include "ledger-client/abi.h"
#include "ledger-client/ledger.h"

namespace certme {

Bytes32 TransactionDigest(uint64_t chain_id, std::string_view registry, std::string_view from,
                          uint64_t nonce, std::string_view calldata) {
  std::string buf("\x19\x00", 2);  // EIP-191 version 0x00
  buf.append(registry);
  buf.append(abi::Encoder().Uint(chain_id).Address(from).Uint(nonce).Fixed(Keccak256(calldata)).Encode());
  return Keccak256(buf);
}

SignedTransaction SignTransaction(const EthKey& sender, uint64_t chain_id, std::string_view registry,
                                  uint64_t nonce, std::string calldata) {
  SignedTransaction tx;
  tx.chain_id = chain_id;
  tx.registry = std::string(registry);
  tx.from = sender.address();
  tx.nonce = nonce;
  tx.calldata = std::move(calldata);
  tx.signature = sender.SignDigest(TransactionDigest(chain_id, tx.registry, tx.from, nonce, tx.calldata));
  return tx;
}

Status VerifyTransactionSignature(const SignedTransaction& tx) {
  auto signer = RecoverAddress(TransactionDigest(tx.chain_id, tx.registry, tx.from, tx.nonce, tx.calldata),
                               tx.signature);
  if (!signer.ok()) return LedgerError(LedgerErrorCode::kBadSignature, "transaction signature is malformed");
  if (*signer != tx.from)
    return LedgerError(LedgerErrorCode::kBadSignature, "transaction is not signed by its sender");
  return Status::Ok();
}

std::string EncodeTransaction(const SignedTransaction& tx) {
  return abi::Encoder()
      .Uint(tx.chain_id)
      .Address(tx.registry)
      .Address(tx.from)
      .Uint(tx.nonce)
      .Bytes(tx.calldata)
      .Bytes(std::string_view(reinterpret_cast<const char*>(tx.signature.rsv.data()), tx.signature.rsv.size()))
      .Encode();
}

StatusOr<SignedTransaction> DecodeTransaction(std::string_view bytes) {
  abi::Decoder d(bytes);
  SignedTransaction tx;
  auto bad = [](const Status& s) { return InvalidArgument("malformed transaction: " + s.message()); };
  auto chain = d.Uint64();
  if (!chain.ok()) return bad(chain.status());
  tx.chain_id = *chain;
  auto registry = d.Address();
  if (!registry.ok()) return bad(registry.status());
  tx.registry = *registry;
  auto from = d.Address();
  if (!from.ok()) return bad(from.status());
  tx.from = *from;
  auto nonce = d.Uint64();
  if (!nonce.ok()) return bad(nonce.status());
  tx.nonce = *nonce;
  auto data = d.Bytes(kMaxCalldataBytes);
  if (!data.ok()) return bad(data.status());
  tx.calldata = std::move(*data);
  auto sig = d.Bytes(65);
  if (!sig.ok()) return bad(sig.status());
  if (sig->size() != 65) return InvalidArgument("malformed transaction: signature must be 65 bytes");
  std::copy(sig->begin(), sig->end(), tx.signature.rsv.begin());
  if (EncodeTransaction(tx) != bytes) return InvalidArgument("malformed transaction: non-canonical encoding");
  return tx;
}

Bytes32 TransactionHash(const SignedTransaction& tx) { return Keccak256(EncodeTransaction(tx)); }

std::string EmbeddedRegistryAddress(std::string_view admin20, uint64_t chain_id) {
  std::string pre = "certME embedded registry";
  pre += std::string(24, '\0');
  for (int i = 7; i >= 0; --i) pre.push_back(static_cast<char>((chain_id >> (8 * i)) & 0xff));
  pre += std::string(admin20);
  const Bytes32 h = Keccak256(pre);
  return std::string(reinterpret_cast<const char*>(h.data()) + 12, 20);
}

std::string CreateAddress(std::string_view sender20, uint64_t nonce) {
  // RLP (Ethereum Yellow Paper, Appendix B) of [20-byte string, integer].
  std::string nonce_rlp;
  if (nonce == 0) {
    nonce_rlp = "\x80";  // the empty string encodes integer zero
  } else if (nonce < 0x80) {
    nonce_rlp = std::string(1, static_cast<char>(nonce));
  } else {
    std::string be;
    for (uint64_t v = nonce; v; v >>= 8) be.insert(be.begin(), static_cast<char>(v & 0xff));
    nonce_rlp = std::string(1, static_cast<char>(0x80 + be.size())) + be;
  }
  std::string payload = std::string(1, static_cast<char>(0x80 + 20)) + std::string(sender20) + nonce_rlp;
  std::string list = std::string(1, static_cast<char>(0xc0 + payload.size())) + payload;
  Bytes32 h = Keccak256(list);
  return std::string(abi::AsView(h).substr(12));
}

}  // namespace certme
