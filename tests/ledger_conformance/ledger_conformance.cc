#include "tests/ledger_conformance/ledger_conformance.h"

#include <atomic>
#include <chrono>
#include <latch>
#include <set>
#include <thread>
#include <vector>

#include "common/random.h"
#include "ledger-client/abi.h"
#include "ledger-client/attributes.h"
#include "ledger-client/registry_abi.h"

namespace certme {

std::string LedgerBackendName(const ::testing::TestParamInfo<LedgerBackend>& info) { return info.param.name; }
void PrintTo(const LedgerBackend& backend, std::ostream* os) { *os << backend.name; }

constexpr uint64_t kChainId = 31337;

void LedgerConformanceTest::SetUp() {
  ASSERT_TRUE(GetParam().make) << "backend " << GetParam().name << " has no factory";
  LedgerOrStatus made = GetParam().make(&clock_, admin_, kChainId);
  if (!made.ok() && made.status().code() == StatusCode::kUnavailable)
    GTEST_SKIP() << GetParam().name << " backend unavailable: " << made.status().ToString();
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  ledger_ = std::move(made).value();
}

void LedgerConformanceTest::Advance(Duration d) {
  if (GetParam().advance) {
    GetParam().advance(&clock_, d);
  } else {
    clock_.Advance(d);
  }
}

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const Status& StatusOf(const Status& s) { return s; }
template <typename T>
const Status& StatusOf(const StatusOr<T>& s) {
  return s.status();
}

::testing::AssertionResult IsRefused(const Status& s, LedgerErrorCode want) {
  auto got = LedgerErrorOf(s);
  if (got == want) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "expected " << LedgerErrorName(want) << ", got "
                                       << (s.ok() ? std::string("OK") : s.ToString());
}

::testing::AssertionResult IsOk(const Status& s) {
  if (s.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << s.ToString();
}

// The call must be refused with exactly this named error.
#define EXPECT_REFUSED(expr, code) EXPECT_TRUE(IsRefused(StatusOf(expr), LedgerErrorCode::code))
#define ASSERT_OK(expr) ASSERT_TRUE(IsOk(StatusOf(expr)))

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

std::vector<Bytes32> KeysOf(const std::vector<std::string>& names) {
  std::vector<Bytes32> k;
  for (const auto& n : names) k.push_back(AttributeKey(n));
  return k;
}

Bytes32 RandomNonce() { return abi::ToBytes32(SystemRandom().Bytes(32)); }

std::string SigBytes(const EthSignature& s) {
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
    return l_.IssueEid(v, u.address(), u.Keys(), u.Commitments(), loa).status();
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

// ================================================================ registry identity

TEST_P(LedgerConformanceTest, RegistryKnowsItsAdministratorChainAndAddress) {
  EXPECT_EQ(*ledger_->Admin(), admin_.address());
  EXPECT_EQ(ledger_->ChainId(), kChainId);
  EXPECT_EQ(ledger_->RegistryAddress().size(), 20u);
  EXPECT_NE(ledger_->RegistryAddress(), std::string(20, '\0'));
  Eip712Domain d = ledger_->Domain();
  EXPECT_EQ(d.name, "certME");
  EXPECT_EQ(d.version, "1");
  EXPECT_EQ(d.chain_id, kChainId);
  EXPECT_EQ(d.verifying_contract, ledger_->RegistryAddress());
}

// ================================================================ roles

TEST_P(LedgerConformanceTest, AdministratorAuthorizesAndDeauthorizesValidators) {
  EthKey v = EthKey::Generate();
  EXPECT_FALSE(*ledger_->IsValidator(v.address()));
  auto added = ledger_->AddValidator(admin_, v.address());
  ASSERT_OK(added);
  EXPECT_TRUE(*ledger_->IsValidator(v.address()));
  ASSERT_EQ(added->events.size(), 1u);
  EXPECT_EQ(added->events[0].kind, EventKind::kValidatorAdded);
  EXPECT_EQ(added->events[0].validator, v.address());
  EXPECT_EQ(added->events[0].actor, admin_.address());
  auto removed = ledger_->RemoveValidator(admin_, v.address());
  ASSERT_OK(removed);
  EXPECT_FALSE(*ledger_->IsValidator(v.address()));
  EXPECT_EQ(removed->events.at(0).kind, EventKind::kValidatorRemoved);
}

TEST_P(LedgerConformanceTest, AdministratorAuthorizesAndDeauthorizesProviders) {
  EthKey p = EthKey::Generate();
  auto added = ledger_->AddProvider(admin_, p.address());
  ASSERT_OK(added);
  EXPECT_TRUE(*ledger_->IsProvider(p.address()));
  EXPECT_FALSE(*ledger_->IsValidator(p.address())) << "roles are separate";
  EXPECT_EQ(added->events.at(0).kind, EventKind::kProviderAdded);
  EXPECT_EQ(added->events.at(0).provider, p.address());
  ASSERT_OK(ledger_->RemoveProvider(admin_, p.address()));
  EXPECT_FALSE(*ledger_->IsProvider(p.address()));
}

TEST_P(LedgerConformanceTest, OnlyTheAdministratorChangesRoles) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  EthKey outsider = EthKey::Generate();
  for (const EthKey* caller : {&s.validator, &s.provider, &s.user.key, &outsider}) {
    EXPECT_REFUSED(ledger_->AddValidator(*caller, outsider.address()), kNotAuthorized);
    EXPECT_REFUSED(ledger_->AddProvider(*caller, outsider.address()), kNotAuthorized);
    EXPECT_REFUSED(ledger_->RemoveValidator(*caller, s.validator.address()), kNotAuthorized);
    EXPECT_REFUSED(ledger_->RemoveProvider(*caller, s.provider.address()), kNotAuthorized);
  }
  EXPECT_FALSE(*ledger_->IsValidator(outsider.address()));
  EXPECT_TRUE(*ledger_->IsValidator(s.validator.address()));
  EXPECT_TRUE(*ledger_->IsProvider(s.provider.address()));
}

TEST_P(LedgerConformanceTest, RoleChangesMustChangeSomething) {
  EthKey v = EthKey::Generate();
  ASSERT_OK(ledger_->AddValidator(admin_, v.address()));
  EXPECT_REFUSED(ledger_->AddValidator(admin_, v.address()), kAlreadyAuthorized);
  EXPECT_REFUSED(ledger_->RemoveProvider(admin_, v.address()), kNotListed);
  EXPECT_REFUSED(ledger_->RemoveValidator(admin_, EthKey::Generate().address()), kNotListed);
  EXPECT_REFUSED(ledger_->AddProvider(admin_, std::string(20, '\0')), kZeroAddress);
}

// ================================================================ eIDs

TEST_P(LedgerConformanceTest, ValidatorIssuesAnEidWithCommitmentsAndLevel) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(ledger_->AddValidator(admin_, s.validator.address()));
  EXPECT_EQ(*ledger_->GetEidStatus(s.user.address()), EidStatus::kNone);
  auto r = ledger_->IssueEid(s.validator, s.user.address(), s.user.Keys(), s.user.Commitments(), kLoaSubstantial);
  ASSERT_OK(r);
  EidRecord eid = *ledger_->GetEid(s.user.address());
  EXPECT_EQ(eid.status, EidStatus::kActive);
  EXPECT_EQ(eid.validator, s.validator.address());
  EXPECT_EQ(eid.loa, kLoaSubstantial);
  EXPECT_EQ(eid.attr_keys, s.user.Keys());
  EXPECT_EQ(eid.commitments, s.user.Commitments());
  EXPECT_EQ(eid.issued_at, ledger_->Now());
  EXPECT_EQ(*ledger_->GetEidStatus(s.user.address()), EidStatus::kActive);
  ASSERT_EQ(r->events.size(), 1u);
  const LedgerEvent& e = r->events[0];
  EXPECT_EQ(e.kind, EventKind::kEidIssued);
  EXPECT_EQ(e.user, s.user.address());
  EXPECT_EQ(e.validator, s.validator.address());
  EXPECT_EQ(e.loa, kLoaSubstantial);
  EXPECT_EQ(e.commitments, s.user.Commitments());
}

TEST_P(LedgerConformanceTest, OnlyAuthorizedValidatorsIssueEids) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  User u;
  EthKey outsider = EthKey::Generate();
  for (const EthKey* caller : {&admin_, &s.provider, &u.key, &outsider})
    EXPECT_REFUSED(s.Enroll(u, *caller), kNotAuthorized);
  ASSERT_OK(ledger_->RemoveValidator(admin_, s.validator.address()));
  EXPECT_REFUSED(s.Enroll(u, s.validator), kNotAuthorized) << "a de-authorized validator";
  EXPECT_EQ(*ledger_->GetEidStatus(u.address()), EidStatus::kNone);
}

