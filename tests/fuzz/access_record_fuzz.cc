// Fuzzes the opener of access records (ledger-client/access_record.h) as the
// wallet meets them on the ledger: tag (first 32 bytes) and sealed record
// (the rest) from anyone, opened with a fixed user/provider pair, and the
// same bytes given to the plaintext parser. Nothing may crash; a record that
// opens, and a plaintext that parses, must encode back to the same bytes.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "crypto/ethereum.h"
#include "ledger-client/abi.h"
#include "ledger-client/access_record.h"

namespace {

// The provider is the known test vector key (address 0x2c7536E3…65c23);
// the seeds in corpus/access_record/ were sealed for this pair.
const certme::EthKey& Provider() {
  static const certme::EthKey k =
      certme::EthKey::FromHex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318").value();
  return k;
}
const certme::AccessRecordKeys& WalletKeys() {
  static const certme::EthKey user =
      certme::EthKey::FromHex("8da4ef21b864d2cc526dbdb2a120bd2874c36c9d0a1fb7f8c63d7f7a8b41de8f").value();
  static const certme::AccessRecordKeys k = certme::AccessRecordKeys::Derive(user, Provider().public_key()).value();
  return k;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);

  auto parsed = certme::DecodeAccessRecordContent(in);
  if (parsed.ok()) {
    auto again = certme::EncodeAccessRecordContent(*parsed);
    if (!again.ok() || *again != in) std::abort();
  } else if (parsed.status().code() != certme::StatusCode::kInvalidArgument) {
    std::abort();
  }

  if (size < 32) return 0;
  const certme::Bytes32 tag = certme::abi::ToBytes32(in.substr(0, 32));
  const std::string_view sealed = in.substr(32);
  auto opened = WalletKeys().Open(Provider().address(), tag, sealed);
  if (opened.ok()) {
    auto plain = certme::EncodeAccessRecordContent(*opened);
    if (!plain.ok()) std::abort();
    if (sealed.size() != plain->size() + 28) std::abort();  // nonce + GCM tag
  } else {
    const auto code = opened.status().code();
    if (code != certme::StatusCode::kNotFound && code != certme::StatusCode::kUnauthenticated &&
        code != certme::StatusCode::kInvalidArgument)
      std::abort();
  }
  return 0;
}
