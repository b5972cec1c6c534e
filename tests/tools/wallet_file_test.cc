// The files of the ledger programs: the encrypted wallet, service keys, the
// enrollment hand-over and the presentation.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "common/encoding.h"
#include "ledger-client/abi.h"
#include "tests/ledger-client/temp_dir.h"
#include "tools/wallet_file.h"

namespace certme {
namespace {

using nlohmann::json;

// Cheap parameters keep the tests fast; the format and code path are the same.
const WalletKdfParams kFastKdf{1, 8 * 1024, 1};

WalletContents SampleWallet() {
  WalletContents w;
  w.attributes = {{"first_name", "Ion", Keccak256("s1")}, {"idnp", "2001234567890", Keccak256("s2")}};
  w.validator = EthKey::Generate().address();
  w.loa = kLoaSubstantial;
  return w;
}

TEST(WalletFileTest, SealsAndOpensWithThePassphrase) {
  WalletContents w = SampleWallet();
  auto sealed = SealWallet(w, Secret("correct horse"), kFastKdf);
  ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
  EXPECT_EQ(sealed->find("2001234567890"), std::string::npos) << "values are encrypted";
  EXPECT_EQ(sealed->find(w.key.PrivateKeyHex()), std::string::npos) << "the key is encrypted";
  EXPECT_NE(sealed->find(w.key.AddressHex()), std::string::npos) << "the address is readable";
  auto opened = OpenWallet(*sealed, Secret("correct horse"));
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->key.address(), w.key.address());
  EXPECT_EQ(opened->key.PrivateKeyHex(), w.key.PrivateKeyHex());
  ASSERT_EQ(opened->attributes.size(), 2u);
  EXPECT_EQ(opened->attributes[1].value, "2001234567890");
  EXPECT_EQ(opened->attributes[1].salt, Keccak256("s2"));
  EXPECT_EQ(opened->validator, w.validator);
  EXPECT_EQ(opened->loa, kLoaSubstantial);
  // Two seals of the same wallet differ (fresh salt and IV).
  EXPECT_NE(*SealWallet(w, Secret("correct horse"), kFastKdf), *sealed);
}

// The ledger an import reached is kept, encrypted with the rest; a wallet
// from before has none.
TEST(WalletFileTest, KeepsTheLedgerItWasImportedFrom) {
  WalletContents w = SampleWallet();
  auto opened = OpenWallet(*SealWallet(w, Secret("correct horse"), kFastKdf), Secret("correct horse"));
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_FALSE(opened->ledger.has_value());
  WalletLedger l;
  l.backend = "embedded";
  l.embedded_path = "/srv/demo/ledger.db";
  l.sequencer_key_file = "/srv/demo/sequencer.key";
  l.chain_id = 4503599627370495;
  l.registry = EthKey::Generate().address();
  w.ledger = l;
  std::string sealed = *SealWallet(w, Secret("correct horse"), kFastKdf);
  EXPECT_EQ(sealed.find("/srv/demo"), std::string::npos) << "the record is encrypted";
  opened = OpenWallet(sealed, Secret("correct horse"));
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  ASSERT_TRUE(opened->ledger.has_value());
  EXPECT_EQ(opened->ledger->backend, "embedded");
  EXPECT_EQ(opened->ledger->embedded_path, "/srv/demo/ledger.db");
  EXPECT_EQ(opened->ledger->sequencer_key_file, "/srv/demo/sequencer.key");
  EXPECT_EQ(opened->ledger->checkpoint_file, "");
  EXPECT_EQ(opened->ledger->chain_id, 4503599627370495u);
  EXPECT_EQ(opened->ledger->registry, l.registry);
  w.ledger->backend = "paper";
  EXPECT_EQ(OpenWallet(*SealWallet(w, Secret("correct horse"), kFastKdf), Secret("correct horse")).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(WalletFileTest, WrongPassphraseOrEditedFileDoesNotOpen) {
  WalletContents w = SampleWallet();
  std::string sealed = *SealWallet(w, Secret("correct horse"), kFastKdf);
  EXPECT_EQ(OpenWallet(sealed, Secret("correct hors")).status().code(), StatusCode::kUnauthenticated);
  json j = json::parse(sealed);
  // The address is authenticated data: swapping it breaks the seal.
  json swapped = j;
  swapped["address"] = EthKey::Generate().AddressHex();
  EXPECT_EQ(OpenWallet(swapped.dump(), Secret("correct horse")).status().code(), StatusCode::kUnauthenticated);
  json flipped = j;
  std::string ct = *Base64UrlDecode(j["cipher"]["ciphertext"].get<std::string>());
  ct[3] ^= 1;
  flipped["cipher"]["ciphertext"] = Base64UrlEncode(ct);
  EXPECT_EQ(OpenWallet(flipped.dump(), Secret("correct horse")).status().code(), StatusCode::kUnauthenticated);
}

TEST(WalletFileTest, HostileKdfParametersAreRefusedBeforeDerivation) {
  std::string sealed = *SealWallet(SampleWallet(), Secret("pw"), kFastKdf);
  json j = json::parse(sealed);
  j["kdf"]["m_cost_kib"] = kMaxWalletMCostKib + 1;
  EXPECT_EQ(ParseWalletEnvelope(j.dump()).status().code(), StatusCode::kInvalidArgument);
  j = json::parse(sealed);
  j["kdf"]["t_cost"] = 1000;
  EXPECT_FALSE(ParseWalletEnvelope(j.dump()).ok());
  j = json::parse(sealed);
  j["kdf"]["name"] = "pbkdf2";
  EXPECT_FALSE(ParseWalletEnvelope(j.dump()).ok());
  EXPECT_FALSE(ParseWalletEnvelope("[]").ok());
  EXPECT_FALSE(ParseWalletEnvelope("{\"format\":\"certme-wallet-1\"}").ok());
  EXPECT_TRUE(ParseWalletEnvelope(sealed).ok());
}

TEST(WalletFileTest, ServiceKeysAreWrittenPrivatelyAndReadBack) {
  const std::string path = LedgerTestDir().NewFile(".key");
  EthKey k = EthKey::Generate();
  ASSERT_TRUE(WriteServiceKeyFile(path, k).ok());
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto back = ReadServiceKeyFile(path);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->address(), k.address());
  EXPECT_EQ(WriteServiceKeyFile(path, EthKey::Generate()).code(), StatusCode::kAlreadyExists);
  const std::string bare = LedgerTestDir().NewFile(".hex");
  ASSERT_TRUE(WritePrivateFile(bare, k.PrivateKeyHex() + "\n", false).ok());
  EXPECT_EQ(ReadServiceKeyFile(bare)->address(), k.address());
  const std::string lying = LedgerTestDir().NewFile(".key");
  json j = {{"private_key", k.PrivateKeyHex()}, {"address", EthKey::Generate().AddressHex()}};
  ASSERT_TRUE(WritePrivateFile(lying, j.dump(), false).ok());
  EXPECT_FALSE(ReadServiceKeyFile(lying).ok()) << "address must match the key";
}

TEST(WalletFileTest, EnrollmentRoundTripsAndIsChecked) {
  Enrollment e{EthKey::Generate().address(), EthKey::Generate().address(), EthKey::Generate().address(), 31337,
               kLoaHigh, SampleWallet().attributes};
  auto back = ParseEnrollment(EncodeEnrollment(e));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->user, e.user);
  EXPECT_EQ(back->registry, e.registry);
  EXPECT_EQ(back->chain_id, 31337u);
  EXPECT_EQ(back->loa, kLoaHigh);
  EXPECT_EQ(back->attributes[0].salt, e.attributes[0].salt);
  json j = json::parse(EncodeEnrollment(e));
  j["attributes"].push_back(j["attributes"][0]);
  EXPECT_FALSE(ParseEnrollment(j.dump()).ok()) << "duplicate attribute";
  j = json::parse(EncodeEnrollment(e));
  j["attributes"][0]["salt"] = "0x1234";
  EXPECT_FALSE(ParseEnrollment(j.dump()).ok()) << "short salt";
  j = json::parse(EncodeEnrollment(e));
  j["loa"] = "very high";
  EXPECT_FALSE(ParseEnrollment(j.dump()).ok());
  j = json::parse(EncodeEnrollment(e));
  j["attributes"][0]["name"] = "bad name!";
  EXPECT_FALSE(ParseEnrollment(j.dump()).ok());
}

// The enrolment terms travel in the hand-over: the wallet signs exactly the
// commitments of the values and salts it will hold.
TEST(WalletFileTest, EnrollmentCarriesTheTermsTheUserSigns) {
  EthKey user = EthKey::Generate();
  Enrollment e{user.address(), EthKey::Generate().address(), EthKey::Generate().address(), 31337,
               kLoaSubstantial, SampleWallet().attributes, 1700000600};
  auto back = ParseEnrollment(EncodeEnrollment(e));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->deadline, 1700000600u);
  const Enrolment t = EnrolmentTerms(*back);
  EXPECT_EQ(t.user, e.user);
  EXPECT_EQ(t.validator, e.validator);
  EXPECT_EQ(t.deadline, e.deadline);
  ASSERT_EQ(t.commitments.size(), e.attributes.size());
  EXPECT_EQ(t.commitments[0], AttributeCommitment(e.user, AttributeKey(e.attributes[0].name), e.attributes[0].value,
                                                  e.attributes[0].salt));
  EXPECT_EQ(EnrollmentDomain(*back).verifying_contract, e.registry);
  EXPECT_EQ(*RecoverEnrolmentSigner(EnrollmentDomain(*back), t, SignEnrolment(user, EnrollmentDomain(e), t)),
            user.address());
  e.deadline = 0;  // a re-attestation's hand-over has no terms
  EXPECT_EQ(ParseEnrollment(EncodeEnrollment(e))->deadline, 0u);
  json j = json::parse(EncodeEnrollment(back.value()));
  j["deadline"] = "soon";
  EXPECT_FALSE(ParseEnrollment(j.dump()).ok()) << "a deadline that is not a number";
  j["deadline"] = -1;
  EXPECT_FALSE(ParseEnrollment(j.dump()).ok());
}

