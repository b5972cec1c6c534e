// Fuzzes the JAdES parsers of untrusted input (crypto/jades.h): the
// protected header a wallet sends or a signature file carries, the
// flattened JSON serialization `certme sign verify` reads, and sigT.
// First byte: 0 → the input is the base64url header text; 1 → the input is
// header JSON (encoded here, so the fuzzer reaches the JSON checks); 2 → a
// flattened JAdES; 3 → a sigT string. Invariants: no crash; a parsed
// header rebuilds to a header that parses to the same fields; a parsed
// sigT formats back to the same text; a verifier never accepts an
// all-zero signature.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/encoding.h"
#include "crypto/jades.h"

namespace {

void Require(bool ok) {
  if (!ok) std::abort();
}

void Header(std::string_view b64) {
  auto h = certme::ParseJadesProtectedHeader(b64);
  if (!h.ok()) return;
  auto again = certme::ParseJadesProtectedHeader(certme::BuildJadesProtectedHeader(*h));
  Require(again.ok() && again->public_key == h->public_key && again->signer == h->signer &&
          again->chain_id == h->chain_id && again->registry == h->registry &&
          again->sign_request == h->sign_request && again->signing_time == h->signing_time &&
          again->item.name == h->item.name && again->item.hash_alg == h->item.hash_alg &&
          again->item.digest == h->item.digest);
  Require(!certme::VerifyJades(b64, std::string(64, '\0')).ok());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] & 3) {
    case 0: Header(in); break;
    case 1: Header(certme::Base64UrlEncode(in)); break;
    case 2: {
      auto jws = certme::ParseJadesFlattenedJson(in);
      if (jws.ok()) Require(jws->signature.size() == 64);
      break;
    }
    default: {
      auto t = certme::ParseJadesTime(in);
      if (t.ok()) Require(certme::FormatJadesTime(*t) == in);
    }
  }
  return 0;
}
