// Conformance: recordSignatures, the signature record (docs/ledger.md
// "Signature records"): an authorized provider records, hash only, that an
// active eID signed a digest for a sign request at a time. Every rule of
// Ledger::RecordSignatures is a test here, on every backend.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "ledger-client/registry_abi.h"
#include "tests/crypto/secp256k1_twin.h"
#include "tests/ledger-client/conformance/conformance_helpers.h"
#include "tests/ledger-client/conformance/ledger_conformance.h"

namespace certme {
namespace {

using namespace ledger_conformance;  // NOLINT: the suite's vocabulary
using std::chrono::seconds;

// One sign request of `user` to be recorded by `provider`: its reference,
// the signing time and the digests, each signed by `signer` (normally the
// user) as a SignedDigest.
struct SignJob {
  Bytes32 request = RandomNonce();
  uint64_t signed_at = 0;
  std::vector<Bytes32> digests;
};

SignJob Job(Ledger& l, size_t n, int64_t offset = 0) {
  SignJob j;
  j.signed_at = static_cast<uint64_t>(l.Now() + offset);
  for (size_t i = 0; i < n; ++i) j.digests.push_back(RandomNonce());
  return j;
}

std::string SignOne(Ledger& l, const EthKey& signer, const std::string& user, const std::string& provider,
                    const Bytes32& digest, const Bytes32& request, uint64_t signed_at) {
  SignedDigest sd{user, provider, digest, request, signed_at};
  return SigBytes(SignSignedDigest(signer, l.Domain(), sd));
}

std::vector<SignatureEntry> Entries(Ledger& l, const SignJob& j, const EthKey& signer, const std::string& user,
                                    const std::string& provider) {
  std::vector<SignatureEntry> out;
  for (const auto& d : j.digests)
    out.push_back({d, SignOne(l, signer, user, provider, d, j.request, j.signed_at)});
  return out;
}

StatusOr<TxReceipt> Record(Ledger& l, const EthKey& provider, const User& u, const SignJob& j) {
  return l.RecordSignatures(provider, u.address(), j.request, j.signed_at,
                            Entries(l, j, u.key, u.address(), provider.address()));
}

size_t RecordedCount(Ledger& l) {
  EventFilter f;
  f.kind = EventKind::kSignatureRecorded;
  auto e = l.Events(f);
  return e.ok() ? e->size() : static_cast<size_t>(-1);
}

TEST_P(LedgerConformanceTest, AProviderRecordsSignaturesOneEventEach) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  SignJob j = Job(*ledger_, 3);
  auto r = Record(*ledger_, s.provider, s.user, j);
  ASSERT_OK(r);
  ASSERT_EQ(r->events.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const LedgerEvent& e = r->events[i];
    EXPECT_EQ(e.kind, EventKind::kSignatureRecorded);
    EXPECT_EQ(e.provider, s.provider.address());
    EXPECT_EQ(e.actor, s.provider.address());
    EXPECT_EQ(e.user, s.user.address());
    EXPECT_EQ(e.digest, j.digests[i]) << i;
    EXPECT_EQ(e.sign_request, j.request);
    EXPECT_EQ(e.signed_at, static_cast<int64_t>(j.signed_at));
    EXPECT_EQ(e.index, i) << "in the call's order";
    EXPECT_EQ(e.block, r->block);
    EXPECT_TRUE(e.validator.empty());
  }
  EXPECT_EQ(std::string(EventKindName(EventKind::kSignatureRecorded)), "SignatureRecorded");

  // Found by digest, with the block and its time; and among the user's events.
  auto found = SignatureRecords(*ledger_, j.digests[1]);
  ASSERT_OK(found);
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].block, r->block);
  EXPECT_EQ((*found)[0].time, r->events[1].time);
  EXPECT_GE((*found)[0].time, static_cast<int64_t>(j.signed_at) - kSigningTimeAheadSeconds);
  EXPECT_LE((*found)[0].time, static_cast<int64_t>(j.signed_at) + kSigningTimeBehindSeconds);
  EXPECT_EQ((*found)[0].digest, j.digests[1]);
  EXPECT_EQ((*found)[0].user, s.user.address());
  EXPECT_TRUE(SignatureRecords(*ledger_, RandomNonce())->empty()) << "an unknown digest has no record";
  EventFilter by_user;
  by_user.user = s.user.address();
  by_user.kind = EventKind::kSignatureRecorded;
  EXPECT_EQ(ledger_->Events(by_user)->size(), 3u);
  by_user.digest = j.digests[2];
  ASSERT_EQ(ledger_->Events(by_user)->size(), 1u);
  EXPECT_EQ(ledger_->Events(by_user)->at(0).index, 2u);
  // A validation request is not a signature: the access history is unchanged.
  EXPECT_TRUE(UserAccessHistory(*ledger_, s.user.address())->empty());
}

