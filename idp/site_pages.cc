#include "idp/site_pages.h"

#include <nlohmann/json.hpp>

#include "protocols/saml/vocabulary.h"
#include "protocols/wallet/vocabulary.h"
#include "templates/page_lang.h"
#include "templates/templates.h"

namespace certme {

void MountSitePages(Router& router, SitePagesOptions options) {
  while (!options.public_url.empty() && options.public_url.back() == '/') options.public_url.pop_back();
  router.Get("/", [options](const HttpRequest&) {
    auto tp = Templates();
    const std::string lang = PageLang();
    nlohmann::json data = {
        {"title", tp->Text(lang, "home_title")},
        {"wide", true},
        {"discovery_url", options.public_url + "/.well-known/openid-configuration"},
    };
    if (options.saml) data["saml_metadata_url"] = options.public_url + std::string(saml::kPathMetadata);
    if (options.wallet) data["wallet_api"] = options.public_url + wallet::kApiPath;
    return HtmlPage(200, tp->RenderPage("home", lang, data), tp->PageCsp());
  });
  router.HandleNotFound([options](const HttpRequest&) {
    auto tp = Templates();
    const std::string lang = PageLang();
    nlohmann::json data = {
        {"title", tp->Text(lang, "not_found_title")},
        {"heading", tp->Text(lang, "not_found_title")},
        {"message", tp->Text(lang, "not_found")},
        {"todo", tp->Text(lang, "not_found_todo")},
        {"home_url", options.public_url + "/"},
    };
    return HtmlPage(404, tp->RenderPage("error", lang, data), tp->PageCsp());
  });
}

}  // namespace certme
