// Fuzzes the decoders of common/encoding.h: no input may crash them, and
// whatever decodes must re-encode to an equivalent form.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/encoding.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto b = certme::Base64UrlDecode(in)) {
    if (certme::Base64UrlDecode(certme::Base64UrlEncode(*b)) != b) std::abort();
  }
  if (auto b = certme::Base64Decode(in)) {
    if (certme::Base64Decode(certme::Base64Encode(*b)) != b) std::abort();
  }
  if (auto h = certme::HexDecode(in)) {
    if (certme::HexDecode(certme::HexEncode(*h)) != h) std::abort();
  }
  if (auto p = certme::PercentDecode(in, true)) {
    if (certme::PercentDecode(certme::PercentEncode(*p), false) != p) std::abort();
  }
  (void)certme::ParseUrlEncoded(in);
  (void)certme::SplitTrimmed(in, ',');
  return 0;
}