TEST_P(LedgerConformanceTest, OnlyAnAuthorizedProviderRecordsSignatures) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  for (const EthKey* who : {&admin_, &s.validator, &s.user.key}) {
    SignJob j = Job(*ledger_, 1);
    EXPECT_REFUSED(Record(*ledger_, *who, s.user, j), kNotAuthorized);
  }
  ASSERT_OK(ledger_->RemoveProvider(admin_, s.provider.address()));
  SignJob j = Job(*ledger_, 1);
  EXPECT_REFUSED(Record(*ledger_, s.provider, s.user, j), kNotAuthorized) << "removed since";
  EXPECT_EQ(RecordedCount(*ledger_), 0u);
  ASSERT_OK(ledger_->AddProvider(admin_, s.provider.address()));
  ASSERT_OK(Record(*ledger_, s.provider, s.user, j));
  EXPECT_EQ(RecordedCount(*ledger_), 1u);
}

TEST_P(LedgerConformanceTest, ASignatureNeedsAnEid) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  User stranger;  // signs correctly, but holds no eID
  SignJob j = Job(*ledger_, 1);
  EXPECT_REFUSED(Record(*ledger_, s.provider, stranger, j), kNoEid);
  // The zero address holds no eID either (and cannot sign).
  const std::string zero(20, '\0');
  EXPECT_REFUSED(ledger_->RecordSignatures(s.provider, zero, j.request, j.signed_at,
                                           Entries(*ledger_, j, stranger.key, zero, s.provider.address())),
                 kNoEid);
  EXPECT_EQ(RecordedCount(*ledger_), 0u);
}

TEST_P(LedgerConformanceTest, ASuspendedRevokedOrMovedEidCannotSign) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  User suspended, revoked, moved;
  EthKey other_validator = EthKey::Generate();
  ASSERT_OK(ledger_->AddValidator(admin_, other_validator.address()));
  for (const User* u : {&suspended, &revoked, &moved}) ASSERT_OK(s.Enroll(*u, s.validator));
  ASSERT_OK(ledger_->SuspendEid(s.validator, suspended.address()));
  ASSERT_OK(ledger_->RevokeEid(admin_, revoked.address()));
  ASSERT_OK(ledger_->MoveEid(admin_, moved.address(), other_validator.address()));
  for (const User* u : {&suspended, &revoked, &moved}) {
    SignJob j = Job(*ledger_, 1);
    EXPECT_REFUSED(Record(*ledger_, s.provider, *u, j), kEidNotActive)
        << EidStatusName(ledger_->GetEidStatus(u->address()).value());
  }
  EXPECT_EQ(RecordedCount(*ledger_), 0u);
  // Reactivated, re-attested: it signs again.
  ASSERT_OK(ledger_->ReactivateEid(s.validator, suspended.address()));
  ASSERT_OK(ledger_->ReattestEid(other_validator, moved.address(), moved.Keys(), moved.Commitments(), kLoaSubstantial));
  ASSERT_OK(Record(*ledger_, s.provider, suspended, Job(*ledger_, 1)));
  ASSERT_OK(Record(*ledger_, s.provider, moved, Job(*ledger_, 1)));
  EXPECT_EQ(RecordedCount(*ledger_), 2u);
}

