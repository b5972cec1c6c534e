// Keeps the running bridge's signing keys in step with the Store's key set
// (idp/signing_key_store.h): every replica reads the record at start and
// then every keys.refresh_seconds, and when its version changed swaps the
// OpenID Connect KeySet and the SAML signer at once. A record that cannot
// be read or applied (Store down, a key that does not open) leaves the keys
// in use as they are and is logged; the next read tries again.
//
// Keys are parsed when a record brings them (never on a request path, rule
// 14) and kept by kid, so a refresh parses only keys it has not seen.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/clock.h"
#include "common/status.h"
#include "crypto/jose.h"
#include "idp/signing_key_store.h"
#include "protocols/saml/idp.h"

namespace certme {

class SigningKeyWatcher {
 public:
  using SamlSink = std::function<void(saml::SamlSigner)>;

  // All references outlive the watcher.
  SigningKeyWatcher(SigningKeyStore& store, KeySet& oidc_keys, Duration interval);
  ~SigningKeyWatcher();  // stops the thread

  // Reads the record and applies it when its version differs from the one
  // in use. FailedPrecondition when the record has no active OIDC key (it
  // is then not applied).
  Status Refresh();
  // The SAML signer of the record in use; nullopt when it has no active
  // SAML key.
  std::optional<saml::SamlSigner> CurrentSamlSigner() const;
  // Called with the new SAML signer whenever an applied record changes it.
  // REQUIRES: before Start().
  void SetSamlSink(SamlSink sink) { saml_sink_ = std::move(sink); }
  // The version of the record in use (0: none yet).
  int64_t version() const;
  void Start();

 private:
  void Run();
  StatusOr<std::shared_ptr<SigningKey>> Parsed(const ManagedKey& k);

  SigningKeyStore& store_;
  KeySet& oidc_keys_;
  Duration interval_;
  SamlSink saml_sink_;

  mutable std::mutex mu_;
  int64_t version_ = 0;                             // GUARDED_BY(mu_)
  std::optional<saml::SamlSigner> saml_signer_;     // GUARDED_BY(mu_)
  // kid → (sealed key it was parsed from, the key).
  std::map<std::string, std::pair<std::string, std::shared_ptr<SigningKey>>> parsed_;  // GUARDED_BY(mu_)
  std::mutex refresh_mu_;  // one Refresh at a time

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;  // GUARDED_BY(stop_mu_)
  std::thread thread_;
};

}  // namespace certme
