#include "tools/wallet_prompt.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>

#include "common/encoding.h"
#include "protocols/claims/claims_catalogue.h"
#include "templates/templates.h"

namespace certme {
namespace {

struct Words {
  const char* service;
  const char* purpose;
  const char* asks;
  const char* none;
  const char* not_held;
  const char* question;
  const char* approved;
  const char* refused;
  const char* male;
  const char* female;
  const char* unspecified;
  const char* yes;
  const char* no;
  const char* lang_ro;
  const char* lang_ru;
  const char* lang_en;
};

const Words& WordsFor(const std::string& lang) {
  static const Words kRo{"Serviciul",
                         "Scopul",
                         "Cere, iar portofelul va trimite exact aceste valori:",
                         "(niciun atribut)",
                         "lipsește din acest portofel: aprobarea nu va reuși",
                         "Aprobați? [d/N] ",
                         "Aprobat: browserul continuă.",
                         "Refuzat: browserul arată refuzul.",
                         "masculin",
                         "feminin",
                         "nespecificat",
                         "da",
                         "nu",
                         "română",
                         "rusă",
                         "engleză"};
  static const Words kRu{"Сервис",
                         "Цель",
                         "Запрашивает; кошелёк отправит именно эти значения:",
                         "(никаких атрибутов)",
                         "нет в этом кошельке: одобрение не удастся",
                         "Одобрить? [д/N] ",
                         "Одобрено: браузер продолжит.",
                         "Отказано: браузер покажет отказ.",
                         "мужской",
                         "женский",
                         "не указан",
                         "да",
                         "нет",
                         "румынский",
                         "русский",
                         "английский"};
  static const Words kEn{"Service",
                         "Purpose",
                         "Asks for, and the wallet will send exactly these values:",
                         "(no attributes)",
                         "not in this wallet: approving will fail",
                         "Approve? [y/N] ",
                         "Approved: the browser continues.",
                         "Refused: the browser shows the refusal.",
                         "male",
                         "female",
                         "unspecified",
                         "yes",
                         "no",
                         "Romanian",
                         "Russian",
                         "English"};
  return lang == "ru" ? kRu : lang == "en" ? kEn : kRo;
}

// Characters, not bytes, so that labels in Cyrillic line up.
size_t Utf8Length(const std::string& s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

// The language a locale name speaks ("ro_MD.UTF-8" → "ro"), or "".
std::string LocaleLang(std::string_view locale) {
  std::string l(locale.substr(0, std::min(locale.find_first_of("_.@-"), locale.size())));
  std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return std::tolower(c); });
  return l == "ro" || l == "ru" || l == "en" ? l : "";
}

std::string Pick(const std::map<std::string, std::string>& texts, const std::string& lang) {
  for (const std::string& l : {lang, std::string("ro"), std::string("en"), std::string("ru")}) {
    auto it = texts.find(l);
    if (it != texts.end() && !it->second.empty()) return it->second;
  }
  return "";
}

// The value as sent, with its meaning where the code alone says little.
std::string ShownValue(const ClaimDefinition* def, const std::string& value, const Words& w) {
  if (!def) return value;
  const char* meaning = nullptr;
  if (def->type == ClaimType::kGender)
    meaning = value == "1" ? w.male : value == "2" ? w.female : value == "0" ? w.unspecified : nullptr;
  if (def->type == ClaimType::kBoolean) meaning = value == "true" ? w.yes : value == "false" ? w.no : nullptr;
  if (def->type == ClaimType::kLocale)
    meaning = value == "ro" ? w.lang_ro : value == "ru" ? w.lang_ru : value == "en" ? w.lang_en : nullptr;
  return meaning ? std::string(meaning) + " (" + value + ")" : value;
}

}  // namespace

std::string WalletLang(const std::optional<std::string>& flag,
                       const std::function<const char*(const char*)>& getenv) {
  if (flag) return *flag == "ro" || *flag == "ru" || *flag == "en" ? *flag : "";
  for (const char* name : {"LC_ALL", "LC_MESSAGES", "LANG"}) {
    const char* v = getenv(name);
    if (!v || !*v) continue;
    std::string l = LocaleLang(v);
    return l.empty() ? "ro" : l;
  }
  return "ro";
}