TEST_P(LedgerConformanceTest, EachSignatureMustBeTheUsersForThisProviderRequestAndTime) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  EthKey other_provider = EthKey::Generate();
  ASSERT_OK(ledger_->AddProvider(admin_, other_provider.address()));
  User other_user;
  ASSERT_OK(s.Enroll(other_user, s.validator));
  const std::string user = s.user.address(), provider = s.provider.address();
  SignJob j = Job(*ledger_, 2);
  auto try_with = [&](const std::string& second_signature) {
    std::vector<SignatureEntry> e = Entries(*ledger_, j, s.user.key, user, provider);
    e[1].user_signature = second_signature;  // the first entry is good: refusal is all or nothing
    return ledger_->RecordSignatures(s.provider, user, j.request, j.signed_at, e);
  };
  const Bytes32& d = j.digests[1];
  // Another signer (another user, the provider itself).
  EXPECT_REFUSED(try_with(SignOne(*ledger_, other_user.key, user, provider, d, j.request, j.signed_at)),
                 kBadSignature);
  EXPECT_REFUSED(try_with(SignOne(*ledger_, s.provider, user, provider, d, j.request, j.signed_at)), kBadSignature);
  // Signed by the user, but for another provider, request, time or digest.
  EXPECT_REFUSED(try_with(SignOne(*ledger_, s.user.key, user, other_provider.address(), d, j.request, j.signed_at)),
                 kBadSignature);
  EXPECT_REFUSED(try_with(SignOne(*ledger_, s.user.key, user, provider, d, RandomNonce(), j.signed_at)),
                 kBadSignature);
  EXPECT_REFUSED(try_with(SignOne(*ledger_, s.user.key, user, provider, d, j.request, j.signed_at - 1)),
                 kBadSignature);
  EXPECT_REFUSED(try_with(SignOne(*ledger_, s.user.key, user, provider, j.digests[0], j.request, j.signed_at)),
                 kBadSignature);
  // For another registry (another chain id in the domain).
  Eip712Domain elsewhere = ledger_->Domain();
  elsewhere.chain_id += 1;
  EXPECT_REFUSED(try_with(SigBytes(SignSignedDigest(s.user.key, elsewhere, {user, provider, d, j.request, j.signed_at}))),
                 kBadSignature);
  // Malformed: not 65 bytes, or the malleable high-s twin.
  std::string good = SignOne(*ledger_, s.user.key, user, provider, d, j.request, j.signed_at);
  EXPECT_REFUSED(try_with(""), kBadSignature);
  EXPECT_REFUSED(try_with(good.substr(0, 64)), kBadSignature);
  EXPECT_REFUSED(try_with(std::string(65, '\0')), kBadSignature);
  EXPECT_REFUSED(try_with(certme::testing::HighSTwin(good)), kBadSignature);
  EXPECT_REFUSED(try_with(good + "x"), kBadCalldata) << "longer than a signature";
  // The user's signature recorded by another provider is refused too.
  EXPECT_REFUSED(ledger_->RecordSignatures(other_provider, user, j.request, j.signed_at,
                                           Entries(*ledger_, j, s.user.key, user, provider)),
                 kBadSignature);
  EXPECT_EQ(RecordedCount(*ledger_), 0u);
  ASSERT_OK(try_with(good));
  EXPECT_EQ(RecordedCount(*ledger_), 2u);
}

TEST_P(LedgerConformanceTest, TheSigningTimeMustBeNearTheLedgersTime) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  // Ahead: more than a minute after the ledger's time.
  SignJob ahead = Job(*ledger_, 1, 120);
  EXPECT_REFUSED(Record(*ledger_, s.provider, s.user, ahead), kExpired);
  // Behind: more than ten minutes before it.
  SignJob behind = Job(*ledger_, 1, -1200);
  EXPECT_REFUSED(Record(*ledger_, s.provider, s.user, behind), kExpired);
  EXPECT_EQ(RecordedCount(*ledger_), 0u);
  // Within the window on both sides.
  ASSERT_OK(Record(*ledger_, s.provider, s.user, Job(*ledger_, 1, 30)));
  ASSERT_OK(Record(*ledger_, s.provider, s.user, Job(*ledger_, 1, -500)));

  // The same signatures, once the ledger's time has moved: the one from the
  // future becomes recordable, a recordable one goes stale.
  SignJob fresh = Job(*ledger_, 1);
  auto fresh_entries = Entries(*ledger_, fresh, s.user.key, s.user.address(), s.provider.address());
  Advance(seconds(100));
  ASSERT_OK(Record(*ledger_, s.provider, s.user, ahead));
  Advance(seconds(kSigningTimeBehindSeconds + 60));
  EXPECT_REFUSED(ledger_->RecordSignatures(s.provider, s.user.address(), fresh.request, fresh.signed_at,
                                           fresh_entries),
                 kExpired);
  EXPECT_EQ(RecordedCount(*ledger_), 3u);
}

TEST_P(LedgerConformanceTest, ADigestIsRecordedOncePerUserAndProvider) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  SignJob j = Job(*ledger_, 1);
  ASSERT_OK(Record(*ledger_, s.provider, s.user, j));
  EXPECT_REFUSED(Record(*ledger_, s.provider, s.user, j), kAlreadySigned) << "the same call replayed";
  // The same digest for another request, with a new signature: still once.
  SignJob again = Job(*ledger_, 2);
  again.digests[1] = j.digests[0];
  EXPECT_REFUSED(Record(*ledger_, s.provider, s.user, again), kAlreadySigned);
  // Twice in one call.
  SignJob twice = Job(*ledger_, 2);
  twice.digests[1] = twice.digests[0];
  EXPECT_REFUSED(Record(*ledger_, s.provider, s.user, twice), kAlreadySigned);
  EXPECT_EQ(RecordedCount(*ledger_), 1u) << "a refused call records none of its entries";
  EXPECT_TRUE(SignatureRecords(*ledger_, again.digests[0])->empty());

  // Another provider may record the same digest for the same user, and the
  // same provider the same digest for another user.
  EthKey other_provider = EthKey::Generate();
  ASSERT_OK(ledger_->AddProvider(admin_, other_provider.address()));
  ASSERT_OK(Record(*ledger_, other_provider, s.user, j));
  User other_user;
  ASSERT_OK(s.Enroll(other_user, s.validator));
  ASSERT_OK(Record(*ledger_, s.provider, other_user, j));
  auto all = SignatureRecords(*ledger_, j.digests[0]);
  ASSERT_OK(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].provider, s.provider.address());
  EXPECT_EQ((*all)[1].provider, other_provider.address());
  EXPECT_EQ((*all)[2].user, other_user.address());
}

