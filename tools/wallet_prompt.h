// What `certme wallet approve` shows before the user answers: the service,
// the purpose, and each attribute asked with its name in the user's language
// (the login pages' catalogue, templates/i18n attr_<key>) and the exact value
// the wallet would send. Also the language the wallet speaks.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ledger-client/attributes.h"
#include "protocols/wallet/request_document.h"

namespace certme {

// ro | ru | en: `flag` (--lang) when given; else the first of LC_ALL,
// LC_MESSAGES and LANG that is set and not empty, when it names one of the
// three ("ru_RU.UTF-8" → ru; "C.UTF-8" or another language → ro); else ro.
// "" when `flag` names another language (the caller refuses it). `getenv`
// reads the environment (std::getenv outside tests).
std::string WalletLang(const std::optional<std::string>& flag,
                       const std::function<const char*(const char*)>& getenv);

// The consent prompt in `lang`, ending with a newline: the service's name
// (then its identifier), the purpose, and one line per asked attribute,
// "label: value" as the wallet holds it (a gender, a yes/no or a language
// code with its meaning in words), or a note that this wallet lacks it.
std::string ConsentPrompt(const wallet::RequestDocument& doc, const std::vector<DisclosedAttribute>& held,
                          const std::string& lang);

// The sign prompt (docs/wallet-protocol.md §10) in `lang`, ending with a
// newline: ConsentPrompt's lines (service, purpose, the identity
// attributes sent), then what is signed: the description, each item with
// its name, hash algorithm and digest in hex, and the signer (a person, or
// an organization with its IDNO). REQUIRES doc.sign.
std::string SignPrompt(const wallet::RequestDocument& doc, const std::vector<DisclosedAttribute>& held,
                       const std::string& lang);
// "Sign? [y/N] " and "Signed: …" / "Refused: …" in `lang`.
std::string SignQuestion(const std::string& lang);
std::string SignOutcome(bool signed_, const std::string& lang);

// The question and the answers of the prompt in `lang` ("Approve? [y/N] ",
// "Approved: …", "Refused: …").
std::string PromptQuestion(const std::string& lang);
bool PromptAnswerIsYes(const std::string& line);
std::string PromptOutcome(bool approved, const std::string& lang);

}  // namespace certme
