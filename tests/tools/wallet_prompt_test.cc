// `certme wallet approve`'s consent prompt: the service, the purpose and
// every asked attribute by its name in ro, ru and en with the exact value
// the wallet would send; the language taken from --lang or the locale.
#include <gtest/gtest.h>

#include <map>

#include "tools/wallet_prompt.h"

namespace certme {
namespace {

wallet::RequestDocument Request() {
  wallet::RequestDocument doc;
  doc.service_id = "demo-rp";
  doc.service_names = {{"ro", "Serviciul demonstrativ"}, {"ru", "Демонстрационный сервис"}, {"en", "Demo service"}};
  doc.purpose = wallet::LoginPurpose();
  doc.attributes = {"first_name", "last_name", "birth_date", "gender", "language", "email"};
  return doc;
}

std::vector<DisclosedAttribute> Held() {
  return {{"first_name", "Ion", {}},   {"last_name", "Popescu", {}}, {"birth_date", "1985-04-12", {}},
          {"gender", "1", {}},         {"language", "ro", {}},       {"email", "ion.popescu@example.md", {}},
          {"idnp", "2001234567890", {}}};
}

// The prompt lines as "label" → "value".
std::map<std::string, std::string> Rows(const std::string& prompt) {
  std::map<std::string, std::string> rows;
  size_t at = 0;
  while (at < prompt.size()) {
    size_t nl = prompt.find('\n', at);
    std::string line = prompt.substr(at, nl - at);
    at = nl + 1;
    if (line.rfind("  ", 0) != 0) continue;
    size_t colon = line.find(':');
    size_t value = line.find_first_not_of(' ', colon + 1);
    rows[line.substr(2, colon - 2)] = line.substr(value);
  }
  return rows;
}

TEST(WalletPromptTest, RomanianLabelsAndTheValuesSent) {
  std::string p = ConsentPrompt(Request(), Held(), "ro");
  EXPECT_NE(p.find("Serviciul: Serviciul demonstrativ (demo-rp)\n"), std::string::npos) << p;
  EXPECT_NE(p.find("Scopul: " + wallet::LoginPurpose().at("ro")), std::string::npos) << p;
  EXPECT_EQ(Rows(p), (std::map<std::string, std::string>{{"Prenume", "Ion"},
                                                          {"Nume", "Popescu"},
                                                          {"Data nașterii", "1985-04-12"},
                                                          {"Sex", "masculin (1)"},
                                                          {"Limba", "română (ro)"},
                                                          {"E-mail", "ion.popescu@example.md"}}))
      << p;
  // No catalogue key as a label, and nothing the service did not ask for.
  for (const char* raw : {"first_name", "birth_date", "idnp", "2001234567890"})
    EXPECT_EQ(p.find(raw), std::string::npos) << raw << " in\n" << p;
}

TEST(WalletPromptTest, EnglishAndRussian) {
  std::string en = ConsentPrompt(Request(), Held(), "en");
  EXPECT_NE(en.find("Service: Demo service (demo-rp)\n"), std::string::npos) << en;
  auto rows = Rows(en);
  EXPECT_EQ(rows["First name"], "Ion");
  EXPECT_EQ(rows["Date of birth"], "1985-04-12");
  EXPECT_EQ(rows["Gender"], "male (1)");
  EXPECT_EQ(rows["Language"], "Romanian (ro)");
  EXPECT_EQ(rows.size(), 6u) << en;
  std::string ru = ConsentPrompt(Request(), Held(), "ru");
  EXPECT_NE(ru.find("Сервис: Демонстрационный сервис (demo-rp)\n"), std::string::npos) << ru;
  rows = Rows(ru);
  EXPECT_EQ(rows["Имя"], "Ion");
  EXPECT_EQ(rows["Фамилия"], "Popescu");
  EXPECT_EQ(rows["Пол"], "мужской (1)");
  EXPECT_EQ(rows.size(), 6u) << ru;
  EXPECT_EQ(PromptQuestion("ru"), "Одобрить? [д/N] ");
  EXPECT_EQ(PromptQuestion("en"), "Approve? [y/N] ");
}

TEST(WalletPromptTest, LabelsLineUpAndMissingOrUnknownAttributesAreSaid) {
  wallet::RequestDocument doc = Request();
  doc.attributes = {"first_name", "mobile_phone", "loyalty_card"};
  std::vector<DisclosedAttribute> held = {{"first_name", "Ion", {}}, {"loyalty_card", "C-42", {}}};
  std::string p = ConsentPrompt(doc, held, "en");
  EXPECT_NE(p.find("  First name:   Ion\n"), std::string::npos) << p;
  EXPECT_NE(p.find("  Mobile phone: — not in this wallet: approving will fail —\n"), std::string::npos) << p;
  // An attribute the catalogue does not name keeps its key.
  EXPECT_NE(p.find("  loyalty_card: C-42\n"), std::string::npos) << p;
  doc.attributes.clear();
  EXPECT_NE(ConsentPrompt(doc, held, "ro").find("(niciun atribut)"), std::string::npos);
}

TEST(WalletPromptTest, ServiceNameFallsBackToAnotherLanguageThenTheIdentifier) {
  wallet::RequestDocument doc = Request();
  doc.service_names = {{"ro", "Serviciul demonstrativ"}};
  EXPECT_NE(ConsentPrompt(doc, Held(), "ru").find("Сервис: Serviciul demonstrativ (demo-rp)\n"), std::string::npos);
  doc.service_names.clear();
  EXPECT_NE(ConsentPrompt(doc, Held(), "en").find("Service: demo-rp\n"), std::string::npos);
}

TEST(WalletPromptTest, LanguageFromTheFlagThenTheLocaleThenRomanian) {
  std::map<std::string, std::string> env;
  auto get = [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  EXPECT_EQ(WalletLang(std::nullopt, get), "ro");
  env["LANG"] = "ru_RU.UTF-8";
  EXPECT_EQ(WalletLang(std::nullopt, get), "ru");
  env["LC_MESSAGES"] = "en_GB.UTF-8";
  EXPECT_EQ(WalletLang(std::nullopt, get), "en");
  env["LC_ALL"] = "ro_MD";
  EXPECT_EQ(WalletLang(std::nullopt, get), "ro");
  env["LC_ALL"] = "";  // set but empty: the next one counts
  EXPECT_EQ(WalletLang(std::nullopt, get), "en");
  env = {{"LANG", "C.UTF-8"}};
  EXPECT_EQ(WalletLang(std::nullopt, get), "ro");
  env = {{"LANG", "de_DE.UTF-8"}};
  EXPECT_EQ(WalletLang(std::nullopt, get), "ro");
  EXPECT_EQ(WalletLang(std::string("en"), get), "en");
  EXPECT_EQ(WalletLang(std::string("de"), get), "");
}

TEST(WalletPromptTest, AnswersInTheThreeLanguages) {
  for (const char* yes : {"y", "Y", "yes", "da", "d", " Da \n", "да", "д"}) EXPECT_TRUE(PromptAnswerIsYes(yes)) << yes;
  for (const char* no : {"", "n", "nu", "нет", "yess", "y y"}) EXPECT_FALSE(PromptAnswerIsYes(no)) << no;
  EXPECT_EQ(PromptOutcome(true, "ro"), "Aprobat: browserul continuă.");
  EXPECT_EQ(PromptOutcome(false, "en"), "Refused: the browser shows the refusal.");
}

// `certme wallet sign`: what is signed, each document's name and digest,
// and who signs, in the user's language, after the login part.
TEST(WalletPromptTest, SignPromptShowsTheItemsAndTheSigner) {
  wallet::RequestDocument doc = Request();
  doc.kind = wallet::RequestKind::kSign;
  doc.purpose = wallet::SignPurpose();
  doc.attributes = {"first_name", "idnp"};
  wallet::SignDetails sign;
  sign.description = {{"ro", "Contractul de muncă"}, {"ru", "Трудовой договор"}, {"en", "Employment contract"}};
  sign.items = {{"contract.pdf", "S256", std::string(32, '\x11')}, {"anexa.pdf", "S384", std::string(48, '\x22')}};
  doc.sign = sign;

  std::string ro = SignPrompt(doc, Held(), "ro");
  EXPECT_NE(ro.find("Scopul: Semnare electronică\n"), std::string::npos) << ro;
  EXPECT_NE(ro.find("Semnați: Contractul de muncă\n"), std::string::npos) << ro;
  EXPECT_NE(ro.find("Documente (2):\n  1. contract.pdf\n     SHA-256 " + std::string(64, '1') + "\n"),
            std::string::npos) << ro;
  EXPECT_NE(ro.find("  2. anexa.pdf\n     SHA-384 " + std::string(96, '2') + "\n"), std::string::npos) << ro;
  EXPECT_NE(ro.find("Semnatar: persoană fizică (dumneavoastră)\n"), std::string::npos) << ro;
  EXPECT_NE(ro.find("2001234567890"), std::string::npos) << "the identity sent is shown too";

  doc.sign->signer_type = wallet::SignerType::kOrganization;
  doc.sign->idno = "1003600012345";
  std::string ru = SignPrompt(doc, Held(), "ru");
  EXPECT_NE(ru.find("Вы подписываете: Трудовой договор\n"), std::string::npos) << ru;
  EXPECT_NE(ru.find("Подписант: юридическое лицо, IDNO 1003600012345\n"), std::string::npos) << ru;
  std::string en = SignPrompt(doc, Held(), "en");
  EXPECT_NE(en.find("You sign: Employment contract\n"), std::string::npos) << en;
  EXPECT_EQ(SignQuestion("en"), "Sign? [y/N] ");
  EXPECT_EQ(SignOutcome(true, "ro"), "Semnat: browserul continuă.");
}

}  // namespace
}  // namespace certme