TEST_P(LedgerConformanceTest, IssuanceArgumentsAreChecked) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  User u;
  auto keys = u.Keys();
  auto commitments = u.Commitments();
  EXPECT_REFUSED(ledger_->IssueEid(s.validator, u.address(), {}, {}, kLoaHigh), kEmptyAttributes);
  EXPECT_REFUSED(ledger_->IssueEid(s.validator, u.address(), keys, {commitments[0]}, kLoaHigh), kLengthMismatch);
  EXPECT_REFUSED(ledger_->IssueEid(s.validator, u.address(), {keys[0], keys[0]}, {commitments[0], commitments[1]}, kLoaHigh),
                 kDuplicateAttribute);
  EXPECT_REFUSED(ledger_->IssueEid(s.validator, u.address(), keys, commitments, 0), kInvalidLoa);
  EXPECT_REFUSED(ledger_->IssueEid(s.validator, u.address(), keys, commitments, 4), kInvalidLoa);
  EXPECT_REFUSED(ledger_->IssueEid(s.validator, std::string(20, '\0'), keys, commitments, kLoaHigh), kZeroAddress);
  EXPECT_REFUSED(s.Enroll(s.user, s.validator), kEidExists);
  EXPECT_EQ(*ledger_->GetEidStatus(u.address()), EidStatus::kNone) << "refused calls change nothing";
}

