// Helpers shared by the conformance suite's files: status matchers that
// name the expected registry error, a demo user, and the registry's cast
// (Scene). Test-only; every backend's run uses the same.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/random.h"
#include "common/status.h"
#include "crypto/ethereum.h"
#include "ledger-client/abi.h"
#include "ledger-client/attributes.h"
#include "ledger-client/eip712.h"
#include "ledger-client/ledger.h"

namespace certme::ledger_conformance {

// The chain every backend's fresh registry is made on.
inline constexpr uint64_t kChainId = 31337;

inline const Status& StatusOf(const Status& s) { return s; }
template <typename T>
const Status& StatusOf(const StatusOr<T>& s) {
  return s.status();
}

inline ::testing::AssertionResult IsRefused(const Status& s, LedgerErrorCode want) {
  auto got = LedgerErrorOf(s);
  if (got == want) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "expected " << LedgerErrorName(want) << ", got "
                                       << (s.ok() ? std::string("OK") : s.ToString());
}

inline ::testing::AssertionResult IsOk(const Status& s) {
  if (s.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << s.ToString();
}

// The call must be refused with exactly this named error.
#define EXPECT_REFUSED(expr, code)                                                \
  EXPECT_TRUE(::certme::ledger_conformance::IsRefused(::certme::ledger_conformance::StatusOf(expr), \
                                                      LedgerErrorCode::code))
#define ASSERT_OK(expr) \
  ASSERT_TRUE(::certme::ledger_conformance::IsOk(::certme::ledger_conformance::StatusOf(expr)))

// A user of the demo: a key and attributes with fresh salts.
struct User {
  EthKey key = EthKey::Generate();
  std::vector<DisclosedAttribute> attrs;

  User() {
    attrs = {{"first_name", "Ion", {}}, {"last_name", "Popescu", {}}, {"idnp", "2001234567890", {}},
             {"birth_date", "1990-05-17", {}}};
    for (auto& a : attrs) a.salt = abi::ToBytes32(SystemRandom().Bytes(32));
  }
  const std::string& address() const { return key.address(); }
  std::vector<Bytes32> Keys() const {
    std::vector<Bytes32> k;
    for (const auto& a : attrs) k.push_back(AttributeKey(a.name));
    return k;
  }
  std::vector<Bytes32> Commitments() const {
    std::vector<Bytes32> c;
    for (const auto& a : attrs) c.push_back(AttributeCommitment(address(), AttributeKey(a.name), a.value, a.salt));
    return c;
  }
  std::vector<DisclosedAttribute> Subset(const std::vector<std::string>& names) const {
    std::vector<DisclosedAttribute> out;
    for (const auto& n : names)
      for (const auto& a : attrs)
        if (a.name == n) out.push_back(a);
    return out;
  }
};

inline std::vector<Bytes32> KeysOf(const std::vector<std::string>& names) {
  std::vector<Bytes32> k;
  for (const auto& n : names) k.push_back(AttributeKey(n));
  return k;
}

inline Bytes32 RandomNonce() { return abi::ToBytes32(SystemRandom().Bytes(32)); }

inline std::string SigBytes(const EthSignature& s) {
  return std::string(reinterpret_cast<const char*>(s.rsv.data()), s.rsv.size());
}

// The registry's cast: an authorized validator and provider, and a user
// the validator enrolled with loa "substantial".
class Scene {
 public:
  Scene(Ledger& ledger, const EthKey& admin) : l_(ledger), admin_(admin) {}

  Status Setup() {
    CERTME_RETURN_IF_ERROR(l_.AddValidator(admin_, validator.address()).status());
    CERTME_RETURN_IF_ERROR(l_.AddProvider(admin_, provider.address()).status());
    return Enroll(user, validator);
  }
  Status Enroll(const User& u, const EthKey& v, uint8_t loa = kLoaSubstantial) {
    return l_.IssueEid(v, u.key, u.Keys(), u.Commitments(), loa).status();
  }

  Consent MakeConsent(const User& u, const EthKey& p, const std::vector<std::string>& names, int64_t ttl = 600) {
    return Consent{u.address(), p.address(), KeysOf(names), RandomNonce(),
                   static_cast<uint64_t>(l_.Now() + ttl)};
  }
  std::string Sign(const EthKey& signer, const Consent& c) { return SigBytes(SignConsent(signer, l_.Domain(), c)); }

  // A consented request by `provider` for `names` of `user`.
  StatusOr<uint64_t> Request(const std::vector<std::string>& names = {"first_name", "idnp"}, int64_t ttl = 600) {
    Consent c = MakeConsent(user, provider, names, ttl);
    return l_.RequestValidation(provider, c, Sign(user.key, c));
  }

  // The validator's answer: the commitments it holds for the request.
  StatusOr<TxReceipt> Answer(uint64_t id, const EthKey& who, uint8_t loa = kLoaSubstantial) {
    CERTME_ASSIGN_OR_RETURN(ValidationRequest r, l_.GetRequest(id));
    CERTME_ASSIGN_OR_RETURN(EidRecord eid, l_.GetEid(r.user));
    std::vector<Bytes32> out;
    for (const auto& k : r.attr_keys) {
      for (size_t i = 0; i < eid.attr_keys.size(); ++i)
        if (eid.attr_keys[i] == k) out.push_back(eid.commitments[i]);
    }
    return l_.AnswerValidation(who, id, out, loa);
  }

  Ledger& l_;
  const EthKey& admin_;
  EthKey validator = EthKey::Generate();
  EthKey provider = EthKey::Generate();
  User user;
};

}  // namespace certme::ledger_conformance
