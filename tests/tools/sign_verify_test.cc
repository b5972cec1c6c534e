// `certme sign verify` (tools/sign_verify.h): a JAdES signature against its
// document, and its record on the embedded ledger with the eID's status now.
#include "tools/sign_verify.h"

#include <gtest/gtest.h>

#include <memory>

#include "common/clock.h"
#include "common/encoding.h"
#include "common/random.h"
#include "crypto/hash.h"
#include "crypto/jades.h"
#include "ledger-client/abi.h"
#include "ledger-client/attributes.h"
#include "ledger-client/eip712.h"
#include "ledger-client/embedded_ledger.h"
#include "tests/ledger-client/temp_dir.h"

namespace certme {
namespace {

constexpr char kDocument[] = "the employment contract, version 3";

class SignVerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto l = EmbeddedLedger::Create({.path = LedgerTestDir().NewFile(".ledger"),
                                     .clock = &clock_,
                                     .sync_full = false,
                                     .sequencer = EthKey::Generate()},
                                    admin_, 31337);
    ASSERT_TRUE(l.ok()) << l.status().ToString();
    ledger_ = std::move(*l);
    ASSERT_TRUE(ledger_->AddValidator(admin_, validator_.address()).ok());
    ASSERT_TRUE(ledger_->AddProvider(admin_, provider_.address()).ok());
    Bytes32 key = AttributeKey("idnp");
    Bytes32 commitment = AttributeCommitment(user_.address(), key, "2001234567890", Keccak256("salt"));
    ASSERT_TRUE(ledger_->IssueEid(validator_, user_, {key}, {commitment}, kLoaSubstantial).ok());

    JadesHeader h;
    h.public_key = user_.public_key();
    h.chain_id = ledger_->ChainId();
    h.registry = ledger_->RegistryAddress();
    h.sign_request = abi::ToBytes32(SystemRandom().Bytes(32));
    h.signing_time = ledger_->Now();
    h.item = {"contract.pdf", kJadesHashS256, Sha256(kDocument)};
    header_ = h;
    protected_ = BuildJadesProtectedHeader(h);
    file_ = JadesFlattenedJson(protected_, SignJades(user_, protected_), nullptr);
  }

  static StatusOr<std::string> DigestOf(const std::string& alg) { return JadesHash(alg, kDocument); }

  Status Record() {
    SignedDigest d{user_.address(), provider_.address(), JadesLedgerDigest(protected_), header_.sign_request,
                   static_cast<uint64_t>(header_.signing_time)};
    EthSignature sig = SignSignedDigest(user_, ledger_->Domain(), d);
    SignatureEntry entry{d.digest, std::string(reinterpret_cast<const char*>(sig.rsv.data()), 65)};
    return ledger_->RecordSignatures(provider_, user_.address(), header_.sign_request,
                                     static_cast<uint64_t>(header_.signing_time), {entry})
        .status();
  }

  FakeClock clock_{1'796'649'600'000};
  EthKey admin_ = EthKey::Generate();
  EthKey validator_ = EthKey::Generate();
  EthKey provider_ = EthKey::Generate();
  EthKey user_ = EthKey::Generate();
  std::unique_ptr<EmbeddedLedger> ledger_;
  JadesHeader header_;
  std::string protected_, file_;
};

TEST_F(SignVerifyTest, ValidForTheSignedDocumentOnly) {
  auto r = VerifySignatureFile(file_, DigestOf, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->valid) << r->problem;
  EXPECT_EQ(r->header.signer, user_.address());
  EXPECT_EQ(r->header.item.name, "contract.pdf");
  EXPECT_FALSE(r->ledger_checked);

  auto other = VerifySignatureFile(file_, [](const std::string& alg) { return JadesHash(alg, "another"); }, nullptr);
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->valid);
  EXPECT_NE(other->problem.find("not the signed digest"), std::string::npos) << other->problem;
}

TEST_F(SignVerifyTest, RefusesTamperedAndForeignFiles) {
  auto j = nlohmann::json::parse(file_);
  std::string sig = *Base64UrlDecode(j["signature"].get<std::string>());
  sig[3] ^= 1;
  j["signature"] = Base64UrlEncode(sig);
  auto tampered = VerifySignatureFile(j.dump(), DigestOf, nullptr);
  ASSERT_TRUE(tampered.ok());
  EXPECT_FALSE(tampered->valid);
  for (const char* text : {"", "{}", "not json", R"({"protected":"e30","payload":"","signature":""})"}) {
    auto r = VerifySignatureFile(text, DigestOf, nullptr);
    ASSERT_TRUE(r.ok()) << text;
    EXPECT_FALSE(r->valid) << text;
    EXPECT_NE(r->problem.find("not a certME JAdES signature"), std::string::npos) << r->problem;
  }
  // The document could not be read: an input error, not a verdict.
  auto unreadable = VerifySignatureFile(file_, [](const std::string&) -> StatusOr<std::string> {
    return NotFound("cannot read contract.pdf");
  }, nullptr);
  EXPECT_EQ(unreadable.status().code(), StatusCode::kNotFound);
}

TEST_F(SignVerifyTest, FindsTheLedgerRecordAndTheEidStatusNow) {
  auto before = VerifySignatureFile(file_, DigestOf, ledger_.get());
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  EXPECT_TRUE(before->ledger_checked);
  EXPECT_FALSE(before->valid) << "no record yet";
  EXPECT_NE(before->problem.find("no record"), std::string::npos) << before->problem;

  ASSERT_TRUE(Record().ok());
  auto after = VerifySignatureFile(file_, DigestOf, ledger_.get());
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_TRUE(after->valid) << after->problem;
  ASSERT_TRUE(after->record);
  EXPECT_EQ(after->record->provider, provider_.address());
  EXPECT_EQ(after->record->signed_at, header_.signing_time);
  EXPECT_GT(after->record->block, 0u);
  EXPECT_EQ(after->eid_now, EidStatus::kActive);

  // Suspended later: the signature stays valid (the eID was active when it
  // was recorded), and the status now says so.
  ASSERT_TRUE(ledger_->SuspendEid(admin_, user_.address()).ok());
  auto suspended = VerifySignatureFile(file_, DigestOf, ledger_.get());
  ASSERT_TRUE(suspended.ok());
  EXPECT_TRUE(suspended->valid);
  EXPECT_EQ(suspended->eid_now, EidStatus::kSuspended);
}

TEST_F(SignVerifyTest, ASignatureForAnotherLedgerIsNotThisLedgersRecord) {
  JadesHeader h = header_;
  h.chain_id = 1;
  std::string prot = BuildJadesProtectedHeader(h);
  auto r = VerifySignatureFile(JadesFlattenedJson(prot, SignJades(user_, prot), nullptr), DigestOf, ledger_.get());
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->valid);
  EXPECT_NE(r->problem.find("not this one"), std::string::npos) << r->problem;
}

}  // namespace
}  // namespace certme
