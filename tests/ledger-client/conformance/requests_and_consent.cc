// Conformance: validation requests and the consent that authorizes each
// (signer, single use, provider, chain, registry, attributes, terms).
#include <gtest/gtest.h>

#include <chrono>

#include "ledger-client/registry_abi.h"

#include "tests/ledger-client/conformance/conformance_helpers.h"
#include "tests/ledger-client/conformance/ledger_conformance.h"

namespace certme {
namespace {

using namespace ledger_conformance;  // NOLINT: the suite's vocabulary
using std::chrono::milliseconds;
using std::chrono::seconds;

// ================================================================ validation requests

TEST_P(LedgerConformanceTest, ProviderOpensARequestWithTheUsersConsent) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  Consent c = s.MakeConsent(s.user, s.provider, {"first_name", "idnp"});
  EXPECT_FALSE(*ledger_->IsConsentNonceUsed(s.user.address(), s.provider.address(), c.nonce));
  auto r = ledger_->Transact(s.provider, RequestValidationCall(c.user, c.attr_keys, c.nonce, c.expiry, s.Sign(s.user.key, c)));
  ASSERT_OK(r);
  ASSERT_EQ(r->events.size(), 1u);
  const LedgerEvent& e = r->events[0];
  EXPECT_EQ(e.kind, EventKind::kValidationRequested);
  EXPECT_EQ(e.provider, s.provider.address());
  EXPECT_EQ(e.user, s.user.address());
  EXPECT_EQ(e.validator, s.validator.address()) << "routed to the enrolling validator";
  EXPECT_EQ(e.attr_keys, c.attr_keys);
  EXPECT_EQ(e.expiry, static_cast<int64_t>(c.expiry));
  ASSERT_GT(e.request_id, 0u);

  ValidationRequest req = *ledger_->GetRequest(e.request_id);
  EXPECT_EQ(req.status, RequestStatus::kOpen);
  EXPECT_EQ(req.provider, s.provider.address());
  EXPECT_EQ(req.attr_keys, c.attr_keys);
  EXPECT_EQ(req.nonce, c.nonce);
  EXPECT_EQ(req.requested_at, ledger_->Now());
  EXPECT_TRUE(*ledger_->IsConsentNonceUsed(s.user.address(), s.provider.address(), c.nonce));
  auto open = *ledger_->OpenRequests(s.validator.address());
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].id, e.request_id);
  EXPECT_TRUE(ledger_->OpenRequests(s.provider.address())->empty());
}

TEST_P(LedgerConformanceTest, RequestWithoutConsentIsRefused) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  Consent c = s.MakeConsent(s.user, s.provider, {"idnp"});
  EXPECT_REFUSED(ledger_->RequestValidation(s.provider, c, ""), kNoConsent);
  EXPECT_FALSE(*ledger_->IsConsentNonceUsed(s.user.address(), s.provider.address(), c.nonce));
}

TEST_P(LedgerConformanceTest, OnlyAuthorizedProvidersRequest) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  EthKey outsider = EthKey::Generate();
  for (const EthKey* caller : {&s.validator, &admin_, &s.user.key, &outsider}) {
    Consent c = s.MakeConsent(s.user, *caller, {"idnp"});
    EXPECT_REFUSED(ledger_->RequestValidation(*caller, c, s.Sign(s.user.key, c)), kNotAuthorized);
  }
  ASSERT_OK(ledger_->RemoveProvider(admin_, s.provider.address()));
  EXPECT_REFUSED(s.Request(), kNotAuthorized) << "a de-authorized provider";
}

TEST_P(LedgerConformanceTest, RequestNeedsAnActiveEid) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  User stranger;
  Consent c = s.MakeConsent(stranger, s.provider, {"idnp"});
  EXPECT_REFUSED(ledger_->RequestValidation(s.provider, c, s.Sign(stranger.key, c)), kNoEid);
  ASSERT_OK(ledger_->SuspendEid(admin_, s.user.address()));
  EXPECT_REFUSED(s.Request(), kEidNotActive);
  ASSERT_OK(ledger_->ReactivateEid(admin_, s.user.address()));
  ASSERT_OK(s.Request());
  ASSERT_OK(ledger_->RevokeEid(admin_, s.user.address()));
  auto refused = s.Request();
  EXPECT_REFUSED(refused, kEidNotActive);
  EXPECT_NE(refused.status().message().find("revoked"), std::string::npos) << refused.status().ToString();
}