TEST(WalletFileTest, PresentationMustDiscloseExactlyTheConsentedAttributes) {
  EthKey user = EthKey::Generate();
  Presentation p;
  p.domain.chain_id = 7;
  p.domain.verifying_contract = EthKey::Generate().address();
  p.attributes = SampleWallet().attributes;
  p.consent = {user.address(), EthKey::Generate().address(),
               {AttributeKey("first_name"), AttributeKey("idnp")}, Keccak256("n"), 1700000600};
  EthSignature sig = SignConsent(user, p.domain, p.consent);
  p.signature.assign(reinterpret_cast<const char*>(sig.rsv.data()), 65);
  auto back = ParsePresentation(EncodePresentation(p));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->consent.attr_keys, p.consent.attr_keys);
  EXPECT_EQ(back->consent.expiry, 1700000600u);
  EXPECT_EQ(*RecoverConsentSigner(back->domain, back->consent, sig), user.address());
  json j = json::parse(EncodePresentation(p));
  j["attributes"].erase(1);
  EXPECT_FALSE(ParsePresentation(j.dump()).ok()) << "fewer values than consented";
  j = json::parse(EncodePresentation(p));
  j["consent"]["attributes"] = {"idnp", "first_name"};
  EXPECT_FALSE(ParsePresentation(j.dump()).ok()) << "values in another order than consented";
  j = json::parse(EncodePresentation(p));
  j["consent"]["signature"] = "0x00";
  EXPECT_FALSE(ParsePresentation(j.dump()).ok());
}

}  // namespace
}  // namespace certme
