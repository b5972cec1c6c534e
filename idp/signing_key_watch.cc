#include "idp/signing_key_watch.h"

#include <chrono>

#include "common/log.h"

namespace certme {

SigningKeyWatcher::SigningKeyWatcher(SigningKeyStore& store, KeySet& oidc_keys, Duration interval)
    : store_(store), oidc_keys_(oidc_keys), interval_(interval) {}

SigningKeyWatcher::~SigningKeyWatcher() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

int64_t SigningKeyWatcher::version() const {
  std::lock_guard<std::mutex> lock(mu_);
  return version_;
}

std::optional<saml::SamlSigner> SigningKeyWatcher::CurrentSamlSigner() const {
  std::lock_guard<std::mutex> lock(mu_);
  return saml_signer_;
}

StatusOr<std::shared_ptr<SigningKey>> SigningKeyWatcher::Parsed(const ManagedKey& k) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = parsed_.find(k.kid);
    if (it != parsed_.end() && it->second.first == k.sealed_key) return it->second.second;
  }
  CERTME_ASSIGN_OR_RETURN(auto key, store_.Open(k));
  std::lock_guard<std::mutex> lock(mu_);
  parsed_[k.kid] = {k.sealed_key, key};
  return key;
}

Status SigningKeyWatcher::Refresh() {
  std::lock_guard<std::mutex> one(refresh_mu_);
  CERTME_ASSIGN_OR_RETURN(auto record, store_.Read());
  if (!record) return FailedPrecondition("the Store holds no signing keys yet");
  if (record->version == version()) return Status::Ok();

  std::vector<KeySet::Entry> oidc;
  std::optional<saml::SamlSigner> saml;
  const ManagedKey* saml_active = nullptr;
  std::vector<std::string> saml_next;
  for (const auto& k : record->keys) {
    if (k.use == KeyUse::kSaml) {
      // Metadata lists the signing key and the ones about to sign; a retired
      // SAML key has nothing left to verify (assertions are consumed at once).
      if (k.state == KeySet::State::kActive && (!saml_active || k.promoted_at >= saml_active->promoted_at))
        saml_active = &k;
      if (k.state == KeySet::State::kNext) saml_next.push_back(k.certificate_der);
      continue;
    }
    CERTME_ASSIGN_OR_RETURN(auto key, Parsed(k));
    TimePoint retire_after{};
    if (k.state == KeySet::State::kRetired) retire_after = TimePoint(std::chrono::seconds(k.unpublish_at));
    oidc.push_back(KeySet::Entry{std::move(key), k.state, retire_after});
  }
  bool any_active = false;
  for (const auto& e : oidc) any_active = any_active || e.state == KeySet::State::kActive;
  if (!any_active)
    return FailedPrecondition("the Store's key set has no active OpenID Connect key; keys in use are kept");
  if (saml_active) {
    CERTME_ASSIGN_OR_RETURN(auto key, Parsed(*saml_active));
    saml = saml::SamlSigner{std::move(key), saml_active->certificate_der, std::move(saml_next)};
  }

  oidc_keys_.Replace(std::move(oidc));
  bool saml_changed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    saml_changed = saml.has_value() != saml_signer_.has_value() ||
                   (saml && (saml->key != saml_signer_->key ||
                             saml->next_certificates_der != saml_signer_->next_certificates_der));
    saml_signer_ = saml;
    version_ = record->version;
    // Forget parsed keys that left the record.
    std::erase_if(parsed_, [&](const auto& p) { return !record->Find(p.first); });
  }
  if (saml_changed && saml && saml_sink_) saml_sink_(*saml);
  LogInfo("signing keys applied", {{"version", record->version}, {"keys", record->keys.size()}});
  return Status::Ok();
}

void SigningKeyWatcher::Start() {
  thread_ = std::thread([this] { Run(); });
}

void SigningKeyWatcher::Run() {
  std::unique_lock<std::mutex> lock(stop_mu_);
  while (!stop_cv_.wait_for(lock, interval_, [this] { return stop_; })) {
    lock.unlock();
    Status st = Refresh();
    if (!st.ok()) LogWarn("signing keys not refreshed", {{"error", st.message()}, {"detail", st.detail()}});
    lock.lock();
  }
}

}  // namespace certme
