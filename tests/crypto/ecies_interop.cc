// Command-line face of crypto/ecies.h for the wallet interop suite
// (conformance/wallet): a node script with npm eciesjs encrypts and this
// program decrypts, and the other way round. Test helper only; not shipped.
//
//   ecies_interop decrypt <private key hex> <payload hex>  → plaintext hex
//   ecies_interop encrypt <public key hex>  <plaintext hex> → payload hex
//   ecies_interop pubkey  <private key hex>                 → public key hex (65 bytes)
//
// Exit status: 0 on success, 1 on a refused input (message on stderr), 2 on usage errors.
#include <cstdio>
#include <string>
#include <string_view>

#include "common/encoding.h"
#include "common/random.h"
#include "crypto/ecies.h"
#include "crypto/ethereum.h"

namespace {

int Usage() {
  std::fprintf(stderr,
               "usage: ecies_interop decrypt <sk hex> <payload hex>\n"
               "       ecies_interop encrypt <pk hex> <plaintext hex>\n"
               "       ecies_interop pubkey <sk hex>\n");
  return 2;
}

int Fail(const certme::Status& s) {
  std::fprintf(stderr, "%s\n", s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return Usage();
  std::string_view cmd = argv[1];
  if (cmd == "pubkey" && argc == 3) {
    auto key = certme::EthKey::FromHex(argv[2]);
    if (!key.ok()) return Fail(key.status());
    std::printf("%s\n", certme::HexEncode(key->public_key()).c_str());
    return 0;
  }
  if (argc != 4) return Usage();
  auto data = certme::HexDecode(argv[3]);
  if (!data) return Fail(certme::InvalidArgument("second argument is not hex"));
  if (cmd == "decrypt") {
    auto key = certme::EthKey::FromHex(argv[2]);
    if (!key.ok()) return Fail(key.status());
    auto plain = certme::EciesDecrypt(*key, *data);
    if (!plain.ok()) return Fail(plain.status());
    std::printf("%s\n", certme::HexEncode(*plain).c_str());
    return 0;
  }
  if (cmd == "encrypt") {
    auto pub = certme::HexDecode(argv[2]);
    if (!pub) return Fail(certme::InvalidArgument("public key is not hex"));
    auto payload = certme::EciesEncrypt(*pub, *data, certme::SystemRandom());
    if (!payload.ok()) return Fail(payload.status());
    std::printf("%s\n", certme::HexEncode(*payload).c_str());
    return 0;
  }
  return Usage();
}