TEST_P(LedgerConformanceTest, ExpiredConsentIsRefused) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  Consent c = s.MakeConsent(s.user, s.provider, {"idnp"}, 60);
  const std::string sig = s.Sign(s.user.key, c);
  Advance(seconds(60));
  EXPECT_REFUSED(ledger_->RequestValidation(s.provider, c, sig), kExpired) << "void from its expiry second on";
  Consent past = s.MakeConsent(s.user, s.provider, {"idnp"}, -1);
  EXPECT_REFUSED(ledger_->RequestValidation(s.provider, past, s.Sign(s.user.key, past)), kExpired);
  Consent fresh = s.MakeConsent(s.user, s.provider, {"idnp"}, 1);
  ASSERT_OK(ledger_->RequestValidation(s.provider, fresh, s.Sign(s.user.key, fresh)));
}

TEST_P(LedgerConformanceTest, RequestedAttributesMustBeCommitted) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  EXPECT_REFUSED(s.Request({"first_name", "passport_no"}), kUnknownAttribute);
  EXPECT_REFUSED(s.Request({}), kEmptyAttributes);
  EXPECT_REFUSED(s.Request({"idnp", "idnp"}), kDuplicateAttribute);
}

// ---------------------------------------------------------------- consent properties
//
// Each property runs over several random casts: a consent is worth exactly
// one request, by one provider, for one attribute list, on one registry.

constexpr int kPropertyRounds = 8;

TEST_P(LedgerConformanceTest, ConsentSignedByAnyoneButTheUserIsRefused) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  for (int i = 0; i < kPropertyRounds; ++i) {
    EthKey wrong = EthKey::Generate();
    Consent c = s.MakeConsent(s.user, s.provider, {"idnp"});
    EXPECT_REFUSED(ledger_->RequestValidation(s.provider, c, s.Sign(wrong, c)), kBadSignature);
    // Not even the provider or the validator can consent for the user.
    EXPECT_REFUSED(ledger_->RequestValidation(s.provider, c, s.Sign(s.provider, c)), kBadSignature);
    EXPECT_REFUSED(ledger_->RequestValidation(s.provider, c, s.Sign(s.validator, c)), kBadSignature);
  }
}

TEST_P(LedgerConformanceTest, ConsentNonceIsSingleUse) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  for (int i = 0; i < kPropertyRounds; ++i) {
    Consent c = s.MakeConsent(s.user, s.provider, {"first_name", "idnp"});
    const std::string sig = s.Sign(s.user.key, c);
    ASSERT_OK(ledger_->RequestValidation(s.provider, c, sig));
    EXPECT_REFUSED(ledger_->RequestValidation(s.provider, c, sig), kNonceUsed) << "replayed as is";
    // A new, valid signature cannot reuse the nonce either.
    Consent again = c;
    again.attr_keys = KeysOf({"last_name"});
    EXPECT_REFUSED(ledger_->RequestValidation(s.provider, again, s.Sign(s.user.key, again)), kNonceUsed);
  }
}

TEST_P(LedgerConformanceTest, ConsentForAnotherProviderIsRefused) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  EthKey second = EthKey::Generate();
  ASSERT_OK(ledger_->AddProvider(admin_, second.address()));
  for (int i = 0; i < kPropertyRounds; ++i) {
    Consent for_first = s.MakeConsent(s.user, s.provider, {"idnp"});
    const std::string sig = s.Sign(s.user.key, for_first);
    // The second provider presents the first one's consent.
    EXPECT_REFUSED(ledger_->RequestValidation(second, for_first, sig), kBadSignature);
    Consent relabelled = for_first;
    relabelled.provider = second.address();
    EXPECT_REFUSED(ledger_->RequestValidation(second, relabelled, sig), kBadSignature);
  }
}

