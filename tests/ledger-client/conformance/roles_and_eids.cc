// Conformance: the registry's identity, roles, and eIDs (issuance,
// status lifecycle, attribute updates).
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
  auto r = ledger_->IssueEid(s.validator, s.user.key, s.user.Keys(), s.user.Commitments(), kLoaSubstantial);
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
  EXPECT_REFUSED(ledger_->IssueEid(s.validator, u.key, {}, {}, kLoaHigh), kEmptyAttributes);
  EXPECT_REFUSED(ledger_->IssueEid(s.validator, u.key, keys, {commitments[0]}, kLoaHigh), kLengthMismatch);
  EXPECT_REFUSED(ledger_->IssueEid(s.validator, u.key, {keys[0], keys[0]}, {commitments[0], commitments[1]}, kLoaHigh),
                 kDuplicateAttribute);
  EXPECT_REFUSED(ledger_->IssueEid(s.validator, u.key, keys, commitments, 0), kInvalidLoa);
  EXPECT_REFUSED(ledger_->IssueEid(s.validator, u.key, keys, commitments, 4), kInvalidLoa);
  EXPECT_REFUSED(ledger_->IssueEid(s.validator, std::string(20, '\0'), keys, commitments, kLoaHigh,
                                   static_cast<uint64_t>(ledger_->Now() + 600), std::string(65, '\1')),
                 kZeroAddress);
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

}  // namespace
}  // namespace certme
