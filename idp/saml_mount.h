// Builds the SAML IdP from the configuration and mounts its routes on the
// router (next to the OIDC provider). Owns what it builds.
#pragma once

#include <atomic>
#include <memory>

#include "common/secret.h"
#include "common/status.h"
#include "crypto/jose.h"
#include "config/config.h"
#include "idp/http/router.h"
#include "store/store.h"
#include "protocols/claims/claims_catalogue.h"
#include "protocols/login.h"
#include "protocols/saml/idp.h"
#include "protocols/saml/service.h"

namespace certme {

struct SamlMount {
  std::unique_ptr<saml::ServiceRegistry> services;
  std::unique_ptr<saml::SamlIdp> idp;
  // The signing certificate's notAfter (unix seconds; 0: unreadable), for
  // the key-expiry gauge in /metrics; follows SetSigner.
  std::atomic<int64_t> signing_not_after{0};

  // A rolled-over key (the signing-key watcher): the IdP signs with it from
  // now on and the gauge reports its certificate.
  void SetSigner(saml::SamlSigner signer);
};

// The configured SAML signing key and certificate: saml.signing_key_file /
// certificate_file, or in dev mode the RS256 key of `keys` with a
// self-signed certificate kept in keys.dev_key_dir. Initializes xmlsec
// (REQUIRES: before the HTTP server starts its threads).
StatusOr<saml::SamlSigner> LoadSamlSigner(const Config& config, const KeySet& keys);

// Registers the services of saml.dev_services_file and mounts
// SamlIdp::Routes() on `router`, signing with `signer` (LoadSamlSigner, or
// the Store's key set). `pairwise_salt` keys persistent NameIDs (shared with
// OIDC pairwise subjects).
StatusOr<std::unique_ptr<SamlMount>> MountSaml(const Config& config, Store& store, saml::SamlSigner signer,
                                               Authenticator& authenticator,
                                               const ClaimsCatalogue& catalogue,
                                               const Secret& pairwise_salt, Router& router,
                                               saml::SessionLogoutHook* logout_hook = nullptr);

}  // namespace certme