TEST_P(LedgerConformanceTest, AdministratorSuspendsReactivatesAndRevokes) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  const std::string& u = s.user.address();
  auto sus = ledger_->SuspendEid(admin_, u);
  ASSERT_OK(sus);
  EXPECT_EQ(*ledger_->GetEidStatus(u), EidStatus::kSuspended);
  ASSERT_EQ(sus->events.size(), 1u);
  EXPECT_EQ(sus->events[0].kind, EventKind::kEidStatusChanged);
  EXPECT_EQ(sus->events[0].user, u);
  EXPECT_EQ(sus->events[0].status, EidStatus::kSuspended);
  EXPECT_EQ(sus->events[0].actor, admin_.address());
  ASSERT_OK(ledger_->ReactivateEid(admin_, u));
  EXPECT_EQ(*ledger_->GetEidStatus(u), EidStatus::kActive);
  auto rev = ledger_->RevokeEid(admin_, u);
  ASSERT_OK(rev);
  EXPECT_EQ(*ledger_->GetEidStatus(u), EidStatus::kRevoked);
  EXPECT_EQ(rev->events.at(0).status, EidStatus::kRevoked);
}

TEST_P(LedgerConformanceTest, IssuingValidatorManagesItsOwnEidsOnly) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  EthKey other = EthKey::Generate();
  ASSERT_OK(ledger_->AddValidator(admin_, other.address()));
  const std::string& u = s.user.address();
  EXPECT_REFUSED(ledger_->SuspendEid(other, u), kNotEnrollingValidator);
  EXPECT_REFUSED(ledger_->SuspendEid(s.provider, u), kNotAuthorized);
  EXPECT_REFUSED(ledger_->SuspendEid(s.user.key, u), kNotAuthorized) << "the user cannot lift or set the status";
  ASSERT_OK(ledger_->SuspendEid(s.validator, u));
  EXPECT_REFUSED(ledger_->ReactivateEid(other, u), kNotEnrollingValidator);
  ASSERT_OK(ledger_->ReactivateEid(s.validator, u));
  EXPECT_REFUSED(ledger_->RevokeEid(other, u), kNotEnrollingValidator);
  ASSERT_OK(ledger_->RevokeEid(s.validator, u));
  EXPECT_EQ(*ledger_->GetEidStatus(u), EidStatus::kRevoked);
}

