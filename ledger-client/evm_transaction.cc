#include "ledger-client/evm_transaction.h"

#include <vector>

#include "ledger-client/abi.h"
#include "ledger-client/rlp.h"

namespace certme {
namespace {


// The fields both forms share, in EIP-1559 order after chain id and nonce.
std::vector<std::string> Eip1559Fields(const EvmTransaction& tx) {
  return {rlp::EncodeUint(tx.chain_id),       rlp::EncodeUint(tx.nonce),
          rlp::EncodeUint(tx.max_priority_fee_per_gas), rlp::EncodeUint(tx.max_fee_per_gas),
          rlp::EncodeUint(tx.gas_limit),      rlp::EncodeBytes(tx.to),
          rlp::EncodeUint(tx.value),          rlp::EncodeBytes(tx.data),
          rlp::EncodeList({})};  // access list
}

std::vector<std::string> LegacyFields(const EvmTransaction& tx) {
  return {rlp::EncodeUint(tx.nonce), rlp::EncodeUint(tx.max_fee_per_gas), rlp::EncodeUint(tx.gas_limit),
          rlp::EncodeBytes(tx.to),   rlp::EncodeUint(tx.value),           rlp::EncodeBytes(tx.data)};
}

Status Bad(const char* why) { return InvalidArgument("malformed transaction", why); }

StatusOr<std::string> Address(const rlp::Item& i) {
  if (i.is_list || (i.bytes.size() != 20 && !i.bytes.empty())) return Bad("bad recipient");
  return i.bytes;
}

StatusOr<EthSignature> Signature(const rlp::Item& r, const rlp::Item& s, uint8_t recid) {
  if (r.is_list || s.is_list || r.bytes.size() > 32 || s.bytes.size() > 32) return Bad("bad signature");
  EthSignature sig{};
  std::copy(r.bytes.begin(), r.bytes.end(), sig.rsv.begin() + (32 - r.bytes.size()));
  std::copy(s.bytes.begin(), s.bytes.end(), sig.rsv.begin() + 32 + (32 - s.bytes.size()));
  sig.rsv[64] = static_cast<uint8_t>(27 + recid);
  return sig;
}

}  // namespace

SignedEvmTransaction SignEvmTransaction(const EthKey& sender, const EvmTransaction& tx) {
  SignedEvmTransaction out;
  if (!tx.legacy) {
    std::vector<std::string> fields = Eip1559Fields(tx);
    const EthSignature sig = sender.SignDigest(Keccak256("\x02" + rlp::EncodeList(fields)));
    const std::string_view rsv(reinterpret_cast<const char*>(sig.rsv.data()), 65);
    fields.push_back(rlp::EncodeUint(sig.rsv[64] - 27u));  // y parity
    fields.push_back(rlp::EncodeBigEndian(rsv.substr(0, 32)));
    fields.push_back(rlp::EncodeBigEndian(rsv.substr(32, 32)));
    out.raw = "\x02" + rlp::EncodeList(fields);
  } else {
    // EIP-155: sign rlp(fields ‖ chainId, 0, 0); v = recid + 2·chainId + 35.
    std::vector<std::string> fields = LegacyFields(tx);
    std::vector<std::string> to_sign = fields;
    to_sign.push_back(rlp::EncodeUint(tx.chain_id));
    to_sign.push_back(rlp::EncodeUint(0));
    to_sign.push_back(rlp::EncodeUint(0));
    const EthSignature sig = sender.SignDigest(Keccak256(rlp::EncodeList(to_sign)));
    const std::string_view rsv(reinterpret_cast<const char*>(sig.rsv.data()), 65);
    fields.push_back(rlp::EncodeUint(sig.rsv[64] - 27u + 2 * tx.chain_id + 35));
    fields.push_back(rlp::EncodeBigEndian(rsv.substr(0, 32)));
    fields.push_back(rlp::EncodeBigEndian(rsv.substr(32, 32)));
    out.raw = rlp::EncodeList(fields);
  }
  out.hash = Keccak256(out.raw);
  return out;
}

StatusOr<DecodedEvmTransaction> DecodeRawTransaction(std::string_view raw) {
  if (raw.empty()) return Bad("empty");
  DecodedEvmTransaction d;
  d.hash = Keccak256(raw);
  EthSignature sig{};
  Bytes32 digest{};
  if (static_cast<uint8_t>(raw[0]) == 0x02) {
    CERTME_ASSIGN_OR_RETURN(rlp::Item list, rlp::Decode(raw.substr(1)));
    if (!list.is_list || list.items.size() != 12) return Bad("a type-2 transaction has 12 fields");
    const auto& f = list.items;
    EvmTransaction& t = d.tx;
    CERTME_ASSIGN_OR_RETURN(t.chain_id, rlp::ToUint(f[0]));
    CERTME_ASSIGN_OR_RETURN(t.nonce, rlp::ToUint(f[1]));
    CERTME_ASSIGN_OR_RETURN(t.max_priority_fee_per_gas, rlp::ToUint(f[2]));
    CERTME_ASSIGN_OR_RETURN(t.max_fee_per_gas, rlp::ToUint(f[3]));
    CERTME_ASSIGN_OR_RETURN(t.gas_limit, rlp::ToUint(f[4]));
    CERTME_ASSIGN_OR_RETURN(t.to, Address(f[5]));
    CERTME_ASSIGN_OR_RETURN(t.value, rlp::ToUint(f[6]));
    if (f[7].is_list) return Bad("data is a list");
    t.data = f[7].bytes;
    if (!f[8].is_list) return Bad("access list is not a list");
    CERTME_ASSIGN_OR_RETURN(uint64_t parity, rlp::ToUint(f[9]));
    if (parity > 1) return Bad("y parity is not 0 or 1");
    CERTME_ASSIGN_OR_RETURN(sig, Signature(f[10], f[11], static_cast<uint8_t>(parity)));
    std::vector<std::string> fields = Eip1559Fields(t);
    if (!f[8].items.empty()) return Bad("access lists are not supported");
    digest = Keccak256("\x02" + rlp::EncodeList(fields));
  } else if (static_cast<uint8_t>(raw[0]) >= 0xc0) {
    CERTME_ASSIGN_OR_RETURN(rlp::Item list, rlp::Decode(raw));
    if (!list.is_list || list.items.size() != 9) return Bad("a legacy transaction has 9 fields");
    const auto& f = list.items;
    EvmTransaction& t = d.tx;
    t.legacy = true;
    CERTME_ASSIGN_OR_RETURN(t.nonce, rlp::ToUint(f[0]));
    CERTME_ASSIGN_OR_RETURN(t.max_fee_per_gas, rlp::ToUint(f[1]));
    CERTME_ASSIGN_OR_RETURN(t.gas_limit, rlp::ToUint(f[2]));
    CERTME_ASSIGN_OR_RETURN(t.to, Address(f[3]));
    CERTME_ASSIGN_OR_RETURN(t.value, rlp::ToUint(f[4]));
    if (f[5].is_list) return Bad("data is a list");
    t.data = f[5].bytes;
    CERTME_ASSIGN_OR_RETURN(uint64_t v, rlp::ToUint(f[6]));
    if (v < 37 || v > (uint64_t{1} << 62)) return Bad("not an EIP-155 signature");
    t.chain_id = (v - 35) / 2;
    CERTME_ASSIGN_OR_RETURN(sig, Signature(f[7], f[8], static_cast<uint8_t>((v - 35) % 2)));
    std::vector<std::string> to_sign = LegacyFields(t);
    to_sign.push_back(rlp::EncodeUint(t.chain_id));
    to_sign.push_back(rlp::EncodeUint(0));
    to_sign.push_back(rlp::EncodeUint(0));
    digest = Keccak256(rlp::EncodeList(to_sign));
  } else {
    return Bad("unsupported transaction type");
  }
  auto from = RecoverAddress(digest, sig);
  if (!from.ok()) return Bad("signature does not recover");
  d.from = *from;
  return d;
}

}  // namespace certme
