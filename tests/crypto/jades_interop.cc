// Command-line face of crypto/jades.h for the JAdES interop suite
// (conformance/jades/interop.mjs): the C++ code signs and a node script
// verifies with other code, and the other way round. Test helper only; not
// shipped.
//
//   jades_interop sign <private key hex> <digest hex> <item name> <unix time>
//       → the flattened JAdES JSON (chain 31337, a fixed registry and request)
//   jades_interop verify < flattened JSON
//       → "<signer address> <sigT> <hashM> <digest hex> <item name>"
//   jades_interop address <public key hex>  → the EIP-55 address
//
// Exit status: 0 on success / valid, 1 on a refused input or an invalid
// signature (message on stderr), 2 on usage errors.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>
#include <string_view>

#include "common/encoding.h"
#include "crypto/ethereum.h"
#include "crypto/jades.h"

namespace {

int Usage() {
  std::fprintf(stderr,
               "usage: jades_interop sign <sk hex> <digest hex> <name> <unix time>\n"
               "       jades_interop verify < flattened.json\n"
               "       jades_interop address <pk hex>\n");
  return 2;
}

int Fail(const certme::Status& s) {
  std::fprintf(stderr, "%s\n", s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace certme;
  if (argc < 2) return Usage();
  std::string_view cmd = argv[1];
  if (cmd == "address" && argc == 3) {
    auto pub = HexDecode(argv[2]);
    if (!pub) return Fail(InvalidArgument("public key is not hex"));
    auto address = AddressFromPublicKey(*pub);
    if (!address.ok()) return Fail(address.status());
    std::printf("%s\n", ChecksumAddress(*address).c_str());
    return 0;
  }
  if (cmd == "sign" && argc == 6) {
    auto key = EthKey::FromHex(argv[2]);
    if (!key.ok()) return Fail(key.status());
    auto digest = HexDecode(argv[3]);
    if (!digest || (digest->size() != 32 && digest->size() != 48)) return Fail(InvalidArgument("digest"));
    JadesHeader h;
    h.public_key = key->public_key();
    h.chain_id = 31337;
    h.registry = ParseAddress("0x2DDD27F64fFcBd7799161e2909296972aE1055E0").value();
    h.sign_request.fill(0x5a);
    h.signing_time = std::stoll(argv[5]);
    h.item = {argv[4], digest->size() == 32 ? kJadesHashS256 : kJadesHashS384, *digest};
    if (!IsValidJadesItemName(h.item.name)) return Fail(InvalidArgument("item name"));
    std::string prot = BuildJadesProtectedHeader(h);
    std::printf("%s\n", JadesFlattenedJson(prot, SignJades(*key, prot), nullptr).c_str());
    return 0;
  }
  if (cmd == "verify" && argc == 2) {
    std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    auto jws = ParseJadesFlattenedJson(text);
    if (!jws.ok()) return Fail(jws.status());
    Status verified = VerifyJades(jws->protected_b64, jws->signature);
    if (!verified.ok()) return Fail(verified);
    std::printf("%s %s %s %s %s\n", ChecksumAddress(jws->header.signer).c_str(),
                FormatJadesTime(jws->header.signing_time).c_str(), jws->header.item.hash_alg.c_str(),
                HexEncode(jws->header.item.digest).c_str(), jws->header.item.name.c_str());
    return 0;
  }
  return Usage();
}