TEST_P(LedgerConformanceTest, StatusTransitionsFollowTheLifecycle) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  const std::string& u = s.user.address();
  EXPECT_REFUSED(ledger_->ReactivateEid(admin_, u), kNotSuspended);
  ASSERT_OK(ledger_->SuspendEid(admin_, u));
  EXPECT_REFUSED(ledger_->SuspendEid(admin_, u), kEidNotActive);
  ASSERT_OK(ledger_->RevokeEid(admin_, u)) << "a suspended eID can be revoked";
  EXPECT_REFUSED(ledger_->RevokeEid(admin_, u), kEidNotActive);
  EXPECT_REFUSED(ledger_->ReactivateEid(admin_, u), kNotSuspended) << "revocation is final";
  EXPECT_REFUSED(ledger_->SuspendEid(admin_, u), kEidNotActive);
  EXPECT_REFUSED(s.Enroll(s.user, s.validator), kEidExists) << "a revoked address is never reissued";
  EXPECT_REFUSED(ledger_->SuspendEid(admin_, EthKey::Generate().address()), kNoEid);
}

TEST_P(LedgerConformanceTest, EnrollingValidatorUpdatesAttributes) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  const std::string& u = s.user.address();
  Bytes32 new_first = AttributeCommitment(u, AttributeKey("first_name"), "Ioan", Keccak256("salt"));
  Bytes32 email = AttributeCommitment(u, AttributeKey("email"), "ion@example.md", Keccak256("salt2"));
  auto r = ledger_->UpdateAttributes(s.validator, u, KeysOf({"first_name", "email"}), {new_first, email});
  ASSERT_OK(r);
  EXPECT_EQ(r->events.at(0).kind, EventKind::kAttributesUpdated);
  EidRecord eid = *ledger_->GetEid(u);
  ASSERT_EQ(eid.attr_keys.size(), s.user.attrs.size() + 1);
  EXPECT_EQ(eid.commitments[0], new_first) << "replaced in place";
  EXPECT_EQ(eid.attr_keys.back(), AttributeKey("email")) << "new attributes are appended";
  EXPECT_EQ(eid.commitments.back(), email);
  EthKey other = EthKey::Generate();
  ASSERT_OK(ledger_->AddValidator(admin_, other.address()));
  EXPECT_REFUSED(ledger_->UpdateAttributes(other, u, KeysOf({"email"}), {email}), kNotEnrollingValidator);
  EXPECT_REFUSED(ledger_->UpdateAttributes(s.provider, u, KeysOf({"email"}), {email}), kNotAuthorized);
  EXPECT_REFUSED(ledger_->UpdateAttributes(s.validator, EthKey::Generate().address(), KeysOf({"email"}), {email}), kNoEid);
  ASSERT_OK(ledger_->SuspendEid(admin_, u));
  EXPECT_REFUSED(ledger_->UpdateAttributes(s.validator, u, KeysOf({"email"}), {email}), kEidNotActive);
}

// ================================================================ validation requests

TEST_P(LedgerConformanceTest, ProviderOpensARequestWithTheUsersConsent) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  Consent c = s.MakeConsent(s.user, s.provider, {"first_name", "idnp"});
  EXPECT_FALSE(*ledger_->IsConsentNonceUsed(s.user.address(), c.nonce));
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
  EXPECT_TRUE(*ledger_->IsConsentNonceUsed(s.user.address(), c.nonce));
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
  EXPECT_FALSE(*ledger_->IsConsentNonceUsed(s.user.address(), c.nonce));
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

