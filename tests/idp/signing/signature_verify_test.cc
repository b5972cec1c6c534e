// The verify endpoint's work (idp/signing/signature_verify.h) on the
// embedded ledger: a JAdES signature recorded by the service's provider
// account is valid against its document, with the eID's status at signing
// and now (revoked afterwards: still valid, "revoked" now); another
// document, a forged signature, another ledger and an unrecorded signature
// are not valid.
#include "idp/signing/signature_verify.h"

#include <gtest/gtest.h>

#include "crypto/jades.h"
#include "ledger-client/eip712.h"
#include "ledger-client/embedded_ledger.h"
#include "store/memory/memory_store.h"
#include "tests/idp/login/wallet_test_support.h"
#include "tests/ledger-client/temp_dir.h"

namespace certme::signing {
namespace {

using nlohmann::json;

class SignatureVerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto l = EmbeddedLedger::Create({.path = LedgerTestDir().NewFile(".ledger"), .sync_full = false,
                                     .watch_file = false, .sequencer = EthKey::Generate()},
                                    admin_, 31337);
    ASSERT_TRUE(l.ok()) << l.status().ToString();
    ledger_ = std::move(*l);
    ASSERT_TRUE(testing::EnrollUser(*ledger_, admin_, validator_, provider_, user_, {{"idnp", "2001234567890"}}).ok());
    store_ = NewMemoryStore();
    signs_ = std::make_unique<SignStore>(*store_, SystemClock(), SystemRandom());
    client_.client_id = "rp-a";
  }

  // The protected header the wallet builds for `digest`, and its signature.
  std::pair<std::string, std::string> Sign(const std::string& digest, int64_t at) {
    JadesHeader h;
    h.public_key = user_.public_key();
    h.chain_id = ledger_->Domain().chain_id;
    h.registry = ledger_->Domain().verifying_contract;
    h.sign_request = request_;
    h.signing_time = at;
    h.item = {"contract.pdf", "S256", digest};
    std::string prot = BuildJadesProtectedHeader(h);
    return {prot, SignJades(user_, prot)};
  }
  Status Record(const std::string& prot, int64_t at) {
    SignedDigest sd{user_.address(), provider_.address(), JadesLedgerDigest(prot), request_, static_cast<uint64_t>(at)};
    EthSignature s = SignSignedDigest(user_, ledger_->Domain(), sd);
    return ledger_
        ->RecordSignatures(provider_, user_.address(), request_, static_cast<uint64_t>(at),
                           {{sd.digest, std::string(s.rsv.begin(), s.rsv.end())}})
        .status();
  }
  json Verify(const std::string& prot, const std::string& sig, const std::string& digest) {
    auto v = VerifySignature(*ledger_, *signs_, client_, VerifyRequest{prot, sig, "S256", digest});
    EXPECT_TRUE(v.ok()) << (v.ok() ? "" : v.error().detail);
    return v.ok() ? *v : json();
  }

  EthKey admin_ = EthKey::Generate(), validator_ = EthKey::Generate(), provider_ = EthKey::Generate(),
         user_ = EthKey::Generate();
  Bytes32 request_{{7, 7, 7}};
  std::unique_ptr<EmbeddedLedger> ledger_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<SignStore> signs_;
  OidcClient client_;
};

TEST_F(SignatureVerifyTest, ARecordedSignatureStaysValidAfterRevocation) {
  const std::string doc(32, '\x11');
  int64_t at = SystemClock().NowUnixSeconds();
  auto [prot, sig] = Sign(doc, at);
  // Not on the ledger yet.
  EXPECT_EQ(Verify(prot, sig, doc)["reason"], "not_recorded");
  ASSERT_TRUE(Record(prot, at).ok());
  json v = Verify(prot, sig, doc);
  EXPECT_EQ(v["valid"], true) << v.dump();
  EXPECT_EQ(v["signing_time"], at);
  EXPECT_EQ(v["signer"]["eid"], user_.AddressHex());
  EXPECT_EQ(v["eid_status_at_signing"], "active");
  EXPECT_EQ(v["eid_status_now"], "active");
  EXPECT_GT(v["ledger"]["block"].get<uint64_t>(), 0u);

  ASSERT_TRUE(ledger_->RevokeEid(admin_, user_.address()).ok());
  v = Verify(prot, sig, doc);
  EXPECT_EQ(v["valid"], true);
  EXPECT_EQ(v["eid_status_at_signing"], "active");
  EXPECT_EQ(v["eid_status_now"], "revoked");
}

TEST_F(SignatureVerifyTest, OtherDocumentsForgeriesAndOtherLedgersAreNotValid) {
  const std::string doc(32, '\x11');
  int64_t at = SystemClock().NowUnixSeconds();
  auto [prot, sig] = Sign(doc, at);
  ASSERT_TRUE(Record(prot, at).ok());
  EXPECT_EQ(Verify(prot, sig, std::string(32, '\x12'))["reason"], "digest_mismatch");
  std::string forged = sig;
  forged[10] ^= 1;
  EXPECT_EQ(Verify(prot, forged, doc)["reason"], "bad_signature");
  EXPECT_EQ(Verify(Base64UrlEncode("{\"alg\":\"ES256K\"}"), sig, doc)["reason"], "malformed");
  // A header naming another registry, validly signed by the same eID.
  JadesHeader h;
  h.public_key = user_.public_key();
  h.chain_id = ledger_->Domain().chain_id;
  h.registry = std::string(20, '\x42');
  h.sign_request = request_;
  h.signing_time = at;
  h.item = {"contract.pdf", "S256", doc};
  std::string other = BuildJadesProtectedHeader(h);
  EXPECT_EQ(Verify(other, SignJades(user_, other), doc)["reason"], "other_ledger");
}

}  // namespace
}  // namespace certme::signing
