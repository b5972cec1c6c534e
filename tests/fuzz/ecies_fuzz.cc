// Fuzzes ECIES payload decoding (crypto/ecies.h) as the wallet API receives
// it: arbitrary bytes decrypted with a fixed recipient key. Nothing may
// crash; an accepted payload must have exactly the format's overhead and its
// plaintext must survive a fresh encrypt/decrypt round trip. The same bytes
// are also tried as a recipient public key for EciesEncrypt.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/random.h"
#include "crypto/ecies.h"
#include "crypto/ethereum.h"

namespace {
const certme::EthKey& Recipient() {
  static const certme::EthKey key =
      certme::EthKey::FromHex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318").value();
  return key;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const certme::EthKey& key = Recipient();
  certme::FakeRandom random(size + 1);

  auto plain = certme::EciesDecrypt(key, in);
  if (plain.ok()) {
    if (plain->size() + certme::kEciesOverheadBytes != size) std::abort();
    auto again = certme::EciesEncrypt(key.public_key(), *plain, random);
    if (!again.ok()) std::abort();
    auto back = certme::EciesDecrypt(key, *again);
    if (!back.ok() || *back != *plain) std::abort();
  } else if (plain.status().code() != certme::StatusCode::kInvalidArgument) {
    std::abort();  // hostile input is a client error, never an internal one
  }

  std::string_view as_key = in.substr(0, in.size() >= 65 && data[0] == 0x04 ? 65 : 33);
  auto sealed = certme::EciesEncrypt(as_key, "probe", random);
  if (sealed.ok() && sealed->size() != certme::kEciesOverheadBytes + 5) std::abort();
  return 0;
}
