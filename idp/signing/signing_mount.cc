#include "idp/signing/signing_mount.h"

#include "common/clock.h"
#include "common/random.h"
#include "idp/signing/signature_verify.h"

namespace certme::signing {

std::unique_ptr<SigningMount> MountSigning(Router& router, const std::string& public_url, Store& store,
                                           ClientRegistry& clients, OidcProvider& oidc, WalletAuthenticator& wallet,
                                           Ledger& ledger, ProviderKeys& provider_keys) {
  auto m = std::make_unique<SigningMount>();
  m->signs = std::make_unique<SignStore>(store, SystemClock(), SystemRandom());
  m->flow = std::make_unique<SignFlow>(SignFlowOptions{public_url}, *m->signs, store, clients, wallet, ledger,
                                       provider_keys, SystemClock(), SystemRandom());
  SignStore* signs = m->signs.get();
  m->api = std::make_unique<ProviderApi>(
      ProviderApiOptions{public_url}, *m->signs,
      [&oidc](const HttpRequest& req, std::string_view path) { return oidc.AuthenticateApiClient(req, path); },
      [&ledger, signs](const OidcClient& client, const VerifyRequest& v) {
        return VerifySignature(ledger, *signs, client, v);
      });
  m->api->Mount(router);
  m->flow->Mount(router);
  wallet.SetSignHook(m->flow.get());
  return m;
}

}  // namespace certme::signing
