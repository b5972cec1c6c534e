// The server's part of OIDC CIBA (protocols/oidc/ciba.h): the wallet inbox
// routes (idp/login/wallet_inbox.h), the wallet login's outcomes passed to
// the OIDC provider, and ping deliveries through the outbox (retried,
// bounded: idp/outbound/outbox.h). Mounted with the wallet login only.
#pragma once

#include <memory>

#include "idp/http/router.h"
#include "idp/login/wallet_authenticator.h"
#include "idp/login/wallet_inbox.h"
#include "idp/outbound/outbox.h"
#include "ledger-client/ledger.h"
#include "protocols/oidc/provider.h"

namespace certme {

class CibaMount {
 public:
  // Mounts the inbox on `router`, hooks the wallet login's outcomes to
  // `oidc` and gives it the ping notifier. Everything must outlive this.
  CibaMount(Router& router, OidcProvider& oidc, WalletAuthenticator& wallet, Store& store, Ledger& ledger,
            Outbox& outbox);
  // Answers the inbox's parked long-polls (server shutdown).
  void Drain() { inbox_->Drain(); }

 private:
  std::unique_ptr<CibaNotifier> notifier_;
  std::unique_ptr<WalletInbox> inbox_;
};

}  // namespace certme