// ================================================================ answers

TEST_P(LedgerConformanceTest, EnrollingValidatorAnswersWithCommitmentsAndLevel) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  auto id = s.Request({"idnp", "first_name"});
  ASSERT_OK(id);
  Advance(seconds(5));
  auto r = s.Answer(*id, s.validator);
  ASSERT_OK(r);
  ASSERT_EQ(r->events.size(), 1u);
  const LedgerEvent& e = r->events[0];
  EXPECT_EQ(e.kind, EventKind::kValidationAnswered);
  EXPECT_EQ(e.request_id, *id);
  EXPECT_EQ(e.provider, s.provider.address());
  EXPECT_EQ(e.user, s.user.address());
  EXPECT_EQ(e.validator, s.validator.address());
  EXPECT_EQ(e.loa, kLoaSubstantial);
  ValidationRequest req = *ledger_->GetRequest(*id);
  EXPECT_EQ(req.status, RequestStatus::kAnswered);
  EXPECT_EQ(req.loa, kLoaSubstantial);
  EXPECT_EQ(req.answered_at, ledger_->Now());
  EXPECT_EQ(req.answered_at, req.requested_at + 5);
  ASSERT_EQ(req.commitments.size(), 2u);
  EXPECT_EQ(req.commitments[0], s.user.Commitments()[2]) << "in the request's order: idnp first";
  EXPECT_EQ(req.commitments[1], s.user.Commitments()[0]);
  EXPECT_TRUE(ledger_->OpenRequests(s.validator.address())->empty());
}

TEST_P(LedgerConformanceTest, OnlyTheEnrollingValidatorAnswers) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  EthKey other = EthKey::Generate();
  ASSERT_OK(ledger_->AddValidator(admin_, other.address()));
  auto id = s.Request();
  ASSERT_OK(id);
  EXPECT_REFUSED(s.Answer(*id, other), kNotEnrollingValidator);
  EXPECT_REFUSED(s.Answer(*id, admin_), kNotAuthorized);
  EXPECT_REFUSED(s.Answer(*id, s.provider), kNotAuthorized);
  EXPECT_REFUSED(s.Answer(*id, s.user.key), kNotAuthorized);
  ASSERT_OK(ledger_->RemoveValidator(admin_, s.validator.address()));
  EXPECT_REFUSED(s.Answer(*id, s.validator), kNotAuthorized) << "de-authorized since enrolling";
  EXPECT_EQ(ledger_->GetRequest(*id)->status, RequestStatus::kOpen);
}

TEST_P(LedgerConformanceTest, ARequestIsAnsweredOnce) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  auto id = s.Request();
  ASSERT_OK(id);
  ASSERT_OK(s.Answer(*id, s.validator));
  EXPECT_REFUSED(s.Answer(*id, s.validator), kAlreadyAnswered);
  EXPECT_REFUSED(ledger_->AnswerValidation(s.validator, *id + 1000, {}, kLoaLow), kUnknownRequest);
  EXPECT_REFUSED(ledger_->AnswerValidation(s.validator, 0, {}, kLoaLow), kUnknownRequest);
  EXPECT_REFUSED(ledger_->GetRequest(*id + 1000), kUnknownRequest);
}

TEST_P(LedgerConformanceTest, ExpiredRequestsCannotBeAnswered) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  auto id = s.Request({"idnp"}, 30);
  ASSERT_OK(id);
  EXPECT_EQ(ledger_->OpenRequests(s.validator.address())->size(), 1u);
  Advance(seconds(30));
  EXPECT_TRUE(ledger_->OpenRequests(s.validator.address())->empty()) << "expired requests are not pending";
  EXPECT_REFUSED(s.Answer(*id, s.validator), kExpired);
}