std::string ConsentPrompt(const wallet::RequestDocument& doc, const std::vector<DisclosedAttribute>& held,
                          const std::string& lang) {
  const Words& w = WordsFor(lang);
  static const std::shared_ptr<const TemplateSet> kTexts = TemplateSet::Builtin();
  static const StatusOr<ClaimsCatalogue> kCatalogue = ClaimsCatalogue::BuiltIn();
  // §7: the service's name comes from the request document only.
  std::string name = Pick(doc.service_names, lang);
  std::string out = std::string(w.service) + ": " + (name.empty() ? doc.service_id : name + " (" + doc.service_id + ")") +
                    "\n";
  if (std::string purpose = Pick(doc.purpose, lang); !purpose.empty()) out += std::string(w.purpose) + ": " + purpose + "\n";
  if (doc.attributes.empty()) return out + w.asks + " " + w.none + "\n";
  out += std::string(w.asks) + "\n";
  std::vector<std::string> labels;
  size_t width = 0;
  for (const std::string& key : doc.attributes) {
    std::string k = "attr_" + key, label = kTexts->Text(lang, k);
    labels.push_back(label == k ? key : label);  // an attribute the catalogue does not name
    width = std::max(width, Utf8Length(labels.back()));
  }
  for (size_t i = 0; i < doc.attributes.size(); ++i) {
    const std::string& key = doc.attributes[i];
    auto it = std::find_if(held.begin(), held.end(), [&](const DisclosedAttribute& a) { return a.name == key; });
    const ClaimDefinition* def = kCatalogue.ok() ? kCatalogue->ByKey(key) : nullptr;
    out += "  " + labels[i] + ":" + std::string(width - Utf8Length(labels[i]) + 1, ' ') +
           (it == held.end() ? std::string("— ") + w.not_held + " —" : ShownValue(def, it->value, w)) + "\n";
  }
  return out;
}

namespace {

struct SignWords {
  const char* what;
  const char* items;
  const char* signer;
  const char* person;
  const char* organization;
  const char* question;
  const char* signed_;
  const char* refused;
};

const SignWords& SignWordsFor(const std::string& lang) {
  static const SignWords kRo{"Semnați",
                             "Documente",
                             "Semnatar",
                             "persoană fizică (dumneavoastră)",
                             "persoană juridică, IDNO",
                             "Semnați? [d/N] ",
                             "Semnat: browserul continuă.",
                             "Refuzat: browserul arată refuzul."};
  static const SignWords kRu{"Вы подписываете",
                             "Документы",
                             "Подписант",
                             "физическое лицо (вы)",
                             "юридическое лицо, IDNO",
                             "Подписать? [д/N] ",
                             "Подписано: браузер продолжит.",
                             "Отказано: браузер покажет отказ."};
  static const SignWords kEn{"You sign",
                             "Documents",
                             "Signer",
                             "a person (you)",
                             "an organization, IDNO",
                             "Sign? [y/N] ",
                             "Signed: the browser continues.",
                             "Refused: the browser shows the refusal."};
  return lang == "ru" ? kRu : lang == "en" ? kEn : kRo;
}

}  // namespace

std::string SignPrompt(const wallet::RequestDocument& doc, const std::vector<DisclosedAttribute>& held,
                       const std::string& lang) {
  const SignWords& w = SignWordsFor(lang);
  std::string out = ConsentPrompt(doc, held, lang);
  const wallet::SignDetails& sign = *doc.sign;
  if (std::string what = Pick(sign.description, lang); !what.empty()) out += std::string(w.what) + ": " + what + "\n";
  out += std::string(w.items) + " (" + std::to_string(sign.items.size()) + "):\n";
  for (size_t i = 0; i < sign.items.size(); ++i) {
    const JadesSignedItem& item = sign.items[i];
    out += "  " + std::to_string(i + 1) + ". " + item.name + "\n     " +
           (item.hash_alg == kJadesHashS384 ? "SHA-384 " : "SHA-256 ") + HexEncode(item.digest) + "\n";
  }
  out += std::string(w.signer) + ": " +
         (sign.signer_type == wallet::SignerType::kOrganization ? std::string(w.organization) + " " + sign.idno
                                                                : std::string(w.person)) +
         "\n";
  return out;
}

std::string SignQuestion(const std::string& lang) { return SignWordsFor(lang).question; }

std::string SignOutcome(bool signed_, const std::string& lang) {
  return signed_ ? SignWordsFor(lang).signed_ : SignWordsFor(lang).refused;
}

std::string PromptQuestion(const std::string& lang) { return WordsFor(lang).question; }

bool PromptAnswerIsYes(const std::string& line) {
  std::string l = line;
  while (!l.empty() && std::isspace(static_cast<unsigned char>(l.back()))) l.pop_back();
  while (!l.empty() && std::isspace(static_cast<unsigned char>(l.front()))) l.erase(0, 1);
  std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* yes : {"y", "yes", "d", "da", "д", "да", "Д", "ДА", "Да"})
    if (l == yes) return true;
  return false;
}

std::string PromptOutcome(bool approved, const std::string& lang) {
  return approved ? WordsFor(lang).approved : WordsFor(lang).refused;
}

}  // namespace certme
