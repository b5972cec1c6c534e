// The console pages' server-side parts on their own: one-time notes
// (FlashNotes), the service search's folding and matching, and the
// translation of the service layer's errors.
#include <gtest/gtest.h>

#include "admin_test_util.h"
#include "idp/admin/certificate.h"
#include "idp/admin/error_text.h"
#include "idp/admin/flash.h"
#include "idp/admin/service_search.h"

namespace certme::admin {
namespace {

using testing::Catalogue;

class FlashNotesTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  FakeRandom random_;
  std::unique_ptr<Store> store_ = NewMemoryStore({&clock_});
  FlashNotes notes_{*store_, random_};
};

TEST_F(FlashNotesTest, ANoteIsShownOnceToItsUser) {
  auto id = notes_.Put("ana", {{"secret", "s3cret-value"}});
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->size(), 43u);
  EXPECT_FALSE(notes_.Take(*id, "vera").has_value());  // another user: nothing, and nothing burnt
  auto note = notes_.Take(*id, "ana");
  ASSERT_TRUE(note.has_value());
  EXPECT_EQ((*note)["secret"], "s3cret-value");
  EXPECT_FALSE(notes_.Take(*id, "ana").has_value());  // a reload
}

TEST_F(FlashNotesTest, TheStoreHoldsNeitherTheIdNorTheNoteInClear) {
  auto id = notes_.Put("ana", {{"secret", "s3cret-value"}});
  ASSERT_TRUE(id.ok());
  auto entries = store_->List("admin_flash");
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].key.find(*id), std::string::npos);
  EXPECT_EQ((*entries)[0].value.find("s3cret"), std::string::npos);
}

TEST_F(FlashNotesTest, ExpiredMalformedAndUnknownIdsGiveNothing) {
  auto id = notes_.Put("ana", {{"secret", "x"}});
  ASSERT_TRUE(id.ok());
  for (std::string bad : {std::string(""), std::string("short"), std::string(43, '*'), std::string(43, 'A'),
                          *id + "A", std::string(5000, 'a')})
    EXPECT_FALSE(notes_.Take(bad, "ana").has_value()) << bad.size();
  clock_.Advance(std::chrono::seconds(kFlashSeconds + 1));
  EXPECT_FALSE(notes_.Take(*id, "ana").has_value());
}

TEST(ServiceSearchTest, FoldingCoversRomanianAndCyrillic) {
  EXPECT_EQ(FoldForSearch("ȘTEFAN ŢARĂ Îngrijire"), "ștefan țară îngrijire");
  EXPECT_EQ(FoldForSearch("ПАРКОВКА Ёлка"), "парковка ёлка");
  EXPECT_EQ(FoldForSearch("Ascii-Client_01"), "ascii-client_01");
  // Broken UTF-8 is kept byte for byte, never dropped or crashed on.
  EXPECT_EQ(FoldForSearch(std::string("A\xC3", 2)), std::string("a\xC3", 2));
  EXPECT_EQ(FoldForSearch(std::string("\xE2\x82", 2)), std::string("\xE2\x82", 2));
}

TEST(ServiceSearchTest, QueryMatchesNamesIdsEnvironmentAndProtocol) {
  ServiceRecord r;
  r.id = "svc-0123456789ab";
  r.protocol = "saml";
  r.names = {{"ro", "Parcare Chișinău"}, {"ru", "Парковка"}, {"en", "Parking"}};
  r.contract_number = "MP-2026/7";
  r.test = Registration{.state = "active", .definition = {{"entity_id", "https://sp.example/md"}}};
  auto q = [](std::string text, std::string env = "", std::string protocol = "") {
    HttpRequest req;
    req.query.emplace("q", text);
    if (!env.empty()) req.query.emplace("env", env);
    if (!protocol.empty()) req.query.emplace("protocol", protocol);
    return ServiceQuery::FromRequest(req);
  };
  EXPECT_TRUE(Matches(q("chișinău"), r));
  EXPECT_TRUE(Matches(q("  ПАРКОВ "), r));
  EXPECT_TRUE(Matches(q("sp.example/md"), r));
  EXPECT_TRUE(Matches(q("0123456789"), r));
  EXPECT_TRUE(Matches(q("mp-2026"), r));
  EXPECT_FALSE(Matches(q("hospital"), r));
  EXPECT_TRUE(Matches(q("", "test"), r));
  EXPECT_FALSE(Matches(q("", "production"), r));
  EXPECT_FALSE(Matches(q("", "", "oidc"), r));
  EXPECT_TRUE(Matches(q("", "nonsense", "nonsense"), r));  // unknown filters are ignored
  EXPECT_FALSE(q("", "nonsense", "nonsense").active());

  FileService f{"oidc", "demo", {{"en", "Demo site"}}, "clients.yaml", nlohmann::json::object()};
  EXPECT_TRUE(Matches(q("DEMO"), f));
  EXPECT_TRUE(Matches(q("", "test", "oidc"), f));
  EXPECT_FALSE(Matches(q("", "production"), f));
  EXPECT_FALSE(Matches(q("", "", "saml"), f));
}

// Every error the form's own checks produce for bad input is known to the
// table, comes out in Romanian and Russian, and keeps its variable part.
TEST(ErrorTextTest, TheFieldChecksErrorsAreTranslated) {
  ServiceInput in;
  in.protocol = "oidc";
  in.technical_contact = "not an address";
  in.contract_date = "2026/01/01";
  in.attributes = {"no_such_attribute"};
  in.redirect_uris = {"ftp://rp.example/cb"};
  in.post_logout_redirect_uris = {"https://rp.example/a", "https://rp.example/a"};
  in.sector_identifier = "https://x";
  FieldErrors errors;
  CheckFields(in, "oidc", Operation::kCreate, Catalogue(), &errors);
  ServiceInput saml;
  saml.protocol = "saml";
  CheckFields(saml, "saml", Operation::kCreate, Catalogue(), &errors);
  ASSERT_GE(errors.size(), 8u);
  for (const auto& [field, text] : errors) {
    EXPECT_TRUE(KnownError(text)) << field << ": " << text;
    EXPECT_NE(LocalizeError("ro", text), text) << field << ": " << text;
    EXPECT_NE(LocalizeError("ru", text), text) << field << ": " << text;
    EXPECT_EQ(LocalizeError("en", text), text) << field << ": " << text;
  }
  EXPECT_EQ(LocalizeError("ro", "\"ftp://rp.example/cb\" is not an absolute http(s) URL without fragment"),
            "„ftp://rp.example/cb” nu este un URL http(s) absolut fără fragment");
  EXPECT_EQ(LocalizeError("ru", "the Romanian name is required"), "Обязательное поле: название на румынском");
  EXPECT_EQ(LocalizeError("ro", "the service is not registered on production"),
            "serviciul nu este înregistrat în mediul Producție");
  auto empty = ParseUploadedCertificate("");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(LocalizeError("ro", empty.status().message()), "fișierul certificatului este gol");
  EXPECT_EQ(LocalizeError("ru", "the scope \"promote\" is beyond the role operator of \"ion\""),
            "область «promote» выходит за пределы роли оператор пользователя «ion»");
  // Unknown texts pass through unchanged.
  EXPECT_EQ(LocalizeError("ro", "something new"), "something new");
  // A long text full of the patterns' literals is matched quickly (the
  // fuzz target runs the same).
  std::string many;
  for (int i = 0; i < 120; ++i) many += "x must be at most 3 characters or ";
  (void)LocalizeError("ro", many.substr(0, 1990));
}

}  // namespace
}  // namespace certme::admin