TEST_P(LedgerConformanceTest, AnswerMustMatchTheEid) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  auto id = s.Request({"first_name", "idnp"});
  ASSERT_OK(id);
  auto c = s.user.Commitments();
  EXPECT_REFUSED(ledger_->AnswerValidation(s.validator, *id, {c[0]}, kLoaSubstantial), kLengthMismatch);
  EXPECT_REFUSED(ledger_->AnswerValidation(s.validator, *id, {c[0], c[1]}, kLoaSubstantial), kCommitmentMismatch);
  EXPECT_REFUSED(ledger_->AnswerValidation(s.validator, *id, {c[0], c[2]}, kLoaHigh), kInvalidLoa)
      << "not above the eID's level";
  EXPECT_REFUSED(ledger_->AnswerValidation(s.validator, *id, {c[0], c[2]}, 0), kInvalidLoa);
  ASSERT_OK(ledger_->AnswerValidation(s.validator, *id, {c[0], c[2]}, kLoaLow)) << "a lower level is allowed";
}

TEST_P(LedgerConformanceTest, EidSuspendedAfterTheRequestBlocksTheAnswer) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  auto id = s.Request();
  ASSERT_OK(id);
  ASSERT_OK(ledger_->SuspendEid(admin_, s.user.address()));
  EXPECT_REFUSED(s.Answer(*id, s.validator), kEidNotActive);
  ASSERT_OK(ledger_->ReactivateEid(admin_, s.user.address()));
  ASSERT_OK(s.Answer(*id, s.validator));
}

// ================================================================ the whole scenario

TEST_P(LedgerConformanceTest, RequestConsentAnswerCheck) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  // The validator service: answers what concerns its users, event-driven.
  std::atomic<bool> stop{false};
  std::thread validator([&] {
    EventFilter f;
    f.kind = EventKind::kValidationRequested;
    f.validator = s.validator.address();
    while (!stop) {
      auto events = ledger_->WaitForEvents(f, milliseconds(200));
      if (!events.ok()) return;
      for (const auto& e : *events) {
        f.after_block = std::max(f.after_block, e.block);
        (void)s.Answer(e.request_id, s.validator);
      }
    }
  });
  // The wallet: consents to two attributes and hands over value + salt.
  const std::vector<std::string> names = {"first_name", "idnp"};
  Consent c = s.MakeConsent(s.user, s.provider, names);
  const std::string sig = s.Sign(s.user.key, c);
  std::vector<DisclosedAttribute> sent = s.user.Subset(names);
  // The provider: opens the request, waits for the answer, checks the data.
  auto id = ledger_->RequestValidation(s.provider, c, sig);
  ASSERT_OK(id);
  auto answered = ledger_->WaitForAnswer(*id, seconds(10));
  stop = true;
  validator.join();
  ASSERT_OK(answered);
  EXPECT_EQ(answered->status, RequestStatus::kAnswered);
  EXPECT_EQ(answered->loa, kLoaSubstantial);
  EXPECT_TRUE(CheckDisclosure(s.user.address(), sent, answered->attr_keys, answered->commitments).ok());
  // The same answer refuses anything but the exact data.
  auto lied = sent;
  lied[1].value = "2009999999999";
  EXPECT_REFUSED(CheckDisclosure(s.user.address(), lied, answered->attr_keys, answered->commitments), kCommitmentMismatch);
  EXPECT_REFUSED(CheckDisclosure(s.user.address(), {sent[0]}, answered->attr_keys, answered->commitments),
                 kMissingAttribute);
  auto more = sent;
  more.push_back(s.user.Subset({"birth_date"})[0]);
  EXPECT_REFUSED(CheckDisclosure(s.user.address(), more, answered->attr_keys, answered->commitments),
                 kUnexpectedAttribute);
  // The user sees who asked for what, when, and the outcome.
  auto history = UserAccessHistory(*ledger_, s.user.address());
  ASSERT_OK(history);
  ASSERT_EQ(history->size(), 1u);
  EXPECT_EQ((*history)[0].provider, s.provider.address());
  EXPECT_EQ((*history)[0].attr_keys, KeysOf(names));
  EXPECT_EQ((*history)[0].outcome, "answered");
}

// ================================================================ events and history

