// The signing server's assembly (docs/signing.md): the sign records, the
// provider API (authenticated through the OIDC provider), the signing page
// and the wallet login's sign hook, mounted on the server's router. Only
// with the wallet login (signing needs the wallet and the ledger).
#pragma once

#include <memory>
#include <string>

#include "idp/http/router.h"
#include "idp/login/wallet_authenticator.h"
#include "idp/signing/provider_api.h"
#include "idp/signing/sign_flow.h"
#include "idp/signing/sign_store.h"
#include "protocols/oidc/provider.h"

namespace certme::signing {

struct SigningMount {
  std::unique_ptr<SignStore> signs;
  std::unique_ptr<SignFlow> flow;
  std::unique_ptr<ProviderApi> api;
};

// Mounts the routes and sets `wallet`'s sign hook. Every reference must
// outlive the returned mount; the mount must outlive the router's use.
std::unique_ptr<SigningMount> MountSigning(Router& router, const std::string& public_url, Store& store,
                                           ClientRegistry& clients, OidcProvider& oidc, WalletAuthenticator& wallet,
                                           Ledger& ledger, ProviderKeys& provider_keys);

}  // namespace certme::signing
