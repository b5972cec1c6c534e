// The user's side of a sign request (docs/signing.md "The signing page"):
// the signing page and the hand-over to the wallet login that collects the
// signatures, and what happens when the wallet's answer passed every check
// (WalletSignHook: the expected signer, the ledger record, the settlement).
//
//   GET /sign/:id            the signing page: the service, the description,
//                            the items (name, hash, digest) and the expected
//                            signer; "Sign with certME" opens the wallet login
//                            page (QR code, same-device link, its live states)
//                            for a signing login begun for this request. A
//                            settled request shows its outcome and the way
//                            back to the service.
//   GET /sign/:id/done?txn=  where the wallet login page sends the browser when
//                            the login ended: 302 to the request's return URL
//                            with sign_id and RelayState (the provider reads
//                            the outcome through the API).
//
// A signing login is a wallet login with protocol kSignProtocol for the
// service (the OIDC client) that created the request, asking the identity
// attributes that prove the signer: idnp and the name (and idno for an
// organization signer). The wallet authenticator runs the login's checks and
// the sign checks; Complete then requires the validated idnp to be the
// expected signer's (and the validated idno the requested organization's),
// records every signature on the ledger with the service's provider account
// (Ledger::RecordSignatures) and settles the request: success with one
// detached JAdES per item, or failure with its reason.
//
// Thread-safety: every method may run concurrently; state lives in the Store.
#pragma once

#include <string>

#include "common/clock.h"
#include "common/http_message.h"
#include "common/random.h"
#include "idp/login/sign_hook.h"
#include "idp/signing/sign_store.h"
#include "ledger-client/ledger.h"
#include "protocols/login.h"
#include "protocols/oidc/client.h"
#include "protocols/provider_keys.h"

namespace certme::signing {

struct SignFlowOptions {
  std::string public_url;  // without trailing slash
};

class SignFlow : public WalletSignHook {
 public:
  // `login` begins the wallet login (the server's WalletAuthenticator).
  SignFlow(SignFlowOptions options, SignStore& signs, Store& store, ClientRegistry& clients, Authenticator& login,
           Ledger& ledger, ProviderKeys& provider_keys, Clock& clock, Random& random);

  HttpResponse Page(const HttpRequest& req);
  HttpResponse Done(const HttpRequest& req);

  template <typename RouterT>
  void Mount(RouterT& router) {
    router.Handle("GET", "/sign/:id", [this](const HttpRequest& r) { return Page(r); });
    router.Handle("GET", "/sign/:id/done", [this](const HttpRequest& r) { return Done(r); });
  }

  // WalletSignHook.
  StatusOr<SignLogin> Details(const std::string& txn) override;
  std::optional<wallet::WalletError> Complete(const std::string& txn, const std::string& eid,
                                              const std::vector<DisclosedAttribute>& attributes,
                                              const wallet::CheckedSignatures& signatures) override;
  void Ended(const std::string& txn, std::string_view outcome) override;

 private:
  // The sign request of login `txn`.
  StatusOr<SignRecord> RecordOfTxn(const std::string& txn);
  // Settles a pending request as failed with `reason`; false when it was
  // not pending any more.
  bool SettleFailure(const std::string& id, const std::string& reason);
  // Begins (or finds) the signing login of a pending request: its txn.
  // When the wallet login refuses to begin (the service's provider account
  // is not authorized), `refused` gets its page for the user.
  StatusOr<std::string> LoginOf(const SignRecord& r, const OidcClient& client, const std::string& lang,
                                std::optional<HttpResponse>& refused);
  HttpResponse SettledPage(const SignRecord& r, const std::string& lang);
  HttpResponse Message(int status, const std::string& lang, const std::string& key);

  SignFlowOptions options_;
  SignStore& signs_;
  Store& store_;
  ClientRegistry& clients_;
  Authenticator& login_;
  Ledger& ledger_;
  ProviderKeys& provider_keys_;
  Clock& clock_;
  Random& random_;
};

// The URL the browser returns to: return_url with sign_id and RelayState
// (when the provider gave one) added to its query.
std::string ReturnUrl(const SignRecord& r);

}  // namespace certme::signing
