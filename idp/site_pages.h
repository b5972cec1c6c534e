// The pages of the site itself, outside any protocol flow: the landing page
// at `/` (what this server is, the URLs a service provider needs, where the
// documentation is) and the 404 page for every other unknown address. Both
// speak the negotiated language (templates/page_lang.h) and carry the
// language switcher; the 404 shows the request id.
#pragma once

#include <string>

#include "idp/http/router.h"

namespace certme {

struct SitePagesOptions {
  std::string public_url;  // without trailing slash
  bool saml = false;       // the SAML front is mounted: show its metadata URL
  bool wallet = false;     // the wallet login is mounted: show its API base
};

// Registers GET / and the router's not-found page.
void MountSitePages(Router& router, SitePagesOptions options);

}  // namespace certme
