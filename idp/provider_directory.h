// GET /.well-known/certme-providers.json: the directory of this bridge's
// services as the ledger knows them (docs/privacy.md, docs/wallet-protocol.md
// "Provider directory"). For each registered service (OIDC client or SAML
// service provider): its provider address, the public key a wallet needs to
// recognise and open its access records, its names in ro/ru/en and its
// protocol. Public information only (names, addresses, public keys); the
// wallet resolves the addresses of its history through it.
//
//   {"providers": [{"address": "0x…" (EIP-55), "public_key": "0x04…"
//                   (65-byte uncompressed, hex), "names": {"ro","ru","en"},
//                   "protocol": "oidc" | "saml", "service": client_id or
//                   entity ID}, …]}
//
// A service without a provider key yet is left out (it has no records).
// The answer is rebuilt at most once per `ttl` (hub mode decrypts each
// service's key to derive its public key) and is cacheable for as long.
// Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>

#include "common/clock.h"
#include "common/http_message.h"
#include "common/status.h"
#include "protocols/oidc/client.h"
#include "protocols/provider_keys.h"
#include "protocols/saml/service.h"

namespace certme {

inline constexpr char kProviderDirectoryPath[] = "/.well-known/certme-providers.json";

class ProviderDirectory {
 public:
  // `saml` may be null (SAML disabled). All references must outlive this.
  ProviderDirectory(ClientRegistry& clients, saml::ServiceRegistry* saml, ProviderKeys& keys, Clock& clock,
                    int64_t ttl_seconds = 300);

  // The directory's JSON document.
  StatusOr<std::string> Document();
  // The HTTP answer: 200 with Cache-Control, or 503 with a generic body.
  HttpResponse Handle(const HttpRequest& req);

 private:
  StatusOr<std::string> Build();

  ClientRegistry& clients_;
  saml::ServiceRegistry* saml_;
  ProviderKeys& keys_;
  Clock& clock_;
  const int64_t ttl_;
  std::mutex mu_;
  std::string cached_;      // guarded by mu_
  int64_t built_at_ = -1;   // guarded by mu_
};

}  // namespace certme