TEST_P(LedgerConformanceTest, ConsentForAnotherChainOrRegistryIsRefused) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  for (int i = 0; i < kPropertyRounds; ++i) {
    Consent c = s.MakeConsent(s.user, s.provider, {"idnp"});
    Eip712Domain other_chain = ledger_->Domain();
    other_chain.chain_id = kChainId + 1 + i;
    EXPECT_REFUSED(ledger_->RequestValidation(s.provider, c, SigBytes(SignConsent(s.user.key, other_chain, c))),
                   kBadSignature);
    Eip712Domain other_registry = ledger_->Domain();
    other_registry.verifying_contract = EthKey::Generate().address();
    EXPECT_REFUSED(ledger_->RequestValidation(s.provider, c, SigBytes(SignConsent(s.user.key, other_registry, c))),
                   kBadSignature);
    Eip712Domain other_name = ledger_->Domain();
    other_name.name = "certME-test";
    EXPECT_REFUSED(ledger_->RequestValidation(s.provider, c, SigBytes(SignConsent(s.user.key, other_name, c))),
                   kBadSignature);
  }
}

TEST_P(LedgerConformanceTest, ConsentForOtherAttributesOrTermsIsRefused) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  const std::vector<std::vector<std::string>> other_sets = {
      {"first_name"}, {"first_name", "idnp", "birth_date"}, {"idnp", "first_name"}, {"last_name", "idnp"}};
  for (int i = 0; i < kPropertyRounds; ++i) {
    Consent signed_for = s.MakeConsent(s.user, s.provider, {"first_name", "idnp"});
    const std::string sig = s.Sign(s.user.key, signed_for);
    for (const auto& set : other_sets) {
      Consent presented = signed_for;
      presented.attr_keys = KeysOf(set);
      EXPECT_REFUSED(ledger_->RequestValidation(s.provider, presented, sig), kBadSignature);
    }
    Consent longer = signed_for;
    longer.expiry += 3600;
    EXPECT_REFUSED(ledger_->RequestValidation(s.provider, longer, sig), kBadSignature);
    Consent renonced = signed_for;
    renonced.nonce = RandomNonce();
    EXPECT_REFUSED(ledger_->RequestValidation(s.provider, renonced, sig), kBadSignature);
    // Presented for another user (who also has an eID).
    User other;
    ASSERT_OK(s.Enroll(other, s.validator));
    Consent other_user = signed_for;
    other_user.user = other.address();
    EXPECT_REFUSED(ledger_->RequestValidation(s.provider, other_user, sig), kBadSignature);
    // The signature as signed is still good: nothing above used it up.
    ASSERT_OK(ledger_->RequestValidation(s.provider, signed_for, sig));
  }
}

TEST_P(LedgerConformanceTest, MalformedConsentSignaturesAreRefused) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  Consent c = s.MakeConsent(s.user, s.provider, {"idnp"});
  std::string sig = s.Sign(s.user.key, c);
  EXPECT_REFUSED(ledger_->RequestValidation(s.provider, c, sig.substr(0, 64)), kBadSignature);
  std::string bad_v = sig;
  bad_v[64] = 29;
  EXPECT_REFUSED(ledger_->RequestValidation(s.provider, c, bad_v), kBadSignature);
  // The malleable twin (s' = n - s, v flipped) recovers the same signer;
  // ecrecover-based contracts refuse it (EIP-2), and so does the ledger.
  static const uint8_t kN[32] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                 0xff, 0xff, 0xff, 0xff, 0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48,
                                 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};
  std::string twin = sig;
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    int d = kN[i] - static_cast<uint8_t>(sig[32 + i]) - borrow;
    borrow = d < 0;
    twin[32 + i] = static_cast<char>(d & 0xff);
  }
  twin[64] = static_cast<char>(sig[64] == 27 ? 28 : 27);
  EXPECT_REFUSED(ledger_->RequestValidation(s.provider, c, twin), kBadSignature);
  std::string zeros(65, '\0');
  zeros[64] = 27;
  EXPECT_REFUSED(ledger_->RequestValidation(s.provider, c, zeros), kBadSignature);
  ASSERT_OK(ledger_->RequestValidation(s.provider, c, sig));
}

}  // namespace
}  // namespace certme
