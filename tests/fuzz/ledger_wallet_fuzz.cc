// Fuzzes the files the ledger programs exchange (tools/wallet_file.h): the
// wallet envelope, the validator's enrollment hand-over and the wallet's
// presentation. No input may crash them; what they accept must survive a
// round trip (presentation and enrollment re-encode and re-parse equal).
// Key derivation is not run: a fuzz input must not cost 64 MiB of Argon2.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "tools/wallet_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto env = certme::ParseWalletEnvelope(in);
  if (env.ok() && (env->kdf.m_cost_kib > certme::kMaxWalletMCostKib || env->kdf.t_cost > certme::kMaxWalletTCost))
    std::abort();
  auto e = certme::ParseEnrollment(in);
  if (e.ok()) {
    auto again = certme::ParseEnrollment(certme::EncodeEnrollment(*e));
    if (!again.ok() || again->user != e->user || again->attributes.size() != e->attributes.size()) std::abort();
  }
  auto p = certme::ParsePresentation(in);
  if (p.ok()) {
    auto again = certme::ParsePresentation(certme::EncodePresentation(*p));
    if (!again.ok() || again->consent.attr_keys != p->consent.attr_keys || again->signature != p->signature)
      std::abort();
  }
  return 0;
}
