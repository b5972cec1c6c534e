// KeySet: the bridge's signing keys and their rotation states.
//
// Rotation follows the usual publish-then-sign schedule: a key is published
// as "next" so relying parties that cache our JWKS already know it when it
// starts signing, and a replaced key stays published as "retired" until
// every token it signed has expired.
#include <algorithm>
#include <mutex>
#include <shared_mutex>

#include "crypto/jose.h"

namespace certme {

struct KeySet::Impl {
  Clock* clock;
  mutable std::shared_mutex mu;
  std::vector<Entry> entries;  // GUARDED_BY(mu); insertion order = age

  bool Published(const Entry& e, TimePoint now) const {
    return e.state != State::kRetired || now < e.retire_after;
  }
};

KeySet::KeySet(Clock* clock) : impl_(std::make_shared<Impl>()) {
  impl_->clock = clock ? clock : &SystemClock();
}

void KeySet::Add(std::shared_ptr<SigningKey> key, State state, TimePoint retire_after) {
  if (!key) return;
  std::unique_lock lock(impl_->mu);
  impl_->entries.push_back(Entry{std::move(key), state, retire_after});
}

std::shared_ptr<const SigningKey> KeySet::ActiveFor(JwsAlg alg) const {
  std::shared_lock lock(impl_->mu);
  // Last added wins (see the header).
  for (auto it = impl_->entries.rbegin(); it != impl_->entries.rend(); ++it) {
    if (it->state == State::kActive && it->key->Supports(alg)) return it->key;
  }
  return nullptr;
}

Status KeySet::Rotate(JwsAlg alg, Duration keep_retired) {
  std::unique_lock lock(impl_->mu);
  auto& entries = impl_->entries;
  auto next = std::find_if(entries.begin(), entries.end(), [&](const Entry& e) {
    return e.state == State::kNext && e.key->Supports(alg);
  });
  if (next == entries.end())
    return FailedPrecondition("no next key published for this algorithm", JwsAlgName(alg));
  const TimePoint now = impl_->clock->Now();
  for (auto& e : entries) {
    if (e.state == State::kActive && e.key->Supports(alg)) {
      e.state = State::kRetired;
      e.retire_after = now + keep_retired;
    }
  }
  next->state = State::kActive;
  // Forget retired keys that are no longer published.
  std::erase_if(entries, [&](const Entry& e) { return !impl_->Published(e, now); });
  return Status::Ok();
}

nlohmann::json KeySet::Jwks() const {
  std::shared_lock lock(impl_->mu);
  const TimePoint now = impl_->clock->Now();
  nlohmann::json keys = nlohmann::json::array();
  for (const auto& e : impl_->entries) {
    if (impl_->Published(e, now)) keys.push_back(e.key->ToJwk());
  }
  return nlohmann::json{{"keys", std::move(keys)}};
}

std::vector<std::shared_ptr<const PublicKey>> KeySet::VerificationKeys() const {
  std::shared_lock lock(impl_->mu);
  const TimePoint now = impl_->clock->Now();
  std::vector<std::shared_ptr<const PublicKey>> out;
  for (const auto& e : impl_->entries) {
    if (e.state != State::kNext && impl_->Published(e, now)) out.push_back(e.key);
  }
  return out;
}

std::vector<JwsAlg> KeySet::SigningAlgs() const {
  std::shared_lock lock(impl_->mu);
  std::vector<JwsAlg> out;
  for (JwsAlg alg : {JwsAlg::kRS256, JwsAlg::kPS256, JwsAlg::kES256, JwsAlg::kEdDSA}) {
    bool any = std::any_of(impl_->entries.begin(), impl_->entries.end(), [&](const Entry& e) {
      return e.state == State::kActive && e.key->Supports(alg);
    });
    if (any) out.push_back(alg);
  }
  return out;
}

void KeySet::Replace(std::vector<Entry> entries) {
  std::erase_if(entries, [](const Entry& e) { return !e.key; });
  std::unique_lock lock(impl_->mu);
  impl_->entries = std::move(entries);
}

std::vector<KeySet::Entry> KeySet::Entries() const {
  std::shared_lock lock(impl_->mu);
  return impl_->entries;
}

}  // namespace certme
