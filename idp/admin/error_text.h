// The console's pages in the user's language also for the errors of the
// service layer. ServiceAdmin, AdminAccounts and the field checks word their
// errors in English (the JSON API returns them as they are); the pages show
// them through LocalizeError, which recognises each known wording (a table
// of patterns, `*` standing for a part such as a URL or a number) and gives
// the catalogue's text for it (admin_err_*), the parts kept. A text no
// pattern knows is shown as it is.
#pragma once

#include <string>
#include <string_view>

#include "idp/admin/service_definition.h"

namespace certme::admin {

std::string LocalizeError(std::string_view lang, const std::string& english);
FieldErrors LocalizedErrors(std::string_view lang, const FieldErrors& errors);

// For tests: whether a pattern knows `english`.
bool KnownError(const std::string& english);

}  // namespace certme::admin