TEST_P(LedgerConformanceTest, UserListsEveryRequestAndItsOutcome) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  User bystander;
  ASSERT_OK(s.Enroll(bystander, s.validator));
  const int64_t t0 = ledger_->Now();
  auto answered = s.Request({"idnp"}, 600);
  ASSERT_OK(answered);
  ASSERT_OK(s.Answer(*answered, s.validator));
  Advance(seconds(10));
  auto expiring = s.Request({"first_name", "last_name"}, 20);
  ASSERT_OK(expiring);
  auto open = s.Request({"birth_date"}, 3600);
  ASSERT_OK(open);
  Consent bc = s.MakeConsent(bystander, s.provider, {"idnp"});
  ASSERT_OK(ledger_->RequestValidation(s.provider, bc, s.Sign(bystander.key, bc)));
  Advance(seconds(30));

  auto h = UserAccessHistory(*ledger_, s.user.address());
  ASSERT_OK(h);
  ASSERT_EQ(h->size(), 3u) << "another user's requests are not listed";
  EXPECT_EQ((*h)[0].request_id, *answered);
  EXPECT_EQ((*h)[0].outcome, "answered");
  EXPECT_EQ((*h)[0].requested_at, t0);
  EXPECT_EQ((*h)[0].answered_at, t0);
  EXPECT_EQ((*h)[0].loa, kLoaSubstantial);
  EXPECT_EQ((*h)[0].validator, s.validator.address());
  EXPECT_EQ((*h)[1].request_id, *expiring);
  EXPECT_EQ((*h)[1].outcome, "expired");
  EXPECT_EQ((*h)[1].attr_keys, KeysOf({"first_name", "last_name"}));
  EXPECT_EQ((*h)[1].requested_at, t0 + 10);
  EXPECT_EQ((*h)[2].outcome, "open");
  for (const auto& r : *h) EXPECT_EQ(r.provider, s.provider.address());
}

TEST_P(LedgerConformanceTest, EventsAreFilteredByTopicKindAndBlock) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  EthKey p2 = EthKey::Generate();
  ASSERT_OK(ledger_->AddProvider(admin_, p2.address()));
  auto id1 = s.Request({"idnp"});
  ASSERT_OK(id1);
  const uint64_t mark = *ledger_->BlockNumber();
  Consent c = s.MakeConsent(s.user, p2, {"first_name"});
  auto id2 = ledger_->RequestValidation(p2, c, s.Sign(s.user.key, c));
  ASSERT_OK(id2);

  EventFilter by_provider;
  by_provider.provider = p2.address();
  auto e = *ledger_->Events(by_provider);
  ASSERT_EQ(e.size(), 2u) << "ProviderAdded and ValidationRequested";
  EXPECT_EQ(e[0].kind, EventKind::kProviderAdded);
  EXPECT_EQ(e[1].request_id, *id2);

  EventFilter requested;
  requested.kind = EventKind::kValidationRequested;
  requested.validator = s.validator.address();
  EXPECT_EQ(ledger_->Events(requested)->size(), 2u);
  requested.after_block = mark;
  auto later = *ledger_->Events(requested);
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].request_id, *id2);
  EXPECT_GT(later[0].block, mark);

  EventFilter by_id;
  by_id.request_id = *id1;
  EXPECT_EQ(ledger_->Events(by_id)->size(), 1u);
  EventFilter all;
  auto everything = *ledger_->Events(all);
  ASSERT_FALSE(everything.empty());
  EXPECT_EQ(everything[0].kind, EventKind::kRegistryCreated);
  for (size_t i = 1; i < everything.size(); ++i) EXPECT_GE(everything[i].block, everything[i - 1].block);
}

// ================================================================ waiting

TEST_P(LedgerConformanceTest, WaitForEventsTimesOutEmpty) {
  EventFilter f;
  f.after_block = *ledger_->BlockNumber();
  const auto start = std::chrono::steady_clock::now();
  auto r = ledger_->WaitForEvents(f, milliseconds(300));
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_OK(r);
  EXPECT_TRUE(r->empty());
  EXPECT_GE(took, milliseconds(290));
}