TEST_P(LedgerConformanceTest, SignatureBatchesAreBounded) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  EXPECT_REFUSED(Record(*ledger_, s.provider, s.user, Job(*ledger_, 0)), kEmptyAttributes);
  SignJob too_many = Job(*ledger_, kMaxSignaturesPerCall + 1);
  EXPECT_REFUSED(Record(*ledger_, s.provider, s.user, too_many), kBadCalldata);
  // Bounds come before the role, as the decoder refuses a malformed call.
  EXPECT_REFUSED(Record(*ledger_, s.user.key, s.user, too_many), kBadCalldata);
  // Digests and signatures of different numbers.
  SignJob j = Job(*ledger_, 2);
  auto entries = Entries(*ledger_, j, s.user.key, s.user.address(), s.provider.address());
  EXPECT_REFUSED(ledger_->Transact(s.provider, RecordSignaturesCall(s.user.address(), j.request, j.signed_at,
                                                                    j.digests, {entries[0].user_signature})),
                 kLengthMismatch);
  // A signing time beyond 63 bits is malformed, as every time argument.
  EXPECT_REFUSED(ledger_->Transact(s.provider, RecordSignaturesCall(s.user.address(), j.request,
                                                                    uint64_t{1} << 63, j.digests,
                                                                    {entries[0].user_signature,
                                                                     entries[1].user_signature})),
                 kBadCalldata);
  EXPECT_EQ(RecordedCount(*ledger_), 0u);

  // The largest batch.
  SignJob full = Job(*ledger_, kMaxSignaturesPerCall);
  auto r = Record(*ledger_, s.provider, s.user, full);
  ASSERT_OK(r);
  ASSERT_EQ(r->events.size(), kMaxSignaturesPerCall);
  EXPECT_EQ(r->events.back().digest, full.digests.back());
  EXPECT_EQ(RecordedCount(*ledger_), kMaxSignaturesPerCall);
}

TEST_P(LedgerConformanceTest, ARecordStaysProvableAfterTheEidIsRevoked) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  SignJob j = Job(*ledger_, 1);
  auto r = Record(*ledger_, s.provider, s.user, j);
  ASSERT_OK(r);
  const int64_t recorded_at = r->events.at(0).time;
  Advance(seconds(30));
  auto revoked = ledger_->RevokeEid(s.validator, s.user.address());
  ASSERT_OK(revoked);
  EXPECT_REFUSED(Record(*ledger_, s.provider, s.user, Job(*ledger_, 1)), kEidNotActive);

  // The record is still there, with the time the ledger gave it ...
  auto found = SignatureRecords(*ledger_, j.digests[0]);
  ASSERT_OK(found);
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].time, recorded_at);
  EXPECT_EQ((*found)[0].block, r->block);
  EXPECT_EQ((*found)[0].user, s.user.address());
  EXPECT_EQ((*found)[0].sign_request, j.request);
  // ... the eID is revoked now ...
  auto eid = ledger_->GetEid(s.user.address());
  ASSERT_OK(eid);
  EXPECT_EQ(eid->status, EidStatus::kRevoked);
  // ... and the revocation came after the record: the eID was active when
  // the ledger accepted the signature (the rule refuses any other state).
  EventFilter f;
  f.user = s.user.address();
  f.kind = EventKind::kEidStatusChanged;
  auto changes = ledger_->Events(f);
  ASSERT_OK(changes);
  ASSERT_EQ(changes->size(), 1u);
  EXPECT_GT(changes->at(0).block, (*found)[0].block);
  EXPECT_GT(changes->at(0).time, recorded_at);
  // The user's signature over the record's fields still recovers to the eID.
  SignedDigest sd{s.user.address(), (*found)[0].provider, (*found)[0].digest, (*found)[0].sign_request,
                  static_cast<uint64_t>((*found)[0].signed_at)};
  EXPECT_EQ(SignedDigestDigest(ledger_->Domain(), sd),
            SignedDigestDigest(ledger_->Domain(), {s.user.address(), s.provider.address(), j.digests[0], j.request,
                                                   j.signed_at}));
}

}  // namespace
}  // namespace certme