TEST_P(LedgerConformanceTest, WaitForEventsWakesOnANewBlock) {
  EventFilter f;
  f.after_block = *ledger_->BlockNumber();
  f.kind = EventKind::kValidatorAdded;
  EthKey v = EthKey::Generate();
  std::latch waiting(1);
  std::thread writer([&] {
    waiting.wait();
    std::this_thread::sleep_for(milliseconds(50));
    (void)ledger_->AddValidator(admin_, v.address());
  });
  const auto start = std::chrono::steady_clock::now();
  waiting.count_down();
  auto r = ledger_->WaitForEvents(f, seconds(20));
  const auto took = std::chrono::steady_clock::now() - start;
  writer.join();
  ASSERT_OK(r);
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].validator, v.address());
  EXPECT_LT(took, seconds(10)) << "woken by the block, not by the timeout";
}

TEST_P(LedgerConformanceTest, WaitForAnswerReportsTimeoutAndExpiry) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  auto id = s.Request({"idnp"}, 60);
  ASSERT_OK(id);
  auto r = ledger_->WaitForAnswer(*id, milliseconds(200));
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().ToString();
  Advance(seconds(61));
  EXPECT_REFUSED(ledger_->WaitForAnswer(*id, seconds(5)), kExpired);
  EXPECT_REFUSED(ledger_->WaitForAnswer(*id + 50, seconds(5)), kUnknownRequest);
}

// ================================================================ concurrency

TEST_P(LedgerConformanceTest, ReadersRunAlongsideWriters) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  constexpr int kWriters = 2, kUsersEach = 10, kReaders = 4;
  std::vector<std::vector<User>> users(kWriters);
  for (auto& group : users) group.resize(kUsersEach);  // distinct users (User() makes a key)
  std::vector<EthKey> validators;
  for (int w = 0; w < kWriters; ++w) {
    validators.push_back(EthKey::Generate());
    ASSERT_OK(ledger_->AddValidator(admin_, validators.back().address()));
  }
  std::atomic<bool> done{false};
  std::atomic<int> bad_reads{0}, reads{0};
  std::vector<std::thread> threads;
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&] {
      while (!done) {
        for (const auto& group : users)
          for (const auto& u : group) {
            auto st = ledger_->GetEidStatus(u.address());
            // A status is either not yet issued or active: never torn.
            if (!st.ok() || (*st != EidStatus::kNone && *st != EidStatus::kActive)) ++bad_reads;
            ++reads;
          }
        auto mine = ledger_->GetEidStatus(s.user.address());
        if (!mine.ok() || *mine != EidStatus::kActive) ++bad_reads;
      }
    });
  }
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (const auto& u : users[w])
        if (!s.Enroll(u, validators[w]).ok()) ++failures;
    });
  }
  for (auto& t : writers) t.join();
  done = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(bad_reads.load(), 0);
  EXPECT_GT(reads.load(), 0);
  for (int w = 0; w < kWriters; ++w)
    for (const auto& u : users[w]) {
      EidRecord e = *ledger_->GetEid(u.address());
      EXPECT_EQ(e.status, EidStatus::kActive);
      EXPECT_EQ(e.validator, validators[w].address());
    }
}

TEST_P(LedgerConformanceTest, ConcurrentUsesOfOneConsentHaveOneWinner) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  Consent c = s.MakeConsent(s.user, s.provider, {"idnp"});
  const std::string sig = s.Sign(s.user.key, c);
  constexpr int kThreads = 6;
  std::latch go(kThreads);
  std::atomic<int> won{0}, replayed{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      go.arrive_and_wait();
      auto r = ledger_->RequestValidation(s.provider, c, sig);
      if (r.ok()) {
        ++won;
      } else if (LedgerErrorOf(r.status()) == LedgerErrorCode::kNonceUsed) {
        ++replayed;
      } else {
        ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(replayed.load(), kThreads - 1);
  EXPECT_EQ(other.load(), 0);
}

}  // namespace
}  // namespace certme
